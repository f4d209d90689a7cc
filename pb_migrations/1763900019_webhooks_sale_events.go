package pb_migrations

import (
	"slices"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Webhook endpoints can subscribe to the sale events by name (before, only
// "*" carried them).
func init() {
	saleEvents := []string{"sale.reserved", "sale.ordered"}
	m.Register(func(app core.App) error {
		ep, err := app.FindCollectionByNameOrId("webhooks_endpoints")
		if err != nil {
			return err
		}
		if f, ok := ep.Fields.GetByName("events").(*core.SelectField); ok {
			f.Values = append(f.Values, saleEvents...)
			f.MaxSelect = len(f.Values)
		}
		return app.Save(ep)
	}, func(app core.App) error {
		ep, err := app.FindCollectionByNameOrId("webhooks_endpoints")
		if err != nil {
			return err
		}
		if f, ok := ep.Fields.GetByName("events").(*core.SelectField); ok {
			f.Values = slices.DeleteFunc(f.Values, func(v string) bool { return slices.Contains(saleEvents, v) })
			f.MaxSelect = len(f.Values)
		}
		return app.Save(ep)
	})
}
