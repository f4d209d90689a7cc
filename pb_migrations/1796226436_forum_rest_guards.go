package pb_migrations

import (
	"strings"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// The forum's generic REST API: a reply a moderator hid, or one in a locked or
// hidden topic, is read-only to its author; the audit log also records what
// superusers change in the dashboard (admin: their email, no member actor).
func init() {
	const readOnly = " && hidden = false && topic.locked = false && topic.hidden = false"
	m.Register(func(app core.App) error {
		posts, err := app.FindCollectionByNameOrId("forum_posts")
		if err != nil {
			return err
		}
		posts.UpdateRule = types.Pointer(*posts.UpdateRule + readOnly)
		if err := app.Save(posts); err != nil {
			return err
		}
		audit, err := app.FindCollectionByNameOrId("forum_audit")
		if err != nil {
			return err
		}
		if f, ok := audit.Fields.GetByName("actor").(*core.RelationField); ok {
			f.Required = false
		}
		audit.Fields.Add(&core.TextField{Name: "admin", Max: 200})
		return app.Save(audit)
	}, func(app core.App) error {
		posts, err := app.FindCollectionByNameOrId("forum_posts")
		if err != nil {
			return err
		}
		posts.UpdateRule = types.Pointer(strings.TrimSuffix(*posts.UpdateRule, readOnly))
		if err := app.Save(posts); err != nil {
			return err
		}
		audit, err := app.FindCollectionByNameOrId("forum_audit")
		if err != nil {
			return err
		}
		if _, err := app.DB().NewQuery("DELETE FROM forum_audit WHERE actor = ''").Execute(); err != nil {
			return err
		}
		if f, ok := audit.Fields.GetByName("actor").(*core.RelationField); ok {
			f.Required = true
		}
		audit.Fields.RemoveByName("admin")
		return app.Save(audit)
	})
}
