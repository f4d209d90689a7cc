package sales

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/pocketbase/dbx"

	"github.com/canyu/canyu/cluster"
	"github.com/canyu/canyu/hooks"
)

// ClusterOptions are what the process's place on the bus says.
type ClusterOptions struct {
	Node string
	// Replicas is how many NATS servers keep the stream and the buckets (1,
	// or 3 on a three-node NATS cluster).
	Replicas int
}

// poolState is a sale's stock as the core holds it on the cluster: the
// units no edge holds, and the leases out. It lives in the pool bucket, so
// a core that restarts knows what it lent.
type poolState struct {
	Pool   int64                `json:"pool"`
	Leases map[string]leaseHeld `json:"leases"`
}

type leaseHeld struct {
	Edge  string `json:"edge"`
	Units int64  `json:"units"`
	Ends  int64  `json:"ends"` // unix ms, the core's clock
	// Due: the stream's last sequence when the lease ended; its unsold
	// units return once the core has stored every message up to it.
	Due uint64 `json:"due,omitempty"`
}

// clusterCore is the core's side of the cluster's sale: it publishes the
// sales, lends stock, verifies members for the edges and stores what the
// edges sold.
type clusterCore struct {
	m        *Module
	opts     ClusterOptions
	nc       *nats.Conn
	js       jetstream.JetStream
	stream   jetstream.Stream
	consumer jetstream.Consumer
	defs     jetstream.KeyValue
	pool     jetstream.KeyValue
	edge     *Edge
	ttl      time.Duration
	mu       sync.Mutex
	pools    map[string]*poolEntry
	sold     map[string]int64 // units stored per lease
	quit     chan struct{}
	done     sync.WaitGroup
	// figures: every edge's latest attempts per sale (sale -> node ->)
	figuresMu sync.Mutex
	figures   map[string]map[string]edgeFigures
	subs      []*nats.Subscription
}

type poolEntry struct {
	st  poolState
	rev uint64
}

// UseCluster moves the module's sale onto the cluster: call it once the
// sales are loaded, before serving. From then on every process (this core
// and each edge) sells through an Edge, and this core stores the stream.
func (m *Module) UseCluster(nc *nats.Conn, opts ClusterOptions) error {
	if opts.Replicas < 1 {
		opts.Replicas = 1
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	c := &clusterCore{m: m, opts: opts, nc: nc, js: js, ttl: m.cfg.LeaseTTL, pools: map[string]*poolEntry{},
		sold: map[string]int64{}, quit: make(chan struct{}),
		figures: map[string]map[string]edgeFigures{}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.setUp(ctx); err != nil {
		return fmt.Errorf("sales: on the cluster: %w", err)
	}
	for _, id := range m.engine.Sales() {
		if err := c.publishSale(ctx, id); err != nil {
			return err
		}
	}
	if err := c.loadSold(); err != nil {
		return err
	}
	// a member the core has not seen yet is read from the database: the
	// tokens are verified several at a time
	for subject, fn := range map[string]nats.MsgHandler{subjectLease: c.serveLease, subjectWhois: cluster.Concurrently(cluster.ReplySlots, c.whois),
		subjectFigures + ".*": c.serveFigures} {
		sub, err := nc.QueueSubscribe(subject, "canyu-core", fn)
		if err != nil {
			return err
		}
		c.subs = append(c.subs, sub)
	}
	edge, err := NewEdge(nc, EdgeConfig{Node: opts.Node, Now: m.deps.Now, LeaseUnits: int64(m.cfg.LeaseUnits),
		AttemptsPerSecond: m.cfg.AttemptsPerSecond, OrderExpiry: m.cfg.OrderExpiry, Log: m.log})
	if err != nil {
		return err
	}
	c.edge = edge
	c.done.Add(2)
	go c.consume()
	go c.reclaim()
	m.cluster.Store(c)
	m.seller = edge
	return nil
}

func (c *clusterCore) setUp(ctx context.Context) error {
	var err error
	c.stream, err = c.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: streamName,
		Subjects: []string{subjectOrders + ".>", subjectReserve + ".>"}, Storage: jetstream.FileStorage,
		Replicas: c.opts.Replicas, Duplicates: 10 * time.Minute, MaxAge: 30 * 24 * time.Hour})
	if err != nil {
		return err
	}
	c.consumer, err = c.stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{Durable: "canyu-core",
		AckPolicy: jetstream.AckExplicitPolicy, AckWait: 30 * time.Second, MaxAckPending: 20_000})
	if err != nil {
		return err
	}
	for _, b := range []struct {
		name string
		kv   *jetstream.KeyValue
	}{{bucketSales, &c.defs}, {bucketPool, &c.pool}, {bucketFCodes, nil}} {
		kv, err := c.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: b.name, Replicas: c.opts.Replicas})
		if err != nil {
			return err
		}
		if b.kv != nil {
			*b.kv = kv
		}
	}
	// one proof-of-work key for every process: the first core makes it
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	if _, err := c.defs.Create(ctx, powKey, key); err != nil && !errors.Is(err, jetstream.ErrKeyExists) {
		return err
	}
	entry, err := c.defs.Get(ctx, powKey)
	if err != nil {
		return err
	}
	c.m.challenges = NewChallengesWithKey(c.m.cfg.PowBits, c.m.cfg.PowTTL, entry.Value())
	return nil
}

