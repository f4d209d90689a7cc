package social

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"github.com/canyu/canyu/hooks"
	"github.com/canyu/canyu/modules/internal/testutil"
)

func TestMain(m *testing.M) { testutil.Main(m) }

// monday is the tests' clock: Monday 7 December 2026, 09:00 UTC.
var monday = time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)

type env struct {
	app    *tests.TestApp
	mod    *Module
	s      *Social
	clock  *testutil.Clock
	live   *testutil.FakeLive
	events *hooks.Events
	base   string

	mu    sync.Mutex
	notes []*hooks.NotifyEvent
}

func newEnv(t testing.TB) *env {
	t.Helper()
	te := testutil.NewEnv(t, monday)
	e := &env{app: te.App, clock: te.Clock, live: te.Live, events: te.Events}
	e.mod = New(DefaultConfig(), te.Deps())
	te.Register(t, e.mod)
	e.s = e.mod.Social()
	te.Events.Notify.BindFunc(func(n *hooks.NotifyEvent) error {
		e.mu.Lock()
		e.notes = append(e.notes, n)
		e.mu.Unlock()
		return n.Next()
	})
	return e
}

// member is an account old enough to start conversations freely.
func (e *env) member(t testing.TB, name string, roles ...string) *core.Record {
	t.Helper()
	m := testutil.Member(t, e.app, strings.ToLower(name)+"@x.io", name, roles...)
	if _, err := e.app.DB().NewQuery("UPDATE users SET created = {:c} WHERE id = {:id}").
		Bind(dbx.Params{"c": dbTime(monday.AddDate(0, -1, 0)), "id": m.Id}).Execute(); err != nil {
		t.Fatal(err)
	}
	r, _ := e.app.FindRecordById("users", m.Id)
	return r
}

func (e *env) notesOf(kind string) []*hooks.NotifyEvent {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []*hooks.NotifyEvent
	for _, n := range e.notes {
		if n.Kind == kind {
			out = append(out, n)
		}
	}
	return out
}

