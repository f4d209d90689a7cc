package pb_migrations

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	_ "github.com/pocketbase/pocketbase/migrations"
)

// ours returns Canyu's migrations (the ones whose file is in this folder),
// in the order they run.
func ours(t *testing.T) []*core.Migration {
	t.Helper()
	files := map[string]bool{}
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		files[e.Name()] = true
	}
	var out []*core.Migration
	for _, mig := range core.AppMigrations.Items() {
		if files[mig.File] {
			out = append(out, mig)
		}
	}
	return out
}

// snapshot is every collection's definition as JSON, by name, without what
// changes by itself (timestamps, the random ids of fields added without one).
func snapshot(t *testing.T, app core.App) map[string]string {
	t.Helper()
	cols, err := app.FindAllCollections()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, c := range cols {
		raw, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		delete(m, "created")
		delete(m, "updated")
		// a field's place in the list is only the dashboard's display order
		if fields, ok := m["fields"].([]any); ok {
			for _, f := range fields {
				delete(f.(map[string]any), "id")
			}
			slices.SortFunc(fields, func(a, b any) int {
				return strings.Compare(a.(map[string]any)["name"].(string), b.(map[string]any)["name"].(string))
			})
		}
		norm, _ := json.Marshal(m)
		out[c.Name] = string(norm)
	}
	return out
}

func diff(before, after map[string]string) []string {
	var out []string
	for name, b := range before {
		if a, ok := after[name]; !ok {
			out = append(out, name+": missing after")
		} else if a != b {
			out = append(out, name+":\n  before "+b+"\n  after  "+a)
		}
	}
	for name := range after {
		if _, ok := before[name]; !ok {
			out = append(out, name+": new after")
		}
	}
	slices.Sort(out)
	return out
}

// TestEachMigrationDownAndUp takes Canyu's migrations up one at a time
// from PocketBase's own schema, noting the collections before each, then
// down one at a time from the newest: each one's down must give back exactly
// the collections its up found, and its up again must give what it made, so
// an operator can roll a release back and forward.
func TestEachMigrationDownAndUp(t *testing.T) {
	app := core.NewBaseApp(core.BaseAppConfig{DataDir: t.TempDir()})
	if err := app.Bootstrap(); err != nil {
		t.Fatal(err)
	}
	defer app.ResetBootstrapState()
	if err := app.RunSystemMigrations(); err != nil {
		t.Fatal(err)
	}
	// Deleting a collection with file fields starts PocketBase's background
	// clean-up of its files, which reads the app settings without a lock
	// while a later "down" may reload them: a race inside PocketBase that
	// the detector sees now and then. A fresh app has no files to clean.
	app.OnModelAfterDeleteSuccess().Unbind("__pbFilesManagerDelete__")

	migs := ours(t)
	if len(migs) < 24 {
		t.Fatalf("found %d of Canyu's migrations, want at least 24", len(migs))
	}
	before := make([]map[string]string, len(migs))
	for i, mig := range migs {
		before[i] = snapshot(t, app)
		if err := mig.Up(app); err != nil {
			t.Fatalf("%s up: %v", mig.File, err)
		}
	}
	collections := []string{"members_phone_codes", "webhooks_endpoints", "webhooks_deliveries", "forum_boards", "forum_topics",
		"forum_posts", "forum_metoos", "forum_ballots", "forum_reports", "forum_audit", "forum_areas", "forum_post_edits",
		"forum_reactions", "sales_products", "sales_sales", "sales_reservations", "sales_orders", "sales_fcodes", "sales_audit",
		"notify_notifications", "notify_settings"}
	fresh := snapshot(t, app)
	for _, name := range collections {
		if _, ok := fresh[name]; !ok {
			t.Fatalf("after up: %s missing", name)
		}
	}
	for i := len(migs) - 1; i >= 0; i-- {
		mig := migs[i]
		after := snapshot(t, app)
		if err := mig.Down(app); err != nil {
			t.Fatalf("%s down: %v", mig.File, err)
		}
		if d := diff(before[i], snapshot(t, app)); len(d) > 0 {
			t.Errorf("%s: its down does not give back what its up found:\n%s", mig.File, strings.Join(d, "\n"))
		}
		if err := mig.Up(app); err != nil {
			t.Fatalf("%s up after its down: %v", mig.File, err)
		}
		if d := diff(after, snapshot(t, app)); len(d) > 0 {
			t.Errorf("%s: down then up changed the collections:\n%s", mig.File, strings.Join(d, "\n"))
		}
		if err := mig.Down(app); err != nil { // for good: the next one is now the newest
			t.Fatalf("%s down again: %v", mig.File, err)
		}
	}
	for _, mig := range migs {
		if err := mig.Up(app); err != nil {
			t.Fatalf("%s up again: %v", mig.File, err)
		}
	}
	if d := diff(fresh, snapshot(t, app)); len(d) > 0 {
		t.Errorf("every migration up again differs from the first time:\n%s", strings.Join(d, "\n"))
	}
}

