package webhooks

import (
	"context"
	"crypto/hmac"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"github.com/canyu/canyu/hooks"
	"github.com/canyu/canyu/modules/internal/testutil"
)

func TestMain(m *testing.M) { testutil.Main(m) }

// receiver is a test webhook target that checks every signature.
type receiver struct {
	mu       sync.Mutex
	secret   string
	statuses []int // answers to give, in order; 200 after the list
	got      []map[string]any
	badSig   int
	srv      *httptest.Server
}

func newReceiver(t *testing.T, secret string, statuses ...int) *receiver {
	r := &receiver{secret: secret, statuses: statuses}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		want := "sha256=" + Sign(r.secret, req.Header.Get("X-Canyu-Timestamp"), body)
		r.mu.Lock()
		defer r.mu.Unlock()
		if !hmac.Equal([]byte(req.Header.Get("X-Canyu-Signature")), []byte(want)) {
			r.badSig++
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var p map[string]any
		json.Unmarshal(body, &p)
		r.got = append(r.got, p)
		status := http.StatusOK
		if len(r.statuses) > 0 {
			status, r.statuses = r.statuses[0], r.statuses[1:]
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got)
}

type env struct {
	app    *tests.TestApp
	mod    *Module
	events *hooks.Events
	clock  *testutil.Clock
}

func newEnv(t *testing.T, allowPrivate bool) *env {
	t.Helper()
	te := testutil.NewEnv(t, time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC))
	e := &env{app: te.App, events: te.Events, clock: te.Clock}
	cfg := DefaultConfig()
	cfg.AllowPrivate = allowPrivate
	e.mod = New(cfg, te.Deps())
	te.Register(t, e.mod)
	return e
}

func (e *env) endpoint(t *testing.T, url, secret string, events ...string) *core.Record {
	t.Helper()
	col, _ := e.app.FindCollectionByNameOrId(Endpoints)
	r := core.NewRecord(col)
	r.Set("url", url)
	r.Set("secret", secret)
	r.Set("events", events)
	r.Set("active", true)
	if err := e.app.Save(r); err != nil {
		t.Fatal(err)
	}
	return r
}

// signUp creates a member, which fires MemberSignedUp after the commit.
func (e *env) signUp(t *testing.T, email string) *core.Record {
	t.Helper()
	m := testutil.Member(t, e.app, email, "Fan")
	hooks.TriggerAfterCommit(e.app, e.events.MemberSignedUp, &hooks.MemberEvent{App: e.app, Member: m})
	return m
}

