package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// A duplicate need points to the original it was merged into.
func init() {
	m.Register(func(app core.App) error {
		topics, err := app.FindCollectionByNameOrId("forum_topics")
		if err != nil {
			return err
		}
		topics.Fields.Add(&core.RelationField{Name: "merged_into", CollectionId: topics.Id, MaxSelect: 1})
		return app.Save(topics)
	}, func(app core.App) error {
		topics, err := app.FindCollectionByNameOrId("forum_topics")
		if err != nil {
			return err
		}
		topics.Fields.RemoveByName("merged_into")
		return app.Save(topics)
	})
}
