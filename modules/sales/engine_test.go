package sales

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// memStore records commits in memory; fail makes the next commits fail.
type memStore struct {
	mu           sync.Mutex
	reservations []Reservation
	orders       []Order
	fail         atomic.Bool
}

func (m *memStore) CommitReservation(_ context.Context, r Reservation) error {
	if m.fail.Load() {
		return errors.New("disk full")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reservations = append(m.reservations, r)
	return nil
}

func (m *memStore) CommitOrder(_ context.Context, o Order) error {
	if m.fail.Load() {
		return errors.New("disk full")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.orders = append(m.orders, o)
	return nil
}

var t0 = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func testInfo(stock int64, perMember int) SaleInfo {
	return SaleInfo{ID: "sale1", Title: "Phone", ReserveOpens: t0.Add(-48 * time.Hour), ReserveCloses: t0.Add(-time.Hour),
		Starts: t0, Ends: t0.Add(time.Hour), Stock: stock, PerMember: perMember, PriceCents: 199900, Published: true}
}

func newTestEngine(t *testing.T, info SaleInfo) (*Engine, *memStore) {
	t.Helper()
	st := &memStore{}
	var n atomic.Int64
	e := NewEngine(st, EngineConfig{OrderExpiry: 30 * time.Minute, NewID: func() string { return fmt.Sprintf("o%014d", n.Add(1)) }})
	if err := e.Load(info, SaleState{}); err != nil {
		t.Fatal(err)
	}
	return e, st
}

func reserve(t *testing.T, e *Engine, members ...string) {
	t.Helper()
	for _, m := range members {
		if _, _, err := e.Reserve(context.Background(), "sale1", m, "", t0.Add(-2*time.Hour)); err != nil {
			t.Fatalf("Reserve(%s) = %v", m, err)
		}
	}
}

func TestBuyOutcomes(t *testing.T) {
	e, st := newTestEngine(t, testInfo(1, 1))
	reserve(t, e, "ann", "bob")
	ctx := context.Background()
	cases := []struct {
		name string
		req  BuyRequest
		want error
	}{
		{"unknown sale", BuyRequest{Sale: "nope", Member: "ann", Quantity: 1, Now: t0}, ErrUnknownSale},
		{"not open", BuyRequest{Sale: "sale1", Member: "ann", Quantity: 1, Now: t0.Add(-time.Second)}, ErrNotOpen},
		{"not reserved", BuyRequest{Sale: "sale1", Member: "cat", Quantity: 1, Now: t0}, ErrNotReserved},
		{"over the limit at once", BuyRequest{Sale: "sale1", Member: "ann", Quantity: 2, Now: t0}, ErrLimit},
		{"zero", BuyRequest{Sale: "sale1", Member: "ann", Quantity: 0, Now: t0}, ErrBadQuantity},
		{"confirmed", BuyRequest{Sale: "sale1", Member: "ann", Quantity: 1, Now: t0}, nil},
		{"limit reached", BuyRequest{Sale: "sale1", Member: "ann", Quantity: 1, Now: t0}, ErrLimit},
		{"sold out", BuyRequest{Sale: "sale1", Member: "bob", Quantity: 1, Now: t0}, ErrSoldOut},
		{"closed", BuyRequest{Sale: "sale1", Member: "bob", Quantity: 1, Now: t0.Add(time.Hour)}, ErrClosed},
	}
	for _, c := range cases {
		o, _, err := e.Buy(ctx, c.req)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: Buy = %v, want %v", c.name, err, c.want)
		}
		if c.want == nil && (o.ID == "" || o.AmountCents != 199900 || o.Status != "pending" || !o.Expires.Equal(t0.Add(30*time.Minute))) {
			t.Errorf("%s: order = %+v", c.name, o)
		}
	}
	if len(st.orders) != 1 {
		t.Fatalf("stored orders = %d, want 1", len(st.orders))
	}
	c, _ := e.Counters("sale1")
	if c.Remaining != 0 || c.Sold != 1 || c.Reserved != 2 || c.Rejected["sold_out"] != 1 || c.Rejected["not_reserved"] != 1 {
		t.Errorf("Counters = %+v", c)
	}
}

func TestReserveWindowAndAnswers(t *testing.T) {
	info := testInfo(10, 1)
	info.Choices = []string{"black", "white"}
	e, st := newTestEngine(t, info)
	ctx := context.Background()
	if _, _, err := e.Reserve(ctx, "sale1", "ann", "black", info.ReserveOpens.Add(-time.Second)); !errors.Is(err, ErrReserveNotOpen) {
		t.Errorf("early Reserve = %v", err)
	}
	if _, _, err := e.Reserve(ctx, "sale1", "ann", "black", info.ReserveCloses); !errors.Is(err, ErrReserveClosed) {
		t.Errorf("late Reserve = %v", err)
	}
	at := info.ReserveOpens.Add(time.Minute)
	if _, _, err := e.Reserve(ctx, "sale1", "ann", "pink", at); !errors.Is(err, ErrBadAnswer) {
		t.Errorf("Reserve(pink) = %v", err)
	}
	r1, created, err := e.Reserve(ctx, "sale1", "ann", "black", at)
	if err != nil || !created || r1.Number != 1 {
		t.Fatalf("Reserve(ann) = %+v, %v, %v", r1, created, err)
	}
	again, created, err := e.Reserve(ctx, "sale1", "ann", "white", at)
	if err != nil || created || again.Number != 1 {
		t.Errorf("second Reserve(ann) = %+v, %v, %v; want the same number, not created", again, created, err)
	}
	r2, _, _ := e.Reserve(ctx, "sale1", "bob", "white", at)
	if r2.Number != 2 || len(st.reservations) != 2 {
		t.Errorf("Reserve(bob) = %+v, stored %d", r2, len(st.reservations))
	}
	c, _ := e.Counters("sale1")
	if c.Answers["black"] != 1 || c.Answers["white"] != 1 || c.Reserved != 2 {
		t.Errorf("Counters = %+v", c)
	}
	st.fail.Store(true)
	if _, _, err := e.Reserve(ctx, "sale1", "cat", "black", at); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Reserve with a failing store = %v, want ErrUnavailable", err)
	}
	if e.Reserved("sale1", "cat") != 0 {
		t.Error("a reservation that was not stored is held in memory")
	}
}

