package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// The members who want their notifications emailed at once, found by an
// index: the sender looks for them each time a notification is stored.
func init() {
	m.Register(func(app core.App) error {
		s, err := app.FindCollectionByNameOrId("notify_settings")
		if err != nil {
			return err
		}
		s.AddIndex("idx_notify_settings_email", false, "email", "")
		return app.Save(s)
	}, func(app core.App) error {
		s, err := app.FindCollectionByNameOrId("notify_settings")
		if err != nil {
			return err
		}
		s.RemoveIndex("idx_notify_settings_email")
		return app.Save(s)
	})
}
