// Command belongingbench measures the points ledger under a burst: staff (or
// a payment provider's webhook) marking a sale's 10,000 orders paid, each
// paid order paying its buyer points and making them VIP through the
// sale.paid event. bench/belonging.sh runs it all:
//
//	belongingbench -role setup -dir D -orders N
//	belongingbench -role pay -dir D -addr 127.0.0.1:PORT -conns 8
//	belongingbench -role verify -dir D
//
// Everything targets loopback and stops by itself.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"github.com/canyu/canyu/bench/internal/benchdata"
	"github.com/canyu/canyu/bench/internal/cpustat"
	"github.com/canyu/canyu/bench/internal/loadgen"
	_ "github.com/canyu/canyu/pb_migrations"
)

// payAddr is the payment provider's (or the staff's office) address, which
// an admin excludes from PocketBase's budget per address in the dashboard.
const payAddr = "127.0.0.251"

// plan is what setup leaves for the other roles (plan.json in the data dir).
type plan struct {
	Orders int `json:"orders"`
	Staff  int `json:"staff"`
}

func orderID(i int) string { return fmt.Sprintf("bo%013d", i) }

func main() {
	role := flag.String("role", "", "setup, pay or verify")
	dir := flag.String("dir", "", "data directory")
	addr := flag.String("addr", "127.0.0.1:18590", "server address (loopback only)")
	orders := flag.Int("orders", 10000, "setup: paid orders, one per member")
	conns := flag.Int("conns", 8, "pay: connections marking orders paid at once")
	flag.Parse()
	if !strings.HasPrefix(*addr, "127.") && !strings.HasPrefix(*addr, "localhost:") {
		log.Fatal("belongingbench only targets loopback addresses")
	}
	if *dir == "" {
		log.Fatal("-dir is required")
	}
	switch *role {
	case "setup":
		if err := setup(*dir, *orders); err != nil {
			log.Fatal(err)
		}
	case "pay":
		pay(benchdata.ReadPlan[plan](*dir), benchdata.ReadTokens(*dir), *addr, *conns)
	case "verify":
		if err := verify(*dir, benchdata.ReadPlan[plan](*dir)); err != nil {
			log.Fatal(err)
		}
	default:
		log.Fatalf("unknown role %q", *role)
	}
}

func open(dir string) (*core.BaseApp, error) {
	app := core.NewBaseApp(core.BaseAppConfig{DataDir: dir})
	if err := app.Bootstrap(); err != nil {
		return nil, err
	}
	return app, app.RunAllMigrations()
}

// setup: n members and a staff member, a sale that ended yesterday, and one
// pending order per member.
func setup(dir string, n int) error {
	app, err := open(dir)
	if err != nil {
		return err
	}
	defer app.ResetBootstrapState()
	start := time.Now()
	if err := benchdata.Members(app, dir, n+1); err != nil {
		return err
	}
	if _, err := app.DB().NewQuery(`UPDATE users SET roles = '["staff"]' WHERE id = {:id}`).Bind(dbx.Params{"id": benchdata.MemberID(n)}).Execute(); err != nil {
		return err
	}
	settings := app.Settings()
	settings.RateLimits.ExcludedIPs = []string{payAddr}
	if err := app.Save(settings); err != nil {
		return err
	}
	prods, _ := app.FindCollectionByNameOrId("sales_products")
	p := core.NewRecord(prods)
	p.Load(map[string]any{"name": "Orange 15", "price_cents": 199900, "currency": "CNY"})
	if err := app.Save(p); err != nil {
		return err
	}
	sales, _ := app.FindCollectionByNameOrId("sales_sales")
	s := core.NewRecord(sales)
	day := time.Now().Add(-48 * time.Hour)
	s.Load(map[string]any{"product": p.Id, "title": "Red Tuesday", "published": true, "reserve_opens": day.Add(-time.Hour), "reserve_closes": day,
		"starts": day, "ends": day.Add(time.Hour), "stock": n, "per_member": 1})
	if err := app.Save(s); err != nil {
		return err
	}
	now := types.NowDateTime().String()
	later := types.NowDateTime().Add(24 * time.Hour).String()
	err = benchdata.Bulk(app, "INSERT INTO sales_orders (id, sale, member, quantity, amount_cents, status, idem_key, body_hash, fcode, created, expires, paid) VALUES (?, ?, ?, 1, 199900, 'pending', ?, '', '', ?, ?, '')",
		n, func(i int) []any { return []any{orderID(i), s.Id, benchdata.MemberID(i), orderID(i), now, later} })
	if err != nil {
		return err
	}
	if err := benchdata.WritePlan(dir, plan{Orders: n, Staff: n}); err != nil {
		return err
	}
	fmt.Printf("setup: %d members with a pending order each, in %s\n", n, time.Since(start).Round(time.Millisecond))
	return nil
}

