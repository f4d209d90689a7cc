package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Moderation: members report topics and replies; moderators and staff work
// a queue; every moderator action is written to an audit log.
func init() {
	m.Register(func(app core.App) error {
		users, err := app.FindCollectionByNameOrId("users")
		if err != nil {
			return err
		}
		topics, err := app.FindCollectionByNameOrId("forum_topics")
		if err != nil {
			return err
		}
		posts, err := app.FindCollectionByNameOrId("forum_posts")
		if err != nil {
			return err
		}
		mods := "@request.auth.roles ~ 'moderator' || @request.auth.roles ~ 'staff'"
		r := core.NewBaseCollection("forum_reports", "forum_reports01")
		r.ListRule = types.Pointer(mods)
		r.ViewRule = types.Pointer(mods)
		r.Fields.Add(
			&core.RelationField{Name: "reporter", CollectionId: users.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			&core.RelationField{Name: "topic", CollectionId: topics.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			&core.RelationField{Name: "post", CollectionId: posts.Id, MaxSelect: 1, CascadeDelete: true},
			&core.TextField{Name: "reason", Required: true, Max: 500},
			&core.SelectField{Name: "status", Required: true, MaxSelect: 1, Values: []string{"open", "resolved"}},
			&core.AutodateField{Name: "created", OnCreate: true},
		)
		r.AddIndex("idx_forum_reports_one", true, "reporter, topic, post", "")
		r.AddIndex("idx_forum_reports_open", false, "status, created", "")
		if err := app.Save(r); err != nil {
			return err
		}
		a := core.NewBaseCollection("forum_audit", "forum_audit0001")
		a.ListRule = types.Pointer(mods)
		a.ViewRule = types.Pointer(mods)
		a.Fields.Add(
			&core.RelationField{Name: "actor", CollectionId: users.Id, MaxSelect: 1, Required: true},
			&core.TextField{Name: "action", Required: true, Max: 40},
			&core.TextField{Name: "topic", Max: 15},
			&core.TextField{Name: "post", Max: 15},
			&core.TextField{Name: "note", Max: 500},
			&core.AutodateField{Name: "created", OnCreate: true},
		)
		a.AddIndex("idx_forum_audit_created", false, "created", "")
		return app.Save(a)
	}, func(app core.App) error {
		return deleteCollections(app, "forum_audit", "forum_reports")
	})
}
