package sales

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkEdgeBuy is the order path at an edge without HTTP: a reserved
// member's first purchase takes a unit from the edge's lease, creates the
// member's claim in the buy bucket and appends the order to the stream
// before it answers (NATS with JetStream embedded in the core, on loopback).
// 64 purchases run at once; ns/op is wall time per order.
//
//	go test -run X -bench EdgeBuy -benchtime 5000x ./modules/sales
func BenchmarkEdgeBuy(b *testing.B) {
	ce := newClusterEnv(b, b.N, 1, 1, nil)
	edge, sale := ce.edges[0], ce.sale.Id
	ctx := context.Background()
	members := make([]string, b.N)
	for i := range members {
		members[i] = fmt.Sprintf("bench%010d", i)
		if _, _, err := edge.Reserve(ctx, sale, members[i], "", ce.clock.Now()); err != nil {
			b.Fatal(err)
		}
	}
	ce.clock.Advance(2*time.Hour + time.Minute) // the sale opens
	now := ce.clock.Now()
	var next, failed atomic.Int64
	b.SetParallelism(32) // 64 on two cores
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m := members[next.Add(1)-1]
			if _, _, err := edge.Buy(ctx, BuyRequest{Sale: sale, Member: m, Quantity: 1, Key: "k-" + m, Now: now}); err != nil {
				failed.Add(1)
			}
		}
	})
	b.StopTimer()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d of %d purchases refused (stock %d)", n, b.N, b.N)
	}
}
