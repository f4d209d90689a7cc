package live

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/pocketbase/pocketbase/core"
)

// edgeSide is the module at an edge (`canyu edge`, docs/cluster.md): it has
// no database, so the core says who a token is and which channels it may
// follow (subjectPermit); its hub fills from the bus like every process's
// and fans out to its own clients.
type edgeSide struct {
	bus Bus
	ip  func(*http.Request) string

	mu    sync.Mutex
	guest map[string]guestAnswer // channel -> what the core said of guests
}

type guestAnswer struct {
	ok    bool
	until time.Time
}

// guestMemory is how long an edge keeps the core's answer about a channel
// for guests: a crowd opening the sale's page costs the core one question
// per channel and edge in this time, not one per member.
const guestMemory = 10 * time.Second

// permitTimeout bounds a question to the core.
const permitTimeout = 2 * time.Second

// maxPermitChannels bounds the channels of one question.
const maxPermitChannels = 64

type permitRequest struct {
	Token    string   `json:"token,omitempty"`
	Channels []string `json:"channels,omitempty"`
}

type permitReply struct {
	Member  string `json:"member,omitempty"` // "" for a guest (or a token that is no member's)
	Allowed []bool `json:"allowed,omitempty"`
	// the core's state of the allowed channels, for an edge that has none
	Snapshots []Snapshot `json:"snapshots,omitempty"`
}

// answerPermit is the core's side: the token as the core's own requests
// read it (a token that is not a member's is a guest), the channels by the
// modules' rules.
func (m *Module) answerPermit(data []byte) []byte {
	var req permitRequest
	var rep permitReply
	if json.Unmarshal(data, &req) == nil && len(req.Channels) <= maxPermitChannels {
		var member *core.Record
		if req.Token != "" {
			if r, err := m.app.FindAuthRecordByToken(req.Token, core.TokenTypeAuth); err == nil && r.Collection().Name == "users" {
				member, rep.Member = r, r.Id
			}
		}
		rep.Allowed, _ = m.localPermit(member)(req.Channels)
		for i, ok := range rep.Allowed {
			if s := m.hub.Snapshot(req.Channels[i]); ok && s.Version > 0 {
				rep.Snapshots = append(rep.Snapshots, s)
			}
		}
	}
	b, _ := json.Marshal(rep)
	return b
}

// ServeEdge makes this module an edge's hub: /api/live and
// /api/live/snapshot are served here, publications and the count of who is
// online travel over bus, and the core decides who may follow what. ip
// names a request's client address.
func (m *Module) ServeEdge(bus Bus, node string, ip func(*http.Request) string) (http.Handler, error) {
	m.edge = &edgeSide{bus: bus, ip: ip, guest: map[string]guestAnswer{}}
	if err := m.UseBus(bus, node); err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/live", m.serveEdgeWS)
	mux.HandleFunc("GET /api/live/snapshot", m.serveEdgeSnapshot)
	return mux, nil
}

// ask asks the core about token and names (a guest's answers come from
// memory while they last).
func (m *Module) ask(token string, names []string) (permitReply, error) {
	if token == "" && len(names) > 0 {
		if allowed, ok := m.edge.guestKnows(names); ok {
			return permitReply{Allowed: allowed}, nil
		}
	}
	if len(names) > maxPermitChannels {
		return permitReply{}, fmt.Errorf("live: more than %d channels", maxPermitChannels)
	}
	body, _ := json.Marshal(permitRequest{Token: token, Channels: names})
	raw, err := m.edge.bus.Request(subjectPermit, body, permitTimeout)
	if err != nil {
		return permitReply{}, err
	}
	var rep permitReply
	if err := json.Unmarshal(raw, &rep); err != nil {
		return permitReply{}, err
	}
	if len(rep.Allowed) != len(names) {
		return permitReply{}, errors.New("live: the core's answer does not match the question")
	}
	for _, s := range rep.Snapshots {
		m.hub.Seed(s)
	}
	if token == "" {
		m.edge.remember(names, rep.Allowed)
	}
	return rep, nil
}

func (e *edgeSide) guestKnows(names []string) ([]bool, bool) {
	now := time.Now()
	out := make([]bool, len(names))
	e.mu.Lock()
	defer e.mu.Unlock()
	for i, n := range names {
		a, ok := e.guest[n]
		if !ok || now.After(a.until) {
			return nil, false
		}
		out[i] = a.ok
	}
	return out, true
}

func (e *edgeSide) remember(names []string, allowed []bool) {
	until := time.Now().Add(guestMemory)
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.guest) > 10_000 { // channel names are the clients' choice: bound them
		clear(e.guest)
	}
	for i, n := range names {
		e.guest[n] = guestAnswer{allowed[i], until}
	}
}

// edgePermit asks the core for a connection of token.
func (m *Module) edgePermit(token string) permit {
	return func(names []string) ([]bool, error) {
		rep, err := m.ask(token, names)
		return rep.Allowed, err
	}
}

// who is the member a request's token belongs to ("" and no token for a
// guest).
func (m *Module) who(r *http.Request) (member, token string, err error) {
	token = requestToken(r)
	if token == "" {
		return "", "", nil
	}
	rep, err := m.ask(token, nil)
	if err != nil || rep.Member == "" {
		return "", "", err
	}
	return rep.Member, token, nil
}

func (m *Module) serveEdgeWS(w http.ResponseWriter, r *http.Request) {
	member, token, err := m.who(r)
	if err != nil {
		edgeError(w, http.StatusServiceUnavailable, "The site did not answer; try again in a moment.")
		return
	}
	m.accept(w, r, m.edge.ip(r), member, token, m.edgePermit(token))
}

func (m *Module) serveEdgeSnapshot(w http.ResponseWriter, r *http.Request) {
	_, token, err := m.who(r)
	if err != nil {
		edgeError(w, http.StatusServiceUnavailable, "The site did not answer; try again in a moment.")
		return
	}
	out, err := m.snapshots(r.URL.Query().Get("channels"), m.edgePermit(token))
	var refused snapshotError
	switch {
	case errors.As(err, &refused):
		edgeError(w, refused.status, refused.message)
		return
	case err != nil:
		edgeError(w, http.StatusServiceUnavailable, "The site did not answer; try again in a moment.")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(out)
}

// edgeError answers as the core's API does ({"status","message","data"}).
func edgeError(w http.ResponseWriter, status int, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"status": status, "message": message, "data": map[string]any{}})
}