// pay marks every order paid, conns at a time: each answer comes after the
// order's transaction and its sale.paid handlers (the points, the VIP) ran.
func pay(p plan, tokens []string, addr string, conns int) {
	cs := make([]*loadgen.Conn, conns)
	for i := range cs {
		c, err := loadgen.DialFrom(addr, &net.TCPAddr{IP: net.ParseIP(payAddr)})
		if err != nil {
			log.Fatal(err)
		}
		cs[i] = c
	}
	staff := tokens[p.Staff]
	var once sync.Once
	cpu0 := cpustat.Read()
	res := loadgen.Run(cs, func() bool { return false }, func(n int64, c *loadgen.Conn, r *loadgen.Recorder, start time.Time) bool {
		if n >= int64(p.Orders) {
			return false
		}
		b, status := loadgen.Timed(c, r, start, "POST", "/api/sales/orders/"+orderID(int(n))+"/paid", staff, nil, nil)
		if status != 200 {
			once.Do(func() { fmt.Printf("  first refusal: %d %s\n", status, b) })
		}
		return status != 0
	})
	res.Print(fmt.Sprintf("orders marked paid, each paying points and VIP (%d connections)", conns))
	loadgen.PrintMachine(cpu0)
}

// verify: every paid order paid its buyer once, the balances are the
// ledger's sums, every buyer is VIP.
func verify(dir string, p plan) error {
	app, err := open(dir)
	if err != nil {
		return err
	}
	defer app.ResetBootstrapState()
	var paid, entries, sources, vips, bad int
	var ledger, balances int64
	q := func(sql string, into ...any) {
		if err == nil {
			err = app.DB().NewQuery(sql).Row(into...)
		}
	}
	q("SELECT COUNT(*) FROM sales_orders WHERE status = 'paid'", &paid)
	q("SELECT COUNT(*), COUNT(DISTINCT source) FROM belonging_ledger WHERE reason = 'purchase'", &entries, &sources)
	q("SELECT COALESCE(SUM(amount), 0) FROM belonging_ledger", &ledger)
	q("SELECT COALESCE(SUM(points), 0) FROM belonging_balances", &balances)
	q("SELECT COUNT(*) FROM belonging_members WHERE vip != ''", &vips)
	q(`SELECT COUNT(*) FROM belonging_balances b WHERE b.points != (SELECT SUM(amount) FROM belonging_ledger l WHERE l.member = b.member) OR b.points < 0`, &bad)
	if err != nil {
		return err
	}
	fmt.Printf("verify: %d orders paid, %d purchase entries (%d sources), ledger %d = balances %d, %d VIPs, %d balances off\n",
		paid, entries, sources, ledger, balances, vips, bad)
	if paid != p.Orders || entries != paid || sources != entries || ledger != balances || vips != paid || bad != 0 {
		return fmt.Errorf("verify: the ledger does not account for the paid orders")
	}
	return nil
}
