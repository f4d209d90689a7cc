package forum

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
	"github.com/pocketbase/pocketbase/tools/types"

	"github.com/canyu/canyu/hooks"
	"github.com/canyu/canyu/modules/internal/testutil"
	"github.com/canyu/canyu/ui"
)

func TestMain(m *testing.M) { testutil.Main(m) }

type env struct {
	app   *tests.TestApp
	mod   *Module
	live  *testutil.FakeLive
	clock *testutil.Clock
	board *core.Record
	notes *notes
}

// notes records what the forum asks the notifications module to tell, once
// the asking transaction commits, as the notify module would store it.
type notes struct {
	mu  sync.Mutex
	all []hooks.NotifyEvent
}

func (n *notes) bind(ev *hooks.Events) {
	ev.Notify.BindFunc(func(e *hooks.NotifyEvent) error {
		hooks.AfterCommit(e.App, func() {
			n.mu.Lock()
			defer n.mu.Unlock()
			n.all = append(n.all, *e)
		})
		return e.Next()
	})
}

// of returns the notifications member was told (never their own actions).
func (n *notes) of(member string) []hooks.NotifyEvent {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []hooks.NotifyEvent
	for _, e := range n.all {
		if e.Actor != member && slices.Contains(e.To, member) {
			out = append(out, e)
		}
	}
	return out
}

func (n *notes) count() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	total := 0
	for _, e := range n.all {
		total += len(e.To)
	}
	return total
}

func newEnv(t testing.TB) *env {
	t.Helper()
	return newEnvWith(t, DefaultConfig(), ui.LimitsConfig{})
}

// newEnvWith builds the env with a forum configuration and a limits section
// (its zero value: the defaults).
func newEnvWith(t testing.TB, cfg Config, limits ui.LimitsConfig) *env {
	t.Helper()
	te := testutil.NewEnvWith(t, time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC), limits)
	e := &env{app: te.App, live: te.Live, clock: te.Clock, notes: &notes{}}
	e.notes.bind(te.Events)
	e.mod = New(cfg, te.Deps())
	te.Register(t, e.mod)
	// the forum's pages use the members' strings (roles) too: a missing key shows the key, not an error
	e.board = e.newBoard(t, "camera", "members", KindRequest, KindBug, KindDiscussion)
	return e
}

