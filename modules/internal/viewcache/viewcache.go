// Package viewcache keeps rendered views for a short time, for the pages a
// crowd opens at once (a hot topic, a release at Friday 17:00).
package viewcache

import (
	"sync"
	"time"
)

// Cache keeps rendered views for a short time. A key carries everything
// the view depends on (a topic's counters and last change, the language), so
// a write never serves a stale view past ttl; the ttl bounds what the key
// cannot see (an author renaming themselves).
type Cache[V any] struct {
	mu  sync.Mutex
	ttl time.Duration
	max int
	now func() time.Time
	m   map[string]cacheEntry[V]
}

type cacheEntry[V any] struct {
	v       V
	expires time.Time
}

// New returns a cache whose entries live ttl (on the clock now), at most max
// of them.
func New[V any](ttl time.Duration, max int, now func() time.Time) *Cache[V] {
	return &Cache[V]{ttl: ttl, max: max, now: now, m: map[string]cacheEntry[V]{}}
}

// Get returns the view under key, if it has not expired.
func (c *Cache[V]) Get(key string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || c.now().After(e.expires) {
		var zero V
		return zero, false
	}
	return e.v, true
}

// Put keeps v under key for the ttl.
func (c *Cache[V]) Put(key string, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		now := c.now()
		for k, e := range c.m {
			if now.After(e.expires) {
				delete(c.m, k)
			}
		}
		if len(c.m) >= c.max {
			clear(c.m) // simple and bounded; the next requests refill it
		}
	}
	c.m[key] = cacheEntry[V]{v: v, expires: c.now().Add(c.ttl)}
}