func TestIdempotency(t *testing.T) {
	e, st := newTestEngine(t, testInfo(5, 2))
	reserve(t, e, "ann")
	ctx := context.Background()
	req := BuyRequest{Sale: "sale1", Member: "ann", Quantity: 1, Key: "k1", BodyHash: "h1", Now: t0}
	first, replay, err := e.Buy(ctx, req)
	if err != nil || replay {
		t.Fatalf("Buy = %v, replay %v", err, replay)
	}
	again, replay, err := e.Buy(ctx, req)
	if err != nil || !replay || again.ID != first.ID {
		t.Errorf("replayed Buy = %+v, %v, %v; want the first order", again, replay, err)
	}
	other := req
	other.BodyHash = "h2"
	if _, _, err := e.Buy(ctx, other); !errors.Is(err, ErrKeyReused) {
		t.Errorf("same key, other body = %v, want ErrKeyReused", err)
	}
	if len(st.orders) != 1 {
		t.Errorf("stored orders = %d, want 1", len(st.orders))
	}
	// A failed commit is forgotten, so the retry is decided anew.
	st.fail.Store(true)
	k2 := BuyRequest{Sale: "sale1", Member: "ann", Quantity: 1, Key: "k2", BodyHash: "h1", Now: t0}
	if _, _, err := e.Buy(ctx, k2); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Buy with a failing store = %v", err)
	}
	if c, _ := e.Counters("sale1"); c.Remaining != 4 {
		t.Errorf("remaining after a failed commit = %d, want 4", c.Remaining)
	}
	st.fail.Store(false)
	if _, replay, err := e.Buy(ctx, k2); err != nil || replay {
		t.Errorf("retry after a failed commit = %v, replay %v", err, replay)
	}
}

func TestIdempotencyInFlight(t *testing.T) {
	block := make(chan struct{})
	entered := make(chan struct{})
	st := &slowStore{block: block, entered: entered}
	e := NewEngine(st, EngineConfig{OrderExpiry: time.Minute, NewID: func() string { return "o1" }})
	if err := e.Load(testInfo(5, 1), SaleState{Reservations: []Reservation{{Sale: "sale1", Member: "ann", Number: 1}}}); err != nil {
		t.Fatal(err)
	}
	req := BuyRequest{Sale: "sale1", Member: "ann", Quantity: 1, Key: "k", BodyHash: "h", Now: t0}
	done := make(chan error)
	go func() { _, _, err := e.Buy(context.Background(), req); done <- err }()
	<-entered
	if _, _, err := e.Buy(context.Background(), req); !errors.Is(err, ErrKeyInFlight) {
		t.Errorf("Buy while the first is in flight = %v, want ErrKeyInFlight", err)
	}
	close(block)
	if err := <-done; err != nil {
		t.Errorf("first Buy = %v", err)
	}
}

type slowStore struct {
	memStore
	block, entered chan struct{}
}

func (s *slowStore) CommitOrder(ctx context.Context, o Order) error {
	close(s.entered)
	<-s.block
	return s.memStore.CommitOrder(ctx, o)
}