// TestFollowAndFeed: following tells the followee once; the feed shows what
// the followed do (topics, testing, events, badges), not what others do.
func TestFollowAndFeed(t *testing.T) {
	e := newEnv(t)
	ana, mei, bo := e.member(t, "Ana"), e.member(t, "Mei"), e.member(t, "Bo")
	for range 2 {
		if err := e.s.Follow(ana, mei.Id); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.notesOf(NoteFollower); len(got) != 1 || got[0].To[0] != mei.Id {
		t.Errorf("follower notifications = %+v, want one to Mei", got)
	}
	if err := e.s.Follow(ana, ana.Id); !errors.Is(err, ErrSelf) {
		t.Errorf("following oneself = %v", err)
	}
	ev := e.events
	_ = ev.TopicCreated.Trigger(&hooks.TopicEvent{App: e.app, Topic: "t1", Title: "Night mode", Author: mei.Id, Member: mei.Id})
	_ = ev.TopicCreated.Trigger(&hooks.TopicEvent{App: e.app, Topic: "t2", Title: "Not followed", Author: bo.Id, Member: bo.Id})
	_ = ev.TesterAdmitted.Trigger(&hooks.TesterEvent{App: e.app, Member: mei.Id, Product: "orange-os"})
	_ = ev.MeetupAttended.Trigger(&hooks.MeetupEvent{App: e.app, ID: "m1", Title: "Photo walk", Member: mei.Id})
	_ = ev.BadgeAwarded.Trigger(&hooks.BadgeEvent{App: e.app, Badge: "helper", Name: "Helper", Member: mei.Id})
	items, err := e.s.FeedOf(ana.Id, 10)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, it := range items {
		kinds[it.Kind] = true
		if it.Actor != mei.Id {
			t.Errorf("Ana's feed shows %s's %s", it.Name, it.Kind)
		}
	}
	if len(items) != 4 || !kinds["topic"] || !kinds["tester"] || !kinds["attended"] || !kinds["badge"] {
		t.Errorf("Ana's feed = %+v", items)
	}
	if f, g := e.s.Counts(mei.Id); f != 1 || g != 0 {
		t.Errorf("Mei's counts = %d followers, %d following", f, g)
	}
	if err := e.s.Unfollow(ana, mei.Id); err != nil {
		t.Fatal(err)
	}
	if items, _ := e.s.FeedOf(ana.Id, 10); len(items) != 0 {
		t.Errorf("after unfollowing, the feed still has %d items", len(items))
	}
}

// TestBlockEveryWay: a block stops follows and messages both ways, ends the
// follows that were, and holds in an existing conversation and a group.
func TestBlockEveryWay(t *testing.T) {
	e := newEnv(t)
	ana, mei, bo := e.member(t, "Ana"), e.member(t, "Mei"), e.member(t, "Bo")
	_ = e.s.Follow(ana, mei.Id)
	_ = e.s.Follow(mei, ana.Id)
	conv, err := e.s.Start(ana, []string{mei.Id}, "", "hi")
	if err != nil {
		t.Fatal(err)
	}
	group, err := e.s.Start(bo, []string{ana.Id, mei.Id}, "Photo club", "hello both")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.s.Block(mei, ana.Id); err != nil {
		t.Fatal(err)
	}
	if e.s.Follows(ana.Id, mei.Id) || e.s.Follows(mei.Id, ana.Id) {
		t.Error("a block left a follow standing")
	}
	for name, err := range map[string]error{
		"Ana follows Mei":           e.s.Follow(ana, mei.Id),
		"Mei follows Ana":           e.s.Follow(mei, ana.Id),
		"Ana writes in their chat":  second(e.s.Send(ana, conv, "still there?")),
		"Mei writes in their chat":  second(e.s.Send(mei, conv, "no")),
		"Ana starts a new chat":     second(e.s.Start(ana, []string{mei.Id}, "", "again")),
		"Mei starts a group w/ Ana": second(e.s.Start(mei, []string{bo.Id, ana.Id}, "", "x")),
		"Ana writes in the group":   second(e.s.Send(ana, group, "hi group")),
	} {
		if !errors.Is(err, ErrBlocked) {
			t.Errorf("%s = %v, want ErrBlocked", name, err)
		}
	}
	if _, err := e.s.Send(bo, group, "Bo still may"); err != nil {
		t.Errorf("Bo, blocking nobody, writes in the group: %v", err)
	}
	if err := e.s.Unblock(mei, ana.Id); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.Send(ana, conv, "thanks"); err != nil {
		t.Errorf("after the unblock: %v", err)
	}
}

func second[T any](_ T, err error) error { return err }

// TestNobodyReadsAnothersConversation is the IDOR matrix: a member outside
// a conversation cannot read it, write in it, report in it or follow its
// live channel, through the API, the pages, the realtime rule or
// PocketBase's REST API; staff neither, until a message is reported, and
// then only that message.
func TestNobodyReadsAnothersConversation(t *testing.T) {
	e := newEnv(t)
	base := testutil.Serve(t, e.app)
	ana, mei, eve := e.member(t, "Ana"), e.member(t, "Mei"), e.member(t, "Eve")
	staff := e.member(t, "Staff", "staff")
	conv, err := e.s.Start(ana, []string{mei.Id}, "", "our **secret** plan")
	if err != nil {
		t.Fatal(err)
	}
	var msg string
	_ = e.app.DB().NewQuery("SELECT id FROM " + Messages + " WHERE conversation = {:c}").Bind(dbx.Params{"c": conv}).Row(&msg)
	anaT, meiT, eveT, staffT := testutil.Token(t, ana), testutil.Token(t, mei), testutil.Token(t, eve), testutil.Token(t, staff)

	if a := testutil.API(t, base, "GET", "/api/messages/"+conv, meiT, ""); a.Status != 200 || !strings.Contains(fmt.Sprint(a.Body), "secret") {
		t.Errorf("Mei reading her conversation = %d", a.Status)
	}
	for _, who := range []struct{ name, token string }{{"Eve", eveT}, {"staff", staffT}, {"a guest", ""}} {
		want := http.StatusNotFound
		if who.token == "" {
			want = http.StatusUnauthorized
		}
		for _, r := range []struct{ method, path, body string }{
			{"GET", "/api/messages/" + conv, ""},
			{"POST", "/api/messages/" + conv, `{"body":"let me in"}`},
			{"POST", "/api/messages/report/" + msg, `{"reason":"x"}`},
		} {
			a := testutil.API(t, base, r.method, r.path, who.token, r.body)
			if a.Status != want || strings.Contains(fmt.Sprint(a.Body), "secret") {
				t.Errorf("%s %s %s = %d, want %d and no text", who.name, r.method, r.path, a.Status, want)
			}
		}
		if who.token != "" {
			a := testutil.API(t, base, "GET", "/api/messages", who.token, "")
			if strings.Contains(fmt.Sprint(a.Body), conv) || strings.Contains(fmt.Sprint(a.Body), "secret") {
				t.Errorf("%s's inbox shows the conversation", who.name)
			}
			status, body := testutil.Page(t, base+"/messages/"+conv, who.token)
			if status != http.StatusNotFound || strings.Contains(body, "secret") {
				t.Errorf("%s opening the conversation's page = %d", who.name, status)
			}
		}
	}
	for _, c := range []string{"social_messages", "social_conversations", "social_participants"} {
		for _, tok := range []string{anaT, eveT, staffT} {
			if a := testutil.API(t, base, "GET", "/api/collections/"+c+"/records", tok, ""); a.Status == 200 && a.Body["totalItems"] != float64(0) {
				t.Errorf("the REST API lists %s to a member: %v", c, a.Body["totalItems"])
			}
		}
	}
	if e.live.Follows(eve, "dm:"+conv) || e.live.Follows(staff, "dm:"+conv) || !e.live.Follows(mei, "dm:"+conv) {
		t.Error("the conversation's live channel does not follow who takes part")
	}
	// staff read what is reported, and only that
	if status, body := testutil.Page(t, base+"/messages/reports", staffT); status != 200 || strings.Contains(body, "secret") {
		t.Errorf("reports before any = %d (shows the message: %v)", status, strings.Contains(body, "secret"))
	}
	if a := testutil.API(t, base, "POST", "/api/messages/report/"+msg, meiT, `{"reason":"spam"}`); a.Status != 200 {
		t.Fatalf("Mei reporting = %d %v", a.Status, a.Body)
	}
	if status, body := testutil.Page(t, base+"/messages/reports", staffT); status != 200 || !strings.Contains(body, "secret") {
		t.Errorf("the reported message is not on the moderators' page (%d)", status)
	}
	if status, _ := testutil.Page(t, base+"/messages/reports", eveT); status != http.StatusForbidden {
		t.Errorf("a member opening the reports = %d, want 403", status)
	}
	if got := e.notesOf(NoteReport); len(got) != 1 || got[0].To[0] != staff.Id {
		t.Errorf("report notifications = %+v, want one to staff", got)
	}
}

// TestMarkdownIsNeutralised: a message's HTML never carries a script, an
// event handler or a javascript: link.
func TestMarkdownIsNeutralised(t *testing.T) {
	e := newEnv(t)
	base := testutil.Serve(t, e.app)
	ana, mei := e.member(t, "Ana"), e.member(t, "Mei")
	body := "Look: <script>alert(1)</script> <img src=x onerror=alert(2)> [click](javascript:alert(3)) **bold**"
	conv, err := e.s.Start(ana, []string{mei.Id}, "", body)
	if err != nil {
		t.Fatal(err)
	}
	a := testutil.API(t, base, "GET", "/api/messages/"+conv, testutil.Token(t, mei), "")
	msgs, _ := a.Body["messages"].([]any)
	if len(msgs) != 1 {
		t.Fatalf("messages = %v", a.Body)
	}
	html, _ := msgs[0].(map[string]any)["html"].(string)
	low := strings.ToLower(html)
	if strings.Contains(low, "<script") || strings.Contains(low, "onerror") || strings.Contains(low, "javascript:") || !strings.Contains(html, "<strong>bold</strong>") {
		t.Errorf("rendered message = %q", html)
	}
	_, pageBody := testutil.Page(t, base+"/messages/"+conv, testutil.Token(t, mei))
	if strings.Contains(strings.ToLower(pageBody), "<script>alert") || strings.Contains(pageBody, "<img src=x onerror") || strings.Contains(pageBody, `href="javascript:`) {
		t.Error("the conversation page carries the script")
	}
}

// TestUnreadExactUnderConcurrentSends: 4 members write in a group at once;
// each one's unread count is what the others sent, the conversation's
// numbers have no gap and no double, and reading zeroes the count.
func TestUnreadExactUnderConcurrentSends(t *testing.T) {
	e := newEnv(t)
	var ms []*core.Record
	for i := range 4 {
		ms = append(ms, e.member(t, fmt.Sprintf("M%d", i)))
	}
	conv, err := e.s.Start(ms[0], []string{ms[1].Id, ms[2].Id, ms[3].Id}, "Group", "first")
	if err != nil {
		t.Fatal(err)
	}
	const each = 25
	var wg sync.WaitGroup
	for _, m := range ms {
		wg.Go(func() {
			for i := range each {
				if _, err := e.s.Send(m, conv, fmt.Sprintf("%s says %d", m.GetString("name"), i)); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	total := 1 + 4*each
	for i, m := range ms {
		want := total - each
		if i == 0 {
			want = total - each - 1 // the first message was Ana's own
		}
		if got := e.s.Unread(m.Id); got != want {
			t.Errorf("%s's unread = %d, want %d", m.GetString("name"), got, want)
		}
	}
	var n, distinct, top int
	_ = e.app.DB().NewQuery("SELECT COUNT(*), COUNT(DISTINCT seq), MAX(seq) FROM "+Messages+" WHERE conversation = {:c}").Bind(dbx.Params{"c": conv}).Row(&n, &distinct, &top)
	if n != total || distinct != total || top != total {
		t.Errorf("%d messages, %d numbers, the last %d; want %d each", n, distinct, top, total)
	}
	msgs, err := e.s.Read(ms[1].Id, conv, 0)
	if err != nil || len(msgs) != total {
		t.Fatalf("read = %d messages (%v)", len(msgs), err)
	}
	if got := e.s.Unread(ms[1].Id); got != 0 {
		t.Errorf("unread after reading = %d", got)
	}
	if got := e.live.Last("member:" + ms[1].Id); got["messages"] != 0 {
		t.Errorf("live unread after reading = %v", got)
	}
	if got := e.live.Last("dm:" + conv); got["seq"] != total {
		t.Errorf("live conversation = %v, want seq %d", got, total)
	}
	if after, _ := e.s.Read(ms[1].Id, conv, total-3); len(after) != 3 {
		t.Errorf("reading after %d gave %d messages, want 3", total-3, len(after))
	}
}

// TestConversationRules: one conversation per pair, a group's cap, a new
// account's daily cap counted under concurrency, empty and long messages,
// and the unread reminder told once.
func TestConversationRules(t *testing.T) {
	e := newEnv(t)
	ana, mei := e.member(t, "Ana"), e.member(t, "Mei")
	c1, _ := e.s.Start(ana, []string{mei.Id}, "", "one")
	c2, _ := e.s.Start(mei, []string{ana.Id}, "", "two")
	if c1 == "" || c1 != c2 {
		t.Errorf("a pair has two conversations: %q and %q", c1, c2)
	}
	var many []string
	for i := range 8 {
		many = append(many, e.member(t, fmt.Sprintf("G%d", i)).Id)
	}
	if _, err := e.s.Start(ana, many, "", "too many"); !errors.Is(err, ErrTooMany) {
		t.Errorf("a group of 9 = %v, want ErrTooMany", err)
	}
	if _, err := e.s.Send(ana, c1, "   "); !errors.Is(err, ErrEmpty) {
		t.Errorf("an empty message = %v", err)
	}
	if _, err := e.s.Send(ana, c1, strings.Repeat("长", 5001)); !errors.Is(err, ErrTooLong) {
		t.Errorf("a long message = %v", err)
	}
	fresh := testutil.Member(t, e.app, "fresh@x.io", "Fresh")
	if _, err := e.app.DB().NewQuery("UPDATE users SET created = {:c} WHERE id = {:id}").Bind(dbx.Params{"c": dbTime(monday.Add(-time.Hour)), "id": fresh.Id}).Execute(); err != nil {
		t.Fatal(err)
	}
	fresh, _ = e.app.FindRecordById("users", fresh.Id)
	var wg sync.WaitGroup
	var mu sync.Mutex
	made, refused := 0, 0
	for i := range 6 {
		wg.Go(func() {
			_, err := e.s.Start(fresh, []string{many[i]}, "", "hello")
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				made++
			case errors.Is(err, ErrNewAccount):
				refused++
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if made != DefaultConfig().NewAccountConversations || refused != 6-made {
		t.Errorf("a new account started %d conversations (%d refused), want %d", made, refused, DefaultConfig().NewAccountConversations)
	}
	// Mei has two unread in c1 (from Ana); after email_after she is told once
	if n, _ := e.s.TellUnread(); n != 0 {
		t.Errorf("told %d before email_after", n)
	}
	e.clock.Advance(16 * time.Minute)
	if n, _ := e.s.TellUnread(); n < 1 {
		t.Errorf("told %d after email_after", n)
	}
	if n, _ := e.s.TellUnread(); n != 0 {
		t.Errorf("told again: %d", n)
	}
	if got := e.notesOf(NoteMessage); len(got) == 0 || got[0].Link != "/messages/"+c1 && got[0].Link != "/messages/"+c2 {
		t.Errorf("unread notifications = %+v", got)
	}
}

// TestStoryAndIntroductions: a story's products (verified from a paid
// order), its privacy, and introductions to those who opted in, the same
// city first.
func TestStoryAndIntroductions(t *testing.T) {
	e := newEnv(t)
	base := testutil.Serve(t, e.app)
	ana, mei, lei, bo := e.member(t, "Ana"), e.member(t, "Mei"), e.member(t, "Lei"), e.member(t, "Bo")
	for _, x := range []struct {
		m    *core.Record
		city string
	}{{ana, "Beijing"}, {mei, "Beijing"}, {lei, "Shanghai"}, {bo, "Beijing"}} {
		if _, err := e.app.DB().NewQuery("UPDATE users SET city = {:c} WHERE id = {:id}").Bind(dbx.Params{"c": x.city, "id": x.m.Id}).Execute(); err != nil {
			t.Fatal(err)
		}
	}
	ana, _ = e.app.FindRecordById("users", ana.Id)
	if err := e.s.AddOwned(ana, "Mi 1", 2011, "my first"); err != nil {
		t.Fatal(err)
	}
	if err := e.s.AddOwned(ana, "", 2011, ""); err == nil {
		t.Error("a product without a name was stored")
	}
	if err := e.s.AddOwned(ana, "Mi 2", 1800, ""); err == nil || !strings.Contains(err.Error(), "year") {
		t.Errorf("a year of 1800 = %v", err)
	}
	for _, m := range []*core.Record{mei, lei, bo} {
		_ = e.s.AddOwned(m, "mi  1", 2012, "")
	}
	_ = e.s.Choose(mei.Id, Choices{Introductions: true})
	_ = e.s.Choose(lei.Id, Choices{Introductions: true}) // Bo did not opt in
	if intros, _ := e.s.Introductions(ana); intros != nil {
		t.Errorf("introductions before Ana opted in: %+v", intros)
	}
	_ = e.s.Choose(ana.Id, Choices{Introductions: true})
	intros, err := e.s.Introductions(ana)
	if err != nil || len(intros) != 1 || len(intros[0].People) != 2 || intros[0].People[0].ID != mei.Id || intros[0].InCity != 1 {
		t.Errorf("introductions = %+v (%v), want Mei (Beijing) then Lei, not Bo", intros, err)
	}
	// a paid order adds a verified product (the sales module's product name)
	prods, _ := e.app.FindCollectionByNameOrId("sales_products")
	p := core.NewRecord(prods)
	p.Load(map[string]any{"name": "Orange 15", "price_cents": 1, "currency": "CNY"})
	if err := e.app.Save(p); err != nil {
		t.Fatal(err)
	}
	_ = e.events.SalePaid.Trigger(&hooks.SaleEvent{App: e.app, Sale: "s", Product: p.Id, Member: ana.Id, Order: "o1"})
	story, _ := e.s.StoryOf(ana.Id)
	if len(story) != 2 || !story[0].Verified || story[0].Product != "Orange 15" || story[0].Year != 2026 {
		t.Errorf("story = %+v", story)
	}
	// private until made public, also through the REST API
	meiT := testutil.Token(t, mei)
	if a := testutil.API(t, base, "GET", "/api/collections/social_story/records?filter=member='"+ana.Id+"'", meiT, ""); a.Body["totalItems"] != float64(0) {
		t.Errorf("a private story is listed: %v", a.Body["totalItems"])
	}
	_ = e.s.Choose(ana.Id, Choices{StoryPublic: true, Introductions: true})
	if a := testutil.API(t, base, "GET", "/api/collections/social_story/records?filter=member='"+ana.Id+"'", meiT, ""); a.Body["totalItems"] != float64(2) {
		t.Errorf("a public story lists %v products, want 2", a.Body["totalItems"])
	}
}
