package live

import (
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// conn is one client. Frames wait in a latest-value slot per channel, never
// in a queue: a slow client only ever owes the newest state.
type pendingFrame struct {
	channel string
	frame   *websocket.PreparedMessage
}

type conn struct {
	ws     *websocket.Conn
	ip     string
	member string   // member id, "" for a guest
	token  [16]byte // a digest of the member's auth token: sign-out closes this session's connections

	mu      sync.Mutex
	pending []pendingFrame // one per channel at most; usually none or one
	queued  bool
	closed  bool
	subs    []string // channels followed (few: a slice is smaller than a map)
	ping    *time.Timer

	writeMu  sync.Mutex
	deadline time.Time // current write deadline (under writeMu)
}

// setPending stores frame for channel and reports whether the connection
// must be queued for a writer (it was not already).
func (c *conn) setPending(channel string, frame *websocket.PreparedMessage) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	replaced := false
	for i := range c.pending {
		if c.pending[i].channel == channel {
			c.pending[i].frame = frame
			replaced = true
			break
		}
	}
	if !replaced {
		c.pending = append(c.pending, pendingFrame{channel, frame})
	}
	if c.queued {
		return false
	}
	c.queued = true
	return true
}

// takePending appends the waiting frames to dst (the writer's own buffer,
// reused: fan-out to thousands of clients allocates nothing per client).
func (c *conn) takePending(dst []*websocket.PreparedMessage) []*websocket.PreparedMessage {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.queued = false
	if c.closed {
		return dst
	}
	for i, p := range c.pending {
		dst = append(dst, p.frame)
		c.pending[i] = pendingFrame{}
	}
	c.pending = c.pending[:0]
	return dst
}

// write sends one frame. The write deadline is renewed only once half of
// the timeout has passed: a client still gets at least timeout/2 for every
// frame, and the hub saves a timer update on most writes.
func (c *conn) write(f *websocket.PreparedMessage, now time.Time, timeout time.Duration) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if c.deadline.Sub(now) < timeout/2 {
		c.deadline = now.Add(timeout)
		if err := c.ws.SetWriteDeadline(c.deadline); err != nil {
			return err
		}
	}
	return c.ws.WritePreparedMessage(f)
}

func (c *conn) writeJSON(v any, deadline time.Time) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	c.deadline = deadline
	if err := c.ws.SetWriteDeadline(deadline); err != nil {
		return err
	}
	return c.ws.WriteJSON(v)
}

func (c *conn) follows(channel string) bool {
	for _, s := range c.subs {
		if s == channel {
			return true
		}
	}
	return false
}

func (c *conn) unfollow(channel string) bool {
	for i, s := range c.subs {
		if s == channel {
			c.subs = append(c.subs[:i], c.subs[i+1:]...)
			return true
		}
	}
	return false
}

// closeWith sends a close frame with a reason and closes the socket. It is
// safe to call more than once and from any goroutine.
func (c *conn) closeWith(code int, reason string) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	c.pending = nil
	if c.ping != nil {
		c.ping.Stop()
	}
	c.mu.Unlock()
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
	_ = c.ws.Close()
}

func (c *conn) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}
