package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Edit history and reactions of forum replies. An edit keeps the text it
// replaced (anyone who can read the reply can read its history); a reaction
// is one emoji per member per reply, held by a unique index.
func init() {
	m.Register(func(app core.App) error {
		users, err := app.FindCollectionByNameOrId("users")
		if err != nil {
			return err
		}
		posts, err := app.FindCollectionByNameOrId("forum_posts")
		if err != nil {
			return err
		}
		posts.Fields.Add(&core.DateField{Name: "edited"})
		if err := app.Save(posts); err != nil {
			return err
		}

		edits := core.NewBaseCollection("forum_post_edits", "forum_edits0001")
		edits.ListRule = types.Pointer("post.hidden = false && post.topic.hidden = false")
		edits.ViewRule = types.Pointer("post.hidden = false && post.topic.hidden = false")
		edits.Fields.Add(
			&core.RelationField{Name: "post", CollectionId: posts.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			&core.RelationField{Name: "editor", CollectionId: users.Id, MaxSelect: 1},
			&core.TextField{Name: "body", Max: 20000},
			&core.AutodateField{Name: "created", OnCreate: true},
		)
		edits.AddIndex("idx_forum_post_edits_post", false, "post, created", "")
		if err := app.Save(edits); err != nil {
			return err
		}

		r := core.NewBaseCollection("forum_reactions", "forum_reacts001")
		r.ListRule = types.Pointer("")
		r.ViewRule = types.Pointer("")
		r.Fields.Add(
			&core.RelationField{Name: "post", CollectionId: posts.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			&core.RelationField{Name: "member", CollectionId: users.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			&core.SelectField{Name: "emoji", MaxSelect: 1, Required: true, Values: []string{"up", "heart", "party", "laugh", "think", "eyes"}},
			&core.AutodateField{Name: "created", OnCreate: true},
		)
		r.AddIndex("idx_forum_reactions_one", true, "post, member, emoji", "")
		return app.Save(r)
	}, func(app core.App) error {
		if err := deleteCollections(app, "forum_reactions", "forum_post_edits"); err != nil {
			return err
		}
		posts, err := app.FindCollectionByNameOrId("forum_posts")
		if err != nil {
			return err
		}
		posts.Fields.RemoveByName("edited")
		return app.Save(posts)
	})
}
