// Package sales runs Red Tuesday: reservation-based flash sales that stay up,
// never oversell and never lose an acknowledged order.
//
// Decisions are made in memory by the Engine (atomic stock, the reserved
// members, per-member counts); every accepted reservation and order is
// committed durably by the Writer before the member hears "yes". The sale's
// JSON API runs on its own lean handler in front of PocketBase's router, so
// the hot path never reads the database: see docs/sales.md.
package sales

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/hooks"
	"github.com/canyu/canyu/modules/internal/card"
	"github.com/canyu/canyu/platform"
	"github.com/canyu/canyu/ui"
)

//go:embed templates/*.html locales static
var embedded embed.FS

// Collection names.
const (
	Products     = "sales_products"
	Sales        = "sales_sales"
	Reservations = "sales_reservations"
	Orders       = "sales_orders"
)

// Deps are what the module needs from the process.
type Deps struct {
	platform.Deps
	// Payments takes payment for orders; nil means ManualPayments.
	Payments PaymentProvider
}

// Module is the sales module.
type Module struct {
	cfg     Config
	deps    Deps
	app     core.App
	engine  *Engine
	seller  seller                      // engine alone; the Edge on the cluster
	cluster atomic.Pointer[clusterCore] // the core's side of the cluster's sale (nil: alone)
	// edgeProxy: this process is an edge, which hands what it does not
	// serve (the pages, F-code purchases) to the core
	edgeProxy  http.Handler
	auth       authenticator
	challenges *Challenges
	buyers     *buyers
	store      *lazyWriter
	cop        *http.CrossOriginProtection
	log        *slog.Logger
	realIP     func(*http.Request) string
	failBodies sync.Map // failKey -> encoded answer
	tickMu     sync.Mutex
	stopTicker chan struct{}
	published  map[string]Counters // what the ticker last published, per sale
	rates      rates
	payments   PaymentProvider
	fonts      *card.Fonts
	cards      card.Cache
	outbox     chan *hooks.SaleEvent
	outboxOnce sync.Once
	// the parsed budgets of cfg.Limits
	reserveLimit, fcodeLimit, cancelLimit, staffLimit ui.Budget
}

// New returns the module; Register binds it to an app.
func New(cfg Config, deps Deps) *Module {
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Payments == nil {
		deps.Payments = ManualPayments{}
	}
	m := &Module{cfg: cfg, deps: deps, payments: deps.Payments, published: map[string]Counters{}, challenges: NewChallenges(cfg.PowBits, cfg.PowTTL),
		fonts: card.NewFonts(cfg.CardFont)}
	l := cfg.Limits
	m.reserveLimit, m.fcodeLimit, m.cancelLimit, m.staffLimit = l.Reserve.MustBudget(), l.FCode.MustBudget(), l.Cancel.MustBudget(), l.Staff.MustBudget()
	m.store = &lazyWriter{maxGroup: cfg.MaxGroup}
	m.engine = NewEngine(m.store, EngineConfig{OrderExpiry: cfg.OrderExpiry, AttemptsPerSecond: cfg.AttemptsPerSecond,
		NewID: NewID})
	m.seller = m.engine
	return m
}

// Name returns "sales".
func (m *Module) Name() string { return "sales" }

// Engine returns the decision engine.
func (m *Module) Engine() *Engine { return m.engine }

// Challenges returns the proof-of-work puzzles.
func (m *Module) Challenges() *Challenges { return m.challenges }

