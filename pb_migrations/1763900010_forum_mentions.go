package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Notifications also tell a member they were @mentioned, and by whom.
func init() {
	m.Register(func(app core.App) error {
		n, err := app.FindCollectionByNameOrId("forum_notifications")
		if err != nil {
			return err
		}
		users, err := app.FindCollectionByNameOrId("users")
		if err != nil {
			return err
		}
		if f, ok := n.Fields.GetByName("kind").(*core.SelectField); ok {
			f.Values = []string{"status", "mention"}
		}
		n.Fields.Add(&core.RelationField{Name: "actor", CollectionId: users.Id, MaxSelect: 1})
		return app.Save(n)
	}, func(app core.App) error {
		n, err := app.FindCollectionByNameOrId("forum_notifications")
		if err != nil {
			return err
		}
		if f, ok := n.Fields.GetByName("kind").(*core.SelectField); ok {
			f.Values = []string{"status"}
		}
		n.Fields.RemoveByName("actor")
		return app.Save(n)
	})
}
