package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// An order sold at an edge names the stock lease it came from: the core
// gives a lease's unsold units back by counting what was sold from it
// (docs/cluster.md). Empty for orders sold by `serve` alone.
func init() {
	m.Register(func(app core.App) error {
		o, err := app.FindCollectionByNameOrId("sales_orders")
		if err != nil {
			return err
		}
		o.Fields.Add(&core.TextField{Name: "lease", Max: 40, Hidden: true})
		return app.Save(o)
	}, func(app core.App) error {
		o, err := app.FindCollectionByNameOrId("sales_orders")
		if err != nil {
			return err
		}
		o.Fields.RemoveByName("lease")
		return app.Save(o)
	})
}
