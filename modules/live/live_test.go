package live

import (
	"encoding/json"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/canyu/canyu/hooks"

	"github.com/gorilla/websocket"

	"github.com/canyu/canyu/modules/internal/testutil"
)

func TestMain(m *testing.M) { testutil.Main(m) }

type site struct {
	mod  *Module
	base string // ws://host
	http string
	t    *testing.T
}

func newSite(t *testing.T, mutate func(*Config)) *site {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Rate = 20
	if mutate != nil {
		mutate(&cfg)
	}
	app := testutil.NewApp(t)
	m := New(cfg, Deps{PublicURL: "http://canyu.test"})
	m.Allow("topic:", Public) // as the forum and sales modules declare theirs
	m.Allow("sale:", Public)
	if err := m.Register(app); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.hub.Close)
	base := testutil.Serve(t, app)
	return &site{mod: m, http: base, base: "ws" + strings.TrimPrefix(base, "http"), t: t}
}

func (s *site) dial(header http.Header) *websocket.Conn {
	s.t.Helper()
	c, res, err := websocket.DefaultDialer.Dial(s.base+"/api/live", header)
	if err != nil {
		s.t.Fatalf("dial: %v (%v)", err, res)
	}
	s.t.Cleanup(func() { c.Close() })
	return c
}

func subscribe(t *testing.T, c *websocket.Conn, channels ...string) {
	t.Helper()
	if err := c.WriteJSON(map[string]any{"type": "subscribe", "channels": channels}); err != nil {
		t.Fatal(err)
	}
}

// next reads messages until one for channel arrives.
func next(t *testing.T, c *websocket.Conn, channel string, within time.Duration) Snapshot {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(within))
	for {
		var raw map[string]any
		if err := c.ReadJSON(&raw); err != nil {
			t.Fatalf("waiting for %s: %v", channel, err)
		}
		if raw["channel"] == channel && raw["version"] != nil {
			b, _ := json.Marshal(raw)
			var s Snapshot
			json.Unmarshal(b, &s)
			return s
		}
	}
}

func TestSubscribeAndReceive(t *testing.T) {
	s := newSite(t, nil)
	c := s.dial(nil)
	subscribe(t, c, "topic:abc")
	time.Sleep(50 * time.Millisecond)
	s.mod.Publish("topic:abc", map[string]any{"metoo": 7})
	got := next(t, c, "topic:abc", 2*time.Second)
	if got.Version != 1 || got.Data["metoo"] != float64(7) {
		t.Fatalf("snapshot = %+v, want version 1 with metoo 7", got)
	}

	// a late subscriber gets the current state at once
	late := s.dial(nil)
	subscribe(t, late, "topic:abc")
	if got := next(t, late, "topic:abc", 2*time.Second); got.Version != 1 || got.Data["metoo"] != float64(7) {
		t.Fatalf("late subscriber got %+v, want the current state", got)
	}
}

func TestCoalescingAndVersions(t *testing.T) {
	s := newSite(t, func(c *Config) { c.Rate = 5 })
	c := s.dial(nil)
	subscribe(t, c, "sale:1")
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	for i := 1; i <= 200; i++ {
		s.mod.Publish("sale:1", map[string]any{"sold": i})
		time.Sleep(2 * time.Millisecond)
	}
	var last Snapshot
	frames := 0
	for last.Data["sold"] != float64(200) {
		got := next(t, c, "sale:1", 3*time.Second)
		if got.Version <= last.Version {
			t.Fatalf("version went from %d to %d", last.Version, got.Version)
		}
		last = got
		frames++
	}
	elapsed := time.Since(start)
	// 200 publishes over about elapsed seconds at 5 updates/s: at most 5 per second (+1 for the edge)
	if limit := int(elapsed.Seconds()*5) + 2; frames > limit {
		t.Errorf("%d frames in %v, want at most %d (5/s)", frames, elapsed, limit)
	}
	if last.Version != 200 {
		t.Errorf("final version %d, want 200 (one per publish)", last.Version)
	}
}