// Register adds the sales pages, strings, API and hooks.
func (m *Module) Register(app core.App) error {
	m.app = app
	m.store.app = app
	m.buyers = newBuyers(app, m.deps.Now)
	m.auth = m.buyers
	m.log = app.Logger()
	m.realIP = func(r *http.Request) string {
		e := core.RequestEvent{App: app}
		e.Request = r
		return e.RealIP()
	}
	cop, err := m.deps.UI.CrossOriginProtection()
	if err != nil {
		return err
	}
	m.cop = cop
	if err := m.deps.UI.AddModule("sales", embedded); err != nil {
		return err
	}
	m.deps.Live.Allow("sale:", m.followSale)
	m.deps.Live.Allow("sale-console:", m.ConsoleRule) // staff only
	m.deps.UI.AddNav(ui.NavItem{Path: "/sales", Label: "sales.nav", Order: 20})
	m.deps.UI.AddHomeSection(ui.HomeSection{Page: "sales/home_sales", Order: 5, Data: m.homeSales})

	// keep the engine in step with what staff change in the dashboard
	app.OnRecordUpdate(Sales).BindFunc(func(e *core.RecordEvent) error {
		if c, ok := m.engine.Counters(e.Record.Id); ok && int64(e.Record.GetInt("stock")) < c.Sold {
			return fmt.Errorf("%w: the stock cannot go below the %d units already ordered", ErrBadStock, c.Sold)
		}
		return e.Next()
	})
	app.OnRecordAfterCreateSuccess(Sales).BindFunc(func(e *core.RecordEvent) error {
		if err := m.loadSale(e.App, e.Record); err != nil {
			e.App.Logger().Error("sales: load a new sale", "sale", e.Record.Id, "error", err)
		}
		m.tellCluster(e.Record.Id)
		return e.Next()
	})
	app.OnRecordAfterUpdateSuccess(Sales).BindFunc(func(e *core.RecordEvent) error {
		if err := m.loadSale(e.App, e.Record); err != nil {
			e.App.Logger().Error("sales: apply a sale change", "sale", e.Record.Id, "error", err)
		}
		m.tellCluster(e.Record.Id)
		return e.Next()
	})
	app.OnRecordAfterDeleteSuccess(Sales).BindFunc(func(e *core.RecordEvent) error {
		m.engine.Unload(e.Record.Id)
		return e.Next()
	})
	forget := func(e *core.RecordEvent) error {
		if m.buyers != nil {
			m.buyers.forget(e.Record.Id)
		}
		return e.Next()
	}
	app.OnRecordAfterUpdateSuccess("users").BindFunc(forget)
	app.OnRecordAfterDeleteSuccess("users").BindFunc(forget)
	// an order set to cancelled or expired in the dashboard gives its stock back
	app.OnRecordAfterUpdateSuccess(Orders).BindFunc(func(e *core.RecordEvent) error {
		was, now := e.Record.Original().GetString("status"), e.Record.GetString("status")
		if holdsStock(was) && !holdsStock(now) {
			m.release(Order{ID: e.Record.Id, Sale: e.Record.GetString("sale"), Member: e.Record.GetString("member"),
				Quantity: e.Record.GetInt("quantity")})
		}
		if was != "paid" && now == "paid" { // staff marked it paid in the dashboard
			if err := m.paid(e.App, e.Record.Id); err != nil {
				return err
			}
		}
		return e.Next()
	})
	app.Cron().MustAdd("canyuSalesExpire", "* * * * *", func() {
		if _, err := m.ExpireOrders(); err != nil {
			app.Logger().Error("sales: expire unpaid orders", "error", err)
		}
	})

	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		if err := m.LoadSales(); err != nil {
			return err
		}
		m.deps.UI.Mount(se.Router, m.routes())
		if err := se.Next(); err != nil { // the cluster, if any, joins in here
			return err
		}
		m.startTicker()
		// the sale API answers before PocketBase's router: see front
		se.Server.Handler = m.front(se.Server.Handler)
		return nil
	})
	app.OnTerminate().BindFunc(func(e *core.TerminateEvent) error {
		m.Close()
		return e.Next()
	})
	return nil
}

// emit queues a sale event for plugins and webhooks; it never blocks the
// member's answer.
func (m *Module) emit(e *hooks.SaleEvent) {
	if m.deps.Events == nil || m.app == nil {
		return
	}
	m.outboxOnce.Do(func() {
		m.outbox = make(chan *hooks.SaleEvent, 100_000)
		go func() {
			for e := range m.outbox {
				h := m.deps.Events.SaleReserved
				if e.Order != "" {
					h = m.deps.Events.SaleOrdered
				}
				if err := h.Trigger(e); err != nil {
					m.app.Logger().Error("sales: event handler failed", "error", err)
				}
			}
		}()
	})
	e.App = m.app
	select {
	case m.outbox <- e:
	default:
		m.app.Logger().Error("sales: event queue full, event dropped", "sale", e.Sale, "member", e.Member, "order", e.Order)
	}
}

