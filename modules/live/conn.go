package live

import (
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// conn is one client. Frames wait in a latest-value slot per channel, never
// in a queue: a slow client only ever owes the newest state.
type conn struct {
	ws     *websocket.Conn
	ip     string
	member string // member id, "" for a guest

	mu      sync.Mutex
	pending map[string]*websocket.PreparedMessage
	queued  bool
	closed  bool
	subs    map[string]struct{}

	writeMu sync.Mutex
}

// setPending stores frame for channel and reports whether the connection
// must be queued for a writer (it was not already).
func (c *conn) setPending(channel string, frame *websocket.PreparedMessage) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	if c.pending == nil {
		c.pending = make(map[string]*websocket.PreparedMessage, 1)
	}
	c.pending[channel] = frame
	if c.queued {
		return false
	}
	c.queued = true
	return true
}

func (c *conn) takePending() []*websocket.PreparedMessage {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.queued = false
	if len(c.pending) == 0 || c.closed {
		return nil
	}
	out := make([]*websocket.PreparedMessage, 0, len(c.pending))
	for k, f := range c.pending {
		out = append(out, f)
		delete(c.pending, k)
	}
	return out
}

func (c *conn) write(f *websocket.PreparedMessage, deadline time.Time) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if err := c.ws.SetWriteDeadline(deadline); err != nil {
		return err
	}
	return c.ws.WritePreparedMessage(f)
}

func (c *conn) writeJSON(v any, deadline time.Time) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if err := c.ws.SetWriteDeadline(deadline); err != nil {
		return err
	}
	return c.ws.WriteJSON(v)
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
	c.mu.Unlock()
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
	_ = c.ws.Close()
}

func (c *conn) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}
