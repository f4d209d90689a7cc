package releases

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"github.com/canyu/canyu/hooks"
	"github.com/canyu/canyu/modules/internal/testutil"
	"github.com/canyu/canyu/ui"
)

func TestMain(m *testing.M) { testutil.Main(m) }

// wednesday is the tests' clock: Wednesday 2 December 2026, 10:00 UTC
// (18:00 in Shanghai).
var wednesday = time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)

type env struct {
	app     *tests.TestApp
	mod     *Module
	r       *Release
	clock   *testutil.Clock
	live    *testutil.FakeLive
	events  *hooks.Events
	product *core.Record
	staff   *core.Record
	board   *core.Record

	mu        sync.Mutex
	published []*hooks.ReleaseEvent
	admitted  []*hooks.TesterEvent
	notes     []*hooks.NotifyEvent
}

func newEnv(t testing.TB) *env { return newEnvWith(t, DefaultConfig(), ui.LimitsConfig{}) }

// newEnvWith builds the module in the brand's zone Asia/Shanghai, with one
// product and a staff member, and records the events it fires.
func newEnvWith(t testing.TB, cfg Config, limits ui.LimitsConfig) *env {
	t.Helper()
	cfg.TimeZone = "Asia/Shanghai"
	te := testutil.NewEnvWith(t, wednesday, limits)
	e := &env{app: te.App, clock: te.Clock, live: te.Live, events: te.Events}
	e.mod = New(cfg, te.Deps())
	te.Register(t, e.mod)
	e.r = e.mod.Releases()
	e.events.ReleasePublished.BindFunc(func(ev *hooks.ReleaseEvent) error {
		e.mu.Lock()
		e.published = append(e.published, ev)
		e.mu.Unlock()
		return ev.Next()
	})
	e.events.TesterAdmitted.BindFunc(func(ev *hooks.TesterEvent) error {
		e.mu.Lock()
		e.admitted = append(e.admitted, ev)
		e.mu.Unlock()
		return ev.Next()
	})
	e.events.Notify.BindFunc(func(ev *hooks.NotifyEvent) error {
		e.mu.Lock()
		e.notes = append(e.notes, ev)
		e.mu.Unlock()
		return ev.Next()
	})
	e.product = e.newProduct(t, "phone", 0)
	e.staff = testutil.Member(t, e.app, "staff@x.io", "Staff", "staff")
	return e
}

func (e *env) newProduct(t testing.TB, slug string, cap int) *core.Record {
	t.Helper()
	col, _ := e.app.FindCollectionByNameOrId(Products)
	p := core.NewRecord(col)
	p.Set("slug", slug)
	p.Set("name", strings.ToUpper(slug[:1])+slug[1:])
	p.Set("tester_cap", cap)
	if err := e.app.Save(p); err != nil {
		t.Fatal(err)
	}
	return p
}

// topic stores a forum need as the forum would (the module reads the
// forum's collection, never its code).
func (e *env) topic(t testing.TB, author *core.Record, title string) *core.Record {
	t.Helper()
	if e.board == nil {
		col, _ := e.app.FindCollectionByNameOrId("forum_boards")
		e.board = core.NewRecord(col)
		e.board.Set("name", "Camera")
		e.board.Set("slug", "camera")
		e.board.Set("kinds", []string{"request", "bug", "discussion"})
		if err := e.app.Save(e.board); err != nil {
			t.Fatal(err)
		}
	}
	col, _ := e.app.FindCollectionByNameOrId(forumTopics)
	r := core.NewRecord(col)
	r.Set("board", e.board.Id)
	r.Set("kind", "request")
	r.Set("title", title)
	r.Set("author", author.Id)
	r.Set("status", "new")
	if err := e.app.Save(r); err != nil {
		t.Fatal(err)
	}
	return r
}

