package main

import (
	"fmt"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"github.com/canyu/canyu/bench/internal/benchdata"
	_ "github.com/canyu/canyu/pb_migrations"
)

// setup creates the members (with verified phones), the sale and its
// reservations straight in SQL (bcrypt would take hours for this many), and
// writes every member's auth token to tokens.txt.
func setup(dir string, p *plan) error {
	app := core.NewBaseApp(core.BaseAppConfig{DataDir: dir})
	if err := app.Bootstrap(); err != nil {
		return err
	}
	defer app.ResetBootstrapState()
	if err := app.RunAllMigrations(); err != nil {
		return err
	}
	start := time.Now()
	if err := benchdata.Members(app, dir, p.Members); err != nil {
		return err
	}
	fmt.Printf("setup: %d members in %s\n", p.Members, time.Since(start).Round(time.Millisecond))
	var err error

	switch p.Kind {
	case "canyu", "trivial":
		err = setupCanyu(app, p)
	case "naive":
		err = setupNaive(app, p)
	default:
		err = fmt.Errorf("unknown kind %q", p.Kind)
	}
	if err != nil {
		return err
	}

	fmt.Printf("setup: done in %s\n", time.Since(start).Round(time.Millisecond))
	return nil
}

func setupCanyu(app core.App, p *plan) error {
	pc, _ := app.FindCollectionByNameOrId("sales_products")
	product := core.NewRecord(pc)
	product.Set("name", "Bench Phone")
	product.Set("price_cents", 199900)
	product.Set("currency", "CNY")
	if err := app.Save(product); err != nil {
		return err
	}
	sc, _ := app.FindCollectionByNameOrId("sales_sales")
	now := time.Now()
	newSale := func(title string, opens, closes, starts time.Time) (*core.Record, error) {
		s := core.NewRecord(sc)
		s.Set("product", product.Id)
		s.Set("title", title)
		s.Set("published", true)
		s.Set("reserve_opens", opens)
		s.Set("reserve_closes", closes)
		s.Set("starts", starts)
		s.Set("ends", starts.Add(time.Hour))
		s.Set("stock", p.Stock)
		s.Set("per_member", 1)
		return s, app.Save(s)
	}
	res, err := newSale("Reservations", now.Add(-time.Minute), now.Add(3*time.Hour), now.Add(4*time.Hour))
	if err != nil {
		return err
	}
	sale, err := newSale("Red Tuesday", now.Add(-2*time.Hour), now.Add(-time.Hour), p.Opens)
	if err != nil {
		return err
	}
	p.ReserveSale, p.BuySale = res.Id, sale.Id
	created := types.NowDateTime().String()
	return benchdata.Bulk(app, "INSERT INTO sales_reservations (id, sale, member, number, answer, created) VALUES (?, ?, ?, ?, '', ?)",
		p.Reserved, func(i int) []any {
			return []any{fmt.Sprintf("br%013d", i), sale.Id, benchdata.MemberID(i), i + 1, created}
		})
}

// setupNaive creates what a newcomer would: a products collection with a
// stock field, the reservations, and an orders collection members create
// through the REST API (the hook is in naiveServe).
func setupNaive(app core.App, p *plan) error {
	// PocketBase's defaults: Canyu's migrations switched the rate limiter on
	settings := app.Settings()
	settings.RateLimits.Enabled = false
	if err := app.Save(settings); err != nil {
		return err
	}
	users, _ := app.FindCollectionByNameOrId("users")
	products := core.NewBaseCollection("naive_products")
	products.ListRule = types.Pointer("")
	products.ViewRule = types.Pointer("")
	products.Fields.Add(&core.TextField{Name: "name"}, &core.NumberField{Name: "stock", OnlyInt: true}, &core.DateField{Name: "starts"})
	if err := app.Save(products); err != nil {
		return err
	}
	reservations := core.NewBaseCollection("naive_reservations")
	reservations.Fields.Add(&core.RelationField{Name: "member", CollectionId: users.Id, MaxSelect: 1},
		&core.RelationField{Name: "product", CollectionId: products.Id, MaxSelect: 1})
	reservations.AddIndex("idx_naive_reservations", true, "member, product", "")
	if err := app.Save(reservations); err != nil {
		return err
	}
	orders := core.NewBaseCollection("naive_orders")
	orders.CreateRule = types.Pointer("@request.auth.id != '' && member = @request.auth.id")
	orders.ViewRule = types.Pointer("member = @request.auth.id")
	orders.Fields.Add(&core.RelationField{Name: "member", CollectionId: users.Id, MaxSelect: 1, Required: true},
		&core.RelationField{Name: "product", CollectionId: products.Id, MaxSelect: 1, Required: true},
		&core.AutodateField{Name: "created", OnCreate: true})
	orders.AddIndex("idx_naive_orders", true, "member, product", "")
	if err := app.Save(orders); err != nil {
		return err
	}
	product := core.NewRecord(products)
	product.Set("name", "Bench Phone")
	product.Set("stock", p.Stock)
	product.Set("starts", p.Opens)
	if err := app.Save(product); err != nil {
		return err
	}
	p.BuySale = product.Id
	return benchdata.Bulk(app, "INSERT INTO naive_reservations (id, member, product) VALUES (?, ?, ?)",
		p.Reserved, func(i int) []any { return []any{fmt.Sprintf("br%013d", i), benchdata.MemberID(i), product.Id} })
}
