package sales

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// Product is a product as pages show it.
type Product struct {
	ID, Name, Description, Image, Price string
}

// SaleCard is a sale in the list.
type SaleCard struct {
	Sale    SaleView
	Product Product
}

// IndexPage lists the sales.
type IndexPage struct {
	Sales []SaleCard
}

// SalePage is one sale.
type SalePage struct {
	Sale    SaleView
	Product Product
	// Reservation is the member's number (0: none).
	Reservation int64
	// Blocked is why the member cannot reserve (a catalog key), if so.
	Blocked string
	Bits    int
	Key     string // a fresh idempotency key for the buy form
	Orders  []OrderRow
	Error   string
	Staff   bool
	// Bought is how many units the member's live orders hold.
	Bought int
	// OG is what link previews show (a shared reservation shows its card).
	OG OpenGraph
}

// OpenGraph are the link-preview tags of a page.
type OpenGraph struct {
	Title, URL, Image string
}

// OrdersPage lists a member's orders.
type OrdersPage struct {
	Orders []OrderRow
}

// OrderRow is an order with its sale's title and where to pay it.
type OrderRow struct {
	OrderView
	Title  string
	PayURL string
}

func (m *Module) index(e *core.RequestEvent) error {
	recs, err := e.App.FindRecordsByFilter(Sales, "published = true", "-starts", 50, 0)
	if err != nil {
		return err
	}
	now := m.deps.Now()
	page := IndexPage{}
	for _, rec := range recs {
		v, err := m.View(rec.Id, now)
		if err != nil {
			continue // ended long ago: not loaded
		}
		page.Sales = append(page.Sales, SaleCard{Sale: v, Product: m.product(e.App, rec.GetString("product"))})
	}
	return m.deps.UI.Render(e, http.StatusOK, "sales/index", page)
}

// homeSales are the sales not yet over, soonest first, for the home page.
func (m *Module) homeSales(e *core.RequestEvent) (any, error) {
	recs, err := e.App.FindRecordsByFilter(Sales, "published = true && ends > {:now}", "starts", 3, 0,
		dbx.Params{"now": dbTime(m.deps.Now())})
	if err != nil {
		return nil, err
	}
	page := IndexPage{}
	for _, rec := range recs {
		if v, err := m.View(rec.Id, m.deps.Now()); err == nil && v.State != "sold_out" {
			page.Sales = append(page.Sales, SaleCard{Sale: v, Product: m.product(e.App, rec.GetString("product"))})
		}
	}
	return page, nil
}

func (m *Module) product(app core.App, id string) Product {
	p, err := app.FindRecordById(Products, id)
	if err != nil {
		return Product{}
	}
	img := ""
	if files := p.GetStringSlice("images"); len(files) > 0 {
		img = "/api/files/" + p.Collection().Id + "/" + p.Id + "/" + files[0]
	}
	return Product{ID: p.Id, Name: p.GetString("name"), Description: p.GetString("description"), Image: img,
		Price: Price(int64(p.GetInt("price_cents")), p.GetString("currency"))}
}