// publishSale tells the edges a sale (new or changed) and makes its
// buckets and its pool the first time, from what SQLite holds.
func (c *clusterCore) publishSale(ctx context.Context, id string) error {
	info, ok := c.m.engine.Info(id)
	if !ok {
		return nil
	}
	_, err := c.js.KeyValue(ctx, resBucket(id))
	fresh := errors.Is(err, jetstream.ErrBucketNotFound)
	if err != nil && !fresh {
		return err
	}
	base := int64(0)
	if fresh {
		if base, err = c.seed(ctx, id); err != nil {
			return fmt.Errorf("sales: seed sale %s on the cluster: %w", id, err)
		}
	} else if entry, err := c.defs.Get(ctx, id); err == nil {
		var old saleDef
		if json.Unmarshal(entry.Value(), &old) == nil {
			base = old.Base
		}
	}
	if err := c.adjustPool(ctx, id, info.Stock); err != nil {
		return err
	}
	def, _ := json.Marshal(saleDef{Info: info, Base: base})
	_, err = c.defs.Put(ctx, id, def)
	return err
}

// seed makes a sale's buckets from SQLite: its reservations keep their
// numbers, each member's orders holding stock become their claim. It
// returns the base of the numbers given on the cluster.
func (c *clusterCore) seed(ctx context.Context, id string) (int64, error) {
	st, err := loadState(c.m.app, id)
	if err != nil {
		return 0, err
	}
	cfg := jetstream.KeyValueConfig{Replicas: c.opts.Replicas}
	cfg.Bucket = buyBucket(id)
	buy, err := c.js.CreateOrUpdateKeyValue(ctx, cfg)
	if err != nil {
		return 0, err
	}
	claims := map[string]*claim{}
	for _, o := range st.Orders {
		if claims[o.Member] == nil {
			claims[o.Member] = &claim{}
		}
		claims[o.Member].Orders = append(claims[o.Member].Orders, claimed{ID: o.ID, Key: o.Key, Hash: o.BodyHash,
			Qty: o.Quantity, At: o.Created.UnixMilli(), Expires: o.Expires.UnixMilli(), FCode: o.FCode, Stored: true})
	}
	for member, cl := range claims {
		val, _ := json.Marshal(cl)
		if _, err := buy.Put(ctx, member, val); err != nil {
			return 0, err
		}
	}
	cfg.Bucket = resBucket(id)
	res, err := c.js.CreateOrUpdateKeyValue(ctx, cfg) // made last: its presence says the sale is seeded
	if err != nil {
		return 0, err
	}
	var highest int64
	for _, r := range st.Reservations {
		val, _ := json.Marshal(reservedValue{Number: r.Number, Answer: r.Answer})
		if _, err := res.Put(ctx, r.Member, val); err != nil {
			return 0, err
		}
		highest = max(highest, r.Number)
	}
	return highest - int64(len(st.Reservations)), nil
}

