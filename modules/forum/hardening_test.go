package forum

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/modules/internal/testutil"
	"github.com/canyu/canyu/modules/internal/viewcache"
)

// patch sends a generic REST update and returns the status and body.
func patch(t *testing.T, base, collection, id, token, body string) (int, string) {
	t.Helper()
	a := testutil.API(t, base, "PATCH", "/api/collections/"+collection+"/records/"+id, token, body)
	raw, _ := json.Marshal(a.Body)
	return a.Status, string(raw)
}

// TestRESTCannotBypassTheForum: staff and moderators editing a topic through
// the generic REST API cannot set authorship, counters, statuses or texts;
// the moderation changes they may make are written to the audit log, from a
// member or from a superuser; a reply in a locked topic or hidden by a
// moderator is read-only to its author.
func TestRESTCannotBypassTheForum(t *testing.T) {
	e := newEnv(t)
	staff := testutil.Member(t, e.app, "s@x.io", "Staff", "staff")
	ann := testutil.Member(t, e.app, "ann@x.io", "Ann")
	bob := testutil.Member(t, e.app, "bob@x.io", "Bob")
	topic := e.need(t, ann, KindRequest)
	base := testutil.Serve(t, e.app)
	st := testutil.Token(t, staff)

	for _, body := range []string{
		`{"author":"` + bob.Id + `"}`, `{"metoo_count":999}`, `{"reply_count":5}`, `{"status":"shipped"}`,
		`{"shipped_in":"9.9"}`, `{"body":"rewritten by staff"}`, `{"kind":"bug"}`, `{"merged_into":"` + topic.Id + `"}`,
	} {
		status, out := patch(t, base, Topics, topic.Id, st, body)
		if status != http.StatusBadRequest || !strings.Contains(out, "forum_rest_readonly") {
			t.Errorf("staff PATCH %s = %d %s, want 400 forum_rest_readonly", body, status, out)
		}
	}
	fresh, _ := e.app.FindRecordById(Topics, topic.Id)
	if fresh.GetString("author") != ann.Id || fresh.GetInt("metoo_count") != 0 || fresh.GetString("status") != "new" || fresh.GetString("body") != topic.GetString("body") {
		t.Fatalf("a refused REST update changed the topic: %v", fresh.PublicExport())
	}

	// moderation flags may change, and are audited
	if status, out := patch(t, base, Topics, topic.Id, st, `{"hidden":true,"title":"Night mode, tidied"}`); status != http.StatusOK {
		t.Fatalf("staff hides through REST = %d %s", status, out)
	}
	audit := func(action string) []*core.Record {
		rows, _ := e.app.FindAllRecords(Audit, dbx.HashExp{"topic": topic.Id, "action": action})
		return rows
	}
	if rows := audit("hide"); len(rows) != 1 || rows[0].GetString("actor") != staff.Id {
		t.Errorf("audit rows of the REST hide = %v, want one by the staff member", rows)
	}
	if len(audit("retitle")) != 1 {
		t.Error("the REST title change was not audited")
	}
	camera := e.area(t, "Camera app")
	if status, out := patch(t, base, Topics, topic.Id, st, `{"area":"`+camera.Id+`"}`); status != http.StatusOK || len(audit("move")) != 1 {
		t.Errorf("the REST area change = %d %s, audited %d times, want once", status, out, len(audit("move")))
	}
	// a superuser in the dashboard
	sc, _ := e.app.FindCollectionByNameOrId(core.CollectionNameSuperusers)
	admin := core.NewRecord(sc)
	admin.SetEmail("admin@x.io")
	admin.SetPassword("admin-password-1")
	if err := e.app.Save(admin); err != nil {
		t.Fatal(err)
	}
	if status, out := patch(t, base, Topics, topic.Id, testutil.Token(t, admin), `{"pinned":true}`); status != http.StatusOK {
		t.Fatalf("superuser pins = %d %s", status, out)
	}
	if rows := audit("pin"); len(rows) != 1 || rows[0].GetString("admin") != "admin@x.io" {
		t.Errorf("audit rows of the dashboard pin = %v, want one naming the superuser", rows)
	}
	if status, _ := patch(t, base, Topics, topic.Id, testutil.Token(t, admin), `{"metoo_count":7}`); status != http.StatusBadRequest {
		t.Errorf("superuser sets a counter through REST = %d, want 400", status)
	}

	// replies: read-only to their author once hidden or in a locked topic
	if status, _ := patch(t, base, Topics, topic.Id, st, `{"hidden":false,"locked":true}`); status != http.StatusOK {
		t.Fatal("unhide and lock")
	}
	// ann replied before the lock (stored directly)
	col, _ := e.app.FindCollectionByNameOrId(Posts)
	mine := core.NewRecord(col)
	mine.Set("topic", topic.Id)
	mine.Set("author", ann.Id)
	mine.Set("body", "My reply")
	if err := e.app.Save(mine); err != nil {
		t.Fatal(err)
	}
	at := testutil.Token(t, ann)
	if status, _ := patch(t, base, Posts, mine.Id, at, `{"body":"edited after the lock"}`); status != http.StatusNotFound {
		t.Errorf("author edits a reply in a locked topic through REST = %d, want 404", status)
	}
	if _, err := e.mod.Forum().EditPost(ann, mine.Id, "edited after the lock"); !errors.Is(err, ErrLocked) {
		t.Errorf("EditPost in a locked topic = %v, want ErrLocked", err)
	}
	if status, _ := patch(t, base, Topics, topic.Id, st, `{"locked":false}`); status != http.StatusOK {
		t.Fatal("unlock")
	}
	if status, out := patch(t, base, Posts, mine.Id, testutil.Token(t, admin), `{"hidden":true}`); status != http.StatusOK {
		t.Fatalf("superuser hides a reply = %d %s", status, out)
	}
	if rows, _ := e.app.FindAllRecords(Audit, dbx.HashExp{"post": mine.Id, "action": "hide_post"}); len(rows) != 1 {
		t.Errorf("audit rows of the dashboard's reply hide = %d, want 1", len(rows))
	}
	if status, _ := patch(t, base, Posts, mine.Id, at, `{"body":"edited while hidden"}`); status != http.StatusNotFound {
		t.Errorf("author edits a hidden reply through REST = %d, want 404", status)
	}
	if got, _ := e.app.FindRecordById(Posts, mine.Id); got.GetString("body") != "My reply" {
		t.Errorf("reply body = %q", got.GetString("body"))
	}
}

