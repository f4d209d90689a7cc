package sales

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"strings"
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
	// Groups and Rows count commits and the rows they carried; Busy is the
	// time spent committing, in nanoseconds.
	Groups, Rows, Busy atomic.Int64
}

type job struct {
	res  *storedReservation
	ord  *Order
	done chan error
}

// storedReservation is a reservation with its record id.
type storedReservation struct {
	Reservation
	id string
}

// ErrWriterStopped is returned for rows queued after Close; ErrDuplicate
// for a row the database already holds (a unique index refused it).
var (
	ErrWriterStopped = errors.New("sales: writer stopped")
	ErrDuplicate     = errors.New("sales: row already stored")
)

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
	return w.submit(ctx, &job{res: &storedReservation{r, NewID()}})
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

// commit writes one group in one transaction: the plain rows of a kind in
// multi-row INSERTs (few statements, so the writer is not descheduled
// between rows while thousands of requests wait for it), then the orders
// paid with an F-code one by one. A row that breaks a constraint (which the
// engine should never let happen) fails alone; a database error rolls the
// whole group back and fails every row of it, so that no row of a failed
// request stays on disk.
func (w *Writer) commit(batch []*job) {
	start := time.Now()
	defer func() { w.Busy.Add(int64(time.Since(start))) }()
	errs := make([]error, len(batch))
	var res, ord, paid []int
	for i, j := range batch {
		switch {
		case j.res != nil:
			res = append(res, i)
		case j.ord != nil && j.ord.FCode != "":
			paid = append(paid, i)
		default:
			ord = append(ord, i)
		}
	}
	err := w.inTx(func(tx *sql.Tx) error {
		if err := insertGroup(tx, batch, res, errs, reservationRow); err != nil {
			return err
		}
		if err := insertGroup(tx, batch, ord, errs, orderRow); err != nil {
			return err
		}
		for _, i := range paid {
			if err := insertGroup(tx, batch, []int{i}, errs, orderRow); err != nil {
				return err
			}
			if errs[i] == nil {
				errs[i] = redeem(tx, batch[i].ord)
				if errs[i] != nil && !errors.Is(errs[i], ErrFCodeUsed) {
					return errs[i]
				}
			}
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

// rowKind is how one kind of row is inserted.
type rowKind struct {
	table, columns, tuple string
	id                    func(j *job) string
	args                  func(j *job) []any
}

var (
	reservationRow = rowKind{"sales_reservations", " (id, sale, member, number, answer, created) VALUES ", "(?, ?, ?, ?, ?, ?)",
		func(j *job) string { return j.res.id },
		func(j *job) []any {
			r := j.res
			return []any{r.id, r.Sale, r.Member, r.Number, r.Answer, dbTime(r.Created)}
		}}
	orderRow = rowKind{"sales_orders", " (id, sale, member, quantity, amount_cents, status, idem_key, body_hash, fcode, created, expires, paid, lease) VALUES ",
		"(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?)",
		func(j *job) string { return j.ord.ID },
		func(j *job) []any {
			o := j.ord
			return []any{o.ID, o.Sale, o.Member, o.Quantity, o.AmountCents, o.Status, o.Key, o.BodyHash, o.FCode, dbTime(o.Created), dbTime(o.Expires), o.Lease}
		}}
)

// insertGroup inserts the jobs at idx with INSERT OR IGNORE statements.
// OR IGNORE spares SQLite a statement journal (a copy of every page the
// statement touches, in case it must be undone halfway): a row that breaks
// a constraint, which the engine should never let happen, is skipped, then
// found by its id and failed alone (ErrDuplicate in errs). A database error
// is returned: earlier chunks may be in, so the caller rolls back.
func insertGroup(tx *sql.Tx, batch []*job, idx []int, errs []error, kind rowKind) error {
	if len(idx) == 0 {
		return nil
	}
	jobs := make([]*job, len(idx))
	ids := make([]any, len(idx))
	for k, i := range idx {
		jobs[k] = batch[i]
		ids[k] = kind.id(batch[i])
	}
	n, err := insertRows(tx, kind, jobs)
	if err != nil || n == int64(len(jobs)) {
		return err
	}
	rows, err := tx.Query("SELECT id FROM "+kind.table+" WHERE id IN (?"+strings.Repeat(", ?", len(ids)-1)+")", ids...)
	if err != nil {
		return err
	}
	stored := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			_ = rows.Close()
			return err
		}
		stored[id] = true
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return err
	}
	for k, i := range idx {
		if !stored[ids[k].(string)] {
			errs[i] = ErrDuplicate
		}
	}
	return nil
}

// rowsPerInsert is how many rows one INSERT carries. The SQLite driver
// binds each argument by scanning the argument list from its start, so a
// statement with n arguments costs n²/2 steps: one INSERT for a whole group
// of 500 orders (5,500 arguments) spent more time binding than SQLite spent
// inserting. Chunks of 16 rows keep binding small and statements few
// (BenchmarkWriterBurst: 8 and 16 alike, 4, 32 and 64 slower).
const rowsPerInsert = 16

func insertRows(tx *sql.Tx, kind rowKind, jobs []*job) (int64, error) {
	var full *sql.Stmt // the statement for a whole chunk, prepared once per group
	defer func() {
		if full != nil {
			_ = full.Close()
		}
	}()
	var n int64
	args := make([]any, 0, rowsPerInsert*12)
	for len(jobs) > 0 {
		chunk := jobs[:min(rowsPerInsert, len(jobs))]
		jobs = jobs[len(chunk):]
		args = args[:0]
		for _, j := range chunk {
			args = append(args, kind.args(j)...)
		}
		var res sql.Result
		var err error
		switch {
		case len(chunk) < rowsPerInsert:
			res, err = tx.Exec(kind.insert(len(chunk)), args...)
		case full == nil:
			if full, err = tx.Prepare(kind.insert(rowsPerInsert)); err != nil {
				return n, err
			}
			fallthrough
		default:
			res, err = full.Exec(args...)
		}
		if err != nil {
			return n, err
		}
		k, err := res.RowsAffected()
		if err != nil {
			return n, err
		}
		n += k
	}
	return n, nil
}

// insert returns an INSERT OR IGNORE of rows rows of this kind.
func (kind rowKind) insert(rows int) string {
	var q strings.Builder
	q.WriteString("INSERT OR IGNORE INTO ")
	q.WriteString(kind.table)
	q.WriteString(kind.columns)
	for k := range rows {
		if k > 0 {
			q.WriteByte(',')
		}
		q.WriteString(kind.tuple)
	}
	return q.String()
}

// redeem spends the F-code that pays for o, in o's transaction: a code
// already spent (or expired) fails the order, which is then taken back.
func redeem(tx *sql.Tx, o *Order) error {
	res, err := tx.Exec(`UPDATE sales_fcodes SET redeemed_by = ?, redeemed = ?, "order" = ? WHERE code = ? AND redeemed_by = '' AND expires > ?`,
		o.Member, dbTime(o.Created), o.ID, o.FCode, dbTime(o.Created))
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		if _, derr := tx.Exec("DELETE FROM sales_orders WHERE id = ?", o.ID); derr != nil {
			return derr
		}
		return ErrFCodeUsed
	}
	_, err = tx.Exec("INSERT INTO sales_audit (id, action, actor, subject, details, created) VALUES (?, 'fcodes.redeemed', ?, ?, ?, ?)",
		core.GenerateDefaultRandomId(), o.Member, o.FCode, `{"order":"`+o.ID+`","sale":"`+o.Sale+`"}`, dbTime(o.Created))
	return err
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

// NewID returns a record id (15 characters of [a-z0-9], like PocketBase's)
// that sorts by creation time: ten characters of microseconds, five random.
// Rows then land at the end of the id index instead of all over it, so a
// group commit writes a few pages instead of one per row.
func NewID() string {
	const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
	var b [15]byte
	t := uint64(time.Now().UnixMicro())
	for i := 9; i >= 0; i-- {
		b[i] = alphabet[t%36]
		t /= 36
	}
	var r [5]byte
	_, _ = rand.Read(r[:])
	for i, c := range r {
		b[10+i] = alphabet[int(c)%36]
	}
	return string(b[:])
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
		Lease    string `db:"lease"`
	}
	err = app.DB().NewQuery(`SELECT id, member, quantity, amount_cents, status, idem_key, body_hash, fcode, created, expires, lease
		FROM sales_orders WHERE sale = {:sale} AND status IN ('pending', 'paid')`).Bind(dbx.Params{"sale": saleID}).All(&ords)
	if err != nil {
		return st, fmt.Errorf("sales: load orders of %s: %w", saleID, err)
	}
	st.Orders = make([]Order, len(ords))
	for i, o := range ords {
		st.Orders[i] = Order{ID: o.ID, Sale: saleID, Member: o.Member, Quantity: o.Quantity, AmountCents: o.Amount, Status: o.Status,
			Key: o.Key, BodyHash: o.Hash, FCode: o.FCode, Created: parseDBTime(o.Created), Expires: parseDBTime(o.Expires), Lease: o.Lease}
	}
	return st, nil
}