// Close stops the ticker and commits what the writer holds.
func (m *Module) Close() {
	m.tickMu.Lock()
	if m.stopTicker != nil {
		close(m.stopTicker)
		m.stopTicker = nil
	}
	m.tickMu.Unlock()
	if c := m.cluster.Load(); c != nil {
		c.close()
	}
	m.store.close()
}

func holdsStock(status string) bool { return status == "pending" || status == "paid" }

// LoadSales rebuilds the engine from the database: every sale that has not
// ended more than a day ago, with its reservations and live orders.
func (m *Module) LoadSales() error {
	recs, err := m.app.FindRecordsByFilter(Sales, "ends > {:since}", "", 0, 0,
		dbx.Params{"since": dbTime(m.deps.Now().Add(-24 * time.Hour))})
	if err != nil {
		return fmt.Errorf("sales: load sales: %w", err)
	}
	for _, r := range recs {
		if err := m.loadSale(m.app, r); err != nil {
			return err
		}
	}
	return nil
}

func (m *Module) loadSale(app core.App, rec *core.Record) error {
	info, err := saleInfo(app, rec)
	if err != nil {
		return err
	}
	if _, ok := m.engine.Info(rec.Id); ok {
		return m.engine.Update(info)
	}
	st, err := loadState(app, rec.Id)
	if err != nil {
		return err
	}
	return m.engine.Load(info, st)
}

func saleInfo(app core.App, rec *core.Record) (SaleInfo, error) {
	product, err := app.FindRecordById(Products, rec.GetString("product"))
	if err != nil {
		return SaleInfo{}, fmt.Errorf("sales: product of sale %s: %w", rec.Id, err)
	}
	var choices []string
	if raw := rec.GetString("choices"); raw != "" && raw != "null" {
		if err := json.Unmarshal([]byte(raw), &choices); err != nil {
			return SaleInfo{}, fmt.Errorf("sales: choices of sale %s must be a list of words: %w", rec.Id, err)
		}
	}
	per := rec.GetInt("per_member")
	if per < 1 {
		per = 1
	}
	return SaleInfo{ID: rec.Id, Title: rec.GetString("title"),
		ReserveOpens: rec.GetDateTime("reserve_opens").Time(), ReserveCloses: rec.GetDateTime("reserve_closes").Time(),
		Starts: rec.GetDateTime("starts").Time(), Ends: rec.GetDateTime("ends").Time(),
		Stock: int64(rec.GetInt("stock")), PerMember: per, PriceCents: int64(product.GetInt("price_cents")),
		MinAccountAge: time.Duration(rec.GetInt("min_account_days")) * 24 * time.Hour,
		StaffOnly:     rec.GetBool("staff_only"), Choices: choices, Published: rec.GetBool("published")}, nil
}

// ExpireOrders marks unpaid orders past their expiry as expired and gives
// their stock back. It returns how many expired.
func (m *Module) ExpireOrders() (int, error) {
	var rows []struct {
		ID       string `db:"id"`
		Sale     string `db:"sale"`
		Member   string `db:"member"`
		Quantity int    `db:"quantity"`
	}
	err := m.app.DB().NewQuery("UPDATE " + Orders + " SET status = 'expired' WHERE status = 'pending' AND expires != '' AND expires <= {:now} RETURNING id, sale, member, quantity").
		Bind(dbx.Params{"now": dbTime(m.deps.Now())}).All(&rows)
	if err != nil {
		return 0, err
	}
	for _, r := range rows {
		m.release(Order{ID: r.ID, Sale: r.Sale, Member: r.Member, Quantity: r.Quantity})
	}
	return len(rows), nil
}

