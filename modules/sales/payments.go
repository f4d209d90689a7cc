package sales

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/hooks"
)

// ErrNotPending is a payment for an order that no longer awaits one.
var ErrNotPending = errors.New("sales: order not awaiting payment")

// PaymentProvider takes payment for orders. A provider that sends members
// to a payment page returns its address from Checkout and, when the payment
// lands, calls Module.MarkPaid (from its webhook route).
type PaymentProvider interface {
	// Name is shown to staff.
	Name() string
	// Checkout returns where to send the member to pay for o, or "" when
	// payment happens out of band.
	Checkout(ctx context.Context, o Order) (string, error)
}

// ManualPayments is the default provider: members pay as the brand tells
// them (bank transfer, at the store), and staff mark orders paid.
type ManualPayments struct{}

// Name returns "manual".
func (ManualPayments) Name() string { return "manual" }

// Checkout returns "": there is no payment page.
func (ManualPayments) Checkout(context.Context, Order) (string, error) { return "", nil }

// MarkPaid records that order id was paid; an unpaid order that expired or
// was cancelled can no longer be paid (its units may have been sold again).
func (m *Module) MarkPaid(id, actor string) error {
	now := m.deps.Now()
	return m.app.RunInTransaction(func(tx core.App) error {
		res, err := tx.DB().NewQuery("UPDATE " + Orders + " SET status = 'paid', paid = {:now} WHERE id = {:id} AND status = 'pending'").
			Bind(dbx.Params{"id": id, "now": dbTime(now)}).Execute()
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return fmt.Errorf("%w: %s", ErrNotPending, id)
		}
		if err := audit(tx, "order.paid", actor, id, map[string]any{"provider": m.payments.Name()}, now); err != nil {
			return err
		}
		return m.paid(tx, id)
	})
}

// paid fires SalePaid for order id once tx commits: the purchase is
// verified.
func (m *Module) paid(tx core.App, id string) error {
	var o struct {
		Sale     string `db:"sale"`
		Product  string `db:"product"`
		Member   string `db:"member"`
		Quantity int    `db:"quantity"`
		Amount   int64  `db:"amount_cents"`
		FCode    string `db:"fcode"`
	}
	err := tx.DB().NewQuery("SELECT o.sale, s.product, o.member, o.quantity, o.amount_cents, COALESCE(o.fcode, '') AS fcode FROM " + Orders +
		" o JOIN " + Sales + " s ON s.id = o.sale WHERE o.id = {:id}").Bind(dbx.Params{"id": id}).One(&o)
	if err != nil {
		return err
	}
	hooks.TriggerAfterCommit(tx, m.deps.Events.SalePaid, &hooks.SaleEvent{App: m.app, Sale: o.Sale, Product: o.Product, Member: o.Member,
		Order: id, Quantity: o.Quantity, AmountCents: o.Amount, FCode: o.FCode != ""})
	return nil
}

func (m *Module) apiMarkPaid(e *core.RequestEvent) error {
	if err := m.MarkPaid(e.Request.PathValue("id"), e.Auth.Id); err != nil {
		return show(err)
	}
	return e.JSON(http.StatusOK, map[string]any{"id": e.Request.PathValue("id"), "status": "paid"})
}