func TestForeignOriginRefused(t *testing.T) {
	s := newSite(t, nil)
	_, res, err := websocket.DefaultDialer.Dial(s.base+"/api/live", http.Header{"Origin": {"https://evil.example"}})
	if err == nil || res == nil || res.StatusCode != http.StatusForbidden {
		t.Fatalf("dial from a foreign origin: err %v, response %v; want 403", err, res)
	}
	ok, _, err := websocket.DefaultDialer.Dial(s.base+"/api/live", http.Header{"Origin": {"http://canyu.test"}})
	if err != nil {
		t.Fatalf("dial from the public URL's origin: %v", err)
	}
	ok.Close()
}

func closeCode(t *testing.T, c *websocket.Conn) int {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		if _, _, err := c.ReadMessage(); err != nil {
			if ce, ok := err.(*websocket.CloseError); ok {
				return ce.Code
			}
			return -1
		}
	}
}

func TestOversizedMessageCloses(t *testing.T) {
	s := newSite(t, nil)
	c := s.dial(nil)
	big := `{"type":"subscribe","channels":["` + strings.Repeat("x", 8000) + `"]}`
	c.WriteMessage(websocket.TextMessage, []byte(big))
	if code := closeCode(t, c); code != websocket.CloseMessageTooBig {
		t.Fatalf("close code after an 8 KB message = %d, want %d", code, websocket.CloseMessageTooBig)
	}
}

func TestMemberOnlyChannel(t *testing.T) {
	s := newSite(t, nil)
	guest := s.dial(nil)
	subscribe(t, guest, "member:someone")
	guest.SetReadDeadline(time.Now().Add(2 * time.Second))
	var n serverNotice
	if err := guest.ReadJSON(&n); err != nil || n.Type != "error" || n.Channel != "member:someone" {
		t.Fatalf("guest subscribing to a member channel got %+v, %v; want an error notice", n, err)
	}
	subscribe(t, guest, "nonsense")
	if err := guest.ReadJSON(&n); err != nil || n.Type != "error" {
		t.Fatalf("unknown channel got %+v, %v; want an error notice", n, err)
	}
}