// release saves a release of items (each a text, optionally with linked
// topics after a "|") with action.
func (e *env) release(t testing.TB, version, channel, action string, items ...string) *core.Record {
	t.Helper()
	d := Draft{Product: e.product.Id, Version: version, Channel: channel, Title: "Build " + version}
	for _, it := range items {
		text, topics, _ := strings.Cut(it, "|")
		d.Items = append(d.Items, ItemDraft{Category: "new", Text: text, Topics: TopicIDs(topics)})
	}
	rec, err := e.r.Save(e.staff, "", d, action)
	if err != nil {
		t.Fatalf("save %s: %v", version, err)
	}
	return rec
}

func (e *env) items(t testing.TB, release string) []*core.Record {
	t.Helper()
	items, err := e.r.ItemsOf(release)
	if err != nil || len(items) == 0 {
		t.Fatalf("items of %s: %v", release, err)
	}
	return items
}

// TestScheduledReleaseGoesOutOnFridayAt17 schedules a release without a
// time: it takes the next Friday 17:00 in the brand's zone (09:00 UTC), stays
// invisible until then, and the publishing run at that minute sends it out
// once, with release.published naming the needs it answers.
func TestScheduledReleaseGoesOutOnFridayAt17(t *testing.T) {
	e := newEnv(t)
	fan := testutil.Member(t, e.app, "fan@x.io", "Fan")
	need := e.topic(t, fan, "Night mode please")
	rec := e.release(t, "2.4.0", "stable", "schedule", "Night mode|/forum/t/"+need.Id, "Twice the same need|"+need.Id)
	want := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	if got := rec.GetDateTime("publish_at").Time(); !got.Equal(want) {
		t.Fatalf("scheduled for %v, want Friday 17:00 Shanghai = %v", got, want)
	}
	if _, err := e.r.Find(fan, rec.Id); !errors.Is(err, ErrNotFound) {
		t.Errorf("a scheduled release is visible to a member before its time: %v", err)
	}
	e.clock.Advance(want.Sub(wednesday) - time.Minute)
	if n, err := e.r.PublishDue(); err != nil || n != 0 {
		t.Fatalf("a minute early: published %d, %v", n, err)
	}
	e.clock.Advance(time.Minute)
	if n, err := e.r.PublishDue(); err != nil || n != 1 {
		t.Fatalf("at Friday 17:00: published %d, %v; want 1", n, err)
	}
	if n, _ := e.r.PublishDue(); n != 0 {
		t.Errorf("a second run published it again")
	}
	if len(e.published) != 1 || len(e.published[0].Topics) != 1 || e.published[0].Topics[0] != need.Id || e.published[0].Version != "2.4.0" {
		t.Fatalf("release.published = %+v, want one event naming the need once", e.published)
	}
	got, err := e.r.Find(fan, rec.Id)
	if err != nil || !got.GetDateTime("published").Time().Equal(want) || !got.GetDateTime("votes_close").Time().Equal(want.AddDate(0, 0, 7)) {
		t.Errorf("after publishing: %v %v, want it visible, voting open a week", got, err)
	}

	// a release composed on Friday after 17:00 goes to the next Friday
	e.clock.Advance(time.Hour)
	later := e.release(t, "2.4.1", "stable", "schedule", "More")
	if got := later.GetDateTime("publish_at").Time(); !got.Equal(want.AddDate(0, 0, 7)) {
		t.Errorf("composed Friday evening: scheduled %v, want a week later", got)
	}
}

