package sales

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// ServeEdge makes this module an edge of the cluster (`canyu edge`): it
// serves the sale's API (state, challenge, reservations, orders) from an
// Edge, knows members by asking the core once per token, and hands every
// other request to core (a reverse proxy to the core's site). No database
// is opened; ip names a request's client. Close the returned Edge when done.
func (m *Module) ServeEdge(nc *nats.Conn, node string, core http.Handler, ip func(*http.Request) string, log *slog.Logger) (http.Handler, *Edge, error) {
	if err := m.deps.UI.AddModule("sales", embedded); err != nil {
		return nil, nil, err
	}
	cop, err := m.deps.UI.CrossOriginProtection()
	if err != nil {
		return nil, nil, err
	}
	edge, err := NewEdge(nc, EdgeConfig{Node: node, Now: m.deps.Now, LeaseUnits: int64(m.cfg.LeaseUnits),
		AttemptsPerSecond: m.cfg.AttemptsPerSecond, OrderExpiry: m.cfg.OrderExpiry, Log: log})
	if err != nil {
		return nil, nil, err
	}
	key, err := edge.PowKey()
	if err != nil {
		edge.Close()
		return nil, nil, fmt.Errorf("sales: the cluster's proof-of-work key: %w", err)
	}
	m.cop, m.log, m.seller, m.edgeProxy = cop, log, edge, core
	m.challenges = NewChallengesWithKey(m.cfg.PowBits, m.cfg.PowTTL, key)
	m.auth = &remoteBuyers{nc: nc, now: m.deps.Now, tokens: map[string]remoteBuyer{}}
	m.realIP = ip
	return m.front(core), edge, nil
}

// remoteBuyers knows members at an edge: the core verifies a token once
// (whois) and the edge keeps the answer for a few minutes or until the
// token expires, whichever comes first.
type remoteBuyers struct {
	nc     *nats.Conn
	now    func() time.Time
	mu     sync.RWMutex
	tokens map[string]remoteBuyer
}

type remoteBuyer struct {
	b     *buyer
	until time.Time
}

// remoteTTL is how long an edge trusts the core's answer about a token (a
// member whose password changed is signed out at the edges this long after).
const remoteTTL = 5 * time.Minute

func (rb *remoteBuyers) fromRequest(r *http.Request) (*buyer, error) {
	token := requestToken(r)
	if token == "" {
		return nil, errSignedOut
	}
	now := rb.now()
	rb.mu.RLock()
	v, ok := rb.tokens[token]
	rb.mu.RUnlock()
	if ok && now.Before(v.until) {
		return v.b, nil
	}
	msg, err := rb.nc.Request(subjectWhois, []byte(token), publishTimeout)
	if err != nil {
		return nil, fmt.Errorf("%w: the core did not answer: %w", ErrUnavailable, err)
	}
	var rep whoisReply
	if err := json.Unmarshal(msg.Data, &rep); err != nil || rep.Error != "" {
		return nil, errSignedOut
	}
	b := &buyer{ID: rep.ID, Name: rep.Name, Language: rep.Language, PhoneVerified: rep.Phone, Staff: rep.Staff,
		Created: rep.Created, loaded: now, remote: true, veteran: rep.Veteran}
	until := now.Add(remoteTTL)
	if !rep.Expires.IsZero() && rep.Expires.Before(until) {
		until = rep.Expires
	}
	rb.mu.Lock()
	if len(rb.tokens) >= maxTokens {
		rb.tokens = map[string]remoteBuyer{}
	}
	rb.tokens[token] = remoteBuyer{b: b, until: until}
	rb.mu.Unlock()
	return b, nil
}