// release gives a cancelled or expired order's stock back: to the engine,
// and on the cluster to the pool the edges lease from (with the member's
// claim).
func (m *Module) release(o Order) {
	m.engine.Release(o.Sale, o.Member, o.Quantity)
	if c := m.cluster.Load(); c != nil {
		if err := c.release(o); err != nil {
			m.log.Error("sales: give an order's stock back to the cluster", "order", o.ID, "error", err)
		}
	}
}

// tellCluster tells the edges a new or changed sale.
func (m *Module) tellCluster(id string) {
	c := m.cluster.Load()
	if c == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.publishSale(ctx, id); err != nil {
		m.log.Error("sales: tell the cluster a sale", "sale", id, "error", err)
	}
}

// startTicker publishes the counters of every loaded sale that changed,
// ten times a second (the live hub coalesces further per channel): the
// public figures on sale:<id>, the console's on sale-console:<id>.
func (m *Module) startTicker() {
	m.tickMu.Lock()
	defer m.tickMu.Unlock()
	if m.stopTicker != nil {
		return
	}
	stop := make(chan struct{})
	m.stopTicker = stop
	go func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				m.publish()
			}
		}
	}()
}

// publish sends the figures of the sales whose counters moved.
func (m *Module) publish() {
	now := m.deps.Now()
	for _, id := range m.engine.Sales() {
		c, ok := m.engine.Counters(id)
		if !ok {
			continue
		}
		if cc := m.cluster.Load(); cc != nil {
			cc.addEdges(id, &c)
		}
		m.tickMu.Lock()
		last, seen := m.published[id]
		moved := !seen || last.Reserved != c.Reserved || last.Sold != c.Sold || last.Remaining != c.Remaining || last.Attempts != c.Attempts
		m.published[id] = c
		perSecond := m.rates.perSecond(id, c.Attempts, now)
		m.tickMu.Unlock()
		if !moved && perSecond == 0 {
			continue
		}
		if info, ok := m.engine.Info(id); ok && info.Published {
			m.deps.Live.Publish("sale:"+id, publicCounters(c)) // an unpublished sale's figures stay on the staff console
		}
		m.deps.Live.Publish(ConsoleChannel(id), consoleFigures(c, perSecond))
		if cc := m.cluster.Load(); cc != nil {
			cc.publishCounters(id, c)
		}
	}
}

// followSale lets anyone follow a published sale's public counters
// (sale:<id>); an unpublished sale's figures are for staff.
func (m *Module) followSale(member *core.Record, channel string) bool {
	info, ok := m.engine.Info(strings.TrimPrefix(channel, "sale:"))
	return ok && (info.Published || isStaff(member))
}

// ConsoleRule lets only staff follow a console channel (for the live hub).
func (m *Module) ConsoleRule(member *core.Record, _ string) bool { return isStaff(member) }

func publicCounters(c Counters) map[string]any {
	return map[string]any{"reserved": c.Reserved, "remaining": c.Remaining, "sold": c.Sold, "answers": c.Answers}
}

// lazyWriter starts the durable writer on first use, so commands that never
// sell (migrate, demo) open no writer.
type lazyWriter struct {
	app      core.App
	maxGroup int
	once     sync.Once
	w        *Writer
	err      error
	mu       sync.Mutex
	closed   bool
}

func (l *lazyWriter) get() (*Writer, error) {
	l.once.Do(func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.closed {
			l.err = ErrWriterStopped
			return
		}
		l.w, l.err = NewWriter(l.app, l.maxGroup)
	})
	return l.w, l.err
}

func (l *lazyWriter) close() {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	l.once.Do(func() { l.err = ErrWriterStopped })
	if l.w != nil {
		l.w.Close()
	}
}

func (l *lazyWriter) CommitReservation(ctx context.Context, r Reservation) error {
	w, err := l.get()
	if err != nil {
		return err
	}
	return w.CommitReservation(ctx, r)
}

func (l *lazyWriter) CommitOrder(ctx context.Context, o Order) error {
	w, err := l.get()
	if err != nil {
		return err
	}
	return w.CommitOrder(ctx, o)
}

// Writer returns the durable writer (starting it).
func (m *Module) Writer() (*Writer, error) { return m.store.get() }