// TestNotificationsMoveToNotify: the forum's notifications and digest
// subscribers, made before notifications had a module, are in notify after
// the migration, and back in the forum's collections after its down.
func TestNotificationsMoveToNotify(t *testing.T) {
	app := core.NewBaseApp(core.BaseAppConfig{DataDir: t.TempDir()})
	if err := app.Bootstrap(); err != nil {
		t.Fatal(err)
	}
	defer app.ResetBootstrapState()
	var move, drop *core.Migration
	// every migration before the move, then the two of the move
	for _, mig := range core.AppMigrations.Items() {
		switch {
		case strings.HasSuffix(mig.File, "_notify_collections.go"):
			move = mig
		case strings.HasSuffix(mig.File, "_forum_notifications_moved.go"):
			drop = mig
		case move == nil:
			if err := mig.Up(app); err != nil {
				t.Fatalf("%s: %v", mig.File, err)
			}
		}
	}
	users, _ := app.FindCollectionByNameOrId("users")
	u := core.NewRecord(users)
	u.SetEmail("a@x.io")
	u.SetPassword("password123")
	u.Set("name", "Ann")
	boards, _ := app.FindCollectionByNameOrId("forum_boards")
	b := core.NewRecord(boards)
	b.Set("name", "Camera")
	b.Set("slug", "camera")
	b.Set("kinds", []string{"request"})
	topics, _ := app.FindCollectionByNameOrId("forum_topics")
	tp := core.NewRecord(topics)
	tp.Set("kind", "request")
	tp.Set("title", "Night mode")
	for _, r := range []*core.Record{u, b} {
		if err := app.Save(r); err != nil {
			t.Fatal(err)
		}
	}
	tp.Set("board", b.Id)
	tp.Set("author", u.Id)
	if err := app.Save(tp); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO forum_notifications (id, member, topic, kind, status, reason, release, actor, read, created) VALUES ('n1', '` + u.Id + `', '` + tp.Id + `', 'status', 'shipped', 'Done', '2.4.0', '', FALSE, '2026-11-01 10:00:00.000Z')`,
		`INSERT INTO forum_notifications (id, member, topic, kind, status, reason, release, actor, read, created) VALUES ('n2', '` + u.Id + `', '` + tp.Id + `', 'mention', '', '', '', '` + u.Id + `', TRUE, '2026-11-02 10:00:00.000Z')`,
		`INSERT INTO forum_digest (id, member, last_sent, created) VALUES ('d1', '` + u.Id + `', '', '2026-11-01 10:00:00.000Z')`,
	} {
		if _, err := app.DB().NewQuery(q).Execute(); err != nil {
			t.Fatal(err)
		}
	}
	if err := move.Up(app); err != nil {
		t.Fatal(err)
	}
	if err := drop.Up(app); err != nil {
		t.Fatal(err)
	}
	n1, err := app.FindRecordById("notify_notifications", "n1")
	if err != nil || n1.GetString("kind") != "forum.status" || n1.GetString("message") != "forum.notif_shipped" ||
		n1.GetString("subject") != "Night mode" || n1.GetString("link") != "/forum/t/"+tp.Id || n1.GetString("detail") != "Done" || n1.GetBool("read") {
		t.Fatalf("moved shipped notification = %v, %v", n1, err)
	}
	if n2, _ := app.FindRecordById("notify_notifications", "n2"); n2 == nil || n2.GetString("kind") != "forum.mention" || !n2.GetBool("read") {
		t.Errorf("moved mention = %v", n2)
	}
	if s, err := app.FindFirstRecordByData("notify_settings", "member", u.Id); err != nil || s.GetString("email") != "weekly" {
		t.Errorf("digest subscriber's settings = %v, %v; want weekly email", s, err)
	}
	if _, err := app.FindCollectionByNameOrId("forum_notifications"); err == nil {
		t.Error("forum_notifications still exists")
	}
	// and back
	if err := drop.Down(app); err != nil {
		t.Fatal(err)
	}
	if err := move.Down(app); err != nil {
		t.Fatal(err)
	}
	back, err := app.FindRecordById("forum_notifications", "n1")
	if err != nil || back.GetString("status") != "shipped" || back.GetString("release") != "2.4.0" || back.GetString("topic") != tp.Id {
		t.Errorf("shipped notification back in the forum = %v, %v", back, err)
	}
	if n, _ := app.CountRecords("forum_digest"); n != 1 {
		t.Errorf("%d digest subscribers back, want 1", n)
	}
}