// TestZeroOversell runs many more attempts than stock from many goroutines:
// orders = min(stock, eligible buyers x limit), nobody above the limit,
// stock never below zero.
func TestZeroOversell(t *testing.T) {
	for _, tc := range []struct {
		stock, members, limit, attempts int
	}{
		{stock: 1000, members: 3000, limit: 1, attempts: 30000},
		{stock: 1000, members: 400, limit: 2, attempts: 20000}, // fewer eligible buyers than stock
		{stock: 999, members: 2000, limit: 3, attempts: 30000}, // quantities that do not divide the stock
	} {
		t.Run(fmt.Sprintf("stock%d_members%d_limit%d", tc.stock, tc.members, tc.limit), func(t *testing.T) {
			for run := 0; run < 3; run++ {
				e, st := newTestEngine(t, testInfo(int64(tc.stock), tc.limit))
				var state SaleState
				for i := range tc.members {
					state.Reservations = append(state.Reservations, Reservation{Sale: "sale1", Member: fmt.Sprintf("m%d", i), Number: int64(i + 1)})
				}
				if err := e.Load(testInfo(int64(tc.stock), tc.limit), state); err != nil {
					t.Fatal(err)
				}
				var wg sync.WaitGroup
				var next atomic.Int64
				for range 32 {
					wg.Go(func() {
						for {
							i := next.Add(1)
							if i > int64(tc.attempts) {
								return
							}
							member := fmt.Sprintf("m%d", (i*7919)%int64(tc.members+tc.members/10)) // a tenth are not reserved
							q := 1 + int(i%int64(tc.limit))
							if _, _, err := e.Buy(context.Background(), BuyRequest{Sale: "sale1", Member: member, Quantity: q,
								Key: fmt.Sprint(i), BodyHash: "h", Now: t0.Add(time.Duration(i) * time.Millisecond)}); err != nil &&
								!errors.Is(err, ErrSoldOut) && !errors.Is(err, ErrLimit) && !errors.Is(err, ErrNotReserved) {
								t.Errorf("Buy = %v", err)
							}
							if c, _ := e.Counters("sale1"); c.Remaining < 0 {
								t.Errorf("remaining = %d", c.Remaining)
							}
						}
					})
				}
				wg.Wait()
				per := map[string]int{}
				sold := 0
				for _, o := range st.orders {
					per[o.Member] += o.Quantity
					sold += o.Quantity
				}
				for m, q := range per {
					if q > tc.limit {
						t.Fatalf("member %s bought %d, limit %d", m, q, tc.limit)
					}
				}
				want := min(tc.stock, tc.members*tc.limit)
				c, _ := e.Counters("sale1")
				if sold != want || c.Sold != int64(sold) || c.Remaining != int64(tc.stock-sold) {
					t.Fatalf("run %d: sold %d (counter %d, remaining %d), want %d", run, sold, c.Sold, c.Remaining, want)
				}
			}
		})
	}
}

