package sales

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// The outcomes a member is told, each with its own message and status.
var (
	ErrUnknownSale     = errors.New("sales: unknown sale")
	ErrNotOpen         = errors.New("sales: sale not open yet")
	ErrClosed          = errors.New("sales: sale closed")
	ErrSoldOut         = errors.New("sales: sold out")
	ErrNotReserved     = errors.New("sales: not reserved")
	ErrLimit           = errors.New("sales: purchase limit reached")
	ErrBadQuantity     = errors.New("sales: bad quantity")
	ErrReserveNotOpen  = errors.New("sales: reservations not open yet")
	ErrReserveClosed   = errors.New("sales: reservations closed")
	ErrBadAnswer       = errors.New("sales: answer not among the choices")
	ErrKeyReused       = errors.New("sales: idempotency key reused with another body")
	ErrKeyInFlight     = errors.New("sales: a request with this idempotency key is still in flight")
	ErrTooFast         = errors.New("sales: too many attempts")
	ErrUnavailable     = errors.New("sales: could not store the order")
	ErrPhoneRequired   = errors.New("sales: verified phone required")
	ErrAccountTooYoung = errors.New("sales: account too young")
	ErrStaffOnly       = errors.New("sales: staff-only sale")
)

// Reason names a rejection in the console's counters.
type Reason int

// The reasons counted by the console, in display order.
const (
	ReasonSoldOut Reason = iota
	ReasonNotReserved
	ReasonLimit
	ReasonNotOpen
	ReasonClosed
	ReasonTooFast
	ReasonOther
	reasonCount
)

// ReasonNames are the console's labels for the reasons.
var ReasonNames = [reasonCount]string{"sold_out", "not_reserved", "limit", "not_open", "closed", "too_fast", "other"}

func reasonOf(err error) Reason {
	switch {
	case errors.Is(err, ErrSoldOut):
		return ReasonSoldOut
	case errors.Is(err, ErrNotReserved):
		return ReasonNotReserved
	case errors.Is(err, ErrLimit):
		return ReasonLimit
	case errors.Is(err, ErrNotOpen):
		return ReasonNotOpen
	case errors.Is(err, ErrClosed):
		return ReasonClosed
	case errors.Is(err, ErrTooFast):
		return ReasonTooFast
	}
	return ReasonOther
}

// SaleInfo is a sale's definition, as staff set it in the dashboard.
type SaleInfo struct {
	ID            string
	Title         string
	ReserveOpens  time.Time
	ReserveCloses time.Time
	Starts        time.Time
	Ends          time.Time
	Stock         int64
	PerMember     int
	PriceCents    int64
	MinAccountAge time.Duration
	StaffOnly     bool
	Choices       []string
	// Published: staff made the sale public. An unpublished sale is not
	// served: it takes no reservation and no order.
	Published bool
}

// Reservation is a member's right to buy in a sale.
type Reservation struct {
	Sale, Member string
	Number       int64
	Answer       string
	Created      time.Time
}

// Order is an accepted purchase.
type Order struct {
	ID, Sale, Member string
	Quantity         int
	AmountCents      int64
	Status           string
	Key, BodyHash    string
	FCode            string
	Created, Expires time.Time
	// Lease is the stock lease an edge sold the order from (empty when
	// `serve` alone sold it): see docs/cluster.md.
	Lease string
}

// Store makes the engine's decisions durable. Each call returns only after
// the row is committed (or has failed, changing nothing).
type Store interface {
	CommitReservation(ctx context.Context, r Reservation) error
	CommitOrder(ctx context.Context, o Order) error
}

// BuyRequest is one purchase attempt.
type BuyRequest struct {
	Sale, Member  string
	Quantity      int
	Key, BodyHash string // the Idempotency-Key and a hash of the body
	Now           time.Time
	// FCode is a code already redeemed for this purchase: it stands in for
	// the reservation.
	FCode string
}

