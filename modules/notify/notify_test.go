package notify

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"github.com/canyu/canyu/hooks"
	"github.com/canyu/canyu/modules/internal/testutil"
)

func TestMain(m *testing.M) { testutil.Main(m) }

type env struct {
	app    *tests.TestApp
	mod    *Module
	events *hooks.Events
	live   *testutil.FakeLive
	clock  *testutil.Clock
}

// the kinds a module would declare
const kindA, kindB = "test.things", "test.other"

func newEnv(t *testing.T) *env {
	t.Helper()
	te := testutil.NewEnv(t, time.Date(2026, 11, 30, 7, 0, 0, 0, time.UTC)) // a Monday
	e := &env{app: te.App, events: te.Events, live: te.Live, clock: te.Clock}
	e.events.DeclareNotification(hooks.NotificationKind{Key: kindA, Label: "notify.title"})
	e.events.DeclareNotification(hooks.NotificationKind{Key: kindB, Label: "notify.settings"})
	shell := te.Shell
	// the module that declares a kind brings its lines' strings; here, the test's
	if err := shell.Catalog.Add(fstest.MapFS{
		"en.json":    {Data: []byte(`{"test.line": "Shipped in %s, %s:", "test.word": "word"}`)},
		"zh-CN.json": {Data: []byte(`{"test.line": "已在 %s 上线，%s：", "test.word": "词"}`)},
	}); err != nil {
		t.Fatal(err)
	}
	deps := te.Deps()
	deps.PublicURL = "https://club.example"
	e.mod = New(DefaultConfig(), deps)
	te.Register(t, e.mod)
	return e
}

// tell asks, inside a transaction, for members to be told, the way a module
// does; fail rolls the transaction back.
func (e *env) tell(t *testing.T, kind, actor string, fail bool, to ...string) error {
	t.Helper()
	err := e.app.RunInTransaction(func(tx core.App) error {
		n := &hooks.NotifyEvent{App: tx, Kind: kind, To: to, Actor: actor, Subject: "Night mode", Link: "/forum/t/abc",
			Message: "test.line", Args: []hooks.Arg{{Text: "2.4.0"}, {Key: "test.word"}}, Detail: "Because"}
		if err := e.events.Notify.Trigger(n); err != nil {
			return err
		}
		if fail {
			return errors.New("the action failed")
		}
		return nil
	})
	return err
}

