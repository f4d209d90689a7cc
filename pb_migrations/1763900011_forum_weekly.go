package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Every Monday the forum keeps the "top needs of week N": a public, frozen
// copy of the hot ranking.
func init() {
	m.Register(func(app core.App) error {
		c := core.NewBaseCollection("forum_weekly", "forum_weekly001")
		c.ListRule = types.Pointer("")
		c.ViewRule = types.Pointer("")
		c.Fields.Add(
			&core.TextField{Name: "week", Required: true, Pattern: `^\d{4}-W\d{2}$`},
			&core.JSONField{Name: "items", MaxSize: 64 << 10},
			&core.AutodateField{Name: "created", OnCreate: true},
		)
		c.AddIndex("idx_forum_weekly_week", true, "week", "")
		return app.Save(c)
	}, func(app core.App) error {
		return deleteCollections(app, "forum_weekly")
	})
}