// Engine decides reservations and purchases in memory and makes each
// accepted one durable through its Store before answering. Rejections are
// answered from memory alone. The database is the truth: Load rebuilds a
// sale's state from it on start.
type Engine struct {
	store  Store
	newID  func() string
	expiry time.Duration
	perSec float64 // attempts per member per second (token bucket)
	mu     sync.RWMutex
	sales  map[string]*saleState
}

// EngineConfig tunes the engine.
type EngineConfig struct {
	// OrderExpiry is how long an order may stay unpaid.
	OrderExpiry time.Duration
	// AttemptsPerSecond bounds one member's purchase attempts (burst: twice).
	AttemptsPerSecond float64
	// NewID returns a fresh record id.
	NewID func() string
}

// NewEngine returns an engine writing through store.
func NewEngine(store Store, cfg EngineConfig) *Engine {
	return &Engine{store: store, newID: cfg.NewID, expiry: cfg.OrderExpiry, perSec: cfg.AttemptsPerSecond,
		sales: map[string]*saleState{}}
}

const shardCount = 64

type saleState struct {
	info       atomic.Pointer[SaleInfo]
	remaining  atomic.Int64
	sold       atomic.Int64
	reserved   atomic.Int64
	lastNumber atomic.Int64
	attempts   atomic.Int64
	rejected   [reasonCount]atomic.Int64
	answersMu  sync.Mutex
	answers    map[string]int64
	seed       maphash.Seed
	shards     [shardCount]shard
}

type shard struct {
	mu      sync.Mutex
	members map[string]*memberState
}

type memberState struct {
	number    int64 // reservation number, 0 when not reserved
	reserving bool
	bought    int
	keys      []*keyEntry // the answers kept per idempotency key, oldest first
	tokens    float64
	last      time.Time
	// boughtSeen: when an edge last learnt bought from the cluster;
	// notReserved: when it last found no reservation there
	boughtSeen, notReserved time.Time
}

type keyEntry struct {
	key, hash string
	inFlight  bool
	order     *Order // the accepted order; nil for a refusal
	err       error
}

// maxKeys bounds the answers remembered per member: successful orders are
// kept, the oldest rejections are forgotten first.
const maxKeys = 32

func (s *saleState) shard(member string) *shard {
	return &s.shards[maphash.String(s.seed, member)%shardCount]
}

func (sh *shard) member(id string) *memberState {
	m := sh.members[id]
	if m == nil {
		m = &memberState{}
		sh.members[id] = m
	}
	return m
}

// SaleState is what Load needs from the database to rebuild a sale.
type SaleState struct {
	Reservations []Reservation
	Orders       []Order // only orders holding stock (pending or paid)
}

// Load installs a sale with the reservations and live orders stored for it,
// replacing any previous state. remaining = stock - ordered quantity.
func (e *Engine) Load(info SaleInfo, st SaleState) error {
	s := &saleState{seed: maphash.MakeSeed(), answers: map[string]int64{}}
	for i := range s.shards {
		s.shards[i].members = map[string]*memberState{}
	}
	inf := info
	s.info.Store(&inf)
	for _, r := range st.Reservations {
		m := s.shard(r.Member).member(r.Member)
		m.number = r.Number
		s.reserved.Add(1)
		if r.Number > s.lastNumber.Load() {
			s.lastNumber.Store(r.Number)
		}
		if r.Answer != "" {
			s.answers[r.Answer]++
		}
	}
	var sold int64
	for _, o := range st.Orders {
		m := s.shard(o.Member).member(o.Member)
		m.bought += o.Quantity
		sold += int64(o.Quantity)
		if o.Key != "" {
			m.remember(&keyEntry{key: o.Key, hash: o.BodyHash, order: &o})
		}
	}
	if sold > info.Stock {
		return fmt.Errorf("sales: sale %s has %d ordered over a stock of %d", info.ID, sold, info.Stock)
	}
	s.sold.Store(sold)
	s.remaining.Store(info.Stock - sold)
	e.mu.Lock()
	e.sales[info.ID] = s
	e.mu.Unlock()
	return nil
}

