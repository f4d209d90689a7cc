package sales

import (
	"context"
	"time"
)

// seller decides a sale's reservations and purchases for the sale API and
// pages. `serve` alone sells through the Engine (memory, then SQLite); on
// the cluster every process sells through an Edge (stock leases, JetStream):
// see docs/cluster.md.
type seller interface {
	Info(id string) (SaleInfo, bool)
	Counters(id string) (Counters, bool)
	// Reserved returns member's reservation number (0: none).
	Reserved(saleID, member string) int64
	Reserve(ctx context.Context, saleID, member, answer string, now time.Time) (Reservation, bool, error)
	Buy(ctx context.Context, req BuyRequest) (Order, bool, error)
}

var _ seller = (*Engine)(nil)