// adjustPool makes a sale's pool the first time (the stock not yet
// ordered) and moves it by a change of stock afterwards.
func (c *clusterCore) adjustPool(ctx context.Context, id string, stock int64) error {
	c.mu.Lock()
	_, err := c.poolOf(ctx, id)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		defer c.mu.Unlock()
		cnt, _ := c.m.engine.Counters(id)
		p := &poolEntry{st: poolState{Pool: cnt.Remaining, Leases: map[string]leaseHeld{}}}
		val, _ := json.Marshal(p.st)
		rev, err := c.pool.Create(ctx, id, val)
		if err != nil {
			return err
		}
		p.rev = rev
		c.pools[id] = p
		return c.putStock(ctx, id, stock)
	}
	c.mu.Unlock()
	if err != nil {
		return err
	}
	return c.restock(ctx, id, stock)
}

// putStock remembers the stock the pool was last set for, so a change of
// stock moves the pool by the difference.
func (c *clusterCore) putStock(ctx context.Context, id string, stock int64) error {
	_, err := c.pool.Put(ctx, id+".stock", []byte(fmt.Sprint(stock)))
	return err
}

// restock moves the pool by a change of a sale's stock (staff).
func (c *clusterCore) restock(ctx context.Context, id string, stock int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	entry, err := c.pool.Get(ctx, id+".stock")
	if err != nil {
		return err
	}
	var before int64
	_, _ = fmt.Sscan(string(entry.Value()), &before)
	if before == stock {
		return nil
	}
	p, err := c.poolOf(ctx, id)
	if err != nil {
		return err
	}
	if p.st.Pool+stock-before < 0 {
		return fmt.Errorf("%w: %d units are lent to the edges; try again when they return", ErrBadStock, before-stock-p.st.Pool)
	}
	next := p.st
	next.Pool += stock - before
	if err := c.save(ctx, id, p, next); err != nil {
		return err
	}
	return c.putStock(ctx, id, stock)
}

// poolOf returns a sale's pool, read from the bucket the first time.
// Call with c.mu held.
func (c *clusterCore) poolOf(ctx context.Context, id string) (*poolEntry, error) {
	if p := c.pools[id]; p != nil {
		return p, nil
	}
	entry, err := c.pool.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	p := &poolEntry{rev: entry.Revision()}
	if err := json.Unmarshal(entry.Value(), &p.st); err != nil {
		return nil, err
	}
	if p.st.Leases == nil {
		p.st.Leases = map[string]leaseHeld{}
	}
	c.pools[id] = p
	return p, nil
}

// save stores a pool's next state (compare-and-set on its revision), then
// takes it in memory. Call with c.mu held.
func (c *clusterCore) save(ctx context.Context, id string, p *poolEntry, next poolState) error {
	val, _ := json.Marshal(next)
	rev, err := c.pool.Update(ctx, id, val, p.rev)
	if err != nil {
		delete(c.pools, id) // read it again next time
		return err
	}
	p.st, p.rev = next, rev
	return nil
}

func clone(st poolState) poolState {
	next := poolState{Pool: st.Pool, Leases: make(map[string]leaseHeld, len(st.Leases))}
	for k, v := range st.Leases {
		next.Leases[k] = v
	}
	return next
}

// serveLease answers the edges' lease requests.
func (c *clusterCore) serveLease(msg *nats.Msg) {
	var req leaseRequest
	rep := leaseReply{TTLms: c.ttl.Milliseconds()}
	if err := json.Unmarshal(msg.Data, &req); err != nil {
		rep.Error = "bad request"
		c.reply(msg, rep)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), publishTimeout)
	defer cancel()
	c.mu.Lock()
	defer c.mu.Unlock()
	p, err := c.poolOf(ctx, req.Sale)
	if err != nil {
		rep.Error = "unknown sale"
		c.reply(msg, rep)
		return
	}
	now := time.Now()
	next := clone(p.st)
	switch req.Op {
	case "grant":
		n := min(req.Want, next.Pool)
		if n <= 0 {
			c.reply(msg, rep)
			return
		}
		rep.Lease, rep.Units = "L"+NewID(), n
		next.Pool -= n
		next.Leases[rep.Lease] = leaseHeld{Edge: req.Edge, Units: n, Ends: now.Add(c.ttl).UnixMilli()}
	case "renew", "return":
		l, ok := next.Leases[req.Lease]
		if !ok || l.Due != 0 || l.Ends < now.UnixMilli() {
			rep.Error = "lease ended"
			c.reply(msg, rep)
			return
		}
		if req.Op == "renew" {
			l.Ends = now.Add(c.ttl).UnixMilli()
		} else {
			l.Ends = now.UnixMilli()
		}
		rep.Lease, rep.Units = req.Lease, l.Units
		next.Leases[req.Lease] = l
	default:
		rep.Error = "bad request"
		c.reply(msg, rep)
		return
	}
	if err := c.save(ctx, req.Sale, p, next); err != nil {
		rep = leaseReply{Error: "pool not stored: " + err.Error()}
	}
	c.reply(msg, rep)
}