func (e *env) count(t *testing.T, member string) int {
	t.Helper()
	n, err := e.app.CountRecords(Notifications, dbx.HashExp{"member": member})
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

func TestNotifyStoresWithTheAction(t *testing.T) {
	e := newEnv(t)
	ann := testutil.Member(t, e.app, "ann@x.io", "Ann")
	bob := testutil.Member(t, e.app, "bob@x.io", "Bob")
	if err := e.tell(t, kindA, bob.Id, true, ann.Id, bob.Id); err == nil {
		t.Fatal("the failing action succeeded")
	}
	if e.count(t, ann.Id) != 0 {
		t.Fatal("a rolled-back action left a notification")
	}
	if err := e.tell(t, kindA, bob.Id, false, ann.Id, bob.Id, ann.Id); err != nil {
		t.Fatal(err)
	}
	if e.count(t, ann.Id) != 1 || e.count(t, bob.Id) != 0 {
		t.Errorf("ann %d, bob (the actor) %d notifications; want 1 and 0 (each told once, never the actor)", e.count(t, ann.Id), e.count(t, bob.Id))
	}
	if got := e.live.Last("member:" + ann.Id)["unread"]; got != 1 {
		t.Errorf("live unread = %v, want 1 after the commit", got)
	}
	if err := e.tell(t, "test.undeclared", "", false, ann.Id); !errors.Is(err, ErrBadKind) {
		t.Errorf("an undeclared kind = %v, want ErrBadKind", err)
	}
}

func TestCenterAndMuting(t *testing.T) {
	e := newEnv(t)
	ann := testutil.Member(t, e.app, "ann@x.io", "Ann")
	bob := testutil.Member(t, e.app, "bob@x.io", "Bob")
	b := testutil.NewBrowser(t, e.app).As(ann)
	b.Lang = "en"
	for range 2 {
		if err := e.tell(t, kindA, bob.Id, false, ann.Id); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		status, page, _ := b.Do("GET", "/notifications", nil)
		if status != 200 || !strings.Contains(page, "Shipped in 2.4.0, word") || !strings.Contains(page, "Because") {
			t.Fatalf("center = %d, lacks the line with its translated argument", status)
		}
	}
	if got := e.mod.n.Unread(ann.Id); got != 2 {
		t.Fatalf("unread after three GETs = %d, want 2: looking is not reading", got)
	}
	recs, _ := e.mod.n.List(ann.Id, 10)
	if status, _, _ := testutil.BrowserAt(t, b.Base).As(bob).Do("POST", "/notifications/"+recs[0].Id+"/open", url.Values{}); status != http.StatusNotFound {
		t.Errorf("another member opens ann's notification = %d, want 404", status)
	}
	if status, _, h := b.Do("POST", "/notifications/"+recs[0].Id+"/open", url.Values{}); status != 303 || h.Get("Location") != "/forum/t/abc" {
		t.Errorf("open = %d to %q", status, h.Get("Location"))
	}
	if got := e.mod.n.Unread(ann.Id); got != 1 {
		t.Errorf("unread after opening one = %d, want 1", got)
	}
	if status, _, _ := b.Do("POST", "/notifications/read", url.Values{}); status != 303 || e.mod.n.Unread(ann.Id) != 0 {
		t.Errorf("mark all read = %d, unread %d", status, e.mod.n.Unread(ann.Id))
	}
	if got := e.live.Last("member:" + ann.Id)["unread"]; got != 0 {
		t.Errorf("live unread after reading = %v, want 0", got)
	}

	// settings: mute kind A (its box unticked), keep B, email weekly
	status, _, _ := b.Do("POST", "/notifications/settings", url.Values{"on": {kindB}, "email": {EmailWeekly}})
	if status != 303 {
		t.Fatalf("settings = %d", status)
	}
	before := e.count(t, ann.Id)
	e.tell(t, kindA, bob.Id, false, ann.Id)
	e.tell(t, kindB, bob.Id, false, ann.Id)
	if got := e.count(t, ann.Id) - before; got != 1 {
		t.Errorf("%d new notifications after muting one of two kinds, want 1", got)
	}
	if status, page, _ := b.Do("POST", "/notifications/settings", url.Values{"email": {"hourly"}}); status != 400 || !strings.Contains(page, "how often") {
		t.Errorf("an unknown email mode = %d, want 400 with the reason", status)
	}
	if p, _ := e.mod.n.Prefs(ann.Id); p.Email != EmailWeekly {
		t.Errorf("a refused save changed the settings: %+v", p)
	}
}

func TestAPI(t *testing.T) {
	e := newEnv(t)
	ann := testutil.Member(t, e.app, "ann@x.io", "Ann")
	if err := e.tell(t, kindA, "", false, ann.Id); err != nil {
		t.Fatal(err)
	}
	base := testutil.Serve(t, e.app)
	token := testutil.Token(t, ann)
	call := func(method, path, body string) (int, map[string]any) {
		a := testutil.API(t, base, method, path, token, body)
		return a.Status, a.Body
	}
	status, out := call("GET", "/api/notify/notifications", "")
	if status != 200 || out["unread"] != 1.0 || len(out["items"].([]any)) != 1 {
		t.Fatalf("list = %d %v", status, out)
	}
	if status, out := call("POST", "/api/notify/read", `{"id":"nope"}`); status != 404 || out["data"].(map[string]any)["code"] != "not_found" {
		t.Errorf("read an unknown one = %d %v", status, out)
	}
	if status, out := call("POST", "/api/notify/read", `{}`); status != 200 || out["unread"] != 0.0 {
		t.Errorf("read all = %d %v", status, out)
	}
	if status, out := call("POST", "/api/notify/settings", `{"muted":["`+kindA+`"],"email":"daily"}`); status != 200 || out["email"] != "daily" {
		t.Errorf("settings = %d %v", status, out)
	}
	if status, _ := call("POST", "/api/notify/settings", `{"muted":["no.such"],"email":"daily"}`); status != 400 {
		t.Errorf("muting an unknown kind = %d, want 400", status)
	}
}

func TestEmails(t *testing.T) {
	e := newEnv(t)
	now := testutil.Member(t, e.app, "now@x.io", "Now")
	daily := testutil.Member(t, e.app, "daily@x.io", "每日")
	daily.Set("language", "zh-CN")
	e.app.Save(daily)
	weekly := testutil.Member(t, e.app, "weekly@x.io", "Weekly")
	quiet := testutil.Member(t, e.app, "quiet@x.io", "Quiet")
	for m, mode := range map[*core.Record]string{now: EmailImmediate, daily: EmailDaily, weekly: EmailWeekly} {
		if err := e.mod.n.SetPrefs(m.Id, Preferences{Email: mode}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.tell(t, kindA, "", false, now.Id, daily.Id, quiet.Id); err != nil {
		t.Fatal(err)
	}
	sent, err := e.mod.SendImmediate()
	if err != nil || sent != 1 || e.app.TestMailer.TotalSend() != 1 {
		t.Fatalf("SendImmediate = %d, %v (mails %d), want 1 for the member who asked", sent, err, e.app.TestMailer.TotalSend())
	}
	if msg := e.app.TestMailer.LastMessage(); msg.To[0].Address != "now@x.io" || !strings.Contains(msg.HTML, "https://club.example/forum/t/abc") {
		t.Errorf("immediate email = %v %s", msg.To, msg.HTML)
	}
	if sent, _ := e.mod.SendImmediate(); sent != 0 {
		t.Errorf("a second run sent %d, want 0 (each notification is emailed once)", sent)
	}

	// the forum's section, as a module adds it
	e.events.Digest.BindFunc(func(d *hooks.DigestEvent) error {
		if d.Weekly {
			d.Sections = append(d.Sections, hooks.DigestSection{Title: "Hot", Items: []hooks.DigestItem{{Title: "Night mode", Link: "/forum/t/abc"}}})
		}
		return d.Next()
	})
	e.app.TestMailer.Reset()
	if sent, err := e.mod.SendDigests(false); err != nil || sent != 1 {
		t.Fatalf("daily digests = %d, %v; want 1 (weekly members and members without news get none)", sent, err)
	}
	if msg := e.app.TestMailer.LastMessage(); msg.To[0].Address != "daily@x.io" || !strings.Contains(msg.Subject, "今日动态") || !strings.Contains(msg.HTML, "你好") {
		t.Errorf("daily digest in Chinese: %q %s", msg.Subject, msg.HTML)
	}
	if sent, _ := e.mod.SendDigests(false); sent != 0 {
		t.Errorf("a second daily run the same day sent %d", sent)
	}
	if sent, _ := e.mod.SendDigests(true); sent != 1 {
		t.Errorf("weekly digests = %d, want 1 (the weekly member gets the modules' sections)", sent)
	}
	if msg := e.app.TestMailer.LastMessage(); msg.To[0].Address != "weekly@x.io" || !strings.Contains(msg.HTML, "Night mode") {
		t.Errorf("weekly digest = %v %s", msg.To, msg.HTML)
	}
	e.clock.Advance(7 * 24 * time.Hour)
	if err := e.tell(t, kindA, "", false, daily.Id); err != nil {
		t.Fatal(err)
	}
	if sent, _ := e.mod.SendDigests(false); sent != 1 {
		t.Errorf("next week's daily digest = %d, want 1", sent)
	}

	// a digest lists the newest 20; the older ones are done with it too
	e.clock.Advance(24 * time.Hour)
	for range digestLimit + 5 {
		if err := e.tell(t, kindA, "", false, daily.Id); err != nil {
			t.Fatal(err)
		}
	}
	if sent, _ := e.mod.SendDigests(false); sent != 1 {
		t.Fatalf("a long daily digest = %d, want 1", sent)
	}
	if left, _ := e.app.CountRecords(Notifications, dbx.HashExp{"member": daily.Id, "emailed": false}); left != 0 {
		t.Errorf("%d notifications wait for the next digest after one that covered them", left)
	}

	// a member who switches to immediate is not mailed the backlog
	e.app.TestMailer.Reset()
	if err := e.mod.n.SetPrefs(quiet.Id, Preferences{Email: EmailImmediate}); err != nil {
		t.Fatal(err)
	}
	if sent, _ := e.mod.SendImmediate(); sent != 0 {
		t.Errorf("switching to immediate mailed %d old notifications", sent)
	}
	if err := e.tell(t, kindA, "", false, quiet.Id); err != nil {
		t.Fatal(err)
	}
	if sent, _ := e.mod.SendImmediate(); sent != 1 {
		t.Errorf("after the switch, a new notification mailed %d times, want 1", sent)
	}
}

func TestPrune(t *testing.T) {
	e := newEnv(t)
	ann := testutil.Member(t, e.app, "ann@x.io", "Ann")
	e.tell(t, kindA, "", false, ann.Id)
	e.clock.Advance(200 * 24 * time.Hour)
	e.tell(t, kindA, "", false, ann.Id)
	if n, err := e.mod.n.Prune(DefaultConfig().Keep); err != nil || n != 1 || e.count(t, ann.Id) != 1 {
		t.Errorf("Prune = %d, %v; %d left, want 1 deleted and 1 kept", n, err, e.count(t, ann.Id))
	}
}