// TestDraftsAreInvisible: a draft or a scheduled release is not in the
// pages, the module's API, the collections' REST API or the realtime API,
// for guests and members; staff see it; publishing makes it appear.
func TestDraftsAreInvisible(t *testing.T) {
	e := newEnv(t)
	fan := testutil.Member(t, e.app, "fan@x.io", "Fan")
	b := testutil.NewBrowser(t, e.app)
	fanToken := testutil.Token(t, fan)
	rt := testutil.NewRealtime(t, b.Base, fanToken, Releases, Items)
	guestRT := testutil.NewRealtime(t, b.Base, "", Releases)

	draft := e.release(t, "3.0.0", "stable", "draft", "Secret feature")
	if _, err := e.r.Save(e.staff, draft.Id, Draft{Product: e.product.Id, Version: "3.0.0", Channel: "stable", Title: "Still secret",
		Items: []ItemDraft{{Category: "new", Text: "Secret feature, edited"}}}, "schedule"); err != nil {
		t.Fatal(err)
	}
	if ev, ok := rt.Next(500 * time.Millisecond); ok {
		t.Fatalf("a member's realtime connection received a draft: %+v", ev)
	}
	if ev, ok := guestRT.Next(100 * time.Millisecond); ok {
		t.Fatalf("a guest's realtime connection received a draft: %+v", ev)
	}
	for _, token := range []string{"", fanToken} {
		for _, path := range []string{"/api/collections/" + Releases + "/records", "/api/collections/" + Items + "/records"} {
			a := testutil.API(t, b.Base, "GET", path, token, "")
			if items, _ := a.Body["items"].([]any); a.Status != 200 || len(items) != 0 {
				t.Errorf("GET %s (token %v) = %d with %d items, want none", path, token != "", a.Status, len(items))
			}
		}
		if a := testutil.API(t, b.Base, "GET", "/api/collections/"+Releases+"/records/"+draft.Id, token, ""); a.Status != 404 {
			t.Errorf("GET the draft by id = %d, want 404", a.Status)
		}
		if a := testutil.API(t, b.Base, "GET", "/api/releases/"+draft.Id+"/tally", token, ""); a.Status != 404 {
			t.Errorf("GET its tally = %d, want 404", a.Status)
		}
	}
	for _, path := range []string{"/releases/" + draft.Id, "/releases/" + draft.Id + "/results", "/releases/" + draft.Id + "/card.png"} {
		if status, _, _ := b.As(fan).Do("GET", path, nil); status != http.StatusNotFound {
			t.Errorf("GET %s as a member = %d, want 404", path, status)
		}
	}
	if _, page, _ := b.Do("GET", "/releases", nil); strings.Contains(page, "3.0.0") {
		t.Error("the releases page lists the draft")
	}
	if feed := feedOf(t, b, "phone"); len(feed.Items) != 0 {
		t.Errorf("the feed lists %d items, want none", len(feed.Items))
	}
	if status, page, _ := b.As(e.staff).Do("GET", "/releases/"+draft.Id, nil); status != 200 || !strings.Contains(page, "Still secret") {
		t.Errorf("staff open the draft = %d", status)
	}

	// published: now it reaches the member's realtime connection
	e.clock.Advance(3 * 24 * time.Hour)
	if n, _ := e.r.PublishDue(); n != 1 {
		t.Fatal("not published")
	}
	ev, ok := rt.Next(2 * time.Second)
	if !ok || !strings.HasPrefix(ev.Topic, Releases) || !strings.Contains(ev.Data, "Still secret") {
		t.Errorf("after publishing the member's realtime got %+v, %v; want the release", ev, ok)
	}
}