func TestMemberChannelForItsMember(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Rate = 20
	app := testutil.NewApp(t)
	m := New(cfg, Deps{PublicURL: "http://canyu.test"})
	if err := m.Register(app); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.hub.Close)
	member := testutil.Member(t, app, "m@x.io", "M")
	base := "ws" + strings.TrimPrefix(testutil.Serve(t, app), "http")
	c, _, err := websocket.DefaultDialer.Dial(base+"/api/live", http.Header{"Authorization": {testutil.Token(t, member)}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	subscribe(t, c, "member:"+member.Id)
	time.Sleep(50 * time.Millisecond)
	m.Publish("member:"+member.Id, map[string]any{"unread": 3})
	if got := next(t, c, "member:"+member.Id, 2*time.Second); got.Data["unread"] != float64(3) {
		t.Fatalf("member channel snapshot = %+v", got)
	}
}

// waitOpen waits until the server counts n open connections (the handshake
// returns to the client before the server admits the connection).
func (s *site) waitOpen(n int) {
	s.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s.mod.mu.Lock()
		total := s.mod.total
		s.mod.mu.Unlock()
		if total == n {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("%d connections open, want %d", total, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestConnectionCaps(t *testing.T) {
	t.Run("per ip", func(t *testing.T) {
		s := newSite(t, func(c *Config) { c.MaxPerIP = 2 })
		s.dial(nil)
		s.dial(nil)
		s.waitOpen(2)
		third := s.dial(nil)
		if code := closeCode(t, third); code != websocket.ClosePolicyViolation {
			t.Fatalf("third connection from one IP closed with %d, want %d", code, websocket.ClosePolicyViolation)
		}
	})
	t.Run("global", func(t *testing.T) {
		s := newSite(t, func(c *Config) { c.MaxConnections = 2 })
		s.dial(nil)
		s.dial(nil)
		s.waitOpen(2)
		third := s.dial(nil)
		if code := closeCode(t, third); code != websocket.CloseTryAgainLater {
			t.Fatalf("connection over the cap closed with %d, want %d", code, websocket.CloseTryAgainLater)
		}
	})
}

func TestTooManySubscriptions(t *testing.T) {
	s := newSite(t, func(c *Config) { c.MaxSubscriptions = 2 })
	c := s.dial(nil)
	subscribe(t, c, "topic:1", "topic:2", "topic:3")
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	var n serverNotice
	if err := c.ReadJSON(&n); err != nil || n.Type != "error" || n.Channel != "topic:3" {
		t.Fatalf("third subscription got %+v, %v; want an error for topic:3", n, err)
	}
}

func TestSlowConsumerIsClosedWithoutDelayingOthers(t *testing.T) {
	// a write to the stalled client blocks up to its write timeout: a fast
	// client that waited on it would lag by about that much
	const writeTimeout = 3 * time.Second
	s := newSite(t, func(c *Config) { c.WriteTimeout = writeTimeout; c.Rate = 20 })
	slow := s.dial(nil) // never reads
	subscribe(t, slow, "topic:big")
	fast := s.dial(nil)
	subscribe(t, fast, "topic:big")
	time.Sleep(50 * time.Millisecond)

	blob := strings.Repeat("x", 512<<10)
	var lagMax atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 1; i <= 60; i++ {
			sent := time.Now()
			s.mod.Publish("topic:big", map[string]any{"n": i, "blob": blob})
			got := next(t, fast, "topic:big", 10*time.Second)
			if got.Data["n"] != float64(i) {
				t.Errorf("fast client got n=%v, want %d", got.Data["n"], i)
				return
			}
			if lag := time.Since(sent); lag > time.Duration(lagMax.Load()) {
				lagMax.Store(int64(lag))
			}
		}
	}()
	<-done
	s.waitOpen(1) // the slow one is closed
	// one tick is 50 ms; the slow client's write timeout is 3 s
	if lag := time.Duration(lagMax.Load()); lag >= writeTimeout {
		t.Errorf("fast client's worst lag %v while a slow client stalled: a frame waited on the stalled client's write timeout (%v)", lag, writeTimeout)
	}
}

func TestSiteCountsMembersOnline(t *testing.T) {
	s := newSite(t, nil)
	watcher := s.dial(nil)
	subscribe(t, watcher, "site")
	for range 2 {
		s.dial(nil)
	}
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if got := next(t, watcher, "site", 3*time.Second); got.Data["online"] == float64(3) {
			return
		}
	}
	t.Fatal("site channel never showed 3 online")
}

func TestSnapshotEndpoint(t *testing.T) {
	s := newSite(t, nil)
	s.mod.Publish("topic:9", map[string]any{"upgraded": 41})
	res, err := http.Get(s.http + "/api/live/snapshot?channels=topic:9,site")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var got map[string]Snapshot
	json.NewDecoder(res.Body).Decode(&got)
	if res.StatusCode != 200 || got["topic:9"].Data["upgraded"] != float64(41) || got["topic:9"].Version != 1 {
		t.Fatalf("GET /api/live/snapshot = %d %+v", res.StatusCode, got)
	}
	res2, _ := http.Get(s.http + "/api/live/snapshot?channels=member:x")
	res2.Body.Close()
	if res2.StatusCode != http.StatusForbidden {
		t.Errorf("guest snapshot of a member channel = %d, want 403", res2.StatusCode)
	}
}

func TestNoGoroutineLeak(t *testing.T) {
	s := newSite(t, nil)
	time.Sleep(100 * time.Millisecond)
	before := runtime.NumGoroutine()
	for range 20 {
		c, _, err := websocket.DefaultDialer.Dial(s.base+"/api/live", nil)
		if err != nil {
			t.Fatal(err)
		}
		subscribe(t, c, "site", "topic:1")
		c.Close()
	}
	open := func() int {
		s.mod.mu.Lock()
		defer s.mod.mu.Unlock()
		return s.mod.total + len(s.mod.perIP)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before+2 || open() != 0 {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			n := runtime.Stack(buf, true)
			t.Fatalf("goroutines: %d before, %d after 20 closed connections (%d still counted open)\n%s", before, runtime.NumGoroutine(), open(), buf[:n])
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestNextSlotKeepsTheGrid(t *testing.T) {
	const interval = 200 * time.Millisecond
	start := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	// a channel published every interval, each frame going out 3 ms after
	// its slot (timer lateness and the flush itself)
	due := nextSlot(time.Time{}, start, interval)
	for range 100 {
		due = nextSlot(due, due.Add(3*time.Millisecond), interval)
	}
	if want := start.Add(101 * interval); !due.Equal(want) {
		t.Errorf("after 101 frames the next slot is %v, want %v (no drift)", due.Sub(start), want.Sub(start))
	}
	// a quiet channel starts a new grid from its next frame
	quiet := due.Add(time.Minute)
	if got := nextSlot(due, quiet, interval); !got.Equal(quiet.Add(interval)) {
		t.Errorf("nextSlot after a pause = %v, want one interval after the send", got.Sub(quiet))
	}
	// a frame sent late by more than a quarter interval restarts the grid, so
	// two frames are never closer than 3/4 interval
	late := due.Add(interval / 2)
	if got := nextSlot(due, late, interval); got.Sub(late) < 3*interval/4 {
		t.Errorf("nextSlot(late) leaves %v until the next frame, want at least %v", got.Sub(late), 3*interval/4)
	}
}

// TestSessionsEndWithSignOutAndPasswordChange: a member's live connections
// follow their own channels, so signing out closes that session's
// connections (another device stays), and a password change (a new token
// key) closes them all.
func TestSessionsEndWithSignOutAndPasswordChange(t *testing.T) {
	cfg := DefaultConfig()
	app := testutil.NewApp(t)
	events := hooks.New()
	m := New(cfg, Deps{PublicURL: "http://canyu.test", Events: events})
	if err := m.Register(app); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.hub.Close)
	member := testutil.Member(t, app, "m@x.io", "M")
	base := "ws" + strings.TrimPrefix(testutil.Serve(t, app), "http")
	dial := func(header http.Header) *websocket.Conn {
		c, _, err := websocket.DefaultDialer.Dial(base+"/api/live", header)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		subscribe(t, c, "member:"+member.Id)
		return c
	}
	laptopToken, phoneToken := testutil.Token(t, member), testutil.Token(t, member)
	for phoneToken == laptopToken { // tokens made within one second are equal
		time.Sleep(100 * time.Millisecond)
		phoneToken = testutil.Token(t, member)
	}
	laptop := dial(http.Header{"Authorization": {laptopToken}})
	phone := dial(http.Header{"Authorization": {phoneToken}})
	time.Sleep(50 * time.Millisecond)

	hooks.TriggerAfterCommit(app, events.MemberSignedOut, &hooks.SignOutEvent{App: app, Member: member, Token: laptopToken})
	if code := closeCode(t, laptop); code != CloseSignedOut {
		t.Errorf("signed-out session's connection closed with %d, want %d", code, CloseSignedOut)
	}
	m.Publish("member:"+member.Id, map[string]any{"unread": 1})
	if got := next(t, phone, "member:"+member.Id, 2*time.Second); got.Data["unread"] != float64(1) {
		t.Fatalf("the other device's connection = %+v, want it still following", got)
	}

	member.SetPassword("a-new-password-1")
	if err := app.Save(member); err != nil {
		t.Fatal(err)
	}
	if code := closeCode(t, phone); code != CloseSignedOut {
		t.Errorf("after a password change the connection closed with %d, want %d", code, CloseSignedOut)
	}
}