func (c *clusterCore) reply(msg *nats.Msg, rep leaseReply) {
	body, _ := json.Marshal(rep)
	_ = msg.Respond(body)
}

// reclaim takes back the units of the leases that ended: once a lease is
// past its end and the grace, the core notes the stream's last sequence;
// when it has stored every message up to it, the unsold units go back.
func (c *clusterCore) reclaim() {
	defer c.done.Done()
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-c.quit:
			return
		case <-t.C:
		}
		if err := c.reclaimOnce(); err != nil {
			c.m.log.Warn("sales: take back ended leases", "error", err)
		}
	}
}

func (c *clusterCore) reclaimOnce() error {
	ctx, cancel := context.WithTimeout(context.Background(), publishTimeout)
	defer cancel()
	var last, floor uint64
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range c.m.engine.Sales() {
		p, err := c.poolOf(ctx, id)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		cutoff := time.Now().Add(-leaseGrace).UnixMilli()
		next, changed := clone(p.st), false
		for lid, l := range p.st.Leases {
			switch {
			case l.Ends > cutoff:
			case l.Due == 0:
				if last == 0 {
					si, err := c.stream.Info(ctx)
					if err != nil {
						return err
					}
					last = max(si.State.LastSeq, 1)
				}
				l.Due = last
				next.Leases[lid], changed = l, true
			default:
				if floor == 0 {
					ci, err := c.consumer.Info(ctx)
					if err != nil {
						return err
					}
					floor = ci.AckFloor.Stream
					if ci.NumPending == 0 && ci.NumAckPending == 0 {
						floor = max(floor, ci.Delivered.Stream)
					}
				}
				if floor < l.Due {
					continue
				}
				sold := c.sold[lid]
				if sold > l.Units {
					c.m.log.Error("sales: a lease sold more than it held", "sale", id, "lease", lid, "units", l.Units, "sold", sold)
				}
				next.Pool += max(0, l.Units-sold)
				delete(next.Leases, lid)
				changed = true
			}
		}
		if changed {
			if err := c.save(ctx, id, p, next); err != nil {
				return err
			}
		}
	}
	return nil
}

// loadSold counts what was stored from each lease (at start: the orders in
// SQLite; then the consumer adds as it stores).
func (c *clusterCore) loadSold() error {
	var rows []struct {
		Lease string `db:"lease"`
		Units int64  `db:"units"`
	}
	err := c.m.app.DB().NewQuery("SELECT lease, SUM(quantity) AS units FROM " + Orders + " WHERE lease != '' GROUP BY lease").All(&rows)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range rows {
		c.sold[r.Lease] = r.Units
	}
	return nil
}

// consume stores the stream in SQLite through the group-commit writer: a
// batch of messages, every row of it committed, then acknowledged. A row
// already stored (a message delivered again after a crash) is skipped.
func (c *clusterCore) consume() {
	defer c.done.Done()
	for {
		select {
		case <-c.quit:
			return
		default:
		}
		batch, err := c.consumer.Fetch(512, jetstream.FetchMaxWait(500*time.Millisecond))
		if err != nil {
			c.m.log.Warn("sales: read the order stream", "error", err)
			time.Sleep(250 * time.Millisecond)
			continue
		}
		var msgs []jetstream.Msg
		for msg := range batch.Messages() {
			msgs = append(msgs, msg)
		}
		if len(msgs) > 0 {
			c.store(msgs)
		}
	}
}

