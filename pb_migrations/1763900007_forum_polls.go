package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Polls: a poll topic carries its options, single or multiple choice and a
// closing time; one ballot per member (a unique index holds it).
func init() {
	m.Register(func(app core.App) error {
		topics, err := app.FindCollectionByNameOrId("forum_topics")
		if err != nil {
			return err
		}
		topics.Fields.Add(
			&core.JSONField{Name: "poll_options", MaxSize: 8 << 10},
			&core.BoolField{Name: "poll_multiple"},
			&core.DateField{Name: "poll_closes"},
		)
		if err := app.Save(topics); err != nil {
			return err
		}
		users, err := app.FindCollectionByNameOrId("users")
		if err != nil {
			return err
		}
		b := core.NewBaseCollection("forum_ballots", "forum_ballots01")
		b.ListRule = types.Pointer("member = @request.auth.id")
		b.ViewRule = types.Pointer("member = @request.auth.id")
		b.Fields.Add(
			&core.RelationField{Name: "topic", CollectionId: topics.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			&core.RelationField{Name: "member", CollectionId: users.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			&core.JSONField{Name: "choices", MaxSize: 1024},
			&core.AutodateField{Name: "created", OnCreate: true},
		)
		b.AddIndex("idx_forum_ballots_one", true, "topic, member", "")
		return app.Save(b)
	}, func(app core.App) error {
		if err := deleteCollections(app, "forum_ballots"); err != nil {
			return err
		}
		topics, err := app.FindCollectionByNameOrId("forum_topics")
		if err != nil {
			return err
		}
		for _, name := range []string{"poll_options", "poll_multiple", "poll_closes"} {
			topics.Fields.RemoveByName(name)
		}
		return app.Save(topics)
	})
}