// Update applies a changed definition to a loaded sale. A stock change adds
// or removes the difference; it fails if it would take back sold units.
func (e *Engine) Update(info SaleInfo) error {
	s := e.sale(info.ID)
	if s == nil {
		return ErrUnknownSale
	}
	old := s.info.Load()
	delta := info.Stock - old.Stock
	if delta < 0 {
		for {
			r := s.remaining.Load()
			if r+delta < 0 {
				return fmt.Errorf("sales: stock %d is below the %d units already sold", info.Stock, old.Stock-r)
			}
			if s.remaining.CompareAndSwap(r, r+delta) {
				break
			}
		}
	} else {
		s.remaining.Add(delta)
	}
	inf := info
	s.info.Store(&inf)
	return nil
}

// Unload forgets a sale.
func (e *Engine) Unload(id string) {
	e.mu.Lock()
	delete(e.sales, id)
	e.mu.Unlock()
}

func (e *Engine) sale(id string) *saleState {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.sales[id]
}

// Info returns a loaded sale's definition.
func (e *Engine) Info(id string) (SaleInfo, bool) {
	s := e.sale(id)
	if s == nil {
		return SaleInfo{}, false
	}
	return *s.info.Load(), true
}

// Reserve gives member a reservation (or returns the one they hold: created
// is then false). Eligibility (phone, account age, staff) is checked by the
// caller, which knows the member.
func (e *Engine) Reserve(ctx context.Context, saleID, member, answer string, now time.Time) (r Reservation, created bool, err error) {
	s := e.sale(saleID)
	if s == nil {
		return r, false, ErrUnknownSale
	}
	info := s.info.Load()
	if !info.Published {
		return r, false, ErrUnknownSale
	}
	sh := s.shard(member)
	sh.mu.Lock()
	m := sh.member(member)
	if m.number != 0 {
		n := m.number
		sh.mu.Unlock()
		return Reservation{Sale: saleID, Member: member, Number: n}, false, nil
	}
	switch {
	case now.Before(info.ReserveOpens):
		err = ErrReserveNotOpen
	case !now.Before(info.ReserveCloses):
		err = ErrReserveClosed
	case m.reserving:
		err = ErrKeyInFlight
	case len(info.Choices) > 0 && !slices.Contains(info.Choices, answer):
		err = ErrBadAnswer
	}
	if err != nil {
		sh.mu.Unlock()
		return r, false, err
	}
	if len(info.Choices) == 0 {
		answer = ""
	}
	m.reserving = true
	sh.mu.Unlock()

	r = Reservation{Sale: saleID, Member: member, Number: s.lastNumber.Add(1), Answer: answer, Created: now}
	cerr := e.store.CommitReservation(ctx, r)

	sh.mu.Lock()
	m.reserving = false
	if cerr == nil {
		m.number = r.Number
	}
	sh.mu.Unlock()
	if cerr != nil {
		return Reservation{}, false, fmt.Errorf("%w: %w", ErrUnavailable, cerr)
	}
	s.reserved.Add(1)
	if answer != "" {
		s.answersMu.Lock()
		s.answers[answer]++
		s.answersMu.Unlock()
	}
	return r, true, nil
}

// Reserved returns member's reservation number in a sale (0: none).
func (e *Engine) Reserved(saleID, member string) int64 {
	s := e.sale(saleID)
	if s == nil {
		return 0
	}
	sh := s.shard(member)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if m := sh.members[member]; m != nil {
		return m.number
	}
	return 0
}

