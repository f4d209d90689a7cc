// Package live is Canyu's live counters: one WebSocket endpoint, /api/live,
// where clients follow named channels ("site", "topic:<id>", "sale:<id>" ...)
// and receive versioned snapshots, coalesced to a few updates per second.
// Modules publish through a small Publish method; the hub knows no module.
package live

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/hooks"
	"github.com/canyu/canyu/platform"
	"github.com/canyu/canyu/ui"
)

// Deps are what the module needs from the process.
type Deps = platform.Deps

// Module is the live module.
type Module struct {
	cfg      Config
	deps     Deps
	hub      *Hub
	maxConns int
	upgrader websocket.Upgrader

	mu      sync.Mutex
	total   int
	perIP   map[string]int
	members map[string][]*conn // member id -> open connections
	guests  int
	shared  atomic.Pointer[shared] // the other processes, when clustered (UseBus)

	rulesMu sync.RWMutex
	rules   []rule

	app  core.App  // the core's (Register); nil at an edge
	edge *edgeSide // at an edge (ServeEdge): the core decides who follows what
}

// Rule decides whether member (nil for a guest) may follow channel.
type Rule = func(member *core.Record, channel string) bool

type rule struct {
	prefix string
	allow  Rule
}

// Off stands in for the live module when live counters are switched off:
// publications go nowhere and rules are not needed. wire.go hands it to the
// modules instead of a nil hub.
type Off struct{}

// Publish does nothing.
func (Off) Publish(string, map[string]any) {}

// Allow does nothing.
func (Off) Allow(string, Rule) {}

// Public lets anyone follow a channel.
func Public(*core.Record, string) bool { return true }

// OwnMember lets only the member whose id ends the channel name follow it
// ("member:<id>").
func OwnMember(m *core.Record, channel string) bool {
	return m != nil && strings.TrimPrefix(channel, "member:") == m.Id
}

// New returns the module with its hub running.
func New(cfg Config, deps Deps) *Module {
	m := &Module{cfg: cfg, deps: deps, perIP: map[string]int{}, members: map[string][]*conn{}}
	m.maxConns = connectionCap(cfg.MaxConnections)
	m.hub = NewHub(cfg, m.maxConns)
	m.upgrader = websocket.Upgrader{
		ReadBufferSize:  256, // clients send a few short messages
		WriteBufferSize: 1024,
		WriteBufferPool: &sync.Pool{}, // idle connections hold no write buffer
		CheckOrigin:     m.checkOrigin,
	}
	// the live module's own channel; every other module declares its own
	// channels and who may follow them (Allow)
	m.Allow("site", Public)
	m.Allow("member:", OwnMember)
	return m
}

// Name returns "live".
func (m *Module) Name() string { return "live" }

// Hub returns the hub modules publish into.
func (m *Module) Hub() *Hub { return m.hub }

// Publish merges values into a channel; see Hub.Publish.
func (m *Module) Publish(channel string, values map[string]any) {
	m.hub.Publish(channel, values)
	if s := m.shared.Load(); s != nil {
		s.share(channel, values)
	}
}

// MaxConnections is the connection cap in force.
func (m *Module) MaxConnections() int { return m.maxConns }

// Allow registers who may follow the channels whose name is prefix or starts
// with it. The first matching rule decides; a channel no rule matches is
// refused.
func (m *Module) Allow(prefix string, r Rule) {
	m.rulesMu.Lock()
	defer m.rulesMu.Unlock()
	m.rules = append(m.rules, rule{prefix, r})
}

func (m *Module) allowed(member *core.Record, channel string) bool {
	if len(channel) == 0 || len(channel) > 128 {
		return false
	}
	m.rulesMu.RLock()
	defer m.rulesMu.RUnlock()
	for _, r := range m.rules {
		if channel == r.prefix || strings.HasSuffix(r.prefix, ":") && strings.HasPrefix(channel, r.prefix) && len(channel) > len(r.prefix) {
			return r.allow(member, channel)
		}
	}
	return false
}

