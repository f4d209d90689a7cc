package ui

import (
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestParseLimit(t *testing.T) {
	good := map[string]Limit{"10/1m": {10, time.Minute}, " 300 / 1h ": {300, time.Hour}, "off": {}, "": {}}
	for in, want := range good {
		if got, err := ParseLimit(in); err != nil || got != want {
			t.Errorf("ParseLimit(%q) = %v, %v, want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"10", "0/1m", "-1/1m", "x/1m", "10/", "10/500ms", "10/soon"} {
		if _, err := ParseLimit(in); err == nil {
			t.Errorf("ParseLimit(%q) = nil error, want one", in)
		}
	}
}

func TestLimiterBurstThenRate(t *testing.T) {
	c := &fakeClock{t: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
	l := NewLimiter(c.now)
	lim := Limit{N: 5, Per: time.Minute} // one every 12 s, a burst of 5
	for i := range 5 {
		if ok, _ := l.Allow("k", lim); !ok {
			t.Fatalf("Allow #%d of a fresh key = false", i+1)
		}
	}
	ok, retry := l.Allow("k", lim)
	if ok || retry != 12*time.Second {
		t.Fatalf("Allow #6 = %v, retry %v; want refused, retry 12s", ok, retry)
	}
	if ok, _ := l.Allow("other", lim); !ok {
		t.Error("another key is refused: keys must not share an allowance")
	}
	c.advance(11 * time.Second)
	if ok, _ := l.Allow("k", lim); ok {
		t.Error("allowed 11 s later, want 12 s")
	}
	c.advance(time.Second)
	if ok, _ := l.Allow("k", lim); !ok {
		t.Error("refused 12 s later")
	}
	if ok, _ := l.Allow("k", lim); ok {
		t.Error("two allowed after one interval")
	}
	c.advance(time.Hour)
	for i := range 5 {
		if ok, _ := l.Allow("k", lim); !ok {
			t.Fatalf("after a quiet hour, Allow #%d = false: the burst must be whole again", i+1)
		}
	}
	if ok, _ := l.Allow("k", Limit{}); !ok {
		t.Error("the zero limit refused")
	}
}

// TestLimiterConcurrent: many goroutines on one key never get more than the
// allowance (run under -race).
func TestLimiterConcurrent(t *testing.T) {
	c := &fakeClock{t: time.Unix(0, 0)}
	l := NewLimiter(c.now)
	lim := Limit{N: 50, Per: time.Hour}
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() {
			for range 10 {
				if ok, _ := l.Allow("member", lim); ok {
					allowed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if n := allowed.Load(); n != 50 {
		t.Errorf("%d of 1000 concurrent actions allowed, want exactly 50", n)
	}
}

func TestLimiterSweepsIdleKeys(t *testing.T) {
	c := &fakeClock{t: time.Unix(0, 0)}
	l := NewLimiter(c.now)
	lim := Limit{N: 1, Per: time.Second}
	for i := range 20000 {
		l.Allow(string(rune(i)), lim)
	}
	c.advance(time.Minute)
	for i := range 200000 { // enough calls on enough keys to sweep every shard
		l.Allow("live"+strconv.Itoa(i%2000), lim)
	}
	if n := l.Keys(); n > 2000+1000 {
		t.Errorf("limiter holds %d keys after they went idle, want them swept", n)
	}
}

func TestAllowBudget(t *testing.T) {
	c := &fakeClock{t: time.Unix(0, 0)}
	l := NewLimiter(c.now)
	b := Budget{Member: Limit{N: 2, Per: time.Hour}, IP: Limit{N: 3, Per: time.Hour}}
	if ok, _ := l.AllowBudget("c", b, "ann", "10.0.0.1"); !ok {
		t.Fatal("first action refused")
	}
	if ok, _ := l.AllowBudget("c", b, "ann", "10.0.0.1"); !ok {
		t.Fatal("second action refused")
	}
	if ok, _ := l.AllowBudget("c", b, "ann", "10.0.0.2"); ok {
		t.Error("a member's third action allowed from another address: the member limit must follow the member")
	}
	if ok, _ := l.AllowBudget("c", b, "bo", "10.0.0.1"); !ok {
		t.Error("another member on the same address refused before the address limit")
	}
	if ok, _ := l.AllowBudget("c", b, "cy", "10.0.0.1"); ok {
		t.Error("fourth action from one address allowed: the address limit is 3")
	}
	if ok, _ := l.AllowBudget("other", b, "ann", "10.0.0.1"); !ok {
		t.Error("another class shares ann's allowance")
	}
	if ok, _ := l.AllowBudget("c", b, "", "10.0.0.9"); !ok {
		t.Error("a guest (no member) refused on a fresh address")
	}
}