// TestBallotRefusals: a Popcorn ballot is refused, with its own message in
// the member's language, before "I upgraded", after voting closes, for an
// item of another release, one item both loved and weakest, a mood out of
// range, an empty ballot and a link that is no forum topic.
func TestBallotRefusals(t *testing.T) {
	e := newEnv(t)
	fan := testutil.Member(t, e.app, "fan@x.io", "Fan")
	rel := e.release(t, "2.4.0", "stable", "publish", "One", "Two")
	other := e.release(t, "2.4.1", "stable", "publish", "Elsewhere")
	items, foreign := e.items(t, rel.Id), e.items(t, other.Id)

	if _, err := e.r.Vote(fan, rel.Id, BallotIn{Mood: 4}); !errors.Is(err, ErrNotUpgraded) {
		t.Errorf("before upgrading: %v", err)
	}
	if _, err := e.r.Upgrade(fan, rel.Id); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		in   BallotIn
		want error
	}{
		{"an item of another release", BallotIn{Loved: foreign[0].Id}, ErrBadItem},
		{"loved and weakest alike", BallotIn{Loved: items[0].Id, Weakest: items[0].Id}, ErrSameItem},
		{"mood 6", BallotIn{Mood: 6}, ErrBadMood},
		{"empty", BallotIn{NextText: "   "}, ErrEmptyBallot},
		{"not a topic", BallotIn{NextTopicLink: "/forum/t/nosuchtopic0000"}, ErrBadTopic},
	} {
		if _, err := e.r.Vote(fan, rel.Id, c.in); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if n, _ := e.app.CountRecords(Ballots); n != 0 {
		t.Fatalf("refused ballots stored %d rows", n)
	}
	v, err := e.r.Vote(fan, rel.Id, BallotIn{Mood: 5, Loved: items[1].Id})
	if err != nil || !v.First || v.Tally.Voters != 1 || v.Tally.Mood[4] != 1 {
		t.Fatalf("a good ballot: %v, %+v", err, v)
	}
	if v, err := e.r.Vote(fan, rel.Id, BallotIn{Mood: 3, Weakest: items[1].Id}); err != nil || v.First || v.Tally.Mood != [5]int{0, 0, 1, 0, 0} {
		t.Fatalf("changing it: %v, %+v", err, v)
	}
	if got, _ := e.r.Ballot(fan.Id, rel.Id); got.Mood != 3 || got.Weakest != items[1].Id || got.Loved != "" {
		t.Errorf("the changed ballot = %+v", got)
	}
	if live := e.live.Last("release:" + rel.Id); live["voters"] != 1 {
		t.Errorf("the live tally = %v, want 1 voter", live)
	}

	// through the API, in Chinese, after voting closed
	e.clock.Advance(7*24*time.Hour + time.Second)
	b := testutil.NewBrowser(t, e.app)
	a := testutil.API(t, b.Base, "POST", "/api/releases/"+rel.Id+"/ballot", testutil.Token(t, fan), `{"mood":4}`, "Accept-Language", "zh-CN")
	if a.Status != http.StatusConflict || a.Body["message"] != "这个版本的投票已截止。" || a.Code() != "voting_closed" {
		t.Errorf("a ballot after close = %d %v, want 409 in Chinese", a.Status, a.Body)
	}
	// the web form shows the page again with the reason
	status, page, _ := b.As(fan).Do("POST", "/releases/"+rel.Id+"/ballot", url.Values{"mood": {"4"}})
	if status != http.StatusConflict || !strings.Contains(page, "Voting on this build is closed.") {
		t.Errorf("the form after close = %d", status)
	}
}