func (e *env) deliveries(t *testing.T) []*core.Record {
	t.Helper()
	ds, err := e.app.FindRecordsByFilter(Deliveries, "", "created", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

const secret = "0123456789abcdef0123456789abcdef"

func TestDeliverySignedAndLogged(t *testing.T) {
	e := newEnv(t, true)
	r := newReceiver(t, secret)
	e.endpoint(t, r.srv.URL+"/hook", secret, "member.signed_up")
	other := newReceiver(t, secret)
	e.endpoint(t, other.srv.URL, secret, "phone.bound") // not interested

	m := e.signUp(t, "a@x.io")
	if r.count() != 0 {
		t.Fatal("delivered inside the request; want it queued for the sender")
	}
	e.mod.DeliverDue(t.Context())
	if r.count() != 1 || r.badSig != 0 || other.count() != 0 {
		t.Fatalf("receiver got %d (bad signatures %d), other %d; want 1, 0, 0", r.count(), r.badSig, other.count())
	}
	p := r.got[0]
	data, _ := p["data"].(map[string]any)
	member, _ := data["member"].(map[string]any)
	if p["event"] != "member.signed_up" || member["id"] != m.Id {
		t.Errorf("payload = %v", p)
	}
	if strings.Contains(r.srv.URL, "a@x.io") {
		t.Error("email leaked")
	}
	ds := e.deliveries(t)
	if len(ds) != 1 || ds[0].GetString("status") != StatusDelivered || ds[0].GetInt("last_status") != 200 || ds[0].GetInt("attempts") != 1 {
		t.Fatalf("delivery log = %v", ds)
	}
}

func TestRetryAfterServerError(t *testing.T) {
	e := newEnv(t, true)
	r := newReceiver(t, secret, 500, 503)
	e.endpoint(t, r.srv.URL, secret, "*")
	e.signUp(t, "a@x.io")

	e.mod.DeliverDue(t.Context())
	d := e.deliveries(t)[0]
	if d.GetString("status") != StatusPending || d.GetInt("attempts") != 1 || d.GetInt("last_status") != 500 {
		t.Fatalf("after a 500: status %s attempts %d last %d; want pending, 1, 500", d.GetString("status"), d.GetInt("attempts"), d.GetInt("last_status"))
	}
	first := d.GetDateTime("next_attempt").Time().Sub(e.clock.Now())
	if first < DefaultConfig().Backoff || first > DefaultConfig().Backoff*6/5+time.Second {
		t.Errorf("first retry in %v, want about %v", first, DefaultConfig().Backoff)
	}
	e.mod.DeliverDue(t.Context()) // not due yet
	if r.count() != 1 {
		t.Fatalf("retried before the backoff: %d calls", r.count())
	}
	e.clock.Advance(first)
	e.mod.DeliverDue(t.Context()) // 503
	d = e.deliveries(t)[0]
	second := d.GetDateTime("next_attempt").Time().Sub(e.clock.Now())
	if second < 2*DefaultConfig().Backoff {
		t.Errorf("second retry in %v, want at least %v (doubling)", second, 2*DefaultConfig().Backoff)
	}
	e.clock.Advance(second)
	e.mod.DeliverDue(t.Context()) // 200
	d = e.deliveries(t)[0]
	if r.count() != 3 || d.GetString("status") != StatusDelivered || d.GetInt("attempts") != 3 {
		t.Fatalf("after recovery: %d calls, status %s, attempts %d; want 3, delivered, 3", r.count(), d.GetString("status"), d.GetInt("attempts"))
	}
}

func TestGivesUpAfterMaxAttempts(t *testing.T) {
	e := newEnv(t, true)
	r := newReceiver(t, secret, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500)
	e.endpoint(t, r.srv.URL, secret, "*")
	e.signUp(t, "a@x.io")
	for range DefaultConfig().MaxAttempts {
		e.mod.DeliverDue(t.Context())
		e.clock.Advance(DefaultConfig().MaxBackoff * 2)
	}
	e.mod.DeliverDue(t.Context())
	d := e.deliveries(t)[0]
	if d.GetString("status") != StatusFailed || r.count() != DefaultConfig().MaxAttempts {
		t.Fatalf("status %s after %d calls, want failed after %d", d.GetString("status"), r.count(), DefaultConfig().MaxAttempts)
	}
}

func TestPrivateTargetRefused(t *testing.T) {
	e := newEnv(t, false)
	r := newReceiver(t, secret)
	e.endpoint(t, r.srv.URL, secret, "*") // 127.0.0.1
	e.signUp(t, "a@x.io")
	e.mod.DeliverDue(t.Context())
	d := e.deliveries(t)[0]
	if r.count() != 0 || d.GetString("status") != StatusFailed || !strings.Contains(d.GetString("last_error"), "internal") {
		t.Fatalf("loopback target: %d calls, status %s, error %q; want 0, failed, internal address", r.count(), d.GetString("status"), d.GetString("last_error"))
	}
}

func TestInternalAddresses(t *testing.T) {
	cases := map[string]bool{
		"127.0.0.1": true, "10.1.2.3": true, "172.16.0.1": true, "192.168.1.1": true, "169.254.169.254": true,
		"100.64.0.1": true, "0.0.0.0": true, "::1": true, "fd00::1": true, "fe80::1": true, "::ffff:127.0.0.1": true,
		"224.0.0.1": true, "8.8.8.8": false, "1.1.1.1": false, "2606:4700::1111": false,
		// IPv6 forms that carry an internal IPv4 address, and site-local
		"::127.0.0.1": true, "::10.0.0.1": true, "::a9fe:a9fe": true, // IPv4-compatible
		"2002:7f00:1::1": true, "2002:a9fe:a9fe::": true, // 6to4
		"64:ff9b::7f00:1": true, "64:ff9b:1::a00:1": true, "64:ff9b:1:ffff::1": true, // NAT64
		"2001:0:4136:e378:8000:63bf:3fff:fdd2": true,                  // Teredo
		"fec0::1":                              true, "feff::1": true, // site-local
		"2001:4860:4860::8888": false, "2a00:1450::1": false,
	}
	for s, want := range cases {
		if got := internal(netip.MustParseAddr(s)); got != want {
			t.Errorf("internal(%s) = %v, want %v", s, got, want)
		}
	}
}

func TestRedirectToPrivateRefused(t *testing.T) {
	// the first hop is allowed by a test dialer that lets 127.0.0.1:port of the
	// redirector through; the redirect target (another loopback port) is not
	target := newReceiver(t, secret)
	redirector := httptest.NewServer(http.RedirectHandler(target.srv.URL, http.StatusTemporaryRedirect))
	defer redirector.Close()
	e := newEnv(t, false)
	allowed := strings.TrimPrefix(redirector.URL, "http://")
	d := guardedDialer(false)
	inner := d.Control
	d.Control = func(network, address string, c syscall.RawConn) error {
		if address == allowed {
			return nil
		}
		return inner(network, address, c)
	}
	e.mod.client.Transport.(*http.Transport).DialContext = d.DialContext
	e.endpoint(t, redirector.URL, secret, "*")
	e.signUp(t, "a@x.io")
	e.mod.DeliverDue(t.Context())
	rec := e.deliveries(t)[0]
	if target.count() != 0 || !strings.Contains(rec.GetString("last_error"), "internal") {
		t.Fatalf("redirect to loopback: target got %d, error %q; want 0 and a refusal", target.count(), rec.GetString("last_error"))
	}
}

func TestReplay(t *testing.T) {
	e := newEnv(t, true)
	r := newReceiver(t, secret)
	e.endpoint(t, r.srv.URL, secret, "*")
	e.signUp(t, "a@x.io")
	e.mod.DeliverDue(t.Context())
	first := e.deliveries(t)[0]

	var s tests.ApiScenario
	s = tests.ApiScenario{
		Method: http.MethodPost, URL: "/api/webhooks/deliveries/" + first.Id + "/replay",
		ExpectedStatus: 202, ExpectedContent: []string{`"replay_of":"` + first.Id + `"`, `"status":"pending"`},
		TestAppFactory:        func(testing.TB) *tests.TestApp { return e.app },
		DisableTestAppCleanup: true,
		BeforeTestFunc: func(t testing.TB, app *tests.TestApp, se *core.ServeEvent) {
			su, err := app.FindAuthRecordByEmail(core.CollectionNameSuperusers, "test@example.com")
			if err != nil {
				su = core.NewRecord(mustCollection(t, app, core.CollectionNameSuperusers))
				su.SetEmail("admin@x.io")
				su.SetPassword("password123")
				if err := app.Save(su); err != nil {
					t.Fatal(err)
				}
			}
			tok, _ := su.NewAuthToken()
			s.Headers = map[string]string{"Authorization": tok} // read after this func
		},
	}
	s.Test(t)
	e.mod.Close() // the scenario's serve started the sender; stop it before counting
	e.mod.DeliverDue(t.Context())
	if r.count() != 2 {
		t.Fatalf("receiver got %d deliveries after a replay, want 2", r.count())
	}
}

func mustCollection(t testing.TB, app core.App, name string) *core.Collection {
	c, err := app.FindCollectionByNameOrId(name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestReplayNeedsSuperuser(t *testing.T) {
	e := newEnv(t, true)
	m := testutil.Member(t, e.app, "m@x.io", "M")
	s := tests.ApiScenario{
		Method: http.MethodPost, URL: "/api/webhooks/deliveries/x/replay",
		Headers:        map[string]string{"Authorization": testutil.Token(t, m)},
		ExpectedStatus: 403, ExpectedContent: []string{`"status":403`},
		TestAppFactory: func(testing.TB) *tests.TestApp { return e.app }, DisableTestAppCleanup: true,
	}
	s.Test(t)
	e.mod.Close()
}

func TestEndpointsCachedUntilChanged(t *testing.T) {
	e := newEnv(t, true)
	r := newReceiver(t, secret)
	var queries atomic.Int64
	db := e.app.ConcurrentDB().(*dbx.DB)
	prev := db.QueryLogFunc
	db.QueryLogFunc = func(ctx context.Context, d time.Duration, q string, rows *sql.Rows, err error) {
		if strings.Contains(q, Endpoints) {
			queries.Add(1)
		}
		if prev != nil {
			prev(ctx, d, q, rows, err)
		}
	}
	t.Cleanup(func() { db.QueryLogFunc = prev })

	// a sale's reservations, with no endpoint that wants them: one look at
	// the endpoints, not one per event
	for i := range 500 {
		e.mod.Enqueue("sale.reserved", hooks.Payload{"number": i})
	}
	if n := queries.Load(); n > 1 {
		t.Errorf("500 events nobody wants read the endpoints %d times, want at most once", n)
	}
	if ds := e.deliveries(t); len(ds) != 0 {
		t.Fatalf("%d deliveries for an event nobody wants", len(ds))
	}

	// a new endpoint is seen at once, and so is its deactivation
	ep := e.endpoint(t, r.srv.URL, secret, "*")
	e.mod.Enqueue("sale.reserved", hooks.Payload{"number": 500})
	if ds := e.deliveries(t); len(ds) != 1 {
		t.Fatalf("after adding an endpoint: %d deliveries, want 1", len(ds))
	}
	ep.Set("active", false)
	if err := e.app.Save(ep); err != nil {
		t.Fatal(err)
	}
	e.mod.Enqueue("sale.reserved", hooks.Payload{"number": 501})
	if ds := e.deliveries(t); len(ds) != 1 {
		t.Errorf("after deactivating the endpoint: %d deliveries, want still 1", len(ds))
	}
}

// TestEndpointEventsFollowTheCatalogue: an endpoint takes any after-event of
// the catalogue by its key (a new event needs no migration), "*" for all;
// an unknown key or a before-event is refused with the keys it may take.
func TestEndpointEventsFollowTheCatalogue(t *testing.T) {
	e := newEnv(t, true)
	for _, info := range e.events.Catalogue() {
		if info.Before {
			continue
		}
		e.endpoint(t, "http://example.com/"+info.Key, secret, info.Key)
	}
	e.endpoint(t, "http://example.com/all", secret, "*")
	col := mustCollection(t, e.app, Endpoints)
	for _, bad := range [][]string{{"sale.exploded"}, {"phone.binding"}, {}} {
		r := core.NewRecord(col)
		r.Set("url", "http://example.com/bad")
		r.Set("events", bad)
		r.Set("secret", secret)
		r.Set("active", true)
		err := e.app.Save(r)
		if err == nil || !strings.Contains(err.Error(), "need.status_changed") {
			t.Errorf("endpoint with events %v: %v, want a refusal that lists the keys", bad, err)
		}
	}
}
