package sales

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/modules/internal/sheet"
)

// ConsoleChannel is the live channel of a sale's staff console.
func ConsoleChannel(saleID string) string { return "sale-console:" + saleID }

// ConsolePage is the staff's live view of a sale.
type ConsolePage struct {
	Sale     SaleView
	Counters Counters
	Reasons  []string
	Error    string
	Add      string // what staff typed, kept when refused
}

// consoleFigures are what the console channel carries.
func consoleFigures(c Counters, perSecond int64) map[string]any {
	rej := map[string]any{}
	for k, v := range c.Rejected {
		rej[k] = v
	}
	return map[string]any{"reserved": c.Reserved, "remaining": c.Remaining, "sold": c.Sold, "stock": c.Stock,
		"attempts": c.Attempts, "per_second": perSecond, "rejected": rej}
}

func (m *Module) console(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	v, err := m.View(id, m.deps.Now())
	if err != nil {
		return m.deps.UI.Error(e, http.StatusNotFound, "sales.err_unknown_sale")
	}
	c, _ := m.engine.Counters(id)
	return m.deps.UI.Render(e, http.StatusOK, "sales/console", ConsolePage{Sale: v, Counters: c, Reasons: ReasonNames[:]})
}

// addStock adds units to a sale while it runs (the form of the console). A
// refused change shows the console again with the reason and what was
// typed; a failure of ours is a logged 500.
func (m *Module) addStock(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	typed := e.Request.FormValue("add")
	add, err := strconv.Atoi(strings.TrimSpace(typed))
	if err != nil || add == 0 {
		err = ErrBadStock
	} else {
		err = m.AddStock(id, e.Auth.Id, add)
	}
	if err != nil {
		p, ok := problems.Explain(err)
		if !ok {
			return err
		}
		v, verr := m.View(id, m.deps.Now())
		if verr != nil {
			return show(verr)
		}
		c, _ := m.engine.Counters(id)
		return m.deps.UI.Render(e, p.Status, "sales/console", ConsolePage{Sale: v, Counters: c, Reasons: ReasonNames[:], Error: p.Key, Add: typed})
	}
	m.deps.UI.Flash(e, "sales.console.stock_ok")
	return e.Redirect(http.StatusSeeOther, "/sales/"+id+"/console")
}

// ErrBadStock is a stock change that is no number of units, or would take
// the stock below zero or below the units already sold.
var ErrBadStock = errors.New("sales: stock below zero or below the units sold")

// AddStock changes a sale's stock by add units (negative takes back unsold
// ones) and logs it. The engine follows through the record hooks.
func (m *Module) AddStock(saleID, actor string, add int) error {
	return m.app.RunInTransaction(func(tx core.App) error {
		rec, err := tx.FindRecordById(Sales, saleID)
		if err != nil {
			return ErrUnknownSale
		}
		before := rec.GetInt("stock")
		if c, ok := m.engine.Counters(saleID); before+add < 0 || ok && int64(before+add) < c.Sold {
			return ErrBadStock
		}
		rec.Set("stock", before+add)
		if err := tx.Save(rec); err != nil {
			return err
		}
		return audit(tx, "stock.changed", actor, saleID, map[string]any{"from": before, "to": before + add}, m.deps.Now())
	})
}

func (m *Module) apiAddStock(e *core.RequestEvent) error {
	var body struct {
		Add int `json:"add"`
	}
	if err := e.BindBody(&body); err != nil || body.Add == 0 {
		return show(errBadBody)
	}
	if err := m.AddStock(e.Request.PathValue("id"), e.Auth.Id, body.Add); err != nil {
		return show(err)
	}
	v, err := m.View(e.Request.PathValue("id"), m.deps.Now())
	if err != nil {
		return show(err)
	}
	return e.JSON(http.StatusOK, v)
}

// exportOrders streams a sale's orders as CSV (staff).
func (m *Module) exportOrders(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	if _, ok := m.engine.Info(id); !ok {
		if _, err := e.App.FindRecordById(Sales, id); err != nil {
			return show(ErrUnknownSale)
		}
	}
	rows, err := e.App.DB().NewQuery(`SELECT o.id, o.created, o.status, o.quantity, o.amount_cents, o.member, u.name, u.email, o.fcode, o.paid
		FROM sales_orders o LEFT JOIN users u ON u.id = o.member WHERE o.sale = {:s} ORDER BY o.created, o.id`).
		Bind(dbx.Params{"s": id}).Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	h := e.Response.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="orders-%s-%s.csv"`, id, m.deps.Now().UTC().Format("20060102-1504")))
	w := sheet.NewWriter(e.Response)
	_ = w.Write("order", "created", "status", "quantity", "amount_cents", "member", "name", "email", "fcode", "paid")
	for rows.Next() {
		var rec [10]string
		var q, amount int64
		if err := rows.Scan(&rec[0], &rec[1], &rec[2], &q, &amount, &rec[5], &rec[6], &rec[7], &rec[8], &rec[9]); err != nil {
			return err
		}
		rec[3], rec[4] = strconv.FormatInt(q, 10), strconv.FormatInt(amount, 10)
		if err := w.Write(rec[:]...); err != nil {
			return err
		}
	}
	return w.Flush()
}

// show returns err as the problem a member sees (a bad F-code batch with
// what was wrong in data.detail, for the integrator who sent it).
func show(err error) error {
	p, ok := problems.Explain(err)
	if !ok {
		return err
	}
	if errors.Is(err, ErrBadBatch) {
		p.Detail = err.Error()
	}
	return p
}

// rates turns the engine's attempt counter into attempts per second for the
// console, one sample per publication.
type rates struct {
	last map[string]sample
}

type sample struct {
	attempts int64
	at       time.Time
}

func (r *rates) perSecond(id string, attempts int64, now time.Time) int64 {
	if r.last == nil {
		r.last = map[string]sample{}
	}
	prev, ok := r.last[id]
	r.last[id] = sample{attempts, now}
	if !ok || !now.After(prev.at) {
		return 0
	}
	return int64(float64(attempts-prev.attempts) / now.Sub(prev.at).Seconds())
}
