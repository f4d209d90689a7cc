package belonging

import (
	"fmt"
	"testing"

	"github.com/pocketbase/dbx"

	"github.com/canyu/canyu/hooks"
)

// BenchmarkPaid is the module's cost of one paid order, as the sale.paid
// event brings it: the act, its points, the first-purchase badge and VIP
// (each buyer's first), without HTTP:
// go test -run X -bench Paid ./modules/belonging
func BenchmarkPaid(b *testing.B) {
	e := newEnv(b)
	for i := range b.N { // straight in SQL: bcrypt would dwarf the ledger
		id := fmt.Sprintf("bm%013d", i)
		if _, err := e.app.DB().NewQuery("INSERT INTO users (id, email, password, tokenKey, verified, name) VALUES ({:id}, {:e}, 'x', {:id}, 1, 'M')").
			Bind(dbx.Params{"id": id, "e": id + "@x.io"}).Execute(); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := range b.N {
		if err := e.events.SalePaid.Trigger(&hooks.SaleEvent{App: e.app, Sale: "s", Member: fmt.Sprintf("bm%013d", i), Order: fmt.Sprintf("o%d", i), Quantity: 1}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	var n int
	_ = e.app.DB().NewQuery("SELECT COUNT(*) FROM " + Ledger).Row(&n)
	if n != b.N {
		b.Fatalf("%d ledger entries for %d orders", n, b.N)
	}
}
