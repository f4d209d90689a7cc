package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/bench/internal/benchdata"
)

// verify checks the data a run left, with the server stopped: the integrity
// of the database, no oversell, nobody above the limit, no order from a
// member who did not reserve, and stock = initial - orders.
func verify(dir string, p plan, ackedFile string) error {
	app := core.NewBaseApp(core.BaseAppConfig{DataDir: dir})
	if err := app.Bootstrap(); err != nil {
		return err
	}
	defer app.ResetBootstrapState()
	var integrity string
	if err := app.DB().NewQuery("PRAGMA integrity_check").Row(&integrity); err != nil {
		return err
	}
	var orders, maxPer, unreserved, remaining int
	q := func(sql string, dst *int) error {
		return app.DB().NewQuery(sql).Bind(dbx.Params{"s": p.BuySale, "r": benchdata.MemberID(p.Reserved)}).Row(dst)
	}
	switch p.Kind {
	case "canyu":
		if err := q("SELECT COALESCE(SUM(quantity), 0) FROM sales_orders WHERE sale = {:s} AND status IN ('pending', 'paid')", &orders); err != nil {
			return err
		}
		if err := q("SELECT COALESCE(MAX(n), 0) FROM (SELECT SUM(quantity) AS n FROM sales_orders WHERE sale = {:s} GROUP BY member)", &maxPer); err != nil {
			return err
		}
		if err := q("SELECT COUNT(*) FROM sales_orders o WHERE sale = {:s} AND NOT EXISTS (SELECT 1 FROM sales_reservations r WHERE r.sale = o.sale AND r.member = o.member)", &unreserved); err != nil {
			return err
		}
		remaining = p.Stock - orders // what the engine rebuilds on start
	case "naive":
		if err := q("SELECT COUNT(*) FROM naive_orders WHERE product = {:s}", &orders); err != nil {
			return err
		}
		if err := q("SELECT COALESCE(MAX(n), 0) FROM (SELECT COUNT(*) AS n FROM naive_orders WHERE product = {:s} GROUP BY member)", &maxPer); err != nil {
			return err
		}
		if err := q("SELECT COUNT(*) FROM naive_orders o WHERE product = {:s} AND NOT EXISTS (SELECT 1 FROM naive_reservations r WHERE r.product = o.product AND r.member = o.member)", &unreserved); err != nil {
			return err
		}
		if err := q("SELECT stock FROM naive_products WHERE id = {:s}", &remaining); err != nil {
			return err
		}
	}
	missing := 0
	if ackedFile != "" {
		b, err := os.ReadFile(ackedFile)
		if err != nil {
			return err
		}
		table := map[string]string{"canyu": "sales_orders", "naive": "naive_orders"}[p.Kind]
		ids := strings.Fields(string(b))
		for _, id := range ids {
			var n int
			if err := app.DB().NewQuery("SELECT COUNT(*) FROM " + table + " WHERE id = {:id}").Bind(dbx.Params{"id": id}).Row(&n); err != nil {
				return err
			}
			if n != 1 {
				missing++
			}
		}
		fmt.Printf("verify: %d acknowledged orders, %d missing from the database\n", len(ids), missing)
	}
	fmt.Printf("verify: integrity_check=%s orders=%d stock=%d remaining=%d max-per-member=%d from-unreserved=%d\n",
		integrity, orders, p.Stock, remaining, maxPer, unreserved)
	if missing > 0 || integrity != "ok" || orders > p.Stock || remaining != p.Stock-orders || remaining < 0 || maxPer > 1 || unreserved != 0 {
		return fmt.Errorf("verify: FAILED")
	}
	fmt.Println("verify: ok")
	return nil
}
