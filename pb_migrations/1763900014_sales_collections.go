package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Red Tuesday: products, sales, reservations and orders. Staff define
// products and sales in the dashboard; reservations and orders are written
// only by the sales engine (no create rule), which keeps them consistent with
// its in-memory counters. Members read their own.
func init() {
	m.Register(func(app core.App) error {
		users, err := app.FindCollectionByNameOrId("users")
		if err != nil {
			return err
		}
		staff := "@request.auth.roles ~ 'staff'"

		p := core.NewBaseCollection("sales_products", "sales_products1")
		p.ListRule = types.Pointer("")
		p.ViewRule = types.Pointer("")
		p.CreateRule = types.Pointer(staff)
		p.UpdateRule = types.Pointer(staff)
		p.Fields.Add(
			&core.TextField{Name: "name", Required: true, Max: 120},
			&core.TextField{Name: "description", Max: 20000},
			&core.NumberField{Name: "price_cents", OnlyInt: true, Min: types.Pointer(0.0)},
			&core.TextField{Name: "currency", Max: 3, Pattern: `^[A-Z]{3}$`},
			&core.FileField{Name: "images", MaxSelect: 6, MaxSize: 5 << 20, MimeTypes: []string{"image/png", "image/jpeg", "image/webp"}},
			&core.DateField{Name: "launch_date"},
			&core.AutodateField{Name: "created", OnCreate: true},
			&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
		)
		if err := app.Save(p); err != nil {
			return err
		}

		s := core.NewBaseCollection("sales_sales", "sales_sales0001")
		s.ListRule = types.Pointer("published = true || " + staff)
		s.ViewRule = types.Pointer("published = true || " + staff)
		s.CreateRule = types.Pointer(staff)
		s.UpdateRule = types.Pointer(staff)
		s.Fields.Add(
			&core.RelationField{Name: "product", CollectionId: p.Id, MaxSelect: 1, Required: true},
			&core.TextField{Name: "title", Required: true, Max: 120},
			&core.BoolField{Name: "published"},
			&core.DateField{Name: "reserve_opens", Required: true},
			&core.DateField{Name: "reserve_closes", Required: true},
			&core.DateField{Name: "starts", Required: true},
			&core.DateField{Name: "ends", Required: true},
			&core.NumberField{Name: "stock", OnlyInt: true, Min: types.Pointer(0.0), Required: true},
			&core.NumberField{Name: "per_member", OnlyInt: true, Min: types.Pointer(1.0), Max: types.Pointer(10.0)},
			&core.NumberField{Name: "min_account_days", OnlyInt: true, Min: types.Pointer(0.0)},
			&core.BoolField{Name: "staff_only"},
			&core.TextField{Name: "question", Max: 200},
			&core.JSONField{Name: "choices", MaxSize: 4000},
			&core.AutodateField{Name: "created", OnCreate: true},
			&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
		)
		s.AddIndex("idx_sales_sales_starts", false, "starts", "")
		if err := app.Save(s); err != nil {
			return err
		}

		r := core.NewBaseCollection("sales_reservations", "sales_reserve01")
		r.ListRule = types.Pointer("member = @request.auth.id || " + staff)
		r.ViewRule = types.Pointer("member = @request.auth.id || " + staff)
		r.Fields.Add(
			&core.RelationField{Name: "sale", CollectionId: s.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			&core.RelationField{Name: "member", CollectionId: users.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			&core.NumberField{Name: "number", OnlyInt: true, Required: true},
			&core.TextField{Name: "answer", Max: 60},
			&core.DateField{Name: "created"},
		)
		r.AddIndex("idx_sales_reservations_member", true, "sale, member", "")
		r.AddIndex("idx_sales_reservations_number", true, "sale, number", "")
		if err := app.Save(r); err != nil {
			return err
		}

		o := core.NewBaseCollection("sales_orders", "sales_orders001")
		o.ListRule = types.Pointer("member = @request.auth.id || " + staff)
		o.ViewRule = types.Pointer("member = @request.auth.id || " + staff)
		o.Fields.Add(
			&core.RelationField{Name: "sale", CollectionId: s.Id, MaxSelect: 1, Required: true},
			&core.RelationField{Name: "member", CollectionId: users.Id, MaxSelect: 1, Required: true},
			&core.NumberField{Name: "quantity", OnlyInt: true, Min: types.Pointer(1.0), Required: true},
			&core.NumberField{Name: "amount_cents", OnlyInt: true, Min: types.Pointer(0.0)},
			&core.SelectField{Name: "status", MaxSelect: 1, Required: true, Values: []string{"pending", "paid", "cancelled", "expired"}},
			&core.TextField{Name: "idem_key", Max: 64, Hidden: true},
			&core.TextField{Name: "body_hash", Max: 64, Hidden: true},
			&core.TextField{Name: "fcode", Max: 32},
			&core.DateField{Name: "created"},
			&core.DateField{Name: "expires"},
			&core.DateField{Name: "paid"},
		)
		o.AddIndex("idx_sales_orders_member", false, "sale, member", "")
		o.AddIndex("idx_sales_orders_key", true, "member, idem_key", "idem_key != ''")
		o.AddIndex("idx_sales_orders_expires", false, "status, expires", "")
		return app.Save(o)
	}, func(app core.App) error {
		return deleteCollections(app, "sales_orders", "sales_reservations", "sales_sales", "sales_products")
	})
}