func (c *clusterCore) store(msgs []jetstream.Msg) {
	w, err := c.m.store.get()
	if err != nil {
		return
	}
	errs := make([]error, len(msgs))
	orders := make([]*Order, len(msgs))
	reservations := make([]*Reservation, len(msgs))
	for i, msg := range msgs {
		if strings.HasPrefix(msg.Subject(), subjectOrders+".") {
			orders[i] = &Order{}
			errs[i] = json.Unmarshal(msg.Data(), orders[i])
		} else {
			reservations[i] = &Reservation{}
			errs[i] = json.Unmarshal(msg.Data(), reservations[i])
		}
	}
	// an order stored before (a message delivered again after the core or a
	// NATS node restarted) is acknowledged and not counted again: its id is
	// in the table already, which INSERT OR IGNORE alone does not tell
	stored, err := c.storedOrders(orders, errs)
	if err != nil {
		c.m.log.Error("sales: read the stored orders", "error", err)
		for _, msg := range msgs {
			_ = msg.NakWithDelay(time.Second)
		}
		return
	}
	var wg sync.WaitGroup
	for i := range msgs {
		if errs[i] != nil {
			continue
		}
		if orders[i] != nil {
			if stored[orders[i].ID] {
				errs[i] = ErrDuplicate
				continue
			}
			stored[orders[i].ID] = true // the same order twice in one batch
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			if orders[i] != nil {
				errs[i] = w.CommitOrder(ctx, *orders[i])
			} else {
				errs[i] = w.CommitReservation(ctx, *reservations[i])
			}
		}()
	}
	wg.Wait()
	for i, msg := range msgs {
		switch {
		case errs[i] == nil:
			c.took(orders[i], reservations[i])
			_ = msg.Ack()
		case errors.Is(errs[i], ErrDuplicate) || errors.Is(errs[i], ErrFCodeUsed):
			// stored before (a message delivered again); an F-code spent
			// elsewhere was refused at its edge already
			_ = msg.Ack()
		case errors.As(errs[i], new(*json.SyntaxError)) || errors.As(errs[i], new(*json.UnmarshalTypeError)):
			c.m.log.Error("sales: a message of the order stream does not read", "subject", msg.Subject(), "error", errs[i])
			_ = msg.Term()
		default:
			c.m.log.Error("sales: store the order stream", "subject", msg.Subject(), "error", errs[i])
			_ = msg.NakWithDelay(time.Second)
		}
	}
}

// storedOrders returns which of the orders (those without an error) are
// in the database already.
func (c *clusterCore) storedOrders(orders []*Order, errs []error) (map[string]bool, error) {
	var ids []any
	for i, o := range orders {
		if o != nil && errs[i] == nil {
			ids = append(ids, o.ID)
		}
	}
	stored := map[string]bool{}
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), 500)]
		ids = ids[len(chunk):]
		var found []string
		if err := c.m.app.DB().Select("id").From(Orders).Where(dbx.In("id", chunk...)).Column(&found); err != nil {
			return nil, err
		}
		for _, id := range found {
			stored[id] = true
		}
	}
	return stored, nil
}

// took takes a stored order or reservation into the core's engine and tells
// the site, as `serve` alone does when it answers.
func (c *clusterCore) took(o *Order, r *Reservation) {
	if o != nil {
		c.m.engine.Consumed(*o)
		if o.Lease != "" {
			c.mu.Lock()
			c.sold[o.Lease] += int64(o.Quantity)
			c.mu.Unlock()
		}
		c.m.emitOrder(*o)
		return
	}
	c.m.engine.Recorded(*r)
	c.m.emit(&hooks.SaleEvent{Sale: r.Sale, Member: r.Member, Number: r.Number, Answer: r.Answer})
}

// whoisReply is a member as the core tells an edge.
type whoisReply struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Language string    `json:"language"`
	Phone    bool      `json:"phone"`
	Staff    bool      `json:"staff"`
	Created  time.Time `json:"created"`
	Veteran  bool      `json:"veteran"`
	Expires  time.Time `json:"expires"`
	Error    string    `json:"error,omitempty"`
}

