package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// F-codes (priority purchase codes) and the sales audit log. Staff issue
// codes in batches through /api/sales/fcodes; a code is redeemed with the
// order it pays for, in the same transaction. Both are read-only in the
// dashboard for staff: every change goes through the engine and is logged.
func init() {
	m.Register(func(app core.App) error {
		users, err := app.FindCollectionByNameOrId("users")
		if err != nil {
			return err
		}
		sales, err := app.FindCollectionByNameOrId("sales_sales")
		if err != nil {
			return err
		}
		products, err := app.FindCollectionByNameOrId("sales_products")
		if err != nil {
			return err
		}
		staff := "@request.auth.roles ~ 'staff'"

		f := core.NewBaseCollection("sales_fcodes", "sales_fcodes001")
		f.ListRule = types.Pointer(staff)
		f.ViewRule = types.Pointer(staff)
		f.Fields.Add(
			&core.TextField{Name: "code", Required: true, Max: 32},
			&core.TextField{Name: "batch", Max: 60},
			&core.RelationField{Name: "sale", CollectionId: sales.Id, MaxSelect: 1},
			&core.RelationField{Name: "product", CollectionId: products.Id, MaxSelect: 1},
			&core.TextField{Name: "holder", Max: 120},
			&core.DateField{Name: "expires", Required: true},
			&core.RelationField{Name: "issued_by", CollectionId: users.Id, MaxSelect: 1},
			&core.RelationField{Name: "redeemed_by", CollectionId: users.Id, MaxSelect: 1},
			&core.DateField{Name: "redeemed"},
			&core.TextField{Name: "order", Max: 15},
			&core.DateField{Name: "created"},
		)
		f.AddIndex("idx_sales_fcodes_code", true, "code", "")
		f.AddIndex("idx_sales_fcodes_batch", false, "batch", "")
		if err := app.Save(f); err != nil {
			return err
		}

		a := core.NewBaseCollection("sales_audit", "sales_audit0001")
		a.ListRule = types.Pointer(staff)
		a.ViewRule = types.Pointer(staff)
		a.Fields.Add(
			&core.TextField{Name: "action", Required: true, Max: 40},
			&core.RelationField{Name: "actor", CollectionId: users.Id, MaxSelect: 1},
			&core.TextField{Name: "subject", Max: 60},
			&core.JSONField{Name: "details", MaxSize: 20000},
			&core.DateField{Name: "created"},
		)
		a.AddIndex("idx_sales_audit_created", false, "created", "")
		return app.Save(a)
	}, func(app core.App) error {
		return deleteCollections(app, "sales_audit", "sales_fcodes")
	})
}
