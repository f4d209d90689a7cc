package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Product areas (the feature modules of the brand's product), each owned by a
// small team of staff who hear of every new topic in their area.
func init() {
	m.Register(func(app core.App) error {
		users, err := app.FindCollectionByNameOrId("users")
		if err != nil {
			return err
		}
		a := core.NewBaseCollection("forum_areas", "forum_areas0001")
		a.ListRule = types.Pointer("")
		a.ViewRule = types.Pointer("")
		a.Fields.Add(
			&core.TextField{Name: "name", Required: true, Max: 60},
			&core.TextField{Name: "name_zh", Max: 60},
			&core.RelationField{Name: "owners", CollectionId: users.Id, MaxSelect: 3},
			&core.NumberField{Name: "order", OnlyInt: true},
		)
		if err := app.Save(a); err != nil {
			return err
		}
		topics, err := app.FindCollectionByNameOrId("forum_topics")
		if err != nil {
			return err
		}
		topics.Fields.Add(&core.RelationField{Name: "area", CollectionId: a.Id, MaxSelect: 1})
		topics.AddIndex("idx_forum_topics_area", false, "area, kind", "")
		if err := app.Save(topics); err != nil {
			return err
		}
		n, err := app.FindCollectionByNameOrId("forum_notifications")
		if err != nil {
			return err
		}
		if f, ok := n.Fields.GetByName("kind").(*core.SelectField); ok {
			f.Values = []string{"status", "mention", "new_topic"}
		}
		return app.Save(n)
	}, func(app core.App) error {
		topics, err := app.FindCollectionByNameOrId("forum_topics")
		if err != nil {
			return err
		}
		topics.RemoveIndex("idx_forum_topics_area")
		topics.Fields.RemoveByName("area")
		if err := app.Save(topics); err != nil {
			return err
		}
		n, err := app.FindCollectionByNameOrId("forum_notifications")
		if err != nil {
			return err
		}
		if f, ok := n.Fields.GetByName("kind").(*core.SelectField); ok {
			f.Values = []string{"status", "mention"}
		}
		if err := app.Save(n); err != nil {
			return err
		}
		return deleteCollections(app, "forum_areas")
	})
}
