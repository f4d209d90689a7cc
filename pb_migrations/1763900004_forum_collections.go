package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// The forum: boards (defined by admins), topics of four kinds with their
// structured fields stored as data, replies, and one "me too" per member and
// topic (a unique index keeps it one).
func init() {
	m.Register(func(app core.App) error {
		users, err := app.FindCollectionByNameOrId("users")
		if err != nil {
			return err
		}
		kinds := []string{"discussion", "request", "bug", "poll"}
		staff := "@request.auth.roles ~ 'staff' || @request.auth.roles ~ 'moderator'"

		boards := core.NewBaseCollection("forum_boards", "forum_boards001")
		boards.ListRule = types.Pointer("")
		boards.ViewRule = types.Pointer("")
		boards.Fields.Add(
			&core.TextField{Name: "name", Required: true, Max: 60},
			&core.TextField{Name: "name_zh", Max: 60},
			&core.TextField{Name: "slug", Required: true, Max: 40, Pattern: `^[a-z0-9-]+$`},
			&core.TextField{Name: "description", Max: 300},
			&core.TextField{Name: "description_zh", Max: 300},
			&core.NumberField{Name: "order", OnlyInt: true},
			&core.SelectField{Name: "kinds", Required: true, MaxSelect: len(kinds), Values: kinds},
			&core.SelectField{Name: "who_may_post", MaxSelect: 1, Values: []string{"members", "staff"}},
			// per kind, the structured fields of the form: {"request": [{"name": "problem", "label": "...", "required": true}]}
			&core.JSONField{Name: "forms", MaxSize: 64 << 10},
		)
		boards.AddIndex("idx_forum_boards_slug", true, "slug", "")
		if err := app.Save(boards); err != nil {
			return err
		}

		topics := core.NewBaseCollection("forum_topics", "forum_topics001")
		topics.ListRule = types.Pointer("hidden = false")
		topics.ViewRule = types.Pointer("hidden = false")
		// members write their own through /api/forum; status and moderation fields are staff-only
		topics.UpdateRule = types.Pointer(staff)
		topics.Fields.Add(
			&core.RelationField{Name: "board", CollectionId: boards.Id, MaxSelect: 1, Required: true},
			&core.SelectField{Name: "kind", Required: true, MaxSelect: 1, Values: kinds},
			&core.TextField{Name: "title", Required: true, Min: 4, Max: 120},
			&core.TextField{Name: "body", Max: 20000},
			&core.JSONField{Name: "fields", MaxSize: 32 << 10},
			&core.SelectField{Name: "status", MaxSelect: 1, Values: []string{"new", "review", "planned", "progress", "shipped", "declined", "duplicate"}},
			&core.RelationField{Name: "author", CollectionId: users.Id, MaxSelect: 1, Required: true},
			&core.NumberField{Name: "metoo_count", OnlyInt: true},
			&core.NumberField{Name: "reply_count", OnlyInt: true},
			&core.DateField{Name: "last_activity"},
			&core.BoolField{Name: "hidden"},
			&core.BoolField{Name: "locked"},
			&core.BoolField{Name: "pinned"},
			&core.AutodateField{Name: "created", OnCreate: true},
			&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
		)
		topics.AddIndex("idx_forum_topics_board", false, "board, pinned, last_activity", "")
		topics.AddIndex("idx_forum_topics_author", false, "author", "")
		if err := app.Save(topics); err != nil {
			return err
		}

		posts := core.NewBaseCollection("forum_posts", "forum_posts0001")
		posts.ListRule = types.Pointer("hidden = false && topic.hidden = false")
		posts.ViewRule = types.Pointer("hidden = false && topic.hidden = false")
		posts.UpdateRule = types.Pointer("author = @request.auth.id && @request.body.hidden:isset = false && @request.body.official:isset = false && @request.body.staff:isset = false && @request.body.topic:isset = false && @request.body.author:isset = false")
		posts.Fields.Add(
			&core.RelationField{Name: "topic", CollectionId: topics.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			&core.RelationField{Name: "author", CollectionId: users.Id, MaxSelect: 1, Required: true},
			&core.TextField{Name: "body", Required: true, Max: 20000},
			&core.BoolField{Name: "staff"},
			&core.BoolField{Name: "official"},
			&core.BoolField{Name: "hidden"},
			&core.AutodateField{Name: "created", OnCreate: true},
			&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
		)
		posts.AddIndex("idx_forum_posts_topic", false, "topic, created", "")
		if err := app.Save(posts); err != nil {
			return err
		}

		metoo := core.NewBaseCollection("forum_metoos", "forum_metoos001")
		metoo.Fields.Add(
			&core.RelationField{Name: "topic", CollectionId: topics.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			&core.RelationField{Name: "member", CollectionId: users.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			&core.AutodateField{Name: "created", OnCreate: true},
		)
		metoo.AddIndex("idx_forum_metoos_one", true, "topic, member", "")
		metoo.AddIndex("idx_forum_metoos_recent", false, "topic, created", "")
		return app.Save(metoo)
	}, func(app core.App) error {
		return deleteCollections(app, "forum_metoos", "forum_posts", "forum_topics", "forum_boards")
	})
}