func (e *env) newBoard(t testing.TB, slug, who string, kinds ...string) *core.Record {
	t.Helper()
	col, _ := e.app.FindCollectionByNameOrId(Boards)
	b := core.NewRecord(col)
	b.Set("slug", slug)
	b.Set("name", strings.ToUpper(slug[:1])+slug[1:])
	b.Set("kinds", kinds)
	b.Set("who_may_post", who)
	if err := e.app.Save(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func (e *env) need(t testing.TB, author *core.Record, kind string) *core.Record {
	t.Helper()
	fields := map[string]string{"problem": "p", "proposal": "q", "steps": "s", "expected": "e", "actual": "a", "version": "1"}
	topic, err := e.mod.Forum().CreateTopic(author, NewTopic{Board: "camera", Kind: kind, Title: "Night mode please", Fields: fields})
	if err != nil {
		t.Fatal(err)
	}
	return topic
}

// members creates n members quickly (one transaction).
func members(t testing.TB, app core.App, n int) []*core.Record {
	t.Helper()
	users, _ := app.FindCollectionByNameOrId("users")
	out := make([]*core.Record, n)
	err := app.RunInTransaction(func(tx core.App) error {
		for i := range n {
			r := core.NewRecord(users)
			r.SetEmail(fmt.Sprintf("m%d@x.io", i))
			r.SetPassword("password123")
			r.Set("name", fmt.Sprintf("M%d", i))
			if err := tx.Save(r); err != nil {
				return err
			}
			out[i] = r
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestMeTooThousandAtOnce(t *testing.T) {
	e := newEnv(t)
	ms := members(t, e.app, 1000)
	topic := e.need(t, ms[0], KindRequest)
	var wg sync.WaitGroup
	errs := make(chan error, len(ms))
	for _, m := range ms {
		wg.Go(func() {
			if _, err := e.mod.Forum().MeToo(m, topic.Id, true); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("MeToo: %v", err)
	}
	fresh, _ := e.app.FindRecordById(Topics, topic.Id)
	rows, _ := e.app.CountRecords(MeToos, dbx.HashExp{"topic": topic.Id})
	if fresh.GetInt("metoo_count") != 1000 || rows != 1000 {
		t.Fatalf("after 1000 presses: metoo_count %d, rows %d; want 1000 and 1000", fresh.GetInt("metoo_count"), rows)
	}
	if got := e.live.Last("topic:" + topic.Id)["metoo"]; got != 1000 {
		t.Errorf("last live value %v, want 1000", got)
	}
	// pressing again counts nothing
	if n, _ := e.mod.Forum().MeToo(ms[5], topic.Id, true); n != 1000 {
		t.Errorf("a second press by one member: count %d, want 1000", n)
	}
}

func TestMeTooToggleConverges(t *testing.T) {
	e := newEnv(t)
	m := testutil.Member(t, e.app, "m@x.io", "M")
	topic := e.need(t, m, KindBug)
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Go(func() { e.mod.Forum().MeToo(m, topic.Id, i%2 == 0) })
	}
	wg.Wait()
	fresh, _ := e.app.FindRecordById(Topics, topic.Id)
	rows, _ := e.app.CountRecords(MeToos, dbx.HashExp{"topic": topic.Id})
	if c := fresh.GetInt("metoo_count"); c != int(rows) || c > 1 {
		t.Fatalf("after fast toggling: count %d, rows %d; want equal and at most 1", c, rows)
	}
	for _, want := range []int{1, 0, 1} {
		if n, err := e.mod.Forum().MeToo(m, topic.Id, want == 1); err != nil || n != want {
			t.Fatalf("MeToo(%v) = %d, %v; want %d", want == 1, n, err, want)
		}
	}
}

func TestMeTooOnlyOnNeeds(t *testing.T) {
	e := newEnv(t)
	m := testutil.Member(t, e.app, "m@x.io", "M")
	d, err := e.mod.Forum().CreateTopic(m, NewTopic{Board: "camera", Kind: KindDiscussion, Title: "Show your photos"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.mod.Forum().MeToo(m, d.Id, true); !errors.Is(err, ErrNotMeTooable) {
		t.Fatalf("MeToo on a discussion = %v, want ErrNotMeTooable", err)
	}
}

func TestCreateTopicRefusesBadInput(t *testing.T) {
	ok := map[string]string{"problem": "p", "proposal": "q"}
	cases := []struct {
		name string
		in   NewTopic
		want error
		key  string
	}{
		{"empty title", NewTopic{Board: "camera", Kind: KindRequest, Title: "  ", Fields: ok}, nil, "title"},
		{"short title", NewTopic{Board: "camera", Kind: KindRequest, Title: "ab", Fields: ok}, nil, "title"},
		{"unknown board", NewTopic{Board: "nope", Kind: KindRequest, Title: "A title", Fields: ok}, ErrUnknownBoard, ""},
		{"kind not allowed", NewTopic{Board: "lounge", Kind: KindRequest, Title: "A title", Fields: ok}, ErrKindNotAllowed, ""},
		{"staff-only board", NewTopic{Board: "news", Kind: KindDiscussion, Title: "A title"}, ErrStaffOnly, ""},
		{"missing required field", NewTopic{Board: "camera", Kind: KindRequest, Title: "A title", Fields: map[string]string{"problem": "p"}}, nil, "f_proposal"},
		{"script in body", NewTopic{Board: "camera", Kind: KindDiscussion, Title: "A title", Body: "hi <script>alert(1)</script>"}, nil, "body"},
		{"javascript link", NewTopic{Board: "camera", Kind: KindDiscussion, Title: "A title", Body: "[x](javascript:alert(1))"}, nil, "body"},
		{"event handler", NewTopic{Board: "camera", Kind: KindDiscussion, Title: "A title", Body: `<img src=x onerror="alert(1)">`}, nil, "body"},
		{"data link in a field", NewTopic{Board: "camera", Kind: KindRequest, Title: "A title", Fields: map[string]string{"problem": "[x](data:text/html,hi)", "proposal": "q"}}, nil, "f_problem"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			e.newBoard(t, "lounge", "members", KindDiscussion)
			e.newBoard(t, "news", "staff", KindDiscussion)
			m := testutil.Member(t, e.app, "m@x.io", "M")
			_, err := e.mod.Forum().CreateTopic(m, c.in)
			var fe FieldErrors
			switch {
			case c.want != nil && !errors.Is(err, c.want):
				t.Fatalf("CreateTopic = %v, want %v", err, c.want)
			case c.want == nil && (!errors.As(err, &fe) || fe[c.key] == ""):
				t.Fatalf("CreateTopic = %v, want a field error on %s", err, c.key)
			}
			if n, _ := e.app.CountRecords(Topics); n != 0 {
				t.Errorf("%d topics stored after refused input, want 0", n)
			}
		})
	}
}

func TestHotRanking(t *testing.T) {
	e := newEnv(t)
	ms := members(t, e.app, 6)
	fresh := e.need(t, ms[0], KindRequest)
	old := e.need(t, ms[0], KindRequest)
	e.clock.Advance(-5 * 24 * time.Hour)
	for _, m := range ms[:5] {
		e.mod.Forum().MeToo(m, old.Id, true)
	}
	e.clock.Advance(5 * 24 * time.Hour)
	for _, m := range ms[:3] {
		e.mod.Forum().MeToo(m, fresh.Id, true)
	}
	hot, err := e.mod.Forum().Hot(nil, 10)
	if err != nil {
		t.Fatal(err)
	}
	// fresh: 3 × 1 = 3; old: 5 × 0.5^(120/48) ≈ 0.884
	if len(hot) != 2 || hot[0].Topic.Id != fresh.Id || hot[0].Score != 3 || hot[1].Score < 0.88 || hot[1].Score > 0.89 {
		t.Fatalf("Hot() = %+v, want the fresh need (3) above the old one (0.884)", hot)
	}
	e.clock.Advance(8 * 24 * time.Hour)
	if hot, _ := e.mod.Forum().Hot(nil, 10); len(hot) != 0 {
		t.Errorf("Hot() after the 7-day window = %d entries, want none", len(hot))
	}
}

func TestAPI(t *testing.T) {
	type tc struct {
		name, method, url, body string
		auth                    string // "", "member", "staff"
		status                  int
		want                    []string
		after                   func(t testing.TB, e *env)
	}
	var e *env
	var topicID string
	cases := []tc{
		{"guest cannot post", "POST", "/api/forum/topics", `{"board":"camera","kind":"discussion","title":"Hello all"}`, "", 401, []string{`"status":401`}, nil},
		{"member posts a request", "POST", "/api/forum/topics", `{"board":"camera","kind":"request","title":"Night mode","fields":{"problem":"p","proposal":"q"}}`, "member", 201, []string{`"title":"Night mode"`, `"status":"new"`}, nil},
		{"empty title in Chinese", "POST", "/api/forum/topics", `{"board":"camera","kind":"discussion","title":""}`, "member", 400, []string{`"title":{"code":"required"`}, nil},
		{"unknown board", "POST", "/api/forum/topics", `{"board":"nope","kind":"discussion","title":"Hello all"}`, "member", 404, []string{"There is no such board"}, nil},
		{"script refused", "POST", "/api/forum/topics", `{"board":"camera","kind":"discussion","title":"Hello all","body":"<script>x</script>"}`, "member", 400, []string{"Scripts and script links"}, nil},
		{"malformed body", "POST", "/api/forum/topics", `{"board":`, "member", 400, []string{`"status":400`}, nil},
		{"me too", "POST", "/api/forum/topics/{topic}/metoo", "", "member", 200, []string{`"count":1`, `"metoo":true`}, nil},
		{"me too off", "DELETE", "/api/forum/topics/{topic}/metoo", "", "member", 200, []string{`"count":0`}, nil},
		{"guest me too", "POST", "/api/forum/topics/{topic}/metoo", "", "", 401, []string{`"status":401`}, nil},
		{"me too on unknown topic", "POST", "/api/forum/topics/nosuchtopic123/metoo", "", "member", 404, []string{"does not exist"}, nil},
		{"reply", "POST", "/api/forum/topics/{topic}/posts", `{"body":"**Yes**, please"}`, "staff", 201, []string{`"staff":true`}, nil},
		{"member cannot set status", "PATCH", "/api/collections/forum_topics/records/{topic}", `{"status":"planned"}`, "member", 404, []string{`"status":404`}, nil},
		// a status goes through the status endpoint, which checks it and tells the members
		{"staff cannot set status through REST", "PATCH", "/api/collections/forum_topics/records/{topic}", `{"status":"planned"}`, "staff", 400, []string{`"forum_rest_readonly"`}, nil},
		{"staff sets status", "POST", "/api/forum/topics/{topic}/status", `{"status":"planned"}`, "staff", 200, []string{`"status":"planned"`}, nil},
		{"records API create is closed", "POST", "/api/collections/forum_topics/records", `{"title":"x"}`, "member", 403, []string{`"status":403`}, nil},
		{"public read", "GET", "/api/collections/forum_topics/records/{topic}", "", "", 200, []string{`"title":"Night mode please"`}, nil},
		{"hot", "GET", "/api/forum/hot", "", "", 200, []string{`"formula"`, `"items":[`}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e = newEnv(t)
			member := testutil.Member(t, e.app, "m@x.io", "M")
			staffer := testutil.Member(t, e.app, "s@x.io", "S")
			staffer.Set("roles", []string{"staff"})
			e.app.Save(staffer)
			topicID = e.need(t, member, KindRequest).Id
			h := map[string]string{"Accept-Language": "en"}
			switch c.auth {
			case "member":
				h["Authorization"] = testutil.Token(t, member)
			case "staff":
				h["Authorization"] = testutil.Token(t, staffer)
			}
			(&tests.ApiScenario{
				Method: c.method, URL: strings.ReplaceAll(c.url, "{topic}", topicID), Body: strings.NewReader(c.body), Headers: h,
				ExpectedStatus: c.status, ExpectedContent: c.want,
				TestAppFactory: func(testing.TB) *tests.TestApp { return e.app }, DisableTestAppCleanup: true,
			}).Test(t)
		})
	}
}

func TestPages(t *testing.T) {
	e := newEnv(t)
	m := testutil.Member(t, e.app, "m@x.io", "Poster")
	b := testutil.NewBrowser(t, e.app).As(m)

	if status, body, _ := b.Do("GET", "/forum/b/camera/new?kind=request", nil); status != 200 || !strings.Contains(body, `name="f_problem"`) {
		t.Fatalf("GET new request form = %d, want the structured fields", status)
	}
	form := url.Values{"kind": {"request"}, "title": {"Dark gallery"}, "f_problem": {"Too bright at night"}, "body": {"thanks"}}
	status, body, _ := b.Do("POST", "/forum/b/camera/new", form)
	if status != 400 || !strings.Contains(body, "Too bright at night") || !strings.Contains(body, `value="Dark gallery"`) || !strings.Contains(body, "This field is required") {
		t.Fatalf("POST without the proposal = %d, want 400 keeping what was typed:\n%.600s", status, body)
	}
	form.Set("f_proposal", "Follow the **system** theme")
	status, _, h := b.Do("POST", "/forum/b/camera/new", form)
	if status != 303 || !strings.HasPrefix(h.Get("Location"), "/forum/t/") {
		t.Fatalf("POST new topic = %d to %q, want 303 to the topic", status, h.Get("Location"))
	}
	topicURL := h.Get("Location")
	status, body, _ = b.Do("GET", topicURL, nil)
	if status != 200 || !strings.Contains(body, "<strong>system</strong>") || !strings.Contains(body, "Too bright at night") {
		t.Fatalf("GET topic = %d, want the fields rendered", status)
	}

	status, _, _ = b.Do("POST", topicURL+"/metoo", url.Values{"on": {"1"}})
	if _, body, _ := b.Do("GET", topicURL, nil); status != 303 || !strings.Contains(body, `metoo-btn on`) {
		t.Fatalf("me too by form = %d, want the button pressed", status)
	}

	status, body, _ = b.Do("POST", topicURL+"/reply", url.Values{"body": {"see [this](javascript:alert(1))"}})
	if status != 400 || !strings.Contains(body, "Scripts and script links") || !strings.Contains(body, "see [this](javascript:alert(1))") {
		t.Fatalf("unsafe reply = %d, want 400 keeping the text:\n%.500s", status, body)
	}
	status, _, _ = b.Do("POST", topicURL+"/reply", url.Values{"body": {"Me too, every night."}})
	if _, body, _ := b.Do("GET", topicURL, nil); status != 303 || !strings.Contains(body, "Me too, every night.") {
		t.Fatalf("reply = %d, want it shown", status)
	}
	if status, body, _ := b.Do("GET", "/forum", nil); status != 200 || !strings.Contains(body, "Dark gallery") {
		t.Fatalf("GET /forum = %d, want the hot need listed", status)
	}
	if status, body, _ := b.Do("GET", "/forum/b/camera", nil); status != 200 || !strings.Contains(body, "Dark gallery") {
		t.Fatalf("GET board = %d", status)
	}
	guest := b.Another()
	if status, _, h := guest.Do("POST", topicURL+"/metoo", url.Values{"on": {"1"}}); status != 303 || !strings.HasPrefix(h.Get("Location"), "/signin") {
		t.Fatalf("guest me too = %d to %q, want the sign-in page", status, h.Get("Location"))
	}
	if status, _, _ := guest.Do("GET", "/forum/t/nosuchtopic12", nil); status != 404 {
		t.Fatalf("unknown topic = %d, want 404", status)
	}
}

func TestSearchChineseAndEnglish(t *testing.T) {
	e := newEnv(t)
	m := testutil.Member(t, e.app, "m@x.io", "M")
	f := e.mod.Forum()
	night, _ := f.CreateTopic(m, NewTopic{Board: "camera", Kind: KindRequest, Title: "相册支持夜间模式", Fields: map[string]string{"problem": "晚上看照片太亮", "proposal": "follow the dark theme"}})
	calls, _ := f.CreateTopic(m, NewTopic{Board: "camera", Kind: KindDiscussion, Title: "Call recordings by contact"})
	if _, err := f.Reply(m, calls.Id, "I would love a searchable archive of recordings"); err != nil {
		t.Fatal(err)
	}
	hidden, _ := f.CreateTopic(m, NewTopic{Board: "camera", Kind: KindRequest, Title: "夜间模式 spam", Fields: map[string]string{"problem": "x", "proposal": "y"}})
	hidden.Set("hidden", true)
	if err := e.app.Save(hidden); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		q         string
		titleOnly bool
		kinds     []string
		want      []string
	}{
		{"夜间模式", false, nil, []string{night.Id}},
		{"dark theme", false, nil, []string{night.Id}},
		{"searchable archive", false, nil, []string{calls.Id}},    // found in a reply
		{"searchable archive", true, nil, nil},                    // titles and texts only
		{"recordings", true, []string{KindRequest, KindBug}, nil}, // a discussion is no need
		{`" OR NEAR( *`, false, nil, nil},                         // FTS syntax is just text
		{"ab", false, nil, nil},                                   // no title has it
		{"夜间", false, nil, []string{night.Id}},                    // a two-character word: titles, hidden left out
		{"录音 夜间", false, []string{KindDiscussion}, nil},           // and the kinds
		{"%_", false, nil, nil},                                   // LIKE's wildcards are text
	}
	for _, c := range cases {
		hits, err := f.Search(c.q, c.kinds, c.titleOnly, 10)
		if err != nil {
			t.Fatalf("Search(%q) = %v", c.q, err)
		}
		var got []string
		for _, h := range hits {
			got = append(got, h.Topic.Id)
		}
		if strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("Search(%q, titleOnly=%v) = %v, want %v", c.q, c.titleOnly, got, c.want)
		}
	}
	// editing a title re-indexes it
	night.Set("title", "Gallery dark mode")
	e.app.Save(night)
	if hits, _ := f.Search("Gallery", nil, false, 10); len(hits) != 1 {
		t.Errorf("after renaming: %d hits for the new title, want 1", len(hits))
	}
}

func TestSimilarAPIAndSearchPage(t *testing.T) {
	e := newEnv(t)
	m := testutil.Member(t, e.app, "m@x.io", "M")
	e.mod.Forum().CreateTopic(m, NewTopic{Board: "camera", Kind: KindRequest, Title: "Night mode for the gallery", Fields: map[string]string{"problem": "p", "proposal": "q"}})
	b := testutil.NewBrowser(t, e.app).As(m)
	status, body, _ := b.Do("GET", "/api/forum/similar?q=gallery%20night", nil)
	if status != 200 || !strings.Contains(body, "Night mode for the gallery") {
		t.Fatalf("GET /api/forum/similar = %d %s", status, body)
	}
	if status, body, _ := b.Do("GET", "/forum/search?q=gallery", nil); status != 200 || !strings.Contains(body, "Night mode for the gallery") {
		t.Fatalf("GET /forum/search = %d", status)
	}
	// a refused new topic shows the similar needs
	status, body, _ = b.Do("POST", "/forum/b/camera/new", url.Values{"kind": {"request"}, "title": {"gallery night"}})
	if status != 400 || !strings.Contains(body, `href="/forum/t/`) || !strings.Contains(body, "Already asked?") {
		t.Fatalf("refused new request = %d, want the similar needs listed:\n%.400s", status, body)
	}
}

func TestTopicViewFollowsEdits(t *testing.T) {
	e := newEnv(t)
	m := testutil.Member(t, e.app, "m@x.io", "M")
	topic := e.need(t, m, KindRequest)
	p, err := e.mod.Forum().Reply(m, topic.Id, "first words")
	if err != nil {
		t.Fatal(err)
	}
	b := testutil.NewBrowser(t, e.app)
	if _, body, _ := b.Do("GET", "/forum/t/"+topic.Id, nil); !strings.Contains(body, "first words") {
		t.Fatal("reply not shown")
	}
	time.Sleep(2 * time.Millisecond) // "updated" has millisecond precision
	p.Set("body", "edited words")
	if err := e.app.Save(p); err != nil {
		t.Fatal(err)
	}
	if _, body, _ := b.Do("GET", "/forum/t/"+topic.Id, nil); !strings.Contains(body, "edited words") {
		t.Fatal("the cached page still shows the reply before its edit")
	}
	p.Set("hidden", true)
	time.Sleep(2 * time.Millisecond)
	e.app.Save(p)
	if _, body, _ := b.Do("GET", "/forum/t/"+topic.Id, nil); strings.Contains(body, "edited words") {
		t.Fatal("a hidden reply is still shown")
	}
}

func TestStatusChangeNotifies(t *testing.T) {
	e := newEnv(t)
	ms := members(t, e.app, 4)
	staffer := testutil.Member(t, e.app, "s@x.io", "Staff", "staff")
	topic := e.need(t, ms[0], KindRequest)
	for _, m := range append(ms[1:], ms[0], staffer) { // the author and the staffer pressed too
		e.mod.Forum().MeToo(m, topic.Id, true)
	}
	var events []*hooks.NeedEvent
	e.mod.deps.Events.NeedStatusChanged.BindFunc(func(ev *hooks.NeedEvent) error { events = append(events, ev); return ev.Next() })

	err := e.mod.Forum().ChangeStatus(staffer, topic.Id, StatusChange{Status: "declined"})
	var fe FieldErrors
	if !errors.As(err, &fe) || fe["reason"] == "" {
		t.Fatalf("declining without a reason = %v, want a field error", err)
	}
	if err := e.mod.Forum().ChangeStatus(staffer, topic.Id, StatusChange{Status: "bogus"}); !errors.Is(err, ErrBadStatus) {
		t.Fatalf("unknown status = %v, want ErrBadStatus", err)
	}
	if n := e.notes.count(); n != 0 || len(events) != 0 {
		t.Fatalf("refused changes left %d notifications and %d events", n, len(events))
	}

	if err := e.mod.Forum().ChangeStatus(staffer, topic.Id, StatusChange{Status: "planned", Reason: "In the March build"}); err != nil {
		t.Fatal(err)
	}
	fresh, _ := e.app.FindRecordById(Topics, topic.Id)
	if fresh.GetString("status") != "planned" || fresh.GetString("status_reason") != "In the March build" {
		t.Fatalf("topic after the change: %s / %s", fresh.GetString("status"), fresh.GetString("status_reason"))
	}
	for _, m := range ms {
		if got := len(e.notes.of(m.Id)); got != 1 {
			t.Errorf("member %s has %d unread, want 1", m.Id, got)
		}
		if n := e.notes.of(m.Id); len(n) == 1 && (n[0].Kind != KindStatusNote || n[0].Args[0].Key != "forum.status_planned" || n[0].Detail != "In the March build") {
			t.Errorf("notification of %s = %+v, want the planned status with its reason", m.Id, n[0])
		}
	}
	if got := len(e.notes.of(staffer.Id)); got != 0 {
		t.Errorf("the staffer told themselves: %d unread", got)
	}
	if len(events) != 1 || events[0].To != "planned" || events[0].From != "new" || events[0].Notified != 4 {
		t.Fatalf("NeedStatusChanged events = %+v, want one new -> planned telling 4 members", events)
	}
	if err := e.mod.Forum().ChangeStatus(staffer, topic.Id, StatusChange{Status: "planned"}); !errors.Is(err, ErrBadStatus) {
		t.Errorf("the same status again = %v, want ErrBadStatus", err)
	}
}

func TestStatusAPIAndPages(t *testing.T) {
	for _, c := range []struct {
		name   string
		role   string
		status int
	}{{"member", "", 403}, {"moderator", "moderator", 200}, {"staff", "staff", 200}} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			author := testutil.Member(t, e.app, "a@x.io", "A")
			var roles []string
			if c.role != "" {
				roles = []string{c.role}
			}
			actor := testutil.Member(t, e.app, "b@x.io", "B", roles...)
			topic := e.need(t, author, KindRequest)
			(&tests.ApiScenario{
				Method: "POST", URL: "/api/forum/topics/" + topic.Id + "/status", Body: strings.NewReader(`{"status":"progress"}`),
				Headers:        map[string]string{"Authorization": testutil.Token(t, actor)},
				ExpectedStatus: c.status, ExpectedContent: []string{`"status"`},
				TestAppFactory: func(testing.TB) *tests.TestApp { return e.app }, DisableTestAppCleanup: true,
			}).Test(t)
		})
	}

	e := newEnv(t)
	author := testutil.Member(t, e.app, "a@x.io", "Author")
	staffer := testutil.Member(t, e.app, "s@x.io", "Staff", "staff")
	topic := e.need(t, author, KindRequest)
	sb := testutil.NewBrowser(t, e.app).As(staffer)
	if _, body, _ := sb.Do("GET", "/forum/t/"+topic.Id, nil); !strings.Contains(body, `action="/forum/t/`+topic.Id+`/status"`) {
		t.Fatal("staff see no status form")
	}
	if status, body, _ := sb.Do("POST", "/forum/t/"+topic.Id+"/status", url.Values{"status": {"duplicate"}}); status != 400 || !strings.Contains(body, "Say why") {
		t.Fatalf("duplicate without a reason = %d", status)
	}
	// shipped needs the release; what was typed stays in the form
	if status, body, _ := sb.Do("POST", "/forum/t/"+topic.Id+"/status", url.Values{"status": {"shipped"}, "reason": {"In 2.4"}}); status != 400 ||
		!strings.Contains(body, "Name the release") || !strings.Contains(body, `value="In 2.4"`) {
		t.Fatalf("shipped without a release = %d, want 400 with the message and the typed reason kept", status)
	}
	if status, _, _ := sb.Do("POST", "/forum/t/"+topic.Id+"/status", url.Values{"status": {"shipped"}, "reason": {"In 2.4"},
		"release": {"2.4.0"}, "release_url": {"/releases/2.4.0"}}); status != 303 {
		t.Fatalf("status by form = %d, want 303", status)
	}
	if _, body, _ := sb.Do("GET", "/forum/roadmap", nil); !strings.Contains(body, "Night mode please") || !strings.Contains(body, "2.4.0") {
		t.Fatal("shipped need (with its release) missing from the roadmap")
	}
	told := e.notes.of(author.Id)
	if len(told) != 1 || told[0].Message != "forum.notif_shipped" || told[0].Args[0].Text != "2.4.0" || told[0].Detail != "In 2.4" ||
		told[0].Subject != "Night mode please" || told[0].Link != "/forum/t/"+topic.Id {
		t.Fatalf("the author was told %+v, want that the need shipped in 2.4.0, with the reason and a link", told)
	}
	if _, body, _ := sb.Do("GET", "/forum/t/"+topic.Id, nil); !strings.Contains(body, "In 2.4") || !strings.Contains(body, `<a href="/releases/2.4.0">2.4.0</a>`) {
		t.Error("the reason or the release link is not shown on the topic")
	}
}

func TestShippedNamesTheRelease(t *testing.T) {
	e := newEnv(t)
	ms := members(t, e.app, 3)
	staffer := testutil.Member(t, e.app, "s@x.io", "Staff", "staff")
	topic := e.need(t, ms[0], KindRequest)
	for _, m := range ms[1:] {
		e.mod.Forum().MeToo(m, topic.Id, true)
	}
	var events []*hooks.NeedEvent
	e.mod.deps.Events.NeedStatusChanged.BindFunc(func(ev *hooks.NeedEvent) error { events = append(events, ev); return ev.Next() })

	for _, c := range []struct {
		change StatusChange
		field  string
	}{
		{StatusChange{Status: "shipped"}, "release"},
		{StatusChange{Status: "shipped", Release: "   "}, "release"},
		{StatusChange{Status: "shipped", Release: strings.Repeat("9", 65)}, "release"},
		{StatusChange{Status: "shipped", Release: "2.4.0", ReleaseURL: "javascript:alert(1)"}, "release_url"},
		{StatusChange{Status: "shipped", Release: "2.4.0", ReleaseURL: "//evil.example/x"}, "release_url"},
		{StatusChange{Status: "shipped", Release: "2.4.0", ReleaseURL: `/\evil.example/x`}, "release_url"},
		{StatusChange{Status: "shipped", Release: "2.4.0", ReleaseURL: "ftp://example.com/notes"}, "release_url"},
	} {
		err := e.mod.Forum().ChangeStatus(staffer, topic.Id, c.change)
		var fe FieldErrors
		if !errors.As(err, &fe) || fe[c.field] == "" {
			t.Errorf("ChangeStatus(%+v) = %v, want a field error on %s", c.change, err, c.field)
		}
	}
	if n := e.notes.count(); n != 0 || len(events) != 0 {
		t.Fatalf("refused changes left %d notifications and %d events", n, len(events))
	}

	if err := e.mod.Forum().ChangeStatus(staffer, topic.Id, StatusChange{Status: "shipped", Release: " 2.4.0 ", ReleaseURL: "https://brand.example/notes/2.4.0"}); err != nil {
		t.Fatal(err)
	}
	fresh, _ := e.app.FindRecordById(Topics, topic.Id)
	if fresh.GetString("shipped_in") != "2.4.0" || fresh.GetString("shipped_url") != "https://brand.example/notes/2.4.0" {
		t.Fatalf("topic shipped in %q at %q", fresh.GetString("shipped_in"), fresh.GetString("shipped_url"))
	}
	named := 0
	for _, m := range ms {
		for _, n := range e.notes.of(m.Id) {
			if n.Message == "forum.notif_shipped" && n.Args[0].Text == "2.4.0" {
				named++
			}
		}
	}
	if named != 3 {
		t.Errorf("%d notifications name the release, want 3 (the author and two me-toos)", named)
	}
	if len(events) != 1 || events[0].Release != "2.4.0" || events[0].ReleaseURL != "https://brand.example/notes/2.4.0" {
		t.Fatalf("NeedStatusChanged events = %+v, want one naming release 2.4.0", events)
	}

	// through the API, a missing release is a field error in the member's language
	other := e.need(t, ms[1], KindBug)
	(&tests.ApiScenario{
		Method: "POST", URL: "/api/forum/topics/" + other.Id + "/status", Body: strings.NewReader(`{"status":"shipped","release_url":"/releases/x"}`),
		Headers:        map[string]string{"Authorization": testutil.Token(t, staffer), "Accept-Language": "zh-CN"},
		ExpectedStatus: 400, ExpectedContent: []string{`"release":{"code":"release"`, "请填写上线的版本号"},
		TestAppFactory: func(testing.TB) *tests.TestApp { return e.app }, DisableTestAppCleanup: true,
	}).Test(t)

	// moving it back forgets the release, whatever else is sent
	if err := e.mod.Forum().ChangeStatus(staffer, topic.Id, StatusChange{Status: "progress", Release: "2.4.0"}); err != nil {
		t.Fatal(err)
	}
	fresh, _ = e.app.FindRecordById(Topics, topic.Id)
	if fresh.GetString("shipped_in") != "" || fresh.GetString("shipped_url") != "" {
		t.Errorf("back in progress, the topic still names release %q", fresh.GetString("shipped_in"))
	}
}

func (e *env) poll(t testing.TB, author *core.Record, multiple bool) *core.Record {
	t.Helper()
	if _, err := e.mod.Forum().FindBoard("design"); err != nil {
		e.newBoard(t, "design", "members", KindPoll)
	}
	p, err := e.mod.Forum().CreateTopic(author, NewTopic{Board: "design", Kind: KindPoll, Title: "Which colour first?",
		Poll: &PollSpec{Options: []string{"Orange", "White", "Black", " Orange "}, Multiple: multiple, Closes: e.clock.Now().Add(72 * time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPollBallotsExactUnderConcurrency(t *testing.T) {
	e := newEnv(t)
	ms := members(t, e.app, 200)
	p := e.poll(t, ms[0], false)
	var wg sync.WaitGroup
	for i, m := range ms {
		wg.Go(func() {
			if _, err := e.mod.Forum().Vote(m, p.Id, []int{i % 3}); err != nil {
				t.Errorf("Vote: %v", err)
			}
			// a second ballot by the same member, at once
			if _, err := e.mod.Forum().Vote(m, p.Id, []int{0}); !errors.Is(err, ErrVoted) {
				t.Errorf("second Vote = %v, want ErrVoted", err)
			}
		})
	}
	wg.Wait()
	r, err := e.mod.Forum().Poll(p, ms[1])
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Options) != 3 || r.Voters != 200 || r.Counts[0]+r.Counts[1]+r.Counts[2] != 200 || r.Counts[0] != 67 || r.Counts[1] != 67 || r.Counts[2] != 66 {
		t.Fatalf("tally = %+v, want 3 options, 200 voters split 67/67/66", r)
	}
	if !slices.Equal(r.Mine, []int{1}) {
		t.Errorf("member 1's choices = %v, want [1]", r.Mine)
	}
}

func TestPollRules(t *testing.T) {
	e := newEnv(t)
	ms := members(t, e.app, 3)
	single := e.poll(t, ms[0], false)
	multi := e.poll(t, ms[0], true)
	f := e.mod.Forum()
	cases := []struct {
		name    string
		topic   *core.Record
		member  *core.Record
		choices []int
		want    error
	}{
		{"two choices in a single-choice poll", single, ms[0], []int{0, 1}, ErrBadChoice},
		{"no choice", single, ms[0], nil, ErrBadChoice},
		{"out of range", single, ms[0], []int{7}, ErrBadChoice},
		{"several in a multiple-choice poll", multi, ms[0], []int{0, 2}, nil},
	}
	for _, c := range cases {
		if _, err := f.Vote(c.member, c.topic.Id, c.choices); !errors.Is(err, c.want) {
			t.Errorf("%s: Vote = %v, want %v", c.name, err, c.want)
		}
	}
	if n, _ := e.app.CountRecords(Ballots, dbx.HashExp{"topic": single.Id}); n != 0 {
		t.Errorf("%d ballots stored by refused votes, want 0", n)
	}
	e.clock.Advance(73 * time.Hour)
	if _, err := f.Vote(ms[1], single.Id, []int{0}); !errors.Is(err, ErrPollClosed) {
		t.Errorf("vote after the close = %v, want ErrPollClosed", err)
	}
	_, err := f.CreateTopic(ms[0], NewTopic{Board: "design", Kind: KindPoll, Title: "One option only", Poll: &PollSpec{Options: []string{"A", "A"}}})
	var fe FieldErrors
	if !errors.As(err, &fe) || fe["poll_options"] == "" {
		t.Errorf("poll with one distinct option = %v, want a field error", err)
	}
	e.newBoard(t, "general", "members", KindDiscussion)
	topic, _ := f.CreateTopic(ms[0], NewTopic{Board: "general", Kind: KindDiscussion, Title: "Just talk"})
	if _, err := f.Vote(ms[0], topic.Id, []int{0}); !errors.Is(err, ErrNotPoll) {
		t.Errorf("vote on a discussion = %v, want ErrNotPoll", err)
	}
}

func TestPollPage(t *testing.T) {
	e := newEnv(t)
	m := testutil.Member(t, e.app, "m@x.io", "M")
	p := e.poll(t, m, false)
	b := testutil.NewBrowser(t, e.app).As(m)
	if _, body, _ := b.Do("GET", "/forum/t/"+p.Id, nil); !strings.Contains(body, `type="radio" name="choice"`) || strings.Contains(body, "poll-bar") {
		t.Fatal("before voting: want the ballot, not the results")
	}
	if status, _, _ := b.Do("POST", "/forum/t/"+p.Id+"/ballot", url.Values{"choice": {"1"}}); status != 303 {
		t.Fatalf("vote = %d", status)
	}
	_, body, _ := b.Do("GET", "/forum/t/"+p.Id, nil)
	if !strings.Contains(body, "poll-bar") || !strings.Contains(body, "White ✓") || !strings.Contains(body, "100% · 1") {
		t.Fatalf("after voting: want the results with my choice:\n%.300s", body)
	}
	if status, body, _ := b.Do("POST", "/forum/t/"+p.Id+"/ballot", url.Values{"choice": {"0"}}); status != 409 || !strings.Contains(body, "a ballot is final") {
		t.Fatalf("second vote = %d, want 409 with an explanation", status)
	}
}

func TestTemperature(t *testing.T) {
	e := newEnv(t)
	m := testutil.Member(t, e.app, "m@x.io", "M")
	hong := testutil.Member(t, e.app, "h@x.io", "Hong", "staff")
	f := e.mod.Forum()
	area := e.area(t, "Camera app", hong)
	var ids []string
	for range 3 {
		topic, err := f.CreateTopic(m, NewTopic{Board: "camera", Kind: KindRequest, Title: "Night mode please", Area: area.Id, Fields: map[string]string{"problem": "p", "proposal": "q"}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, topic.Id)
	}
	f.Reply(m, ids[0], "a member's reply does not count")
	f.Reply(hong, ids[0], "staff, after 1 hour")
	f.Reply(hong, ids[1], "staff, after 3 hours")
	f.Reply(hong, ids[1], "a second staff reply does not change the first")
	// place the topics and replies in time
	base := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	exec := func(q string, p dbx.Params) {
		if _, err := e.app.DB().NewQuery(q).Bind(p).Execute(); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range ids {
		exec("UPDATE forum_topics SET created = {:c} WHERE id = {:id}", dbx.Params{"c": base.Format(types.DefaultDateLayout), "id": id})
	}
	for i, wait := range []time.Duration{time.Hour, 3 * time.Hour} {
		exec("UPDATE forum_posts SET created = {:c} WHERE topic = {:t} AND staff = TRUE", dbx.Params{"c": base.Add(wait).Format(types.DefaultDateLayout), "t": ids[i]})
		exec("UPDATE forum_posts SET created = {:c} WHERE topic = {:t} AND staff = FALSE", dbx.Params{"c": base.Add(time.Minute).Format(types.DefaultDateLayout), "t": ids[i]})
	}
	temp, err := f.Temperature(7)
	if err != nil {
		t.Fatal(err)
	}
	o := temp.Overall
	if o.Topics != 3 || o.Answered != 2 || o.Rate != 66 || o.Median != 2*time.Hour {
		t.Fatalf("overall = %+v, want 3 topics, 2 answered, 66%%, median 2h", o)
	}
	if len(temp.Boards) != 1 || temp.Boards[0].Name != "Camera" || temp.Boards[0].Answered != 2 {
		t.Errorf("by board = %+v", temp.Boards)
	}
	if len(temp.Areas) != 1 || temp.Areas[0].Name != "Camera app" || temp.Areas[0].Rate != 66 {
		t.Errorf("by product area = %+v", temp.Areas)
	}
	if len(temp.Staff) != 1 || temp.Staff[0].Name != "Hong" || temp.Staff[0].Answered != 2 || temp.Staff[0].Median != 2*time.Hour {
		t.Errorf("by staff = %+v", temp.Staff)
	}
	b := testutil.NewBrowser(t, e.app)
	if status, body, _ := b.Do("GET", "/forum/temperature", nil); status != 200 || !strings.Contains(body, "66%") || !strings.Contains(body, "2.0 h") {
		t.Fatalf("GET /forum/temperature = %d, want the figures", status)
	}
}

func TestModeration(t *testing.T) {
	e := newEnv(t)
	f := e.mod.Forum()
	author := testutil.Member(t, e.app, "a@x.io", "Author")
	reporter := testutil.Member(t, e.app, "r@x.io", "Reporter")
	mod := testutil.Member(t, e.app, "mod@x.io", "Mod", "moderator")
	staffer := testutil.Member(t, e.app, "s@x.io", "Staff", "staff")
	topic := e.need(t, author, KindRequest)
	post, _ := f.Reply(author, topic.Id, "buy cheap phones at spam.example")

	if err := f.Report(reporter, topic.Id, post.Id, "spam"); err != nil {
		t.Fatal(err)
	}
	if err := f.Report(reporter, topic.Id, post.Id, "spam again"); !errors.Is(err, ErrAlreadyReported) {
		t.Fatalf("second report = %v, want ErrAlreadyReported", err)
	}
	if err := f.Report(reporter, topic.Id, "", " "); err == nil {
		t.Fatal("a report without a reason was taken")
	}
	if err := f.Moderate(reporter, "hide_post", topic.Id, post.Id, ""); !errors.Is(err, ErrNotModerator) {
		t.Fatalf("a member moderating = %v, want ErrNotModerator", err)
	}
	if err := f.Moderate(mod, "official", topic.Id, post.Id, ""); !errors.Is(err, ErrNotModerator) {
		t.Fatalf("a moderator marking an official answer = %v, want ErrNotModerator (staff only)", err)
	}
	if err := f.Moderate(mod, "explode", topic.Id, "", ""); !errors.Is(err, ErrBadAction) {
		t.Fatalf("unknown action = %v", err)
	}
	if err := f.Moderate(mod, "hide_post", topic.Id, post.Id, "spam"); err != nil {
		t.Fatal(err)
	}
	if p, _ := e.app.FindRecordById(Posts, post.Id); !p.GetBool("hidden") {
		t.Error("reply not hidden")
	}
	if n, _ := e.app.CountRecords(Reports, dbx.HashExp{"status": "open"}); n != 0 {
		t.Errorf("%d open reports after hiding the reply, want 0", n)
	}
	if err := f.Moderate(mod, "lock", topic.Id, "", "cooling down"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Reply(author, topic.Id, "let me in"); !errors.Is(err, ErrLocked) {
		t.Fatalf("reply to a locked topic = %v, want ErrLocked", err)
	}
	official, _ := f.Reply(staffer, topic.Id, "We are on it.")
	if err := f.Moderate(staffer, "official", topic.Id, official.Id, ""); err != nil {
		t.Fatal(err)
	}
	if p, _ := e.app.FindRecordById(Posts, official.Id); !p.GetBool("official") {
		t.Error("official answer not marked")
	}
	if n, _ := e.app.CountRecords(Audit); n != 3 {
		t.Errorf("%d audit rows, want 3 (hide_post, lock, official)", n)
	}
	if err := f.Moderate(mod, "hide", topic.Id, "", "off-topic"); err != nil {
		t.Fatal(err)
	}
	b := testutil.NewBrowser(t, e.app)
	if status, _, _ := b.Do("GET", "/forum/t/"+topic.Id, nil); status != 404 {
		t.Errorf("hidden topic page = %d, want 404", status)
	}
	mb := b.Another().As(mod)
	if status, body, _ := mb.Do("GET", "/forum/moderation", nil); status != 200 || !strings.Contains(body, "hide_post") || !strings.Contains(body, "Mod") {
		t.Fatalf("moderation page = %d, want the audit log", status)
	}
	if status, _, _ := b.Another().As(reporter).Do("GET", "/forum/moderation", nil); status != 403 {
		t.Errorf("moderation page for a member = %d, want 403", status)
	}
}

func TestNewAccountLimit(t *testing.T) {
	e := newEnv(t)
	fresh := testutil.Member(t, e.app, "new@x.io", "New")
	// records are stamped by the real clock; put them on the test's clock
	at := func(col, id string) {
		t.Helper()
		if _, err := e.app.DB().NewQuery("UPDATE " + col + " SET created = {:c} WHERE id = {:id}").
			Bind(dbx.Params{"c": e.clock.Now().UTC().Format(types.DefaultDateLayout), "id": id}).Execute(); err != nil {
			t.Fatal(err)
		}
	}
	at("users", fresh.Id)
	fresh, _ = e.app.FindRecordById("users", fresh.Id)
	for i := range DefaultConfig().NewAccountTopics {
		topic, err := e.mod.Forum().CreateTopic(fresh, NewTopic{Board: "camera", Kind: KindDiscussion, Title: fmt.Sprintf("Hello number %d", i)})
		if err != nil {
			t.Fatal(err)
		}
		at(Topics, topic.Id)
	}
	if _, err := e.mod.Forum().CreateTopic(fresh, NewTopic{Board: "camera", Kind: KindDiscussion, Title: "One too many"}); !errors.Is(err, ErrNewAccount) {
		t.Fatalf("topic over the new-account limit = %v, want ErrNewAccount", err)
	}
	e.clock.Advance(48 * time.Hour) // the account is no longer new
	if _, err := e.mod.Forum().CreateTopic(fresh, NewTopic{Board: "camera", Kind: KindDiscussion, Title: "Now I may"}); err != nil {
		t.Fatalf("topic by a 2-day-old account = %v", err)
	}
	staffer := testutil.Member(t, e.app, "s@x.io", "S", "staff")
	e.clock.Advance(-48 * time.Hour)
	for i := range 5 {
		if _, err := e.mod.Forum().CreateTopic(staffer, NewTopic{Board: "camera", Kind: KindDiscussion, Title: fmt.Sprintf("Staff post %d", i)}); err != nil {
			t.Fatalf("staff topic %d = %v, want no limit", i, err)
		}
	}
}

// TestNewAccountLimitUnderConcurrency: eight topics sent at once by a new
// account store exactly the cap, because the count and the insert share one
// transaction (run under -race).
func TestNewAccountLimitUnderConcurrency(t *testing.T) {
	e := newEnv(t)
	fresh := testutil.Member(t, e.app, "new@x.io", "New") // made after the test clock's now: a new account
	var wg sync.WaitGroup
	var mu sync.Mutex
	made, refused := 0, 0
	for i := range 8 {
		wg.Go(func() {
			_, err := e.mod.Forum().CreateTopic(fresh, NewTopic{Board: "camera", Kind: KindDiscussion, Title: fmt.Sprintf("At once %d", i)})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				made++
			case errors.Is(err, ErrNewAccount):
				refused++
			default:
				t.Errorf("CreateTopic = %v", err)
			}
		})
	}
	wg.Wait()
	if want := DefaultConfig().NewAccountTopics; made != want || refused != 8-want {
		t.Errorf("8 parallel topics of a new account: %d made, %d refused; want %d and %d", made, refused, want, 8-want)
	}
}

func TestMergeMovesMeToosWithoutDoubleCounting(t *testing.T) {
	e := newEnv(t)
	f := e.mod.Forum()
	ms := members(t, e.app, 5)
	staffer := testutil.Member(t, e.app, "s@x.io", "S", "staff")
	orig := e.need(t, ms[0], KindRequest)
	dup := e.need(t, ms[1], KindRequest)
	for _, m := range ms[:3] { // members 0, 1, 2 on the original
		f.MeToo(m, orig.Id, true)
	}
	for _, m := range ms[2:] { // members 2, 3, 4 on the duplicate (2 pressed both)
		f.MeToo(m, dup.Id, true)
	}
	n, err := f.Merge(staffer, dup.Id, orig.Id)
	if err != nil {
		t.Fatal(err)
	}
	// 0, 1, 2 + 3, 4 from the duplicate; 2 counts once; 1 (the duplicate's author) was already there
	if n != 5 {
		t.Fatalf("count after merging = %d, want 5", n)
	}
	if rows, _ := e.app.CountRecords(MeToos, dbx.HashExp{"topic": orig.Id}); rows != 5 {
		t.Errorf("original has %d me-too rows, want 5", rows)
	}
	d, _ := e.app.FindRecordById(Topics, dup.Id)
	if d.GetString("status") != "duplicate" || d.GetString("merged_into") != orig.Id || d.GetInt("metoo_count") != 0 {
		t.Errorf("duplicate after merge: status %s, merged_into %s, count %d", d.GetString("status"), d.GetString("merged_into"), d.GetInt("metoo_count"))
	}
	if got := len(e.notes.of(ms[3].Id)); got != 1 {
		t.Errorf("a follower of the duplicate has %d unread, want 1 (told of the merge)", got)
	}
	for _, c := range []struct{ dup, orig string }{{orig.Id, orig.Id}, {dup.Id, orig.Id}} {
		if _, err := f.Merge(staffer, c.dup, c.orig); !errors.Is(err, ErrBadMerge) {
			t.Errorf("Merge(%s into %s) = %v, want ErrBadMerge", c.dup, c.orig, err)
		}
	}
	if mergeTarget("https://club.example/forum/t/"+orig.Id+"#p-1") != orig.Id {
		t.Error("mergeTarget does not read a topic URL")
	}
}

func TestMentionedNames(t *testing.T) {
	cases := map[string][]string{
		"thanks @HongFeng!":           {"hongfeng"},
		"@小米版主 看看这个":                  {"小米版主"},
		"mail me at a@b.io, cc @Ana.": {"ana"},
		"@Ana @ana @Tom":              {"ana", "tom"},
		"no mention here, @ alone":    nil,
		"`code@x` and email@ana.io":   nil,
	}
	for in, want := range cases {
		if got := mentioned(in); !slices.Equal(got, want) {
			t.Errorf("mentioned(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestMentionNotifies(t *testing.T) {
	e := newEnv(t)
	author := testutil.Member(t, e.app, "a@x.io", "Author")
	hong := testutil.Member(t, e.app, "h@x.io", "HongFeng")
	twin1 := testutil.Member(t, e.app, "t1@x.io", "Twin")
	testutil.Member(t, e.app, "t2@x.io", "twin")
	topic := e.need(t, author, KindRequest)
	if _, err := e.mod.Forum().Reply(author, topic.Id, "@hongfeng can you look? also @Twin and @Author and @nobody"); err != nil {
		t.Fatal(err)
	}
	if got := len(e.notes.of(hong.Id)); got != 1 {
		t.Errorf("HongFeng has %d unread, want 1", got)
	}
	if got := len(e.notes.of(twin1.Id)); got != 0 {
		t.Errorf("an ambiguous name told someone (%d unread)", got)
	}
	if got := len(e.notes.of(author.Id)); got != 0 {
		t.Errorf("the author was told of their own mention")
	}
	if n := e.notes.of(hong.Id); len(n) != 1 || n[0].Kind != KindMentionNote || n[0].Args[0].Text != "Author" {
		t.Fatalf("HongFeng was told %+v, want a mention by Author", n)
	}
}

func TestWeeklySnapshot(t *testing.T) {
	e := newEnv(t)
	ms := members(t, e.app, 3)
	need := e.need(t, ms[0], KindRequest)
	for _, m := range ms {
		e.mod.Forum().MeToo(m, need.Id, true)
	}
	// Monday 30 Nov 2026, 00:05 UTC: the week that ended is 2026-W48
	e.clock.Advance(time.Date(2026, 11, 30, 0, 5, 0, 0, time.UTC).Sub(e.clock.Now()))
	week, err := e.mod.Forum().SnapshotWeek()
	if err != nil || week != "2026-W48" {
		t.Fatalf("SnapshotWeek() = %q, %v; want 2026-W48", week, err)
	}
	if again, err := e.mod.Forum().SnapshotWeek(); err != nil || again != week {
		t.Fatalf("a second run = %q, %v; want the same week kept once", again, err)
	}
	e.mod.Forum().MeToo(ms[0], need.Id, false) // later changes do not touch a kept week
	b := testutil.NewBrowser(t, e.app)
	status, body, _ := b.Do("GET", "/forum/weekly/2026-W48", nil)
	if status != 200 || !strings.Contains(body, "Night mode please") || !strings.Contains(body, "<strong>3</strong>") {
		t.Fatalf("GET /forum/weekly/2026-W48 = %d, want the frozen need with 3 me-toos:\n%.400s", status, body)
	}
	if status, _, _ := b.Do("GET", "/forum/weekly/2020-W01", nil); status != 404 {
		t.Errorf("unknown week = %d, want 404", status)
	}
}

func (e *env) area(t testing.TB, name string, owners ...*core.Record) *core.Record {
	t.Helper()
	col, _ := e.app.FindCollectionByNameOrId(Areas)
	a := core.NewRecord(col)
	a.Set("name", name)
	var ids []string
	for _, o := range owners {
		ids = append(ids, o.Id)
	}
	a.Set("owners", ids)
	if err := e.app.Save(a); err != nil {
		t.Fatal(err)
	}
	return a
}

func TestAreaOwnersHearOfNewTopics(t *testing.T) {
	e := newEnv(t)
	f := e.mod.Forum()
	author := testutil.Member(t, e.app, "a@x.io", "Author")
	o1 := testutil.Member(t, e.app, "o1@x.io", "Owner1", "staff")
	o2 := testutil.Member(t, e.app, "o2@x.io", "Owner2", "staff")
	other := testutil.Member(t, e.app, "x@x.io", "Other", "staff")
	camera := e.area(t, "Camera app", o1, o2)
	if _, err := f.CreateTopic(author, NewTopic{Board: "camera", Kind: KindDiscussion, Title: "Portrait mode tips", Area: camera.Id}); err != nil {
		t.Fatal(err)
	}
	if len(e.notes.of(o1.Id)) != 1 || len(e.notes.of(o2.Id)) != 1 || len(e.notes.of(other.Id)) != 0 {
		t.Fatalf("unread: owners %d and %d, other %d; want 1, 1, 0", len(e.notes.of(o1.Id)), len(e.notes.of(o2.Id)), len(e.notes.of(other.Id)))
	}
	_, err := f.CreateTopic(author, NewTopic{Board: "camera", Kind: KindDiscussion, Title: "Bad area", Area: "nosucharea0000"})
	var fe FieldErrors
	if !errors.As(err, &fe) || fe["area"] == "" {
		t.Fatalf("unknown area = %v, want a field error", err)
	}
	if n, _ := e.app.CountRecords(Topics, dbx.HashExp{"title": "Bad area"}); n != 0 {
		t.Error("a topic with an unknown area was stored")
	}
}

func TestBugView(t *testing.T) {
	e := newEnv(t)
	f := e.mod.Forum()
	ms := members(t, e.app, 3)
	camera := e.area(t, "Camera app")
	bug := func(version string, area string) *core.Record {
		b, err := f.CreateTopic(ms[0], NewTopic{Board: "camera", Kind: KindBug, Title: "Crash on " + version, Area: area,
			Fields: map[string]string{"steps": "s", "expected": "e", "actual": "a", "version": version}})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	hot := bug("2.3.5", camera.Id)
	bug("2.3.5", camera.Id)
	bug("2.3.4", "")
	for _, m := range ms[1:] {
		f.MeToo(m, hot.Id, true)
	}
	areas, hottest, err := f.BugView(ui.English)
	if err != nil {
		t.Fatal(err)
	}
	if len(areas) != 2 || areas[0].Area != "Camera app" || areas[0].Total != 2 || areas[0].Versions[0].Version != "2.3.5" || areas[0].Versions[0].Bugs != 2 {
		t.Fatalf("bug view = %+v, want the camera area first with 2 bugs in 2.3.5", areas)
	}
	if len(hottest) != 3 || hottest[0].Id != hot.Id {
		t.Errorf("hottest bugs = %d, first %s; want 3 with the pressed one first", len(hottest), hottest[0].Id)
	}
	b := testutil.NewBrowser(t, e.app)
	if status, body, _ := b.Do("GET", "/forum/bugs", nil); status != 200 || !strings.Contains(body, "Camera app") || !strings.Contains(body, "2.3.5") {
		t.Fatalf("GET /forum/bugs = %d", status)
	}
}

// TestDigestSection: the forum adds the week's hottest needs to weekly
// digests (the notify module sends them), not to daily ones.
func TestDigestSection(t *testing.T) {
	e := newEnv(t)
	reader := testutil.Member(t, e.app, "reader@x.io", "Reader")
	zh := testutil.Member(t, e.app, "zh@x.io", "小米粉")
	need := e.need(t, reader, KindRequest)
	e.mod.Forum().MeToo(zh, need.Id, true)
	for _, c := range []struct {
		lang, title string
		weekly      bool
		want        int
	}{{"en", "Hot needs this week", true, 1}, {"zh-CN", "本周热门需求", true, 1}, {"en", "", false, 0}} {
		d := &hooks.DigestEvent{App: e.app, Member: reader, Lang: c.lang, Weekly: c.weekly}
		if err := e.mod.deps.Events.Digest.Trigger(d); err != nil {
			t.Fatal(err)
		}
		if len(d.Sections) != c.want {
			t.Fatalf("%s weekly=%v: %d sections, want %d", c.lang, c.weekly, len(d.Sections), c.want)
		}
		if c.want == 1 && (d.Sections[0].Title != c.title || d.Sections[0].Items[0].Link != "/forum/t/"+need.Id || d.Sections[0].Items[0].Title != "Night mode please") {
			t.Errorf("%s section = %+v", c.lang, d.Sections[0])
		}
	}
}