// Register binds /api/live (WebSocket) and /api/live/snapshot (JSON polling).
func (m *Module) Register(app core.App) error {
	m.app = app
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		se.Router.GET("/api/live", m.serveWS).Bind(apis.SkipSuccessActivityLog())
		se.Router.GET("/api/live/snapshot", m.serveSnapshot)
		return se.Next()
	})
	app.OnTerminate().BindFunc(func(e *core.TerminateEvent) error {
		m.Close()
		return e.Next()
	})
	// A session that ends takes its live connections with it: they follow
	// the member's own channels. Signing out ends that browser's session; a
	// new token key (a password change, a takeover) or a deleted account
	// ends every session of the member.
	if m.deps.Events != nil {
		m.deps.Events.MemberSignedOut.BindFunc(func(e *hooks.SignOutEvent) error {
			if e.Member != nil {
				m.endSessions(e.Member.Id, e.Token)
			}
			return e.Next()
		})
	}
	app.OnRecordAfterUpdateSuccess("users").BindFunc(func(e *core.RecordEvent) error {
		if e.Record.TokenKey() != e.Record.Original().TokenKey() {
			m.endSessions(e.Record.Id, "")
		}
		return e.Next()
	})
	app.OnRecordAfterDeleteSuccess("users").BindFunc(func(e *core.RecordEvent) error {
		m.endSessions(e.Record.Id, "")
		return e.Next()
	})
	return nil
}

// Close leaves the bus and stops the hub.
func (m *Module) Close() {
	if s := m.shared.Load(); s != nil {
		s.close()
	}
	m.hub.Close()
}

// CloseSignedOut is the close code of a connection whose session ended; the
// client reconnects as what it is now (a guest, after signing out).
const CloseSignedOut = 4001

// endSessions closes member's connections opened with token, or all of them
// when token is empty.
func (m *Module) endSessions(member, token string) {
	digest := tokenDigest(token)
	m.closeSessions(member, digest, token == "")
	if s := m.shared.Load(); s != nil {
		s.shareEnded(member, digest, token == "")
	}
}

// closeSessions closes this process's connections of member opened with the
// token whose digest is given, or all of them.
func (m *Module) closeSessions(member string, digest [16]byte, all bool) {
	m.mu.Lock()
	var closing []*conn
	for _, c := range m.members[member] {
		if all || c.token == digest {
			closing = append(closing, c)
		}
	}
	m.mu.Unlock()
	for _, c := range closing {
		c.closeWith(CloseSignedOut, "session ended")
	}
}

func tokenDigest(token string) [16]byte {
	sum := sha256.Sum256([]byte(token))
	return [16]byte(sum[:16])
}

// requestToken is the auth token a request carries: the Authorization
// header, else the web UI's cookie.
func requestToken(r *http.Request) string {
	if t := strings.TrimSpace(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")); t != "" {
		return t
	}
	if c, err := r.Cookie(ui.AuthCookie); err == nil {
		return c.Value
	}
	return ""
}

// connectionCap keeps the connection cap under the open-file limit, with a
// reserve for the database, uploads and ordinary requests.
func connectionCap(configured int) int {
	const reserve = 512
	var lim syscall.Rlimit
	limit := 1 << 20
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && lim.Cur > reserve {
		limit = int(lim.Cur) - reserve
	}
	if configured > 0 && configured < limit {
		return configured
	}
	return limit
}

func (m *Module) checkOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true // not a browser
	}
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	for _, allowed := range append([]string{m.deps.PublicURL}, m.cfg.AllowedOrigins...) {
		if strings.EqualFold(strings.TrimRight(allowed, "/"), strings.TrimRight(origin, "/")) {
			return true
		}
	}
	return false
}

// admit counts a new connection or says why it cannot be taken.
func (m *Module) admit(c *conn) (ok bool, code int, reason string) {
	ip, member := c.ip, c.member
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case m.total >= m.maxConns:
		return false, websocket.CloseTryAgainLater, "server full, try again later"
	case m.perIP[ip] >= m.cfg.MaxPerIP:
		return false, websocket.ClosePolicyViolation, "too many connections from your address"
	}
	m.total++
	m.perIP[ip]++
	if member != "" {
		m.members[member] = append(m.members[member], c)
	} else {
		m.guests++
	}
	m.publishOnlineLocked()
	return true, 0, ""
}

func (m *Module) release(c *conn) {
	ip, member := c.ip, c.member
	m.mu.Lock()
	defer m.mu.Unlock()
	m.total--
	if m.perIP[ip]--; m.perIP[ip] <= 0 {
		delete(m.perIP, ip)
	}
	if member != "" {
		conns := slices.DeleteFunc(m.members[member], func(x *conn) bool { return x == c })
		if len(conns) == 0 {
			delete(m.members, member)
		} else {
			m.members[member] = conns
		}
	} else {
		m.guests--
	}
	m.publishOnlineLocked()
}

