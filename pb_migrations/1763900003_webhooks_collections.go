package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Outbound webhooks: endpoints an admin registers in the dashboard and the
// log of every delivery. Superusers only (all rules nil).
func init() {
	m.Register(func(app core.App) error {
		ep := core.NewBaseCollection("webhooks_endpoints", "webhooks_endp01")
		ep.Fields.Add(
			&core.URLField{Name: "url", Required: true},
			&core.SelectField{Name: "events", Required: true, MaxSelect: 3,
				Values: []string{"*", "member.signed_up", "phone.bound"}},
			&core.TextField{Name: "secret", Required: true, Min: 16, Max: 200, Hidden: true,
				AutogeneratePattern: "[a-zA-Z0-9]{40}"},
			&core.BoolField{Name: "active"},
			&core.TextField{Name: "description", Max: 200},
			&core.AutodateField{Name: "created", OnCreate: true},
			&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
		)
		if err := app.Save(ep); err != nil {
			return err
		}
		d := core.NewBaseCollection("webhooks_deliveries", "webhooks_deli01")
		d.Fields.Add(
			&core.RelationField{Name: "endpoint", CollectionId: ep.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			&core.TextField{Name: "event", Required: true, Max: 64},
			&core.JSONField{Name: "payload", MaxSize: 1 << 20},
			&core.SelectField{Name: "status", Required: true, MaxSelect: 1, Values: []string{"pending", "delivered", "failed"}},
			&core.NumberField{Name: "attempts", OnlyInt: true},
			&core.DateField{Name: "next_attempt"},
			&core.DateField{Name: "last_attempt"},
			&core.NumberField{Name: "last_status", OnlyInt: true},
			&core.TextField{Name: "last_error", Max: 1000},
			&core.TextField{Name: "response", Max: 1024},
			&core.TextField{Name: "replay_of", Max: 15},
			&core.AutodateField{Name: "created", OnCreate: true},
			&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
		)
		d.AddIndex("idx_webhooks_due", false, "status, next_attempt", "")
		return app.Save(d)
	}, func(app core.App) error {
		return deleteCollections(app, "webhooks_deliveries", "webhooks_endpoints")
	})
}
