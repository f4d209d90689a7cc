package live

import (
	"encoding/json"
	"maps"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Snapshot is what a client receives: the whole state of one channel at one
// version. Versions only increase, so a client drops anything older than
// what it has.
type Snapshot struct {
	Channel string         `json:"channel"`
	Version uint64         `json:"version"`
	Data    map[string]any `json:"data"`
}

// Hub keeps the latest state of every channel and fans it out to
// subscribers at most Rate times per second per channel. It knows no module:
// modules publish named values into named channels.
type Hub struct {
	cfg   Config
	queue chan *conn // connections with frames waiting; each at most once
	kick  chan struct{}

	mu       sync.Mutex
	channels map[string]*channel
	dirty    map[*channel]struct{}

	stop     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup
}

type channel struct {
	name    string
	version uint64
	data    map[string]any
	frame   *websocket.PreparedMessage // the latest version, as sent
	subs    map[*conn]struct{}
	next    time.Time // earliest time of the channel's next frame
}

// NewHub returns a running hub; call Close to stop it.
func NewHub(cfg Config, maxConns int) *Hub {
	h := &Hub{
		cfg:      cfg,
		queue:    make(chan *conn, maxConns+16),
		kick:     make(chan struct{}, 1),
		channels: map[string]*channel{},
		dirty:    map[*channel]struct{}{},
		stop:     make(chan struct{}),
	}
	for range cfg.Writers {
		h.wg.Go(h.writer)
	}
	h.wg.Go(h.flusher)
	return h
}

// Close stops the hub's goroutines. Connections are closed by their owner.
func (h *Hub) Close() {
	h.stopOnce.Do(func() { close(h.stop) })
	h.wg.Wait()
}

// Publish merges values into channel's state. Subscribers get the new state
// at the next tick; several publishes within one tick become one update.
func (h *Hub) Publish(name string, values map[string]any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ch := h.channelLocked(name)
	if ch.data == nil {
		ch.data = make(map[string]any, len(values))
	}
	maps.Copy(ch.data, values)
	ch.version++
	h.dirty[ch] = struct{}{}
	select {
	case h.kick <- struct{}{}:
	default:
	}
}

// Seed takes s as a channel's state when this hub has none yet (an edge's
// hub learning from the core what was published before it joined).
func (h *Hub) Seed(s Snapshot) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ch := h.channelLocked(s.Channel)
	if ch.version != 0 || s.Version == 0 {
		h.dropIfIdleLocked(ch)
		return
	}
	ch.data, ch.version = maps.Clone(s.Data), s.Version
	h.dirty[ch] = struct{}{}
	select {
	case h.kick <- struct{}{}:
	default:
	}
}

// Snapshot returns the current state of a channel (version 0 when nothing
// was ever published).
func (h *Hub) Snapshot(name string) Snapshot {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := Snapshot{Channel: name, Data: map[string]any{}}
	if ch, ok := h.channels[name]; ok {
		s.Version = ch.version
		maps.Copy(s.Data, ch.data)
	}
	return s
}

func (h *Hub) channelLocked(name string) *channel {
	ch, ok := h.channels[name]
	if !ok {
		ch = &channel{name: name, subs: map[*conn]struct{}{}}
		h.channels[name] = ch
	}
	return ch
}

// subscribe adds c to channel name and hands it the current frame, if any.
func (h *Hub) subscribe(c *conn, name string) {
	h.mu.Lock()
	ch := h.channelLocked(name)
	ch.subs[c] = struct{}{}
	frame := ch.frame
	if frame == nil && ch.version > 0 {
		frame, _ = prepare(ch)
		ch.frame = frame
	}
	h.mu.Unlock()
	if frame != nil {
		h.offer(c, name, frame)
	}
}

func (h *Hub) unsubscribe(c *conn, name string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if ch, ok := h.channels[name]; ok {
		delete(ch.subs, c)
		h.dropIfIdleLocked(ch)
	}
}