func TestLoadRebuildsFromStore(t *testing.T) {
	e, st := newTestEngine(t, testInfo(3, 1))
	reserve(t, e, "ann", "bob", "cat")
	ctx := context.Background()
	first, _, err := e.Buy(ctx, BuyRequest{Sale: "sale1", Member: "ann", Quantity: 1, Key: "k", BodyHash: "h", Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	// a restart: a new engine from what was stored
	e2 := NewEngine(st, EngineConfig{NewID: func() string { return "new" }})
	if err := e2.Load(testInfo(3, 1), SaleState{Reservations: st.reservations, Orders: st.orders}); err != nil {
		t.Fatal(err)
	}
	got, replay, err := e2.Buy(ctx, BuyRequest{Sale: "sale1", Member: "ann", Quantity: 1, Key: "k", BodyHash: "h", Now: t0})
	if err != nil || !replay || got.ID != first.ID {
		t.Errorf("retry after restart = %+v, %v, %v; want the stored order", got, replay, err)
	}
	if _, _, err := e2.Buy(ctx, BuyRequest{Sale: "sale1", Member: "ann", Quantity: 1, Now: t0}); !errors.Is(err, ErrLimit) {
		t.Errorf("second purchase after restart = %v, want ErrLimit", err)
	}
	c, _ := e2.Counters("sale1")
	if c.Remaining != 2 || c.Sold != 1 || c.Reserved != 3 {
		t.Errorf("Counters after restart = %+v", c)
	}
	if r, _, _ := e2.Reserve(ctx, "sale1", "dan", "", t0.Add(-2*time.Hour)); r.Number != 4 {
		t.Errorf("next reservation number after restart = %d, want 4", r.Number)
	}
}

func TestStockChangeAndRelease(t *testing.T) {
	e, _ := newTestEngine(t, testInfo(1, 1))
	reserve(t, e, "ann", "bob")
	ctx := context.Background()
	if _, _, err := e.Buy(ctx, BuyRequest{Sale: "sale1", Member: "ann", Quantity: 1, Now: t0}); err != nil {
		t.Fatal(err)
	}
	if err := e.Update(testInfo(0, 1)); err == nil {
		t.Error("Update took back a sold unit")
	}
	if err := e.Update(testInfo(2, 1)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.Buy(ctx, BuyRequest{Sale: "sale1", Member: "bob", Quantity: 1, Now: t0}); err != nil {
		t.Errorf("Buy after adding stock = %v", err)
	}
	e.Release("sale1", "ann", 1)
	c, _ := e.Counters("sale1")
	if c.Remaining != 1 || c.Sold != 1 {
		t.Errorf("after Release: %+v", c)
	}
	if _, _, err := e.Buy(ctx, BuyRequest{Sale: "sale1", Member: "ann", Quantity: 1, Now: t0.Add(time.Second)}); err != nil {
		t.Errorf("Buy after own order expired = %v", err)
	}
}

func TestAttemptRate(t *testing.T) {
	e := NewEngine(&memStore{}, EngineConfig{AttemptsPerSecond: 2, NewID: func() string { return "x" }})
	if err := e.Load(testInfo(0, 1), SaleState{Reservations: []Reservation{{Member: "ann", Number: 1}}}); err != nil {
		t.Fatal(err)
	}
	var tooFast int
	for range 10 {
		if _, _, err := e.Buy(context.Background(), BuyRequest{Sale: "sale1", Member: "ann", Quantity: 1, Now: t0}); errors.Is(err, ErrTooFast) {
			tooFast++
		}
	}
	if tooFast != 6 { // a burst of 4, then refused
		t.Errorf("refused as too fast: %d of 10, want 6", tooFast)
	}
}

// A refusal is replayed for its key too; a member's kept keys are bounded,
// the oldest refusals going first and the accepted order staying.
func TestIdempotencyKeepsRefusalsBounded(t *testing.T) {
	e, _ := newTestEngine(t, testInfo(5, 1))
	reserve(t, e, "ann")
	ctx := context.Background()
	early := func(key string) BuyRequest {
		return BuyRequest{Sale: "sale1", Member: "ann", Quantity: 1, Key: key, BodyHash: "h", Now: t0.Add(-time.Minute)}
	}
	for i := range maxKeys + 8 {
		if _, _, err := e.Buy(ctx, early(fmt.Sprint("early", i))); !errors.Is(err, ErrNotOpen) {
			t.Fatalf("attempt %d before the opening = %v, want ErrNotOpen", i, err)
		}
	}
	order, _, err := e.Buy(ctx, BuyRequest{Sale: "sale1", Member: "ann", Quantity: 1, Key: "open", BodyHash: "h", Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	for i := range maxKeys + 8 {
		if _, _, err := e.Buy(ctx, BuyRequest{Sale: "sale1", Member: "ann", Quantity: 1, Key: fmt.Sprint("late", i), BodyHash: "h", Now: t0}); !errors.Is(err, ErrLimit) {
			t.Fatalf("attempt %d over the limit = %v, want ErrLimit", i, err)
		}
	}
	late := BuyRequest{Sale: "sale1", Member: "ann", Quantity: 1, Key: fmt.Sprint("late", maxKeys+7), BodyHash: "h", Now: t0}
	if _, replay, err := e.Buy(ctx, late); !replay || !errors.Is(err, ErrLimit) {
		t.Errorf("replayed refusal = %v, replay %v; want ErrLimit replayed", err, replay)
	}
	// the first refusals were forgotten: the same key is decided anew, now
	// with the sale open
	first := early("early0")
	first.Now = t0
	if _, replay, err := e.Buy(ctx, first); replay || !errors.Is(err, ErrLimit) {
		t.Errorf("forgotten key = %v, replay %v; want a fresh ErrLimit", err, replay)
	}
	again, replay, err := e.Buy(ctx, BuyRequest{Sale: "sale1", Member: "ann", Quantity: 1, Key: "open", BodyHash: "h", Now: t0})
	if err != nil || !replay || again.ID != order.ID {
		t.Errorf("the accepted order after %d refusals = %+v, %v, %v; want it replayed", 2*maxKeys, again, replay, err)
	}
	s := e.sale("sale1")
	sh := s.shard("ann")
	if n := len(sh.members["ann"].keys); n != maxKeys {
		t.Errorf("kept keys = %d, want %d", n, maxKeys)
	}
}
