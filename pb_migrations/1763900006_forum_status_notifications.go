package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Status changes of needs carry a reason; members are told in an in-app
// notification center. (Webhooks choose events from the catalogue: no
// migration of theirs is needed for a new event.)
func init() {
	m.Register(func(app core.App) error {
		topics, err := app.FindCollectionByNameOrId("forum_topics")
		if err != nil {
			return err
		}
		topics.Fields.Add(&core.TextField{Name: "status_reason", Max: 1000})
		if err := app.Save(topics); err != nil {
			return err
		}
		users, err := app.FindCollectionByNameOrId("users")
		if err != nil {
			return err
		}
		n := core.NewBaseCollection("forum_notifications", "forum_notif0001")
		own := "member = @request.auth.id"
		n.ListRule = types.Pointer(own)
		n.ViewRule = types.Pointer(own)
		n.UpdateRule = types.Pointer(own + " && @request.body.member:isset = false && @request.body.topic:isset = false && @request.body.kind:isset = false")
		n.Fields.Add(
			&core.RelationField{Name: "member", CollectionId: users.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			&core.RelationField{Name: "topic", CollectionId: topics.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			&core.SelectField{Name: "kind", Required: true, MaxSelect: 1, Values: []string{"status"}},
			&core.TextField{Name: "status", Max: 20},
			&core.TextField{Name: "reason", Max: 1000},
			&core.BoolField{Name: "read"},
			&core.AutodateField{Name: "created", OnCreate: true},
		)
		n.AddIndex("idx_forum_notif_member", false, "member, read, created", "")
		return app.Save(n)
	}, func(app core.App) error {
		if err := deleteCollections(app, "forum_notifications"); err != nil {
			return err
		}
		topics, err := app.FindCollectionByNameOrId("forum_topics")
		if err != nil {
			return err
		}
		topics.Fields.RemoveByName("status_reason")
		return app.Save(topics)
	})
}