// TestOneBallotPerMemberUnderConcurrency: many ballots from one member at
// once leave one; many members at once are each counted once.
func TestOneBallotPerMemberUnderConcurrency(t *testing.T) {
	e := newEnv(t)
	rel := e.release(t, "2.4.0", "stable", "publish", "One", "Two")
	items := e.items(t, rel.Id)
	var members []*core.Record
	for i := range 8 {
		m := testutil.Member(t, e.app, fmt.Sprintf("m%d@x.io", i), "M")
		if _, err := e.r.Upgrade(m, rel.Id); err != nil {
			t.Fatal(err)
		}
		members = append(members, m)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	firsts := 0
	for _, m := range members {
		for i := range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				v, err := e.r.Vote(m, rel.Id, BallotIn{Mood: 1 + i%5, Loved: items[i%2].Id})
				if err != nil {
					t.Error(err)
				}
				if v.First {
					mu.Lock()
					firsts++
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	if n, _ := e.app.CountRecords(Ballots); n != int64(len(members)) || firsts != len(members) {
		t.Fatalf("%d ballots, %d counted first, want %d of each", n, firsts, len(members))
	}
	tally, _ := e.r.Tally(rel.Id)
	moods := 0
	for _, n := range tally.Mood {
		moods += n
	}
	if tally.Voters != len(members) || tally.Upgraded != len(members) || moods != len(members) ||
		tally.Loved[items[0].Id]+tally.Loved[items[1].Id] != len(members) {
		t.Errorf("tally = %+v, want every count at %d", tally, len(members))
	}
	// the counters agree with the ballots as they stand
	var stored [5]int
	for _, m := range members {
		b, _ := e.r.Ballot(m.Id, rel.Id)
		stored[b.Mood-1]++
	}
	if stored != tally.Mood {
		t.Errorf("mood counters %v, ballots say %v", tally.Mood, stored)
	}
	// a member who deletes their account takes their ballot and upgrade along
	if err := e.app.Delete(members[0]); err != nil {
		t.Fatal(err)
	}
	if after, _ := e.r.Tally(rel.Id); after.Voters != len(members)-1 || after.Upgraded != len(members)-1 {
		t.Errorf("after a member left: voters %d upgraded %d, want %d", after.Voters, after.Upgraded, len(members)-1)
	}
}

// TestTesterWavesNeverExceedTheCap: staff admitting overlapping waves at
// once never pass the product's cap; each admitted tester gets one
// tester.admitted and one notification.
func TestTesterWavesNeverExceedTheCap(t *testing.T) {
	e := newEnv(t)
	product := e.newProduct(t, "band", 5)
	var ids []string
	for i := range 20 {
		m := testutil.Member(t, e.app, fmt.Sprintf("a%d@x.io", i), "A")
		if err := e.r.Apply(m, product.Id, "Band 3", "running"); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.Id)
	}
	if err := e.r.Apply(testutil.Member(t, e.app, "again@x.io", "A"), product.Id, "", "x"); err == nil {
		t.Error("an application without a device was taken")
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.r.Admit(e.staff, product.Id, ids[w*3:w*3+8], w+1)
			if err != nil && !errors.Is(err, ErrWaveFull) {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	n, _ := e.app.CountRecords(Applications, dbx.HashExp{"product": product.Id, "status": "admitted"})
	if n != 5 {
		t.Fatalf("%d testers admitted, want the cap of 5", n)
	}
	told := 0
	for _, note := range e.notes {
		if note.Kind == NoteAdmitted {
			told += len(note.To)
		}
	}
	if len(e.admitted) != 5 || told != 5 {
		t.Errorf("%d tester.admitted events and %d notifications, want 5 of each", len(e.admitted), told)
	}
	if _, err := e.r.Admit(e.staff, product.Id, ids, 9); !errors.Is(err, ErrWaveFull) {
		t.Errorf("admitting past the cap: %v, want ErrWaveFull", err)
	}
	if err := e.r.Apply(testutil.Member(t, e.app, "x@x.io", "X"), "nosuchproduct00", "d", "u"); !errors.Is(err, ErrNoProduct) {
		t.Errorf("applying to no product: %v", err)
	}
	first := e.first(t, ids[0])
	if err := e.r.Apply(first, product.Id, "d", "u"); !errors.Is(err, ErrAlreadyApplied) {
		t.Errorf("applying twice: %v", err)
	}
}

func (e *env) first(t testing.TB, id string) *core.Record {
	t.Helper()
	m, err := e.app.FindRecordById("users", id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestBetaBuildsAreForTesters: a beta build is seen by the product's
// admitted testers and staff only; a tester reports on it, which credits
// them; a non-tester cannot report.
func TestBetaBuildsAreForTesters(t *testing.T) {
	e := newEnv(t)
	tester := testutil.Member(t, e.app, "t@x.io", "Tess")
	other := testutil.Member(t, e.app, "o@x.io", "Otto")
	if err := e.r.Apply(tester, e.product.Id, "Phone", "daily"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.r.Admit(e.staff, e.product.Id, []string{tester.Id}, 1); err != nil {
		t.Fatal(err)
	}
	beta := e.release(t, "2.5.0-beta.1", "beta", "publish", "Lock screen")
	if _, err := e.r.Find(other, beta.Id); !errors.Is(err, ErrNotFound) {
		t.Errorf("a non-tester sees the beta: %v", err)
	}
	if _, err := e.r.Find(nil, beta.Id); !errors.Is(err, ErrNotFound) {
		t.Errorf("a guest sees the beta: %v", err)
	}
	if _, err := e.r.Find(tester, beta.Id); err != nil {
		t.Errorf("the tester cannot see the beta: %v", err)
	}
	if err := e.r.Report(other, beta.Id, "hi"); !errors.Is(err, ErrNotFound) {
		t.Errorf("a non-tester reports: %v", err)
	}
	if err := e.r.Report(tester, beta.Id, "Widgets jump after rotating."); err != nil {
		t.Fatal(err)
	}
	_, testers, err := e.r.Credits(beta.Id)
	if err != nil || len(testers) != 1 || testers[0].Name != "Tess" {
		t.Errorf("credits testers = %v, %v", testers, err)
	}
	if !e.live.Follows(tester, "release:"+beta.Id) || e.live.Follows(other, "release:"+beta.Id) {
		t.Error("the beta's live channel follows its visibility")
	}
	b := testutil.NewBrowser(t, e.app)
	a := testutil.API(t, b.Base, "GET", "/api/collections/"+Releases+"/records", testutil.Token(t, other), "")
	if items, _ := a.Body["items"].([]any); len(items) != 0 {
		t.Errorf("REST lists %d releases to a non-tester, want none", len(items))
	}
	a = testutil.API(t, b.Base, "GET", "/api/collections/"+Releases+"/records", testutil.Token(t, tester), "")
	if items, _ := a.Body["items"].([]any); len(items) != 1 {
		t.Errorf("REST lists %d releases to the tester, want the beta", len(items))
	}
}

// TestIdleTestersAreToldThenRetired: with idle_builds 2, a tester silent
// over two beta builds is told when the third ships, and becomes alumni when
// two more ship without a report; a report in between clears the warning.
func TestIdleTestersAreToldThenRetired(t *testing.T) {
	cfg := DefaultConfig()
	cfg.IdleBuilds = 2
	e := newEnvWith(t, cfg, ui.LimitsConfig{})
	quiet := testutil.Member(t, e.app, "q@x.io", "Quiet")
	busy := testutil.Member(t, e.app, "b@x.io", "Busy")
	for _, m := range []*core.Record{quiet, busy} {
		if err := e.r.Apply(m, e.product.Id, "Phone", "daily"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.r.Admit(e.staff, e.product.Id, []string{quiet.Id, busy.Id}, 1); err != nil {
		t.Fatal(err)
	}
	idle := func() (told, retired int) {
		for _, n := range e.notes {
			if n.Kind != NoteIdle {
				continue
			}
			for _, to := range n.To {
				if to == busy.Id {
					t.Errorf("the busy tester was told: %s", n.Message)
				}
			}
			if n.Message == "releases.note_idle_line" {
				told += len(n.To)
			} else {
				retired += len(n.To)
			}
		}
		return
	}
	for i := 1; i <= 5; i++ {
		e.clock.Advance(time.Hour)
		rel := e.release(t, fmt.Sprintf("2.5.0-beta.%d", i), "beta", "publish", "Build")
		if err := e.r.Report(busy, rel.Id, "Works."); err != nil {
			t.Fatal(err)
		}
		told, retired := idle()
		switch i {
		case 1, 2:
			if told+retired != 0 {
				t.Fatalf("build %d: told %d retired %d, want no one yet", i, told, retired)
			}
		case 3, 4:
			if told != 1 || retired != 0 {
				t.Fatalf("build %d: told %d retired %d, want the quiet tester told once", i, told, retired)
			}
		case 5:
			if told != 1 || retired != 1 {
				t.Fatalf("build %d: told %d retired %d, want the quiet tester retired", i, told, retired)
			}
		}
	}
	if a, _ := e.r.Application(quiet.Id, e.product.Id); a.GetString("status") != "alumni" {
		t.Errorf("the quiet tester is %s, want alumni", a.GetString("status"))
	}
	if !e.r.IsTester(busy.Id, e.product.Id) {
		t.Error("the busy tester was retired")
	}
	f, _ := e.r.FunnelOf(e.product.Id)
	if f != (Funnel{Applied: 2, Admitted: 2, Active: 1, Kept: 1}) {
		t.Errorf("funnel = %+v", f)
	}
	first, _ := e.r.FirstTesters(e.product.Id, 10)
	if len(first) != 2 {
		t.Errorf("the first testers' wall lists %v, want both (alumni stay)", first)
	}
}

// TestCreditsNameTheNeedsAuthors: a release credits the authors of the
// needs it answers, by name, unless they opted out.
func TestCreditsNameTheNeedsAuthors(t *testing.T) {
	e := newEnv(t)
	ana := testutil.Member(t, e.app, "ana@x.io", "Ana")
	bo := testutil.Member(t, e.app, "bo@x.io", "Bo")
	n1, n2 := e.topic(t, ana, "Night mode please"), e.topic(t, bo, "Dual clock")
	rel := e.release(t, "2.4.0", "stable", "publish", "Night|"+n1.Id, "Clock|"+n2.Id+" "+n1.Id)
	authors, _, err := e.r.Credits(rel.Id)
	if err != nil || len(authors) != 2 {
		t.Fatalf("credits = %v, %v", authors, err)
	}
	b := testutil.NewBrowser(t, e.app)
	if status, _, _ := b.As(bo).Do("POST", "/releases/credits", url.Values{"named": {"0"}, "next": {"/releases/" + rel.Id}}); status != http.StatusSeeOther {
		t.Fatalf("opt out = %d", status)
	}
	_, page, _ := b.Do("GET", "/releases/"+rel.Id, nil)
	i := strings.Index(page, `class="card credits"`)
	if i < 0 {
		t.Fatal("no credits on the page")
	}
	credits := page[i:]
	credits = credits[:strings.Index(credits, "</section>")]
	if !strings.Contains(credits, "Ana") || strings.Contains(credits, "Bo") {
		t.Errorf("the credits should thank Ana and not Bo, who opted out:\n%s", credits)
	}
}

// TestMarkdownInItemsIsNeutralised: script in an item's markdown reaches
// neither the release page, the feed nor the JSON's html.
func TestMarkdownInItemsIsNeutralised(t *testing.T) {
	e := newEnv(t)
	evil := "**bold** [click](javascript:alert(2)) <img src=x onerror=alert(3)>\n\n<script>alert(1)</script>"
	rel := e.release(t, "2.4.0", "stable", "publish", evil)
	b := testutil.NewBrowser(t, e.app)
	_, page, _ := b.Do("GET", "/releases/"+rel.Id, nil)
	_, feed, _ := b.Do("GET", "/releases/feed.atom?product=phone", nil)
	a := testutil.API(t, b.Base, "GET", "/api/releases/whats-new?product=phone", "", "")
	releases, _ := a.Body["releases"].([]any)
	if len(releases) != 1 {
		t.Fatalf("whats-new = %v", a.Body)
	}
	html := releases[0].(map[string]any)["items"].([]any)[0].(map[string]any)["html"].(string)
	for name, out := range map[string]string{"page": page, "feed": feed, "json": html} {
		low := strings.ToLower(out)
		for _, bad := range []string{"<script>alert", "javascript:alert", "onerror=", "&lt;script&gt;alert"} {
			if strings.Contains(low, bad) && !(name == "feed" && bad == "&lt;script&gt;alert" && !strings.Contains(low, "&lt;script&gt;alert(1)&lt;/script&gt;")) {
				t.Errorf("%s carries %q", name, bad)
			}
		}
		if !strings.Contains(out, "bold") {
			t.Errorf("%s lost the safe text", name)
		}
	}
}

// TestComposeForm: staff's form refuses bad input field by field in the
// member's language and stores nothing; a good draft is saved; a member
// cannot reach the form.
func TestComposeForm(t *testing.T) {
	e := newEnv(t)
	fan := testutil.Member(t, e.app, "fan@x.io", "Fan")
	b := testutil.NewBrowser(t, e.app)
	form := url.Values{"product": {e.product.Id}, "version": {"2 4"}, "channel": {"stable"}, "title": {""}, "action": {"draft"},
		"item_0_category": {"new"}, "item_0_text": {"A change"}, "item_0_topics": {"/forum/t/nosuchtopic0000"},
		"item_1_category": {"new"}, "item_1_text": {""}}
	status, page, _ := b.As(e.staff).Do("POST", "/releases/new?lang=zh-CN", form)
	if status != http.StatusBadRequest || !strings.Contains(page, "版本号由字母") || !strings.Contains(page, "此项必填") || !strings.Contains(page, "其中有不是论坛帖子的链接") {
		t.Errorf("a bad release = %d; want the field errors in Chinese:\n%s", status, page)
	}
	if !strings.Contains(page, `value="A change"`) && !strings.Contains(page, ">A change<") {
		t.Error("the form lost what staff typed")
	}
	if n, _ := e.app.CountRecords(Releases); n != 0 {
		t.Fatalf("a refused release stored %d rows", n)
	}
	form.Set("version", "2.4.0")
	form.Set("title", "Quiet nights")
	form.Set("item_0_topics", "")
	if status, _, h := b.As(e.staff).Do("POST", "/releases/new", form); status != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/releases/") {
		t.Fatalf("a good draft = %d", status)
	}
	rec, err := e.app.FindFirstRecordByData(Releases, "version", "2.4.0")
	if err != nil || rec.GetString("status") != "draft" || len(e.items(t, rec.Id)) != 1 {
		t.Fatalf("the draft: %v %v", rec, err)
	}
	form.Set("title", "Taken")
	if status, page, _ := b.As(e.staff).Do("POST", "/releases/new", form); status != http.StatusBadRequest || !strings.Contains(page, "已有相同版本号") { // the language chosen above stays
		t.Errorf("the same version again = %d\n%s", status, page)
	}
	if status, _, _ := b.As(fan).Do("GET", "/releases/new", nil); status != http.StatusForbidden {
		t.Errorf("a member opens the compose form = %d, want 403", status)
	}
}

// TestVotesAreRateLimited: the vote limit refuses the next ballot with 429.
func TestVotesAreRateLimited(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Limits.Vote = ui.LimitPair{Member: "2/1h", IP: "off"}
	e := newEnvWith(t, cfg, ui.LimitsConfig{})
	fan := testutil.Member(t, e.app, "fan@x.io", "Fan")
	rel := e.release(t, "2.4.0", "stable", "publish", "One")
	b := testutil.NewBrowser(t, e.app)
	token := testutil.Token(t, fan)
	statuses := []int{}
	for _, path := range []string{"/upgraded", "/ballot", "/ballot", "/ballot"} {
		a := testutil.API(t, b.Base, "POST", "/api/releases/"+rel.Id+path, token, `{"mood":3}`)
		statuses = append(statuses, a.Status)
	}
	if statuses[1] != 201 || statuses[2] != 200 || statuses[3] != http.StatusTooManyRequests {
		t.Errorf("upgrade, vote, vote, vote = %v, want 200 201 200 429", statuses)
	}
}
