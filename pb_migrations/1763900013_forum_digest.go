package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Members who opted in to the weekly email digest of the forum.
func init() {
	m.Register(func(app core.App) error {
		users, err := app.FindCollectionByNameOrId("users")
		if err != nil {
			return err
		}
		c := core.NewBaseCollection("forum_digest", "forum_digest001")
		c.ListRule = types.Pointer("member = @request.auth.id")
		c.ViewRule = types.Pointer("member = @request.auth.id")
		c.Fields.Add(
			&core.RelationField{Name: "member", CollectionId: users.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			&core.DateField{Name: "last_sent"},
			&core.AutodateField{Name: "created", OnCreate: true},
		)
		c.AddIndex("idx_forum_digest_member", true, "member", "")
		return app.Save(c)
	}, func(app core.App) error {
		return deleteCollections(app, "forum_digest")
	})
}
