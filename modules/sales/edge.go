package sales

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The sale on the cluster (docs/cluster.md). Every process that sells (the
// core and each `canyu edge`) runs an Edge: it decides from memory what it
// can, sells stock from a lease the core granted it, keeps one purchase per
// member across the edges with an atomic compare-and-set in a JetStream KV
// bucket, and answers 201 only after the order's message is in the
// JetStream stream. The core consumes the stream into SQLite.
const (
	streamName      = "CANYU_SALES"
	subjectOrders   = "canyu.sales.order"    // .<sale>.<member>.<order id>
	subjectReserve  = "canyu.sales.res"      // .<sale>.<member>
	subjectLease    = "canyu.sales.lease"    // requests to the core
	subjectWhois    = "canyu.sales.whois"    // requests to the core
	subjectCounters = "canyu.sales.counters" // .<sale>, from the core
	subjectFigures  = "canyu.sales.figures"  // .<sale>, an edge's attempts, to the core
	bucketSales     = "canyu_sales"          // <sale> -> saleDef; powKey -> the proof-of-work key
	bucketPool      = "canyu_pool"           // <sale> -> poolState, the core's
	bucketFCodes    = "canyu_fcodes"         // <code> -> the order it pays
	powKey          = "pow"
)

// resBucket holds a sale's reservations (member -> reservedValue): one
// atomic create each, its revision is the reservation's number.
func resBucket(sale string) string { return "canyu_res_" + sale }

// buyBucket holds what each member bought in a sale (member -> claim).
func buyBucket(sale string) string { return "canyu_buy_" + sale }

// saleDef is a sale as the core tells the edges.
type saleDef struct {
	Info SaleInfo `json:"info"`
	// Base: a reservation made on the cluster has number Base + its
	// revision in the reservations bucket (those made before keep theirs).
	Base int64 `json:"base"`
}

// reservedValue is a reservation in the bucket.
type reservedValue struct {
	Number int64  `json:"n,omitempty"` // set for reservations made before the cluster
	Answer string `json:"a,omitempty"`
	At     int64  `json:"t"`
}

// claim is what a member bought in a sale, across the edges.
type claim struct {
	Orders []claimed `json:"o"`
}

type claimed struct {
	ID      string `json:"id"`
	Key     string `json:"k"`
	Hash    string `json:"h"`
	Qty     int    `json:"n"`
	At      int64  `json:"t"` // unix ms when decided, by the sale's clock (the order's created)
	Real    int64  `json:"r"` // unix ms when decided, by the deciding edge's wall clock
	Expires int64  `json:"x"`
	FCode   string `json:"f,omitempty"`
	// Stored: the order was in SQLite before the sale came on the cluster
	// (it is in no stream)
	Stored bool `json:"s,omitempty"`
}

func (c claim) quantity() int {
	n := 0
	for _, o := range c.Orders {
		n += o.Qty
	}
	return n
}

// leaseRequest asks the core for stock (op grant), to keep a lease (renew)
// or gives one back (return).
type leaseRequest struct {
	Op    string `json:"op"`
	Sale  string `json:"sale"`
	Edge  string `json:"edge"`
	Lease string `json:"lease,omitempty"`
	Want  int64  `json:"want,omitempty"`
}

type leaseReply struct {
	Lease string `json:"lease,omitempty"`
	Units int64  `json:"units"`
	// TTLms: the lease ends this long after the request was sent.
	TTLms int64  `json:"ttl_ms"`
	Error string `json:"error,omitempty"`
}

// EdgeConfig tunes an Edge.
type EdgeConfig struct {
	Node string
	Now  func() time.Time
	// LeaseUnits is how much stock one lease asks for.
	LeaseUnits int64
	// AttemptsPerSecond, OrderExpiry: as the engine's.
	AttemptsPerSecond float64
	OrderExpiry       time.Duration
	Log               *slog.Logger
}

// Timings of the cluster's sale. An edge stops selling from a lease
// leaseMargin before the lease's end as it measures it from the moment it
// asked (so before the core's end, whatever the clocks); a purchase that
// took a unit must be in the stream within publishTimeout; the core takes a
// lease's unsold units back leaseGrace after its end.
const (
	leaseMargin    = time.Second
	publishTimeout = 2 * time.Second
	leaseGrace     = 3 * time.Second
	// orphanAfter: a member's claim whose order is not in the stream this
	// long after it was decided belongs to an edge that died in between.
	orphanAfter = 5 * time.Second
	// idleLease: a lease nothing was sold from for this long goes back.
	idleLease = 3 * time.Second
)

// Edge sells on the cluster.
type Edge struct {
	cfg    EdgeConfig
	nc     *nats.Conn
	js     jetstream.JetStream
	stream jetstream.Stream
	defs   jetstream.KeyValue
	fcodes jetstream.KeyValue
	log    *slog.Logger
	mu     sync.RWMutex
	sales  map[string]*edgeSale
	quit   chan struct{}
	done   sync.WaitGroup
	stop   []func()
	// Published counts orders this edge put in the stream; Granted the
	// stock leased to it.
	Published, Granted atomic.Int64
}

type edgeSale struct {
	id       string
	def      atomic.Pointer[saleDef]
	res, buy jetstream.KeyValue
	counters atomic.Pointer[Counters]
	lease    atomic.Pointer[edgeLease]
	next     atomic.Pointer[edgeLease] // fetched ahead, sold from when lease is spent
	fetching atomic.Bool
	want     atomic.Int64 // units to ask for (grows with the selling rate)
	leaseMu  sync.Mutex
	dryUntil atomic.Int64 // unix ns: the core had no stock left, ask again after
	attempts atomic.Int64
	rejected [reasonCount]atomic.Int64
	shared   int64 // the attempts and refusals last told the core (keepLeases' goroutine)
	seed     maphash.Seed
	shards   [shardCount]shard
}

type edgeLease struct {
	id        string
	granted   int64 // units the core lent
	grantedAt time.Time
	left      atomic.Int64
	ends      atomic.Int64 // unix nanoseconds, by this edge's clock
	lastUse   atomic.Int64 // unix nanoseconds
}

// dryFor is how long an edge answers "sold out" from memory after the core
// had no stock to lend (units may come back: cancellations, expiries, the
// leases of other edges).
const dryFor = 250 * time.Millisecond

// dry: this edge has no stock for q units and the core had none lately.
func (s *edgeSale) dry(q int64) bool {
	if time.Now().UnixNano() >= s.dryUntil.Load() {
		return false
	}
	l := s.lease.Load()
	return l == nil || !l.live() || l.left.Load() < q
}

// notReservedMemory is how long an edge answers "not reserved" from memory
// after the bucket said so (a member who reserves at another edge meanwhile
// buys here this long after).
const notReservedMemory = 2 * time.Second

// limitMemory is how long an edge trusts what it last saw of a member's
// purchases to refuse them "limit" from memory (a cancelled order frees the
// member at the other edges within this).
const limitMemory = 2 * time.Second

// live: the lease may still be sold from.
func (l *edgeLease) live() bool { return time.Now().UnixNano() < l.ends.Load() }

// NewEdge joins the cluster's sale: it reads the sales the core published
// and follows their changes and counters.
func NewEdge(nc *nats.Conn, cfg EdgeConfig) (*Edge, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.LeaseUnits < 1 {
		cfg.LeaseUnits = 64
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	e := &Edge{cfg: cfg, nc: nc, js: js, log: cfg.Log, sales: map[string]*edgeSale{}, quit: make(chan struct{})}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if e.stream, err = js.Stream(ctx, streamName); err != nil {
		return nil, fmt.Errorf("sales: the cluster's order stream (is the core on the bus?): %w", err)
	}
	if e.defs, err = js.KeyValue(ctx, bucketSales); err != nil {
		return nil, fmt.Errorf("sales: the cluster's sales: %w", err)
	}
	if e.fcodes, err = js.KeyValue(ctx, bucketFCodes); err != nil {
		return nil, fmt.Errorf("sales: the cluster's F-codes: %w", err)
	}
	sub, err := nc.Subscribe(subjectCounters+".*", func(msg *nats.Msg) {
		var c Counters
		if s := e.sale(msg.Subject[len(subjectCounters)+1:]); s != nil && json.Unmarshal(msg.Data, &c) == nil {
			s.counters.Store(&c)
		}
	})
	if err != nil {
		return nil, err
	}
	e.stop = append(e.stop, func() { _ = sub.Unsubscribe() })
	w, err := e.defs.WatchAll(ctx)
	if err != nil {
		e.Close()
		return nil, err
	}
	e.stop = append(e.stop, func() { _ = w.Stop() })
	// the sales as they are now, then their changes
	for up := range w.Updates() {
		if up == nil {
			break
		}
		e.apply(up)
	}
	e.done.Add(2)
	go func() {
		defer e.done.Done()
		for up := range w.Updates() {
			if up != nil {
				e.apply(up)
			}
		}
	}()
	go e.keepLeases()
	return e, nil
}

// PowKey returns the proof-of-work key the core shares with the edges, so a
// challenge issued by one process is solved at another.
func (e *Edge) PowKey() ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	v, err := e.defs.Get(ctx, powKey)
	if err != nil {
		return nil, err
	}
	return v.Value(), nil
}

func (e *Edge) apply(up jetstream.KeyValueEntry) {
	id := up.Key()
	if id == powKey {
		return
	}
	if up.Operation() != jetstream.KeyValuePut {
		e.mu.Lock()
		delete(e.sales, id)
		e.mu.Unlock()
		return
	}
	var def saleDef
	if err := json.Unmarshal(up.Value(), &def); err != nil {
		e.log.Error("sales: a sale from the core does not read", "sale", id, "error", err)
		return
	}
	if s := e.sale(id); s != nil {
		s.def.Store(&def)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s := &edgeSale{id: id, seed: maphash.MakeSeed()}
	for i := range s.shards {
		s.shards[i].members = map[string]*memberState{}
	}
	var err error
	if s.res, err = e.js.KeyValue(ctx, resBucket(id)); err == nil {
		s.buy, err = e.js.KeyValue(ctx, buyBucket(id))
	}
	if err != nil {
		e.log.Error("sales: the buckets of a sale", "sale", id, "error", err)
		return
	}
	s.def.Store(&def)
	e.mu.Lock()
	e.sales[id] = s
	e.mu.Unlock()
}

func (e *Edge) sale(id string) *edgeSale {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.sales[id]
}

// Close gives the leases back and leaves.
func (e *Edge) Close() {
	select {
	case <-e.quit:
		return
	default:
		close(e.quit)
	}
	for _, f := range e.stop {
		f()
	}
	e.done.Wait()
	e.mu.RLock()
	defer e.mu.RUnlock()
	for _, s := range e.sales {
		for _, slot := range []*atomic.Pointer[edgeLease]{&s.lease, &s.next} {
			if l := slot.Swap(nil); l != nil {
				e.giveBack(s.id, l)
			}
		}
	}
}

// Info returns a sale's definition.
func (e *Edge) Info(id string) (SaleInfo, bool) {
	s := e.sale(id)
	if s == nil {
		return SaleInfo{}, false
	}
	return s.def.Load().Info, true
}

// Counters returns the figures the core last published (what it has
// consumed), with the attempts this edge saw.
func (e *Edge) Counters(id string) (Counters, bool) {
	s := e.sale(id)
	if s == nil {
		return Counters{}, false
	}
	c := Counters{Stock: s.def.Load().Info.Stock, Remaining: s.def.Load().Info.Stock, Rejected: map[string]int64{}, Answers: map[string]int64{}}
	if p := s.counters.Load(); p != nil {
		c = *p
	}
	c.Attempts = max(c.Attempts, s.attempts.Load()) // the core's sum, once it has this edge's
	return c, true
}

func (s *edgeSale) member(id string) (*shard, *memberState) {
	sh := &s.shards[maphash.String(s.seed, id)%shardCount]
	sh.mu.Lock()
	return sh, sh.member(id)
}

// Reserved returns member's reservation number: from memory, else from the
// reservations bucket (then remembered).
func (e *Edge) Reserved(saleID, member string) int64 {
	s := e.sale(saleID)
	if s == nil {
		return 0
	}
	sh, m := s.member(member)
	n, missed := m.number, m.notReserved
	sh.mu.Unlock()
	if n != 0 {
		return n
	}
	if time.Since(missed) < notReservedMemory {
		return 0
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	entry, err := s.res.Get(ctx, member)
	if err != nil {
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			sh, m = s.member(member)
			m.notReserved = time.Now()
			sh.mu.Unlock()
		}
		return 0
	}
	n = s.number(entry)
	sh, m = s.member(member)
	m.number = n
	sh.mu.Unlock()
	return n
}

func (s *edgeSale) number(entry jetstream.KeyValueEntry) int64 {
	var v reservedValue
	if json.Unmarshal(entry.Value(), &v) == nil && v.Number != 0 {
		return v.Number
	}
	return s.def.Load().Base + int64(entry.Revision())
}

// Reserve gives member a reservation with one atomic create in the sale's
// reservations bucket, puts it in the stream for the core and answers once
// the stream has it. A member who reserved gets their number back (and
// their reservation is put in the stream again, which its message id makes
// harmless, so one whose edge died in between is stored all the same).
func (e *Edge) Reserve(ctx context.Context, saleID, member, answer string, now time.Time) (Reservation, bool, error) {
	s := e.sale(saleID)
	if s == nil {
		return Reservation{}, false, ErrUnknownSale
	}
	info := s.def.Load().Info
	if !info.Published {
		return Reservation{}, false, ErrUnknownSale
	}
	if n := e.Reserved(saleID, member); n != 0 {
		return Reservation{Sale: saleID, Member: member, Number: n}, false, nil
	}
	switch {
	case now.Before(info.ReserveOpens):
		return Reservation{}, false, ErrReserveNotOpen
	case !now.Before(info.ReserveCloses):
		return Reservation{}, false, ErrReserveClosed
	case len(info.Choices) > 0 && !slices.Contains(info.Choices, answer):
		return Reservation{}, false, ErrBadAnswer
	}
	if len(info.Choices) == 0 {
		answer = ""
	}
	ctx, cancel := context.WithTimeout(ctx, publishTimeout)
	defer cancel()
	val, _ := json.Marshal(reservedValue{Answer: answer, At: now.UnixMilli()})
	created := true
	rev, err := s.res.Create(ctx, member, val)
	var r Reservation
	switch {
	case errors.Is(err, jetstream.ErrKeyExists):
		created = false
		entry, gerr := s.res.Get(ctx, member)
		if gerr != nil {
			return Reservation{}, false, fmt.Errorf("%w: %w", ErrUnavailable, gerr)
		}
		var v reservedValue
		_ = json.Unmarshal(entry.Value(), &v)
		r = Reservation{Sale: saleID, Member: member, Number: s.number(entry), Answer: v.Answer, Created: time.UnixMilli(v.At)}
	case err != nil:
		return Reservation{}, false, fmt.Errorf("%w: %w", ErrUnavailable, err)
	default:
		r = Reservation{Sale: saleID, Member: member, Number: s.def.Load().Base + int64(rev), Answer: answer, Created: now}
	}
	body, _ := json.Marshal(r)
	if _, err := e.js.Publish(ctx, subjectReserve+"."+saleID+"."+member, body, jetstream.WithMsgID("r."+saleID+"."+member)); err != nil {
		return Reservation{}, false, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	sh, m := s.member(member)
	m.number = r.Number
	sh.mu.Unlock()
	return r, created, nil
}

// Buy decides a purchase attempt on the cluster: the sale's rules from
// memory, the member's claim by compare-and-set in the buy bucket, a unit
// from this edge's lease, then the order in the stream before the answer.
// An answer that could not be given (503) never takes stock twice: the
// member's retry with the same Idempotency-Key finds the claim and either
// the order in the stream (a replay) or, once the deciding edge is surely
// gone, publishes it.
func (e *Edge) Buy(ctx context.Context, req BuyRequest) (Order, bool, error) {
	o, replay, err := e.buy(ctx, req)
	if err != nil {
		if s := e.sale(req.Sale); s != nil && !errors.Is(err, ErrUnknownSale) {
			s.rejected[reasonOf(err)].Add(1)
		}
	}
	return o, replay, err
}

func (e *Edge) buy(ctx context.Context, req BuyRequest) (Order, bool, error) {
	s := e.sale(req.Sale)
	if s == nil {
		return Order{}, false, ErrUnknownSale
	}
	info := s.def.Load().Info
	if !info.Published {
		return Order{}, false, ErrUnknownSale
	}
	s.attempts.Add(1)
	switch {
	case req.Quantity < 1:
		return Order{}, false, ErrBadQuantity
	case req.Quantity > info.PerMember:
		return Order{}, false, ErrLimit
	case req.Now.Before(info.Starts):
		return Order{}, false, ErrNotOpen
	case !req.Now.Before(info.Ends):
		return Order{}, false, ErrClosed
	}
	// an answer this edge gave before, and the member's attempt budget
	sh, m := s.member(req.Member)
	if k := m.key(req.Key); k != nil && req.Key != "" {
		sh.mu.Unlock()
		switch {
		case k.hash != req.BodyHash:
			return Order{}, false, ErrKeyReused
		case k.order != nil:
			return *k.order, true, nil
		}
		return Order{}, true, k.err
	}
	allowed := m.allow(req.Now, e.cfg.AttemptsPerSecond)
	known := time.Since(m.boughtSeen) < limitMemory // m.bought is what the bucket said lately
	full := known && m.bought+req.Quantity > info.PerMember
	empty := known && m.bought == 0
	sh.mu.Unlock()
	if !allowed {
		return Order{}, false, ErrTooFast
	}
	if req.FCode == "" && e.Reserved(req.Sale, req.Member) == 0 {
		return Order{}, false, ErrNotReserved
	}
	// the two answers most attempts get at an opening, from memory (a member
	// who may hold this key is asked the bucket first: a replay comes before
	// "sold out")
	switch {
	case full:
		return Order{}, false, ErrLimit
	case empty && s.dry(int64(req.Quantity)):
		return Order{}, false, ErrSoldOut
	}
	ctx, cancel := context.WithTimeout(ctx, publishTimeout)
	defer cancel()
	o, replay, bought, err := e.claim(ctx, s, info, req)
	if bought >= 0 {
		sh, m = s.member(req.Member)
		m.bought, m.boughtSeen = bought, time.Now()
		sh.mu.Unlock()
	}
	if err != nil && !errors.Is(err, ErrUnavailable) && !errors.Is(err, ErrKeyInFlight) && req.Key != "" {
		sh, m = s.member(req.Member)
		m.remember(&keyEntry{key: req.Key, hash: req.BodyHash, err: err})
		sh.mu.Unlock()
	}
	if err == nil {
		sh, m = s.member(req.Member)
		if m.key(req.Key) == nil {
			m.remember(&keyEntry{key: req.Key, hash: req.BodyHash, order: &o})
		}
		sh.mu.Unlock()
	}
	return o, replay, err
}

// claim takes the member's share in the buy bucket and a unit of stock,
// then publishes; it loops when another edge changed the claim meanwhile.
// bought is what the member holds once the answer is a plain yes or
// "limit" (-1 otherwise: the edge then remembers nothing of it).
func (e *Edge) claim(ctx context.Context, s *edgeSale, info SaleInfo, req BuyRequest) (Order, bool, int, error) {
	// a member's first purchase (most at an opening) creates the claim
	// straight away; a claim already there is read and changed by
	// compare-and-set
	optimistic := !s.dry(int64(req.Quantity))
	for {
		var c claim
		var rev uint64
		var err error
		var entry jetstream.KeyValueEntry
		if optimistic {
			err = jetstream.ErrKeyNotFound
		} else {
			entry, err = s.buy.Get(ctx, req.Member)
		}
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
		case err != nil:
			return Order{}, false, -1, fmt.Errorf("%w: %w", ErrUnavailable, err)
		default:
			rev = entry.Revision()
			if err := json.Unmarshal(entry.Value(), &c); err != nil {
				return Order{}, false, -1, fmt.Errorf("%w: a claim does not read: %w", ErrUnavailable, err)
			}
		}
		// this key decided before, on any edge
		for _, k := range c.Orders {
			if k.Key == req.Key && req.Key != "" {
				if k.Hash != req.BodyHash {
					return Order{}, false, -1, ErrKeyReused
				}
				o, replay, err := e.finish(ctx, s, info, req.Member, k)
				return o, replay, -1, err
			}
		}
		if c.quantity()+req.Quantity > info.PerMember {
			kept, changed := e.dropOrphans(ctx, req.Member, s.id, c)
			if !changed || kept.quantity()+req.Quantity > info.PerMember {
				return Order{}, false, kept.quantity(), ErrLimit
			}
			c = kept
		}
		// a unit first: a member refused for want of stock holds no claim
		l, err := e.take(ctx, s, int64(req.Quantity))
		if err != nil {
			if optimistic && errors.Is(err, ErrSoldOut) {
				optimistic = false // the member's claim may hold this key or their limit: read it first
				continue
			}
			if optimistic {
				return Order{}, false, -1, err
			}
			return Order{}, false, c.quantity(), err
		}
		if req.FCode != "" {
			if _, err := e.fcodes.Create(ctx, req.FCode, []byte(req.Member)); err != nil {
				l.left.Add(int64(req.Quantity))
				if errors.Is(err, jetstream.ErrKeyExists) {
					return Order{}, false, -1, ErrFCodeUsed
				}
				return Order{}, false, -1, fmt.Errorf("%w: %w", ErrUnavailable, err)
			}
		}
		k := claimed{ID: NewID(), Key: req.Key, Hash: req.BodyHash, Qty: req.Quantity, At: req.Now.UnixMilli(), Real: time.Now().UnixMilli(),
			Expires: req.Now.Add(e.cfg.OrderExpiry).UnixMilli(), FCode: req.FCode}
		c.Orders = append(c.Orders, k)
		val, _ := json.Marshal(c)
		if rev == 0 {
			_, err = s.buy.Create(ctx, req.Member, val)
		} else {
			_, err = s.buy.Update(ctx, req.Member, val, rev)
		}
		if err != nil {
			// nothing went to the stream with this unit: it is free again
			l.left.Add(int64(req.Quantity))
			e.unclaimFCode(req.FCode)
			if errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
				optimistic = false
				continue // a claim is there, or another edge moved first: decide again
			}
			return Order{}, false, -1, fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		o, _, err := e.publish(ctx, s, info, req.Member, k, l)
		if err != nil {
			return o, false, -1, err
		}
		return o, false, c.quantity(), nil
	}
}

func (e *Edge) unclaimFCode(code string) {
	if code != "" {
		ctx, cancel := context.WithTimeout(context.Background(), publishTimeout)
		defer cancel()
		_ = e.fcodes.Delete(ctx, code)
	}
}

// finish answers a key already claimed: the order if the stream has it;
// the order published now if its edge is surely gone; else in flight.
func (e *Edge) finish(ctx context.Context, s *edgeSale, info SaleInfo, member string, k claimed) (Order, bool, error) {
	o := orderOf(info, s.id, member, k, "")
	if k.Stored {
		return o, true, nil
	}
	if _, err := e.stream.GetLastMsgForSubject(ctx, orderSubject(s.id, member, k.ID)); err == nil {
		return o, true, nil
	} else if !errors.Is(err, jetstream.ErrMsgNotFound) {
		return Order{}, false, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if time.Since(time.UnixMilli(k.Real)) < orphanAfter {
		return Order{}, false, ErrKeyInFlight
	}
	l, err := e.take(ctx, s, int64(k.Qty))
	if err != nil {
		return Order{}, false, err
	}
	o, _, err = e.publish(ctx, s, info, member, k, l)
	return o, true, err
}

// dropOrphans removes from c the orders no edge will ever publish (decided
// over orphanAfter ago and not in the stream). changed reports that c was
// rewritten.
func (e *Edge) dropOrphans(ctx context.Context, member, saleID string, c claim) (claim, bool) {
	var kept claim
	for _, k := range c.Orders {
		if !k.Stored && time.Since(time.UnixMilli(k.Real)) > orphanAfter {
			_, err := e.stream.GetLastMsgForSubject(ctx, orderSubject(saleID, member, k.ID))
			if errors.Is(err, jetstream.ErrMsgNotFound) {
				continue
			}
		}
		kept.Orders = append(kept.Orders, k)
	}
	return kept, len(kept.Orders) != len(c.Orders)
}

func orderSubject(sale, member, id string) string {
	return subjectOrders + "." + sale + "." + member + "." + id
}

func orderOf(info SaleInfo, sale, member string, k claimed, lease string) Order {
	return Order{ID: k.ID, Sale: sale, Member: member, Quantity: k.Qty, AmountCents: info.PriceCents * int64(k.Qty),
		Status: "pending", Key: k.Key, BodyHash: k.Hash, FCode: k.FCode, Created: time.UnixMilli(k.At).UTC(),
		Expires: time.UnixMilli(k.Expires).UTC(), Lease: lease}
}

// publish puts the order, sold from lease l, in the stream. A unit is never
// given back once its message may have left: a lost message's unit returns
// with the lease, never twice.
func (e *Edge) publish(ctx context.Context, s *edgeSale, info SaleInfo, member string, k claimed, l *edgeLease) (Order, bool, error) {
	o := orderOf(info, s.id, member, k, l.id)
	body, _ := json.Marshal(o)
	ack, err := e.js.Publish(ctx, orderSubject(s.id, member, k.ID), body, jetstream.WithMsgID(s.id+"."+member+"."+k.Key+"."+k.ID))
	if err != nil {
		return Order{}, false, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if ack.Duplicate { // its first edge got it in after all: the unit is free
		l.left.Add(int64(k.Qty))
		return o, true, nil
	}
	e.Published.Add(1)
	return o, false, nil
}

// take takes q units from the sale's lease, asking the core for a new lease
// when this one is spent or near its end.
func (e *Edge) take(ctx context.Context, s *edgeSale, q int64) (*edgeLease, error) {
	for range 4 {
		if l := s.lease.Load(); l != nil && l.live() {
			for {
				left := l.left.Load()
				if left < q {
					break
				}
				if l.left.CompareAndSwap(left, left-q) {
					l.lastUse.Store(time.Now().UnixNano())
					if left-q < l.granted/2 && s.next.Load() == nil && s.fetching.CompareAndSwap(false, true) {
						go e.prefetch(s)
					}
					return l, nil
				}
			}
		}
		// the lease is spent: the next one, fetched ahead, takes its place
		if n := s.next.Swap(nil); n != nil {
			if n.live() {
				n.lastUse.Store(time.Now().UnixNano())
				if old := s.lease.Swap(n); old != nil {
					go e.giveBack(s.id, old)
				}
				continue
			}
			go e.giveBack(s.id, n)
		}
		if err := e.refill(ctx, s, q); err != nil {
			return nil, err
		}
	}
	return nil, ErrSoldOut
}

// prefetch asks for the next lease while the current one still sells, so
// attempts do not wait for the core; a lease that lasted under a second
// makes the next ask twice as much (up to maxLeaseUnits).
func (e *Edge) prefetch(s *edgeSale) {
	defer s.fetching.Store(false)
	if cur := s.lease.Load(); cur != nil && time.Since(cur.grantedAt) < time.Second {
		s.want.Store(min(maxLeaseUnits, max(s.want.Load(), e.cfg.LeaseUnits)*2))
	}
	ctx, cancel := context.WithTimeout(context.Background(), publishTimeout)
	defer cancel()
	l, err := e.grant(ctx, s, 1)
	if err != nil || l == nil {
		return
	}
	if old := s.next.Swap(l); old != nil {
		e.giveBack(s.id, old)
	}
}

// maxLeaseUnits bounds a lease however fast an edge sells.
const maxLeaseUnits = 4096

// grant asks the core for a lease of at least q units (nil: the pool had
// fewer; the edge is then dry for a while).
func (e *Edge) grant(ctx context.Context, s *edgeSale, q int64) (*edgeLease, error) {
	sent := time.Now()
	rep, err := e.ask(ctx, leaseRequest{Op: "grant", Sale: s.id, Edge: e.cfg.Node, Want: max(q, e.cfg.LeaseUnits, s.want.Load())})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if rep.Units < q {
		if rep.Lease != "" { // too little for this attempt: it goes back
			go e.giveBack(s.id, &edgeLease{id: rep.Lease})
		}
		s.dryUntil.Store(time.Now().Add(dryFor).UnixNano())
		return nil, nil
	}
	l := &edgeLease{id: rep.Lease, granted: rep.Units, grantedAt: time.Now()}
	l.ends.Store(sent.Add(time.Duration(rep.TTLms)*time.Millisecond - leaseMargin).UnixNano())
	l.left.Store(rep.Units)
	l.lastUse.Store(time.Now().UnixNano())
	e.Granted.Add(rep.Units)
	return l, nil
}

// refill replaces the sale's lease with a new one (one request at a time
// per sale; the others wait for it).
func (e *Edge) refill(ctx context.Context, s *edgeSale, q int64) error {
	s.leaseMu.Lock()
	defer s.leaseMu.Unlock()
	if l := s.lease.Load(); l != nil && l.live() && l.left.Load() >= q {
		return nil // another attempt refilled it meanwhile
	}
	if s.next.Load() != nil {
		return nil // a lease fetched ahead arrived meanwhile
	}
	if time.Now().UnixNano() < s.dryUntil.Load() {
		return ErrSoldOut
	}
	l, err := e.grant(ctx, s, q)
	if err != nil {
		return err
	}
	if l == nil {
		return ErrSoldOut
	}
	if old := s.lease.Swap(l); old != nil {
		go e.giveBack(s.id, old)
	}
	return nil
}

func (e *Edge) ask(ctx context.Context, req leaseRequest) (leaseReply, error) {
	body, _ := json.Marshal(req)
	msg, err := e.nc.RequestWithContext(ctx, subjectLease, body)
	if err != nil {
		return leaseReply{}, err
	}
	var rep leaseReply
	if err := json.Unmarshal(msg.Data, &rep); err != nil {
		return leaseReply{}, err
	}
	if rep.Error != "" {
		return rep, errors.New(rep.Error)
	}
	return rep, nil
}

// giveBack tells the core a lease is done with; its unsold units return
// once the core has stored what was sold from it.
func (e *Edge) giveBack(sale string, l *edgeLease) {
	ctx, cancel := context.WithTimeout(context.Background(), publishTimeout)
	defer cancel()
	if _, err := e.ask(ctx, leaseRequest{Op: "return", Sale: sale, Edge: e.cfg.Node, Lease: l.id}); err != nil {
		e.log.Warn("sales: give a lease back (it returns at its end)", "sale", sale, "lease", l.id, "error", err)
	}
}

// keepLeases renews the leases in use and gives back the idle ones.
func (e *Edge) keepLeases() {
	defer e.done.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-e.quit:
			return
		case <-t.C:
		}
		e.mu.RLock()
		sales := make([]*edgeSale, 0, len(e.sales))
		for _, s := range e.sales {
			sales = append(sales, s)
		}
		e.mu.RUnlock()
		for _, s := range sales {
			e.keep(s, &s.lease, false)
			e.keep(s, &s.next, s.lease.Load() == nil)
			e.shareFigures(s)
		}
	}
}

// edgeFigures are an edge's attempts at a sale, which the core sums for
// the staff console.
type edgeFigures struct {
	Node     string  `json:"node"`
	Attempts int64   `json:"attempts"`
	Rejected []int64 `json:"rejected"` // by Reason
}

// shareFigures tells the core this edge's attempts when they moved.
func (e *Edge) shareFigures(s *edgeSale) {
	f := edgeFigures{Node: e.cfg.Node, Attempts: s.attempts.Load(), Rejected: make([]int64, reasonCount)}
	moved := f.Attempts
	for i := range s.rejected {
		f.Rejected[i] = s.rejected[i].Load()
		moved += f.Rejected[i]
	}
	if moved == s.shared {
		return
	}
	if body, err := json.Marshal(f); err == nil && e.nc.Publish(subjectFigures+"."+s.id, body) == nil {
		s.shared = moved
	}
}

// keep renews the lease in slot if it is in use (or, for the lease fetched
// ahead, while the current one sells), and gives it back otherwise.
func (e *Edge) keep(s *edgeSale, slot *atomic.Pointer[edgeLease], idle bool) {
	l := slot.Load()
	if l == nil {
		return
	}
	if slot == &s.lease {
		idle = time.Since(time.Unix(0, l.lastUse.Load())) > idleLease || l.left.Load() == 0
	}
	if idle {
		if slot.CompareAndSwap(l, nil) {
			e.giveBack(s.id, l)
		}
		return
	}
	if time.Until(time.Unix(0, l.ends.Load())) > 5*time.Second {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), publishTimeout)
	defer cancel()
	sent := time.Now()
	rep, err := e.ask(ctx, leaseRequest{Op: "renew", Sale: s.id, Edge: e.cfg.Node, Lease: l.id})
	switch {
	case err != nil && rep.Error == "":
		e.log.Warn("sales: renew a lease", "sale", s.id, "error", err) // it ends as it stands
	case err != nil: // the core no longer has it
		slot.CompareAndSwap(l, nil)
	default:
		l.ends.Store(sent.Add(time.Duration(rep.TTLms)*time.Millisecond - leaseMargin).UnixNano())
	}
}

// Leased returns the units this edge holds for a sale (tests, console).
func (e *Edge) Leased(sale string) int64 {
	var n int64
	if s := e.sale(sale); s != nil {
		for _, l := range []*edgeLease{s.lease.Load(), s.next.Load()} {
			if l != nil {
				n += l.left.Load()
			}
		}
	}
	return n
}

// String names the edge in logs.
func (e *Edge) String() string {
	return "edge " + e.cfg.Node + " (" + strconv.Itoa(len(e.sales)) + " sales)"
}

var _ seller = (*Edge)(nil)