// Buy decides a purchase attempt. An accepted order is committed through
// the store before Buy returns it; a replayed idempotency key returns the
// first answer. replay reports that the answer is a replay.
func (e *Engine) Buy(ctx context.Context, req BuyRequest) (o Order, replay bool, err error) {
	s := e.sale(req.Sale)
	if s == nil {
		return o, false, ErrUnknownSale
	}
	info := s.info.Load()
	if !info.Published {
		return o, false, ErrUnknownSale
	}
	s.attempts.Add(1)
	sh := s.shard(req.Member)

	sh.mu.Lock()
	m := sh.member(req.Member)
	if req.Key != "" {
		if k := m.key(req.Key); k != nil {
			sh.mu.Unlock()
			switch {
			case k.hash != req.BodyHash:
				return o, false, ErrKeyReused
			case k.inFlight:
				return o, false, ErrKeyInFlight
			case k.order != nil:
				return *k.order, true, nil
			}
			return o, true, k.err
		}
	}
	err = e.decide(s, info, m, req)
	if err != nil {
		if req.Key != "" && !errors.Is(err, ErrTooFast) {
			m.remember(&keyEntry{key: req.Key, hash: req.BodyHash, err: err})
		}
		sh.mu.Unlock()
		s.rejected[reasonOf(err)].Add(1)
		return o, false, err
	}
	m.bought += req.Quantity
	entry := &keyEntry{key: req.Key, hash: req.BodyHash, inFlight: true}
	if req.Key != "" {
		m.remember(entry)
	}
	sh.mu.Unlock()

	o = Order{ID: e.newID(), Sale: req.Sale, Member: req.Member, Quantity: req.Quantity,
		AmountCents: info.PriceCents * int64(req.Quantity), Status: "pending", Key: req.Key, BodyHash: req.BodyHash,
		FCode: req.FCode, Created: req.Now, Expires: req.Now.Add(e.expiry)}
	cerr := e.store.CommitOrder(ctx, o)

	sh.mu.Lock()
	if cerr != nil {
		m.bought -= req.Quantity
		m.forget(entry) // the attempt changed nothing: a retry is decided anew
		sh.mu.Unlock()
		s.remaining.Add(int64(req.Quantity))
		s.rejected[ReasonOther].Add(1)
		return Order{}, false, fmt.Errorf("%w: %w", ErrUnavailable, cerr)
	}
	entry.inFlight = false
	entry.order = &o
	sh.mu.Unlock()
	s.sold.Add(int64(req.Quantity))
	return o, false, nil
}

// decide checks one attempt against the sale and the member, and takes the
// stock. It runs under the member's shard lock.
func (e *Engine) decide(s *saleState, info *SaleInfo, m *memberState, req BuyRequest) error {
	switch {
	case req.Quantity < 1:
		return ErrBadQuantity
	case req.Quantity > info.PerMember:
		return ErrLimit
	case req.Now.Before(info.Starts):
		return ErrNotOpen
	case !req.Now.Before(info.Ends):
		return ErrClosed
	case m.number == 0 && req.FCode == "":
		return ErrNotReserved
	case m.bought+req.Quantity > info.PerMember:
		return ErrLimit
	case !m.allow(req.Now, e.perSec):
		return ErrTooFast
	}
	q := int64(req.Quantity)
	for {
		r := s.remaining.Load()
		if r < q {
			return ErrSoldOut
		}
		if s.remaining.CompareAndSwap(r, r-q) {
			return nil
		}
	}
}

// allow takes a token from the member's attempt bucket.
func (m *memberState) allow(now time.Time, perSec float64) bool {
	if perSec <= 0 {
		return true
	}
	burst := 2 * perSec
	if m.last.IsZero() {
		m.tokens = burst
	} else {
		m.tokens = min(burst, m.tokens+now.Sub(m.last).Seconds()*perSec)
	}
	m.last = now
	if m.tokens < 1 {
		return false
	}
	m.tokens--
	return true
}

// key returns the answer kept for an idempotency key (nil: none). A member
// keeps a few keys, so a scan beats a map per member.
func (m *memberState) key(k string) *keyEntry {
	for _, e := range m.keys {
		if e.key == k {
			return e
		}
	}
	return nil
}

