package sales

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"math/bits"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrBadProof is a missing, forged, expired, foreign or replayed proof of work.
var ErrBadProof = errors.New("sales: bad proof of work")

// Challenges issues and checks proof-of-work puzzles. A challenge names the
// sale, the member, its expiry and a random id, signed with a key that lives
// only in this process. A solution is a nonce such that
// SHA-256(challenge ":" nonce) starts with Bits zero bits. Each challenge is
// accepted once; the set of used ids is kept until they expire, and a
// restart (new key) voids every challenge issued before it.
type Challenges struct {
	key       [32]byte
	bits      int
	ttl       time.Duration
	mu        sync.Mutex
	used      map[string]time.Time
	nextSweep time.Time
}

// NewChallenges returns puzzles of the given difficulty, valid for ttl.
func NewChallenges(difficulty int, ttl time.Duration) *Challenges {
	c := &Challenges{bits: difficulty, ttl: ttl, used: map[string]time.Time{}}
	if _, err := rand.Read(c.key[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return c
}

// NewChallengesWithKey returns puzzles signed with key: processes sharing
// the key (the cluster's) accept each other's challenges.
func NewChallengesWithKey(difficulty int, ttl time.Duration, key []byte) *Challenges {
	c := NewChallenges(difficulty, ttl)
	c.key = sha256.Sum256(key)
	return c
}

// Bits is the difficulty: leading zero bits of the hash.
func (c *Challenges) Bits() int { return c.bits }

// Issue returns a challenge for member in sale.
func (c *Challenges) Issue(sale, member string, now time.Time) string {
	var id [12]byte
	_, _ = rand.Read(id[:])
	payload := strings.Join([]string{sale, member, strconv.FormatInt(now.Add(c.ttl).Unix(), 10),
		base64.RawURLEncoding.EncodeToString(id[:]), strconv.Itoa(c.bits)}, ".")
	return payload + "." + c.sign(payload)
}

func (c *Challenges) sign(payload string) string {
	m := hmac.New(sha256.New, c.key[:])
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

// Verify checks a solution and marks the challenge used.
func (c *Challenges) Verify(challenge, nonce, sale, member string, now time.Time) error {
	parts := strings.Split(challenge, ".")
	if len(parts) != 6 || len(nonce) == 0 || len(nonce) > 32 {
		return ErrBadProof
	}
	payload := strings.Join(parts[:5], ".")
	if !hmac.Equal([]byte(c.sign(payload)), []byte(parts[5])) {
		return ErrBadProof
	}
	exp, err := strconv.ParseInt(parts[2], 10, 64)
	difficulty, derr := strconv.Atoi(parts[4])
	if err != nil || derr != nil || parts[0] != sale || parts[1] != member || now.Unix() > exp {
		return ErrBadProof
	}
	if LeadingZeroBits(challenge, nonce) < difficulty {
		return ErrBadProof
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, seen := c.used[parts[3]]; seen {
		return ErrBadProof
	}
	if now.After(c.nextSweep) { // forget expired ids now and then, not on every proof
		for id, until := range c.used {
			if now.After(until) {
				delete(c.used, id)
			}
		}
		c.nextSweep = now.Add(c.ttl / 4)
	}
	c.used[parts[3]] = time.Unix(exp, 0)
	return nil
}

// LeadingZeroBits counts the zero bits at the start of
// SHA-256(challenge ":" nonce).
func LeadingZeroBits(challenge, nonce string) int {
	sum := sha256.Sum256([]byte(challenge + ":" + nonce))
	n := 0
	for i := 0; i < len(sum); i += 8 {
		w := binary.BigEndian.Uint64(sum[i:])
		if w != 0 {
			return n + bits.LeadingZeros64(w)
		}
		n += 64
	}
	return n
}

// Solve finds a nonce for challenge (what the browser does; used by tests,
// the demo and the benchmark).
func Solve(challenge string, difficulty int) string {
	for i := 0; ; i++ {
		n := strconv.Itoa(i)
		if LeadingZeroBits(challenge, n) >= difficulty {
			return n
		}
	}
}
