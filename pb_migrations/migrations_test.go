package pb_migrations

import (
	"os"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	_ "github.com/pocketbase/pocketbase/migrations"
)

// TestDownAndUpAgain reverts Canyu's migrations and applies them again: every
// "down" must undo its "up" so an operator can roll back a release.
func TestDownAndUpAgain(t *testing.T) {
	app := core.NewBaseApp(core.BaseAppConfig{DataDir: t.TempDir()})
	if err := app.Bootstrap(); err != nil {
		t.Fatal(err)
	}
	defer app.ResetBootstrapState()
	if err := app.RunAllMigrations(); err != nil {
		t.Fatal(err)
	}
	ours := []string{"members_phone_codes", "webhooks_endpoints", "webhooks_deliveries", "forum_boards", "forum_topics",
		"forum_posts", "forum_metoos", "forum_notifications", "forum_ballots", "forum_reports", "forum_audit"}
	for _, name := range ours {
		if _, err := app.FindCollectionByNameOrId(name); err != nil {
			t.Fatalf("after up: %s missing", name)
		}
	}
	// Canyu's migrations are the ones whose file is in this folder
	files := map[string]bool{}
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		files[e.Name()] = true
	}
	n := 0
	for _, mig := range core.AppMigrations.Items() {
		if files[mig.File] {
			n++
		}
	}
	if n < 19 {
		t.Fatalf("found %d of Canyu's migrations, want at least 19", n)
	}
	// Deleting a collection with file fields starts PocketBase's background
	// clean-up of its files, which reads the app settings without a lock
	// while a later "down" may reload them: a race inside PocketBase that
	// the detector sees now and then. A fresh app has no files to clean.
	app.OnModelAfterDeleteSuccess().Unbind("__pbFilesManagerDelete__")
	runner := core.NewMigrationsRunner(app, core.AppMigrations)
	reverted, err := runner.Down(n)
	if err != nil || len(reverted) != n {
		t.Fatalf("Down(%d) = %v, %v", n, reverted, err)
	}
	for _, name := range ours {
		if _, err := app.FindCollectionByNameOrId(name); err == nil {
			t.Errorf("after down: %s still exists", name)
		}
	}
	if users, _ := app.FindCollectionByNameOrId("users"); users.Fields.GetByName("phone") != nil {
		t.Error("after down: users still has a phone field")
	}
	if _, err := runner.Up(); err != nil {
		t.Fatalf("up again: %v", err)
	}
	if _, err := app.FindCollectionByNameOrId("forum_audit"); err != nil {
		t.Error("after up again: forum_audit missing")
	}
}
