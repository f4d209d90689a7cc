package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// A need marked "shipped" names the release it shipped in (a version, and a
// link to its release notes), on the topic and in the notification that
// tells its author and every "me too".
func init() {
	m.Register(func(app core.App) error {
		topics, err := app.FindCollectionByNameOrId("forum_topics")
		if err != nil {
			return err
		}
		topics.Fields.Add(
			&core.TextField{Name: "shipped_in", Max: 64},
			&core.TextField{Name: "shipped_url", Max: 500},
		)
		if err := app.Save(topics); err != nil {
			return err
		}
		n, err := app.FindCollectionByNameOrId("forum_notifications")
		if err != nil {
			return err
		}
		n.Fields.Add(&core.TextField{Name: "release", Max: 64})
		return app.Save(n)
	}, func(app core.App) error {
		topics, err := app.FindCollectionByNameOrId("forum_topics")
		if err != nil {
			return err
		}
		topics.Fields.RemoveByName("shipped_in")
		topics.Fields.RemoveByName("shipped_url")
		if err := app.Save(topics); err != nil {
			return err
		}
		n, err := app.FindCollectionByNameOrId("forum_notifications")
		if err != nil {
			return err
		}
		n.Fields.RemoveByName("release")
		return app.Save(n)
	})
}