// dropIfIdleLocked forgets a channel nobody follows and nobody fed.
func (h *Hub) dropIfIdleLocked(ch *channel) {
	if len(ch.subs) == 0 && ch.version == 0 {
		delete(h.channels, ch.name)
	}
}

func prepare(ch *channel) (*websocket.PreparedMessage, error) {
	b, err := json.Marshal(Snapshot{Channel: ch.name, Version: ch.version, Data: ch.data})
	if err != nil {
		return nil, err
	}
	return websocket.NewPreparedMessage(websocket.TextMessage, b)
}

// flusher sends a channel's new state as soon as it changes, unless the
// channel already sent a frame less than 1/Rate ago: then the state waits
// for that moment, and whatever was published meanwhile goes out as one
// frame (the latest wins). One prepared frame per channel is handed to
// every subscriber's latest-value slot.
func (h *Hub) flusher() {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-h.kick:
		case <-timer.C:
		}
		wait := h.flush()
		if wait <= 0 {
			wait = time.Hour
		}
		timer.Reset(wait)
	}
}

type delivery struct {
	name  string
	frame *websocket.PreparedMessage
	subs  []*conn
}

// flush sends every dirty channel that is due and returns how long until
// the next one is (0 when none waits).
func (h *Hub) flush() time.Duration {
	interval := time.Second / time.Duration(h.cfg.Rate)
	now := time.Now()
	var wait time.Duration
	h.mu.Lock()
	out := make([]delivery, 0, len(h.dirty))
	for ch := range h.dirty {
		if d := ch.next.Sub(now); d > 0 {
			if wait == 0 || d < wait {
				wait = d
			}
			continue
		}
		delete(h.dirty, ch)
		frame, err := prepare(ch)
		if err != nil {
			continue // a value that cannot be JSON: dropped, the previous frame stays
		}
		ch.frame = frame
		ch.next = nextSlot(ch.next, now, interval)
		d := delivery{name: ch.name, frame: frame, subs: make([]*conn, 0, len(ch.subs))}
		for c := range ch.subs {
			d.subs = append(d.subs, c)
		}
		out = append(out, d)
	}
	h.mu.Unlock()
	for _, d := range out {
		for _, c := range d.subs {
			h.offer(c, d.name, d.frame)
		}
	}
	return wait
}

// nextSlot returns the earliest time of a channel's next frame, given the
// slot the frame just sent was due at and the time it went out. A channel
// updated without pause keeps to a fixed grid of one slot per interval: were
// the next slot counted from the send time instead, the timer's lateness and
// the flush itself would push every later frame back a little more, until
// updates arrive a whole interval late and get merged. Two frames are never
// closer than three quarters of an interval.
func nextSlot(due, sent time.Time, interval time.Duration) time.Time {
	if sent.Sub(due) < interval/4 {
		return due.Add(interval)
	}
	return sent.Add(interval) // the channel was quiet: start a new grid
}

// offer puts frame into c's slot for channel name, replacing an older frame
// the client has not taken yet, and queues c for a writer.
func (h *Hub) offer(c *conn, name string, frame *websocket.PreparedMessage) {
	if c.setPending(name, frame) {
		select {
		case h.queue <- c:
		default:
			// cannot happen: the queue holds every connection once
			c.closeWith(websocket.CloseTryAgainLater, "server overloaded")
		}
	}
}

// writer takes queued connections and writes their pending frames. A client
// that cannot take a frame within WriteTimeout is closed; the other writers
// go on meanwhile.
func (h *Hub) writer() {
	var frames []*websocket.PreparedMessage
	for {
		select {
		case <-h.stop:
			return
		case c := <-h.queue:
			frames = c.takePending(frames[:0])
			now := time.Now()
			for _, f := range frames {
				if err := c.write(f, now, h.cfg.WriteTimeout); err != nil {
					c.closeWith(websocket.CloseGoingAway, "too slow")
					break
				}
			}
		}
	}
}
