package ui

import (
	"errors"
	"fmt"
	"hash/maphash"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Limit is at most N actions per Per for one member or one address. The
// zero Limit allows everything.
type Limit struct {
	N   int
	Per time.Duration
}

// ParseLimit reads "10/1m" (ten per minute), "300/1h" or "off".
func ParseLimit(s string) (Limit, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "off" {
		return Limit{}, nil
	}
	n, per, ok := strings.Cut(s, "/")
	if !ok {
		return Limit{}, fmt.Errorf("limit %q: want a count and a period, like 10/1m, or off", s)
	}
	count, err := strconv.Atoi(strings.TrimSpace(n))
	if err != nil || count < 1 {
		return Limit{}, fmt.Errorf("limit %q: the count must be a whole number of at least 1", s)
	}
	d, err := time.ParseDuration(strings.TrimSpace(per))
	if err != nil || d < time.Second {
		return Limit{}, fmt.Errorf("limit %q: the period must be a duration of at least 1s, like 30s, 10m or 1h", s)
	}
	return Limit{N: count, Per: d}, nil
}

// Off reports whether the limit allows everything.
func (l Limit) Off() bool { return l.N == 0 }

func (l Limit) String() string {
	if l.Off() {
		return "off"
	}
	return fmt.Sprintf("%d/%s", l.N, l.Per)
}

// LimitPair is a limit per member and a limit per IP address, as the
// configuration writes them ("10/1m", "off").
type LimitPair struct {
	Member string `mapstructure:"member"`
	IP     string `mapstructure:"ip"`
}

// Budget is a parsed LimitPair.
type Budget struct {
	Member, IP Limit
}

// Parse returns the pair's budget.
func (p LimitPair) Parse() (Budget, error) {
	m, err := ParseLimit(p.Member)
	if err != nil {
		return Budget{}, fmt.Errorf("member %w", err)
	}
	ip, err := ParseLimit(p.IP)
	if err != nil {
		return Budget{}, fmt.Errorf("ip %w", err)
	}
	return Budget{Member: m, IP: ip}, nil
}

// MustBudget parses a pair already checked by the configuration's
// validation (a module calls it in New).
func (p LimitPair) MustBudget() Budget {
	b, err := p.Parse()
	if err != nil {
		panic(err)
	}
	return b
}

// ValidateLimits checks every pair of a module's limits section, naming
// the key of a bad one: prefix is the section ("forum.limits").
func ValidateLimits(prefix string, pairs map[string]LimitPair) error {
	var errs []error
	for name, p := range pairs {
		if _, err := p.Parse(); err != nil {
			errs = append(errs, fmt.Errorf("%s.%s.%w", prefix, name, err))
		}
	}
	return errors.Join(errs...)
}

// LimitsConfig is the limits section of the configuration: the budget every
// write to a module's routes counts against (each route may have a stricter
// one of its own, in its module's section).
type LimitsConfig struct {
	// Enabled switches Canyu's own rate limits on (PocketBase's limits of
	// its own API are set in the dashboard).
	Enabled bool `mapstructure:"enabled"`
	// Writes is the budget of all writes (POST, PUT, PATCH, DELETE) of one
	// member and of one address together, across every module.
	Writes LimitPair `mapstructure:"writes"`
}

// DefaultLimitsConfig returns the defaults of the limits section.
func DefaultLimitsConfig() LimitsConfig {
	return LimitsConfig{Enabled: true, Writes: LimitPair{Member: "120/1m", IP: "600/1m"}}
}

// Validate reports unusable values.
func (c LimitsConfig) Validate() error {
	if _, err := c.Writes.Parse(); err != nil {
		return fmt.Errorf("limits.writes.%w", err)
	}
	return nil
}

// Limiter counts actions per key with the generic cell rate algorithm: each
// key keeps one time, the moment its allowance is used up, so a key costs a
// few dozen bytes and a burst of N is allowed after a quiet period. It is
// safe for concurrent use; idle keys are dropped as the limiter goes.
type Limiter struct {
	now    func() time.Time
	seed   maphash.Seed
	shards [32]limiterShard
}

type limiterShard struct {
	mu    sync.Mutex
	tat   map[string]time.Time // theoretical arrival time of the next action
	calls int
}

// NewLimiter returns a limiter on the clock now.
func NewLimiter(now func() time.Time) *Limiter {
	l := &Limiter{now: now, seed: maphash.MakeSeed()}
	for i := range l.shards {
		l.shards[i].tat = map[string]time.Time{}
	}
	return l
}

// Allow takes one action from key's allowance under lim. When refused,
// retry is how long until one more would be allowed.
func (l *Limiter) Allow(key string, lim Limit) (ok bool, retry time.Duration) {
	if lim.Off() {
		return true, 0
	}
	now := l.now()
	interval := lim.Per / time.Duration(lim.N)
	sh := &l.shards[maphash.String(l.seed, key)%uint64(len(l.shards))]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.calls++; sh.calls%4096 == 0 {
		sh.sweep(now)
	}
	tat := sh.tat[key]
	if tat.Before(now) {
		tat = now
	}
	// the allowance is used up when the next action would land more than
	// one whole period ahead
	if next := tat.Add(interval); next.Sub(now) > lim.Per {
		return false, next.Sub(now) - lim.Per
	}
	sh.tat[key] = tat.Add(interval)
	return true, 0
}

// sweep drops the keys whose allowance is whole again.
func (sh *limiterShard) sweep(now time.Time) {
	for k, t := range sh.tat {
		if t.Before(now) {
			delete(sh.tat, k)
		}
	}
}

// Keys returns how many keys the limiter holds (for tests).
func (l *Limiter) Keys() int {
	n := 0
	for i := range l.shards {
		l.shards[i].mu.Lock()
		n += len(l.shards[i].tat)
		l.shards[i].mu.Unlock()
	}
	return n
}

// AllowBudget takes one action from member's and ip's allowances of class
// under b; member may be empty (a guest). The member's allowance is taken
// first: a request the address limit refuses still counts for the member.
func (l *Limiter) AllowBudget(class string, b Budget, member, ip string) (ok bool, retry time.Duration) {
	if member != "" && !b.Member.Off() {
		if ok, retry := l.Allow(class+"\x00m\x00"+member, b.Member); !ok {
			return false, retry
		}
	}
	if ip != "" && !b.IP.Off() {
		if ok, retry := l.Allow(class+"\x00ip\x00"+ip, b.IP); !ok {
			return false, retry
		}
	}
	return true, 0
}