// Price formats an amount in cents with its currency's sign.
func Price(cents int64, currency string) string {
	sign := map[string]string{"CNY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "": "¥"}[currency]
	if sign == "" {
		sign = currency + " "
	}
	return fmt.Sprintf("%s%d.%02d", sign, cents/100, cents%100)
}

func (m *Module) saleData(e *core.RequestEvent, id string) (SalePage, error) {
	rec, err := e.App.FindRecordById(Sales, id)
	if err != nil || (!rec.GetBool("published") && !isStaff(e.Auth)) {
		return SalePage{}, ErrUnknownSale
	}
	now := m.deps.Now()
	v, err := m.View(id, now)
	if err != nil {
		return SalePage{}, err
	}
	page := SalePage{Sale: v, Product: m.product(e.App, rec.GetString("product")), Bits: m.challenges.Bits(), Key: newKey()}
	if e.Auth != nil {
		page.Staff = isStaff(e.Auth)
		page.Reservation = m.seller.Reserved(id, e.Auth.Id)
		if page.Reservation == 0 {
			info, _ := m.seller.Info(id)
			if err := eligible(buyerOf(e.Auth), info, now, m.hasPerk); err != nil {
				p, _ := problems.Explain(err)
				page.Blocked = p.Key
			}
		}
		orders, err := m.memberOrders(e.App, e.Auth.Id, id)
		if err != nil {
			return page, err
		}
		for _, o := range orders {
			page.Orders = append(page.Orders, m.orderRow(e, o, ""))
			if holdsStock(o.Status) {
				page.Bought += o.Quantity
			}
		}
	}
	return page, nil
}

func (m *Module) salePage(e *core.RequestEvent) error {
	page, err := m.saleData(e, e.Request.PathValue("id"))
	if errors.Is(err, ErrUnknownSale) {
		return m.deps.UI.Error(e, http.StatusNotFound, "sales.err_unknown_sale")
	}
	if err != nil {
		return err
	}
	base := strings.TrimRight(m.deps.PublicURL, "/")
	page.OG = OpenGraph{Title: page.Sale.Title + " · " + page.Product.Name, URL: base + "/sales/" + page.Sale.ID}
	if page.Product.Image != "" {
		page.OG.Image = base + page.Product.Image
	}
	if ref := e.Request.URL.Query().Get("ref"); ref != "" {
		if n := m.seller.Reserved(page.Sale.ID, ref); n != 0 {
			page.OG.Title = fmt.Sprintf("#%d · %s", n, page.OG.Title)
			page.OG.URL += "?ref=" + ref
			page.OG.Image = base + "/sales/" + page.Sale.ID + "/card/" + ref + ".png"
		}
	}
	return m.deps.UI.Render(e, http.StatusOK, "sales/sale", page)
}

// buyForm is the purchase for browsers without JavaScript: the page carries
// a fresh idempotency key, so a double submit buys once.
func (m *Module) buyForm(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	key := e.Request.FormValue("key")
	q, _ := strconv.Atoi(e.Request.FormValue("quantity"))
	if q == 0 {
		q = 1
	}
	fcode := e.Request.FormValue("fcode")
	req := BuyRequest{Sale: id, Member: e.Auth.Id, Quantity: q, Key: key, BodyHash: strconv.Itoa(q) + "/" + fcode, Now: m.deps.Now()}
	err := m.withFCode(&req, buyerOf(e.Auth), fcode, e.RealIP())
	if err == nil {
		var o Order
		var replay bool
		if o, replay, err = m.seller.Buy(e.Request.Context(), req); err == nil && !replay && m.cluster.Load() == nil {
			m.emitOrder(o) // on the cluster the core tells the order when it stores it
		}
	}
	if err == nil {
		m.deps.UI.Flash(e, "sales.ok.order")
		return e.Redirect(http.StatusSeeOther, "/sales/"+id)
	}
	p, ok := problems.Explain(err)
	if !ok {
		return err
	}
	page, perr := m.saleData(e, id)
	if perr != nil {
		return m.deps.UI.Error(e, http.StatusNotFound, "sales.err_unknown_sale")
	}
	page.Error = p.Key
	return m.deps.UI.Render(e, p.Status, "sales/sale", page)
}

// cancelForm cancels a member's own pending order; its stock returns.
func (m *Module) cancelForm(e *core.RequestEvent) error {
	o, err := m.CancelOrder(e.Request.PathValue("id"), e.Auth.Id)
	if errors.Is(err, sql.ErrNoRows) { // not theirs, or not pending any more
		return m.deps.UI.Error(e, http.StatusNotFound, "sales.err_order_not_found")
	} else if err != nil {
		return err
	}
	m.deps.UI.Flash(e, "sales.ok.cancelled")
	return e.Redirect(http.StatusSeeOther, "/sales/"+o.Sale)
}

// CancelOrder cancels member's pending order id and gives its stock back.
func (m *Module) CancelOrder(id, member string) (Order, error) {
	var row struct {
		Sale     string `db:"sale"`
		Quantity int    `db:"quantity"`
	}
	err := m.app.DB().NewQuery("UPDATE " + Orders + " SET status = 'cancelled' WHERE id = {:id} AND member = {:m} AND status = 'pending' RETURNING sale, quantity").
		Bind(dbx.Params{"id": id, "m": member}).One(&row)
	if err != nil {
		return Order{}, fmt.Errorf("sales: cancel %s: %w", id, err)
	}
	m.release(Order{ID: id, Sale: row.Sale, Member: member, Quantity: row.Quantity})
	return Order{ID: id, Sale: row.Sale, Member: member, Quantity: row.Quantity, Status: "cancelled"}, nil
}

func (m *Module) myOrders(e *core.RequestEvent) error {
	orders, err := m.memberOrders(e.App, e.Auth.Id, "")
	if err != nil {
		return err
	}
	page := OrdersPage{}
	titles := map[string]string{}
	for _, o := range orders {
		if _, ok := titles[o.Sale]; !ok {
			if s, err := e.App.FindRecordById(Sales, o.Sale); err == nil {
				titles[o.Sale] = s.GetString("title")
			}
		}
		page.Orders = append(page.Orders, m.orderRow(e, o, titles[o.Sale]))
	}
	return m.deps.UI.Render(e, http.StatusOK, "sales/orders", page)
}

func (m *Module) memberOrders(app core.App, member, sale string) ([]OrderView, error) {
	filter, params := "member = {:m}", dbx.Params{"m": member}
	if sale != "" {
		filter += " && sale = {:s}"
		params["s"] = sale
	}
	recs, err := app.FindRecordsByFilter(Orders, filter, "-created", 100, 0, params)
	if err != nil {
		return nil, err
	}
	out := make([]OrderView, len(recs))
	for i, r := range recs {
		out[i] = OrderView{ID: r.Id, Sale: r.GetString("sale"), Quantity: r.GetInt("quantity"), AmountCents: int64(r.GetInt("amount_cents")),
			Status: r.GetString("status"), Created: r.GetDateTime("created").Time(), Expires: r.GetDateTime("expires").Time()}
	}
	return out, nil
}

// orderRow adds where to pay a pending order.
func (m *Module) orderRow(e *core.RequestEvent, o OrderView, title string) OrderRow {
	row := OrderRow{OrderView: o, Title: title}
	if o.Status == "pending" {
		url, err := m.payments.Checkout(e.Request.Context(), Order{ID: o.ID, Sale: o.Sale, Member: e.Auth.Id, Quantity: o.Quantity,
			AmountCents: o.AmountCents, Status: o.Status, Created: o.Created, Expires: o.Expires})
		if err != nil {
			e.App.Logger().Error("sales: checkout", "order", o.ID, "provider", m.payments.Name(), "error", err)
		}
		row.PayURL = url
	}
	return row
}

func isStaff(rec *core.Record) bool {
	return rec != nil && buyerOf(rec).Staff
}

func newKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