// publishOnlineLocked puts "members online now" on the site channel; in a
// cluster it tells the others this process's count, and the site channel
// carries the sum (publishTotal).
func (m *Module) publishOnlineLocked() {
	if s := m.shared.Load(); s != nil {
		if b, err := json.Marshal(busMessage{Node: s.node, Members: len(m.members), Guests: m.guests}); err == nil {
			_ = s.bus.Publish(subjectOnline, b)
		}
		return
	}
	m.hub.Publish("site", map[string]any{
		"online":         len(m.members) + m.guests,
		"members_online": len(m.members),
		"guests_online":  m.guests,
	})
}

// clientMessage is what a client sends.
type clientMessage struct {
	Type     string   `json:"type"` // subscribe | unsubscribe
	Channels []string `json:"channels"`
}

// serverNotice answers a client message that could not be honoured.
type serverNotice struct {
	Type    string `json:"type"` // error | subscribed
	Channel string `json:"channel,omitempty"`
	Message string `json:"message,omitempty"`
}

func (m *Module) serveWS(e *core.RequestEvent) error {
	member := requestMember(e)
	memberID, token := "", ""
	if member != nil {
		memberID, token = member.Id, requestToken(e.Request)
	}
	m.accept(e.Response, e.Request, e.RealIP(), memberID, token, m.localPermit(member))
	return nil
}

// requestMember is the member a request is signed in as, or nil.
func requestMember(e *core.RequestEvent) *core.Record {
	if e.Auth != nil && e.Auth.Collection().Name == "users" {
		return e.Auth
	}
	return nil
}

// permit says, for each of names, whether a connection may follow it (an
// error: no one could say).
type permit func(names []string) ([]bool, error)

// localPermit decides by this process's rules (the core).
func (m *Module) localPermit(member *core.Record) permit {
	return func(names []string) ([]bool, error) {
		out := make([]bool, len(names))
		for i, n := range names {
			out[i] = m.allowed(member, n)
		}
		return out, nil
	}
}

// accept upgrades a request to a WebSocket and serves it: member is the
// member's id ("" for a guest), token their auth token.
func (m *Module) accept(w http.ResponseWriter, r *http.Request, ip, member, token string, may permit) {
	ws, err := m.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader already answered (403 for a foreign Origin, 400 otherwise)
	}
	c := &conn{ws: ws, ip: ip, member: member}
	if member != "" {
		c.token = tokenDigest(token)
	}
	if ok, code, reason := m.admit(c); !ok {
		c.closeWith(code, reason)
		return
	}
	// The request's goroutine carries a deep stack (net/http, the router,
	// every middleware). The connection gets a fresh goroutine instead and
	// the request ends here: the socket is hijacked, nothing is lost.
	go func() {
		defer m.release(c)
		m.read(c, may)
	}()
}

// read is the connection's only goroutine of its own: it reads subscribe and
// unsubscribe messages and keeps the ping deadline.
func (m *Module) read(c *conn, may permit) {
	defer func() {
		for _, name := range c.subs {
			m.hub.unsubscribe(c, name)
		}
		c.closeWith(websocket.CloseNormalClosure, "")
	}()
	pongWait := 2 * m.cfg.PingInterval
	c.ws.SetReadLimit(m.cfg.ReadLimit)
	_ = c.ws.SetReadDeadline(time.Now().Add(pongWait))
	c.ws.SetPongHandler(func(string) error { return c.ws.SetReadDeadline(time.Now().Add(pongWait)) })
	m.startPing(c)
	for {
		_, raw, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		_ = c.ws.SetReadDeadline(time.Now().Add(pongWait))
		// Decoding JSON takes a deep stack; a short-lived goroutine does it so
		// the connection's long-lived reader keeps a small one (thousands of
		// idle readers are most of the hub's memory). The reader waits, so
		// messages are still handled in order.
		done := make(chan struct{})
		go func() {
			defer close(done)
			m.handle(c, may, raw)
		}()
		<-done
	}
}

