package sales

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Writer is the single writer of the sales rows. Requests queue their rows;
// the writer commits every row that queued while the previous commit was
// running in one transaction, with synchronous=FULL, so each commit costs
// one fsync however many members it answers (group commit). A request is
// answered only after its row is on disk.
//
// It writes through PocketBase's one-connection write pool, so it never
// races PocketBase's own writes; the connection goes back to the default
// synchronous=NORMAL after each group.
type Writer struct {
	db       *sql.DB
	jobs     chan *job
	maxBatch int
	stop     chan struct{}
	stopped  chan struct{}
	once     sync.Once
	// Groups and Rows count commits and the rows they carried.
	Groups, Rows atomic.Int64
}

type job struct {
	res  *Reservation
	ord  *Order
	done chan error
}

// ErrWriterStopped is returned for rows queued after Close.
var ErrWriterStopped = errors.New("sales: writer stopped")

// NewWriter starts a writer on app's write connection.
func NewWriter(app core.App, maxBatch int) (*Writer, error) {
	d, ok := app.NonconcurrentDB().(*dbx.DB)
	if !ok {
		return nil, fmt.Errorf("sales: unexpected write pool %T", app.NonconcurrentDB())
	}
	if maxBatch < 1 {
		maxBatch = 512
	}
	w := &Writer{db: d.DB(), jobs: make(chan *job, 4*maxBatch), maxBatch: maxBatch,
		stop: make(chan struct{}), stopped: make(chan struct{})}
	go w.run()
	return w, nil
}

// CommitReservation stores r durably.
func (w *Writer) CommitReservation(ctx context.Context, r Reservation) error {
	return w.submit(ctx, &job{res: &r})
}

// CommitOrder stores o durably.
func (w *Writer) CommitOrder(ctx context.Context, o Order) error {
	return w.submit(ctx, &job{ord: &o})
}

func (w *Writer) submit(ctx context.Context, j *job) error {
	j.done = make(chan error, 1)
	select {
	case w.jobs <- j:
	case <-w.stop:
		return ErrWriterStopped
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once queued, the row's fate is decided by the writer: wait for it even
	// if the client goes away, so memory and disk agree.
	return <-j.done
}

// Close commits what is queued and stops the writer.
func (w *Writer) Close() {
	w.once.Do(func() { close(w.stop) })
	<-w.stopped
}

func (w *Writer) run() {
	defer close(w.stopped)
	batch := make([]*job, 0, w.maxBatch)
	for {
		select {
		case j := <-w.jobs:
			batch = append(batch[:0], j)
		case <-w.stop:
			for {
				select {
				case j := <-w.jobs:
					w.commit([]*job{j})
				default:
					return
				}
			}
		}
	fill:
		for len(batch) < w.maxBatch {
			select {
			case j := <-w.jobs:
				batch = append(batch, j)
			default:
				break fill
			}
		}
		w.commit(batch)
	}
}

const (
	insertReservation = "INSERT INTO sales_reservations (id, sale, member, number, answer, created) VALUES (?, ?, ?, ?, ?, ?)"
	insertOrder       = "INSERT INTO sales_orders (id, sale, member, quantity, amount_cents, status, idem_key, body_hash, fcode, created, expires, paid) " +
		"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '')"
)

// commit writes one group. A row that breaks a constraint fails alone (SQLite
// rolls back that statement only); a failed commit fails the whole group.
func (w *Writer) commit(batch []*job) {
	errs := make([]error, len(batch))
	err := w.inTx(func(tx *sql.Tx) error {
		var resStmt, ordStmt *sql.Stmt
		for i, j := range batch {
			var err error
			switch {
			case j.res != nil:
				if resStmt == nil {
					if resStmt, err = tx.Prepare(insertReservation); err != nil {
						return err
					}
				}
				r := j.res
				_, err = resStmt.Exec(core.GenerateDefaultRandomId(), r.Sale, r.Member, r.Number, r.Answer, dbTime(r.Created))
			case j.ord != nil:
				if ordStmt == nil {
					if ordStmt, err = tx.Prepare(insertOrder); err != nil {
						return err
					}
				}
				o := j.ord
				_, err = ordStmt.Exec(o.ID, o.Sale, o.Member, o.Quantity, o.AmountCents, o.Status, o.Key, o.BodyHash, o.FCode,
					dbTime(o.Created), dbTime(o.Expires))
			}
			errs[i] = err
		}
		return nil
	})
	if err == nil {
		w.Groups.Add(1)
		for _, e := range errs {
			if e == nil {
				w.Rows.Add(1)
			}
		}
	}
	for i, j := range batch {
		if err != nil {
			j.done <- err
		} else {
			j.done <- errs[i]
		}
	}
}

// inTx runs fn in a transaction on the write connection with
// synchronous=FULL for its commit.
func (w *Writer) inTx(fn func(tx *sql.Tx) error) (err error) {
	ctx := context.Background()
	conn, err := w.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "PRAGMA synchronous = FULL"); err != nil {
		return err
	}
	defer func() {
		if _, rerr := conn.ExecContext(ctx, "PRAGMA synchronous = NORMAL"); rerr != nil && err == nil {
			err = rerr
		}
	}()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

func dbTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(types.DefaultDateLayout)
}

func parseDBTime(s string) time.Time {
	d, err := types.ParseDateTime(s)
	if err != nil {
		return time.Time{}
	}
	return d.Time()
}

// loadState reads a sale's reservations and the orders holding stock.
func loadState(app core.App, saleID string) (SaleState, error) {
	var st SaleState
	var res []struct {
		Member string `db:"member"`
		Number int64  `db:"number"`
		Answer string `db:"answer"`
	}
	err := app.DB().NewQuery("SELECT member, number, answer FROM sales_reservations WHERE sale = {:sale}").
		Bind(dbx.Params{"sale": saleID}).All(&res)
	if err != nil {
		return st, fmt.Errorf("sales: load reservations of %s: %w", saleID, err)
	}
	st.Reservations = make([]Reservation, len(res))
	for i, r := range res {
		st.Reservations[i] = Reservation{Sale: saleID, Member: r.Member, Number: r.Number, Answer: r.Answer}
	}
	var ords []struct {
		ID       string `db:"id"`
		Member   string `db:"member"`
		Quantity int    `db:"quantity"`
		Amount   int64  `db:"amount_cents"`
		Status   string `db:"status"`
		Key      string `db:"idem_key"`
		Hash     string `db:"body_hash"`
		FCode    string `db:"fcode"`
		Created  string `db:"created"`
		Expires  string `db:"expires"`
	}
	err = app.DB().NewQuery(`SELECT id, member, quantity, amount_cents, status, idem_key, body_hash, fcode, created, expires
		FROM sales_orders WHERE sale = {:sale} AND status IN ('pending', 'paid')`).Bind(dbx.Params{"sale": saleID}).All(&ords)
	if err != nil {
		return st, fmt.Errorf("sales: load orders of %s: %w", saleID, err)
	}
	st.Orders = make([]Order, len(ords))
	for i, o := range ords {
		st.Orders[i] = Order{ID: o.ID, Sale: saleID, Member: o.Member, Quantity: o.Quantity, AmountCents: o.Amount, Status: o.Status,
			Key: o.Key, BodyHash: o.Hash, FCode: o.FCode, Created: parseDBTime(o.Created), Expires: parseDBTime(o.Expires)}
	}
	return st, nil
}