// whois verifies a member's token for an edge.
func (c *clusterCore) whois(msg *nats.Msg) {
	var rep whoisReply
	b, exp, err := c.m.buyers.fromToken(string(msg.Data))
	if err != nil {
		rep.Error = "signed out"
	} else {
		rep = whoisReply{ID: b.ID, Name: b.Name, Language: b.Language, Phone: b.PhoneVerified, Staff: b.Staff,
			Created: b.Created, Veteran: c.needsPerk(b) && c.m.hasPerk(b.ID, PerkVeteran), Expires: exp}
	}
	body, _ := json.Marshal(rep)
	_ = msg.Respond(body)
}

// needsPerk: b is too young for a veteran session now loaded (the perk is
// asked only then: asking reads the database).
func (c *clusterCore) needsPerk(b *buyer) bool {
	now := c.m.deps.Now()
	for _, id := range c.m.engine.Sales() {
		if info, ok := c.m.engine.Info(id); ok && info.MinAccountAge > 0 && now.Sub(b.Created) < info.MinAccountAge {
			return true
		}
	}
	return false
}

// release gives an order's units back to the pool and takes it off the
// member's claim (the order was cancelled or expired).
func (c *clusterCore) release(o Order) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c.mu.Lock()
	p, err := c.poolOf(ctx, o.Sale)
	if err == nil {
		next := clone(p.st)
		next.Pool += int64(o.Quantity)
		err = c.save(ctx, o.Sale, p, next)
	}
	c.mu.Unlock()
	if err != nil {
		return err
	}
	buy, err := c.js.KeyValue(ctx, buyBucket(o.Sale))
	if err != nil {
		return err
	}
	for {
		entry, err := buy.Get(ctx, o.Member)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		var cl claim
		if err := json.Unmarshal(entry.Value(), &cl); err != nil {
			return err
		}
		var kept claim
		for _, k := range cl.Orders {
			if k.ID != o.ID {
				kept.Orders = append(kept.Orders, k)
			}
		}
		val, _ := json.Marshal(kept)
		_, err = buy.Update(ctx, o.Member, val, entry.Revision())
		if !errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			return err
		}
	}
}

// publishCounters tells the edges a sale's figures.
// serveFigures keeps an edge's latest attempts at a sale (a dead edge's
// stay: its attempts happened).
func (c *clusterCore) serveFigures(msg *nats.Msg) {
	var f edgeFigures
	if json.Unmarshal(msg.Data, &f) != nil || f.Node == "" || len(f.Rejected) != int(reasonCount) {
		return
	}
	sale := strings.TrimPrefix(msg.Subject, subjectFigures+".")
	c.figuresMu.Lock()
	defer c.figuresMu.Unlock()
	if c.figures[sale] == nil {
		c.figures[sale] = map[string]edgeFigures{}
	}
	c.figures[sale][f.Node] = f
}

// addEdges adds the edges' attempts to a sale's counters (the core's own
// requests sell through its Edge too, so they are among them).
func (c *clusterCore) addEdges(id string, cnt *Counters) {
	c.figuresMu.Lock()
	defer c.figuresMu.Unlock()
	for _, f := range c.figures[id] {
		cnt.Attempts += f.Attempts
		for i, n := range f.Rejected {
			cnt.Rejected[ReasonNames[i]] += n
		}
	}
}

func (c *clusterCore) publishCounters(id string, cnt Counters) {
	if body, err := json.Marshal(cnt); err == nil {
		_ = c.nc.Publish(subjectCounters+"."+id, body)
	}
}

func (c *clusterCore) close() {
	select {
	case <-c.quit:
		return
	default:
		close(c.quit)
	}
	for _, s := range c.subs {
		_ = s.Unsubscribe()
	}
	c.edge.Close()
	c.done.Wait()
}

// leaseState is a sale's pool as the core holds it (tests, console).
func (c *clusterCore) leaseState(id string) (poolState, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c.mu.Lock()
	defer c.mu.Unlock()
	p, err := c.poolOf(ctx, id)
	if err != nil {
		return poolState{}, err
	}
	return clone(p.st), nil
}
