package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// The forum's notifications and digest subscribers now live in the notify
// module (previous migration): the forum's old collections go. Going down
// brings them back as they were (the notify migration's down refills them).
func init() {
	m.Register(func(app core.App) error {
		return deleteCollections(app, "forum_digest", "forum_notifications")
	}, func(app core.App) error {
		users, err := app.FindCollectionByNameOrId("users")
		if err != nil {
			return err
		}
		topics, err := app.FindCollectionByNameOrId("forum_topics")
		if err != nil {
			return err
		}
		own := "member = @request.auth.id"
		n := core.NewBaseCollection("forum_notifications", "forum_notif0001")
		n.ListRule = types.Pointer(own)
		n.ViewRule = types.Pointer(own)
		n.UpdateRule = types.Pointer(own + " && @request.body.member:isset = false && @request.body.topic:isset = false && @request.body.kind:isset = false")
		n.Fields.Add(
			&core.RelationField{Name: "member", CollectionId: users.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			&core.RelationField{Name: "topic", CollectionId: topics.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			&core.SelectField{Name: "kind", Required: true, MaxSelect: 1, Values: []string{"status", "mention", "new_topic"}},
			&core.TextField{Name: "status", Max: 20},
			&core.TextField{Name: "reason", Max: 1000},
			&core.BoolField{Name: "read"},
			&core.AutodateField{Name: "created", OnCreate: true},
			&core.RelationField{Name: "actor", CollectionId: users.Id, MaxSelect: 1},
			&core.TextField{Name: "release", Max: 64},
		)
		n.AddIndex("idx_forum_notif_member", false, "member, read, created", "")
		if err := app.Save(n); err != nil {
			return err
		}
		d := core.NewBaseCollection("forum_digest", "forum_digest001")
		d.ListRule = types.Pointer(own)
		d.ViewRule = types.Pointer(own)
		d.Fields.Add(
			&core.RelationField{Name: "member", CollectionId: users.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			&core.DateField{Name: "last_sent"},
			&core.AutodateField{Name: "created", OnCreate: true},
		)
		d.AddIndex("idx_forum_digest_member", true, "member", "")
		return app.Save(d)
	})
}
