package live

import (
	"encoding/hex"
	"encoding/json"
	"sync"
	"time"
)

// Bus carries the live counters between processes (the cluster package's
// NATS connection). Each process's hub fans out to its own clients.
type Bus interface {
	Publish(subject string, data []byte) error
	Subscribe(subject string, fn func(data []byte)) (func(), error)
	// Flush returns once the bus has the subscriptions made so far.
	Flush() error
	// Request sends data on subject and returns the first answer.
	Request(subject string, data []byte, timeout time.Duration) ([]byte, error)
	// Reply answers the requests on subject with fn's result.
	Reply(subject string, fn func(data []byte) []byte) (func(), error)
}

// The bus's subjects.
const (
	subjectPublish = "canyu.live.publish"
	subjectOnline  = "canyu.live.online"
	// an edge asks the core who a token is and which channels it may follow
	subjectPermit = "canyu.live.permit"
	// a session ended: every process closes its connections
	subjectEnded = "canyu.live.ended"
)

// busMessage is a publication or a process's count of who is online.
type busMessage struct {
	Node    string         `json:"node"`
	Channel string         `json:"channel,omitempty"`
	Values  map[string]any `json:"values,omitempty"`
	Members int            `json:"members"`
	Guests  int            `json:"guests"`
	// a session that ended (subjectEnded): the member, the digest of its
	// token, or every session of the member
	Ended string `json:"ended,omitempty"`
	Token string `json:"token,omitempty"`
	All   bool   `json:"all,omitempty"`
}

// onlineTTL is how long a process's count stands without news from it (a
// process that died stops counting).
const onlineTTL = 10 * time.Second

// shared is the module's side of the bus.
type shared struct {
	bus  Bus
	node string
	stop []func()

	mu     sync.Mutex
	counts map[string]busMessage // node -> its latest count
	seen   map[string]time.Time
	quit   chan struct{}
}

// UseBus joins the module to the other processes: what a module publishes
// here reaches every process's clients, and "online" counts everyone,
// summed over the processes. Call it before serving.
func (m *Module) UseBus(b Bus, node string) error {
	s := &shared{bus: b, node: node, counts: map[string]busMessage{}, seen: map[string]time.Time{}, quit: make(chan struct{})}
	stop, err := b.Subscribe(subjectPublish, func(data []byte) {
		var msg busMessage
		if json.Unmarshal(data, &msg) == nil && msg.Node != node && msg.Channel != "" {
			m.hub.Publish(msg.Channel, msg.Values)
		}
	})
	if err != nil {
		return err
	}
	s.stop = append(s.stop, stop)
	stop, err = b.Subscribe(subjectOnline, func(data []byte) {
		var msg busMessage
		if json.Unmarshal(data, &msg) == nil && msg.Node != "" {
			s.mu.Lock()
			s.counts[msg.Node], s.seen[msg.Node] = msg, time.Now()
			s.mu.Unlock()
			m.publishTotal()
		}
	})
	if err != nil {
		s.close()
		return err
	}
	s.stop = append(s.stop, stop)
	stop, err = b.Subscribe(subjectEnded, func(data []byte) {
		var msg busMessage
		if json.Unmarshal(data, &msg) == nil && msg.Node != node && msg.Ended != "" {
			digest, err := hex.DecodeString(msg.Token)
			if err == nil && len(digest) == 16 {
				m.closeSessions(msg.Ended, [16]byte(digest), msg.All)
			}
		}
	})
	if err != nil {
		s.close()
		return err
	}
	s.stop = append(s.stop, stop)
	if m.app != nil { // the core answers the edges' questions
		if stop, err = b.Reply(subjectPermit, m.answerPermit); err != nil {
			s.close()
			return err
		}
		s.stop = append(s.stop, stop)
	}
	if err := b.Flush(); err != nil {
		s.close()
		return err
	}
	m.shared.Store(s)
	// each process tells its count now and then, so a new one learns the
	// others' and a dead one's ages out
	go func() {
		t := time.NewTicker(onlineTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-s.quit:
				return
			case <-t.C:
				m.mu.Lock()
				m.publishOnlineLocked()
				m.mu.Unlock()
				m.publishTotal()
			}
		}
	}()
	return nil
}

func (s *shared) close() {
	for _, f := range s.stop {
		f()
	}
	select {
	case <-s.quit:
	default:
		close(s.quit)
	}
}

// publishTotal puts everyone online, over the processes, on the site channel.
func (m *Module) publishTotal() {
	s := m.shared.Load()
	if s == nil {
		return
	}
	s.mu.Lock()
	members, guests := 0, 0
	for node, c := range s.counts {
		if time.Since(s.seen[node]) > onlineTTL {
			delete(s.counts, node)
			delete(s.seen, node)
			continue
		}
		members += c.Members
		guests += c.Guests
	}
	s.mu.Unlock()
	m.hub.Publish("site", map[string]any{"online": members + guests, "members_online": members, "guests_online": guests})
}

// share sends a publication to the other processes.
func (s *shared) share(channel string, values map[string]any) {
	if b, err := json.Marshal(busMessage{Node: s.node, Channel: channel, Values: values}); err == nil {
		_ = s.bus.Publish(subjectPublish, b)
	}
}

// shareEnded tells the other processes a session ended.
func (s *shared) shareEnded(member string, digest [16]byte, all bool) {
	if b, err := json.Marshal(busMessage{Node: s.node, Ended: member, Token: hex.EncodeToString(digest[:]), All: all}); err == nil {
		_ = s.bus.Publish(subjectEnded, b)
	}
}