// handle applies one client message.
func (m *Module) handle(c *conn, may permit, raw []byte) {
	var msg clientMessage
	if err := json.Unmarshal(raw, &msg); err != nil {
		m.notice(c, serverNotice{Type: "error", Message: "not JSON: send {\"type\":\"subscribe\",\"channels\":[...]}"})
		return
	}
	switch msg.Type {
	case "subscribe":
		var asked []string
		for _, name := range msg.Channels {
			if c.follows(name) || slices.Contains(asked, name) {
				continue
			}
			if len(asked) >= m.cfg.MaxSubscriptions {
				m.notice(c, serverNotice{Type: "error", Channel: name, Message: fmt.Sprintf("at most %d channels per connection", m.cfg.MaxSubscriptions)})
				continue
			}
			asked = append(asked, name)
		}
		if len(asked) == 0 {
			return
		}
		allowed, err := may(asked)
		if err != nil {
			for _, name := range asked {
				m.notice(c, serverNotice{Type: "error", Channel: name, Message: "the site did not answer: subscribe again in a moment"})
			}
			return
		}
		for i, name := range asked {
			switch {
			case !allowed[i]:
				m.notice(c, serverNotice{Type: "error", Channel: name, Message: "not allowed: unknown channel or sign-in required"})
			case len(c.subs) >= m.cfg.MaxSubscriptions:
				m.notice(c, serverNotice{Type: "error", Channel: name, Message: fmt.Sprintf("at most %d channels per connection", m.cfg.MaxSubscriptions)})
			default:
				c.subs = append(c.subs, name)
				m.hub.subscribe(c, name)
			}
		}
	case "unsubscribe":
		for _, name := range msg.Channels {
			if c.unfollow(name) {
				m.hub.unsubscribe(c, name)
			}
		}
	default:
		m.notice(c, serverNotice{Type: "error", Message: "unknown message type; send subscribe or unsubscribe"})
	}
}

func (m *Module) notice(c *conn, n serverNotice) {
	if err := c.writeJSON(n, time.Now().Add(m.cfg.WriteTimeout)); err != nil {
		c.closeWith(websocket.CloseGoingAway, "too slow")
	}
}

// startPing pings the client every PingInterval from a timer, so an idle
// connection costs no goroutine beyond its reader. closeWith stops it.
func (m *Module) startPing(c *conn) {
	var ping func()
	ping = func() {
		if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(m.cfg.WriteTimeout)); err != nil {
			c.closeWith(websocket.CloseGoingAway, "ping failed")
			return
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		if !c.closed {
			c.ping.Reset(m.cfg.PingInterval)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.ping = time.AfterFunc(m.cfg.PingInterval, ping)
	}
}

// serveSnapshot is the polling fallback for clients whose network blocks
// WebSocket: GET /api/live/snapshot?channels=site,topic:abc.
func (m *Module) serveSnapshot(e *core.RequestEvent) error {
	out, err := m.snapshots(e.Request.URL.Query().Get("channels"), m.localPermit(requestMember(e)))
	var refused snapshotError
	switch {
	case errors.As(err, &refused) && refused.status == http.StatusForbidden:
		return e.ForbiddenError(refused.message, nil)
	case errors.As(err, &refused):
		return e.BadRequestError(refused.message, nil)
	case err != nil:
		return err
	}
	e.Response.Header().Set("Cache-Control", "no-store")
	return e.JSON(http.StatusOK, out)
}

// snapshotError is a snapshot request refused.
type snapshotError struct {
	status  int
	message string
}

func (e snapshotError) Error() string { return e.message }

// snapshots returns the state of the comma-separated channels list.
func (m *Module) snapshots(list string, may permit) (map[string]Snapshot, error) {
	var names []string
	for n := range strings.SplitSeq(list, ",") {
		if n = strings.TrimSpace(n); n != "" && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	if len(names) > m.cfg.MaxSubscriptions {
		return nil, snapshotError{http.StatusBadRequest, fmt.Sprintf("at most %d channels", m.cfg.MaxSubscriptions)}
	}
	out := make(map[string]Snapshot, len(names))
	if len(names) == 0 {
		return out, nil
	}
	allowed, err := may(names)
	if err != nil {
		return nil, err
	}
	for i, n := range names {
		if !allowed[i] {
			return nil, snapshotError{http.StatusForbidden, "not allowed: " + n}
		}
		out[n] = m.hub.Snapshot(n)
	}
	return out, nil
}