// TestLiveCarriesOnlyWhatThePageShows: a poll's tally stays off the public
// channel while the page hides it (until one has voted or the poll closed):
// the channel carries how many voted. A hidden topic's channel cannot be
// followed and publishes nothing.
func TestLiveCarriesOnlyWhatThePageShows(t *testing.T) {
	e := newEnv(t)
	ann := testutil.Member(t, e.app, "ann@x.io", "Ann")
	mod := testutil.Member(t, e.app, "mod@x.io", "Mod", "moderator")
	poll := e.poll(t, ann, false)
	if _, err := e.mod.Forum().Vote(ann, poll.Id, []int{1}); err != nil {
		t.Fatal(err)
	}
	got := e.live.Last("topic:" + poll.Id)
	if got["voters"] != 1 || got["counts"] != nil || len(got) != 1 {
		t.Errorf("public channel after a vote = %v, want only the number of voters", got)
	}
	if !e.live.Follows(nil, "topic:"+poll.Id) {
		t.Error("a guest cannot follow a visible topic")
	}

	need := e.need(t, ann, KindRequest)
	if err := e.mod.Forum().Moderate(mod, "hide", need.Id, "", "spam"); err != nil {
		t.Fatal(err)
	}
	if e.live.Follows(nil, "topic:"+need.Id) || e.live.Follows(ann, "topic:"+need.Id) {
		t.Error("a hidden topic's channel can be followed")
	}
	hidden, _ := e.app.FindRecordById(Topics, need.Id)
	e.mod.Forum().publishTopic(hidden, map[string]any{"metoo": 5})
	if got := e.live.Last("topic:" + need.Id); got != nil {
		t.Errorf("a hidden topic published %v", got)
	}
	if e.live.Follows(nil, "topic:nope") {
		t.Error("an unknown topic's channel can be followed")
	}
}

// TestViewCacheFollowsTheClock: cached views expire by the injected clock.
func TestViewCacheFollowsTheClock(t *testing.T) {
	clock := testutil.NewClock(time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC))
	c := viewcache.New[string](time.Minute, 8, clock.Now)
	c.Put("k", "v")
	if v, ok := c.Get("k"); !ok || v != "v" {
		t.Fatal("a fresh entry is missing")
	}
	clock.Advance(59 * time.Second)
	if _, ok := c.Get("k"); !ok {
		t.Error("expired before its minute on the test clock")
	}
	clock.Advance(2 * time.Second)
	if _, ok := c.Get("k"); ok {
		t.Error("still served after its minute on the test clock")
	}
}