// remember keeps an answer; past maxKeys the oldest refusal is forgotten
// (accepted and in-flight orders are always kept).
func (m *memberState) remember(k *keyEntry) {
	if len(m.keys) >= maxKeys {
		for i, old := range m.keys {
			if old.err != nil {
				m.keys = slices.Delete(m.keys, i, i+1)
				break
			}
		}
	}
	m.keys = append(m.keys, k)
}

func (m *memberState) forget(k *keyEntry) {
	if i := slices.Index(m.keys, k); i >= 0 {
		m.keys = slices.Delete(m.keys, i, i+1)
	}
}

// Release returns an order's stock (it was cancelled or expired) and frees
// the member's limit. Call it after the order's new status is committed.
func (e *Engine) Release(saleID, member string, quantity int) {
	s := e.sale(saleID)
	if s == nil {
		return
	}
	sh := s.shard(member)
	sh.mu.Lock()
	m := sh.member(member)
	m.bought = max(0, m.bought-quantity)
	sh.mu.Unlock()
	s.remaining.Add(int64(quantity))
	s.sold.Add(-int64(quantity))
}

// Consumed takes into the engine an order decided elsewhere (an edge of the
// cluster) and already stored: its stock, the member's count and its
// idempotency key. The core's engine then shows what was sold.
func (e *Engine) Consumed(o Order) {
	s := e.sale(o.Sale)
	if s == nil {
		return
	}
	sh := s.shard(o.Member)
	sh.mu.Lock()
	m := sh.member(o.Member)
	m.bought += o.Quantity
	if o.Key != "" && m.key(o.Key) == nil {
		m.remember(&keyEntry{key: o.Key, hash: o.BodyHash, order: &o})
	}
	sh.mu.Unlock()
	s.remaining.Add(-int64(o.Quantity))
	s.sold.Add(int64(o.Quantity))
}

// Recorded takes into the engine a reservation made elsewhere (an edge)
// and already stored.
func (e *Engine) Recorded(r Reservation) {
	s := e.sale(r.Sale)
	if s == nil {
		return
	}
	sh := s.shard(r.Member)
	sh.mu.Lock()
	m := sh.member(r.Member)
	fresh := m.number == 0
	if fresh {
		m.number = r.Number
	}
	sh.mu.Unlock()
	if !fresh {
		return
	}
	s.reserved.Add(1)
	for {
		last := s.lastNumber.Load()
		if r.Number <= last || s.lastNumber.CompareAndSwap(last, r.Number) {
			break
		}
	}
	if r.Answer != "" {
		s.answersMu.Lock()
		s.answers[r.Answer]++
		s.answersMu.Unlock()
	}
}

// Counters are a sale's public and console figures.
type Counters struct {
	Stock, Remaining, Sold, Reserved, Attempts int64
	Rejected                                   map[string]int64
	Answers                                    map[string]int64
}

// Counters reads a sale's figures.
func (e *Engine) Counters(id string) (Counters, bool) {
	s := e.sale(id)
	if s == nil {
		return Counters{}, false
	}
	c := Counters{Stock: s.info.Load().Stock, Remaining: s.remaining.Load(), Sold: s.sold.Load(),
		Reserved: s.reserved.Load(), Attempts: s.attempts.Load(), Rejected: map[string]int64{}, Answers: map[string]int64{}}
	for i := range s.rejected {
		c.Rejected[ReasonNames[i]] = s.rejected[i].Load()
	}
	s.answersMu.Lock()
	for k, v := range s.answers {
		c.Answers[k] = v
	}
	s.answersMu.Unlock()
	return c, true
}

// Sales lists the loaded sales' ids.
func (e *Engine) Sales() []string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	ids := make([]string, 0, len(e.sales))
	for id := range e.sales {
		ids = append(ids, id)
	}
	return ids
}
