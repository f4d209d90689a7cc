package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// One-time codes sent to bind a phone number. Only superusers may read them
// (all rules nil); the code itself is stored as a salted HMAC.
func init() {
	m.Register(func(app core.App) error {
		users, err := app.FindCollectionByNameOrId("users")
		if err != nil {
			return err
		}
		c := core.NewBaseCollection("members_phone_codes", "members_codes01")
		c.Fields.Add(
			&core.RelationField{Name: "member", CollectionId: users.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			&core.TextField{Name: "phone", Required: true, Max: 16},
			&core.TextField{Name: "ip", Max: 64},
			&core.TextField{Name: "salt", Required: true, Hidden: true},
			&core.TextField{Name: "code_hash", Required: true, Hidden: true},
			&core.DateField{Name: "sent", Required: true},
			&core.DateField{Name: "expires", Required: true},
			&core.NumberField{Name: "attempts", OnlyInt: true, Min: floatPtr(0)},
			&core.BoolField{Name: "used"},
			&core.AutodateField{Name: "created", OnCreate: true},
		)
		c.AddIndex("idx_members_codes_member", false, "member, sent", "")
		c.AddIndex("idx_members_codes_phone", false, "phone, sent", "")
		c.AddIndex("idx_members_codes_ip", false, "ip, sent", "")
		return app.Save(c)
	}, func(app core.App) error {
		return deleteCollections(app, "members_phone_codes")
	})
}

func floatPtr(f float64) *float64 { return &f }
