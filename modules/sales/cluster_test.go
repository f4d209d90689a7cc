package sales

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/cluster"
	"github.com/canyu/canyu/modules/internal/testutil"
	"github.com/canyu/canyu/platform"
	"github.com/canyu/canyu/ui"
)

// clusterEnv is a sale on the cluster in one test process: the core (the
// env's app, with an embedded NATS server) and edges, each an Edge module
// with its own NATS connection, serving over HTTP and proxying the rest to
// the core.
type clusterEnv struct {
	*env
	bus   *cluster.Bus
	sites []string // the core's base URL, then each edge's
	edges []*Edge
	conns []*nats.Conn
}

func newClusterEnv(t testing.TB, stock, perMember, edges int, tune func(*Config)) *clusterEnv {
	t.Helper()
	e := newEnv(t, stock, perMember)
	bus, err := cluster.Start(cluster.Config{Listen: "127.0.0.1:0", Node: "core", Replicas: 1}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bus.Close)
	if tune != nil {
		tune(&e.mod.cfg)
	}
	if err := e.mod.UseCluster(bus.Conn(), ClusterOptions{Node: "core"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.mod.cluster.Load().close() })
	ce := &clusterEnv{env: e, bus: bus, sites: []string{e.base}}
	core, _ := url.Parse(e.base)
	for i := range edges {
		nc, err := cluster.Connect(bus.URL(), fmt.Sprint("edge ", i))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nc.Close)
		shell, err := ui.New(ui.DefaultConfig(), ui.Deps{AppName: "Canyu", PublicURL: "http://127.0.0.1:8090", Now: e.clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		cfg := e.mod.cfg
		m := New(cfg, Deps{Deps: platform.Deps{UI: shell, Now: e.clock.Now, Live: &testutil.FakeLive{}}})
		h, edge, err := m.ServeEdge(nc, fmt.Sprint("edge-", i), httputil.NewSingleHostReverseProxy(core), remoteHost, e.mod.log)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(edge.Close)
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		ce.sites, ce.edges, ce.conns = append(ce.sites, srv.URL), append(ce.edges, edge), append(ce.conns, nc)
	}
	return ce
}

// at sends a JSON request to one site as member.
func (ce *clusterEnv) at(t testing.TB, site int, method, path string, member *core.Record, body string, header ...string) answer {
	t.Helper()
	token := ""
	if member != nil {
		token = testutil.Token(t, member)
	}
	return testutil.API(t, ce.sites[site], method, path, token, body, header...)
}

// reserveAt reserves member at one site.
func (ce *clusterEnv) reserveAt(t testing.TB, site int, member *core.Record) answer {
	t.Helper()
	c := ce.at(t, site, "GET", "/api/sales/"+ce.sale.Id+"/challenge", member, "")
	if c.Status != http.StatusOK {
		t.Fatalf("challenge at site %d = %d %v", site, c.Status, c.Body)
	}
	ch := c.Body["challenge"].(string)
	// solved at the next site: the processes share the key
	return ce.at(t, (site+1)%len(ce.sites), "POST", "/api/sales/"+ce.sale.Id+"/reservations", member,
		fmt.Sprintf(`{"challenge":%q,"nonce":%q}`, ch, Solve(ch, int(c.Body["bits"].(float64)))))
}

// buyer is member number i, with a verified phone of their own.
func (ce *clusterEnv) buyer(t testing.TB, i int) *core.Record {
	t.Helper()
	m := ce.member(t, fmt.Sprintf("Buyer %03d", i), true)
	m.Set("phone", fmt.Sprintf("+86139%08d", i))
	m.Set("phone_verified", ce.clock.Now().Add(-24*time.Hour))
	if err := ce.app.Save(m); err != nil {
		t.Fatal(err)
	}
	return m
}

// eventually polls cond for up to 20 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 200 {
		if cond() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("not within 20 s: %s", what)
}

func TestClusterSellsOnceAcrossEdges(t *testing.T) {
	const stock, buyers = 10, 30
	ce := newClusterEnv(t, stock, 1, 2, nil)
	members := make([]*core.Record, buyers)
	numbers := map[float64]bool{}
	for i := range members {
		members[i] = ce.buyer(t, i)
		r := ce.reserveAt(t, i%3, members[i])
		if r.Status != http.StatusCreated {
			t.Fatalf("reserve %d = %d %v", i, r.Status, r.Body)
		}
		n := r.Body["number"].(float64)
		if numbers[n] {
			t.Fatalf("reservation number %v given twice", n)
		}
		numbers[n] = true
	}
	if again := ce.reserveAt(t, 2, members[0]); again.Status != http.StatusOK {
		t.Errorf("second reservation at another edge = %d %v, want 200 and the first", again.Status, again.Body)
	}
	eventually(t, "the core stores every reservation", func() bool {
		return ce.count(t, Reservations, "sale = '"+ce.sale.Id+"'") == buyers
	})

	ce.clock.Advance(2*time.Hour + time.Minute)
	type won struct {
		member int
		id     string
	}
	var mu sync.Mutex
	var wins []won
	codes := map[string]int{}
	var wg sync.WaitGroup
	var attempts atomic.Int64
	for i := range members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// an answer that could not be given (503: NATS slow under load)
			// is asked again with the same key, as a member's page does
			var a answer
			for range 10 {
				attempts.Add(1)
				a = ce.at(t, i%3, "POST", "/api/sales/"+ce.sale.Id+"/orders", members[i], `{"quantity":1}`, "Idempotency-Key", "k-"+members[i].Id)
				if a.Status != http.StatusServiceUnavailable {
					break
				}
				time.Sleep(200 * time.Millisecond)
			}
			mu.Lock()
			defer mu.Unlock()
			if a.Status == http.StatusCreated {
				wins = append(wins, won{i, a.Body["order"].(map[string]any)["id"].(string)})
			} else {
				codes[a.Code()]++
			}
		}()
	}
	wg.Wait()
	if len(wins) != stock || codes["sold_out"] != buyers-stock {
		t.Fatalf("%d bought, refusals %v; want %d bought and the rest sold out", len(wins), codes, stock)
	}
	eventually(t, "the core stores every acknowledged order", func() bool {
		return ce.count(t, Orders, "sale = '"+ce.sale.Id+"'") == stock
	})
	// the staff console sums the attempts and refusals of every edge
	eventually(t, "the console counts the attempts of the three processes", func() bool {
		f := ce.live.Last(ConsoleChannel(ce.sale.Id))
		// every member's last attempt reached a seller; a 503 may have come
		// before one did (a token the core did not verify in time)
		n, _ := f["attempts"].(int64)
		return f != nil && n >= buyers && n <= attempts.Load() && f["rejected"].(map[string]any)["sold_out"] == int64(buyers-stock)
	})
	for _, w := range wins {
		if ce.count(t, Orders, fmt.Sprintf("id = '%s' AND member = '%s'", w.id, members[w.member].Id)) != 1 {
			t.Errorf("order %s of buyer %d is not stored", w.id, w.member)
		}
	}

	// the same key at another edge is the same order; another key is refused
	w := wins[0]
	replay := ce.at(t, (w.member+1)%3, "POST", "/api/sales/"+ce.sale.Id+"/orders", members[w.member], `{"quantity":1}`, "Idempotency-Key", "k-"+members[w.member].Id)
	if replay.Status != http.StatusCreated || replay.Body["order"].(map[string]any)["id"] != w.id {
		t.Errorf("replay at another edge = %d %v, want order %s", replay.Status, replay.Body, w.id)
	}
	if a := ce.at(t, (w.member+2)%3, "POST", "/api/sales/"+ce.sale.Id+"/orders", members[w.member], `{}`, "Idempotency-Key", "other"); a.Code() != "limit" {
		t.Errorf("a second purchase at a third edge = %d %v, want limit", a.Status, a.Body)
	}

	// a cancelled order's unit goes back to the pool, and sells again
	if _, err := ce.mod.CancelOrder(w.id, members[w.member].Id); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the cancelled unit is in the pool", func() bool {
		st, err := ce.mod.cluster.Load().leaseState(ce.sale.Id)
		return err == nil && st.Pool >= 1
	})
	bought := map[int]bool{}
	for _, w := range wins {
		bought[w.member] = true
	}
	next := 0
	for bought[next] {
		next++
	}
	// an edge that found the pool empty a moment ago says "sold out" from
	// memory for 250 ms; a key keeps its answer, so a new attempt comes with
	// a new key (the page makes one after each answer)
	var again answer
	for try := 0; ; try++ {
		again = ce.at(t, 1, "POST", "/api/sales/"+ce.sale.Id+"/orders", members[next], `{}`, "Idempotency-Key", fmt.Sprintf("second-%d", try))
		if again.Code() != "sold_out" {
			break
		}
		if try == 100 {
			st, err := ce.mod.cluster.Load().leaseState(ce.sale.Id)
			t.Fatalf("the cancelled unit does not sell in 10 s: the pool %+v (%v), the edge holds %d", st, err, ce.edges[0].Leased(ce.sale.Id))
		}
		time.Sleep(100 * time.Millisecond)
	}
	if again.Status != http.StatusCreated {
		t.Errorf("buying the cancelled unit = %d %v", again.Status, again.Body)
	}
	eventually(t, "the core stores it", func() bool {
		return ce.count(t, Orders, "sale = '"+ce.sale.Id+"' AND status = 'pending'") == stock
	})
}

func TestClusterLeaseOfDeadEdgeReturns(t *testing.T) {
	ce := newClusterEnv(t, 100, 1, 1, func(c *Config) { c.LeaseTTL = 2 * time.Second; c.LeaseUnits = 40 })
	ann := ce.member(t, "Ann", false)
	if r := ce.reserveAt(t, 1, ann); r.Status != http.StatusCreated {
		t.Fatalf("reserve = %d %v", r.Status, r.Body)
	}
	eventually(t, "the reservation is known at the edge", func() bool { return ce.edges[0].Reserved(ce.sale.Id, ann.Id) != 0 })
	ce.clock.Advance(2*time.Hour + time.Minute)
	if a := ce.at(t, 1, "POST", "/api/sales/"+ce.sale.Id+"/orders", ann, `{}`, "Idempotency-Key", "k1"); a.Status != http.StatusCreated {
		t.Fatalf("buy = %d %v", a.Status, a.Body)
	}
	if got := ce.edges[0].Leased(ce.sale.Id); got != 39 {
		t.Fatalf("the edge holds %d units, want 39 of its lease of 40", got)
	}
	st, err := ce.mod.cluster.Load().leaseState(ce.sale.Id)
	if err != nil || st.Pool != 60 || len(st.Leases) != 1 {
		t.Fatalf("pool = %+v (%v), want 60 and one lease", st, err)
	}
	// the edge dies: it neither renews nor gives its lease back
	ce.conns[0].Close()
	eventually(t, "the dead edge's unsold units return", func() bool {
		st, err := ce.mod.cluster.Load().leaseState(ce.sale.Id)
		return err == nil && st.Pool == 99 && len(st.Leases) == 0
	})
	if n := ce.count(t, Orders, "sale = '"+ce.sale.Id+"'"); n != 1 {
		t.Errorf("%d orders stored, want 1", n)
	}
}

func TestClusterEdgeKnowsMembersThroughTheCore(t *testing.T) {
	ce := newClusterEnv(t, 5, 1, 1, nil)
	if a := ce.at(t, 1, "GET", "/api/sales/"+ce.sale.Id+"/challenge", nil, ""); a.Status != http.StatusUnauthorized {
		t.Errorf("a guest's challenge at the edge = %d, want 401", a.Status)
	}
	noPhone := ce.member(t, "Nophone", true)
	if a := ce.at(t, 1, "GET", "/api/sales/"+ce.sale.Id+"/challenge", noPhone, ""); a.Code() != "phone_required" {
		t.Errorf("a member without a verified phone at the edge = %d %v, want phone_required", a.Status, a.Body)
	}
	ann := ce.member(t, "Ann", false)
	v := ce.at(t, 1, "GET", "/api/sales/"+ce.sale.Id, ann, "")
	if v.Status != http.StatusOK || v.Body["stock"] != 5.0 || v.Body["title"] != "Red Tuesday #1" {
		t.Errorf("the sale at the edge = %d %v", v.Status, v.Body)
	}
	// a page is the core's, through the edge
	res, err := http.Get(ce.sites[1] + "/sales/" + ce.sale.Id)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("the sale's page through the edge = %d", res.StatusCode)
	}
}

func remoteHost(r *http.Request) string {
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	return host
}

// TestClusterCountsARedeliveredOrderOnce: an order the stream delivers
// again (the core or a NATS node restarted before its acknowledgement) is
// stored once and counted once: in the sale's figures and in its lease,
// whose unsold units go back to the pool.
func TestClusterCountsARedeliveredOrderOnce(t *testing.T) {
	ce := newClusterEnv(t, 10, 1, 1, nil)
	ann := ce.buyer(t, 1)
	if r := ce.reserveAt(t, 1, ann); r.Status != http.StatusCreated {
		t.Fatalf("reserve = %d %v", r.Status, r.Body)
	}
	ce.clock.Advance(2*time.Hour + time.Minute)
	a := ce.at(t, 1, "POST", "/api/sales/"+ce.sale.Id+"/orders", ann, `{}`, "Idempotency-Key", "once")
	if a.Status != http.StatusCreated {
		t.Fatalf("buy = %d %v", a.Status, a.Body)
	}
	id := a.Body["order"].(map[string]any)["id"].(string)
	cc := ce.mod.cluster.Load()
	eventually(t, "the core stores the order", func() bool { return ce.count(t, Orders, "id = '"+id+"'") == 1 })
	rec, err := ce.app.FindRecordById(Orders, id)
	if err != nil {
		t.Fatal(err)
	}
	lease := rec.GetString("lease")
	// the same message again, under another message id (past the stream's
	// deduplication window, or from a consumer that never acknowledged it)
	o := Order{ID: id, Sale: ce.sale.Id, Member: ann.Id, Quantity: 1, AmountCents: int64(rec.GetInt("amount_cents")), Status: "pending",
		Key: "once", Created: rec.GetDateTime("created").Time(), Expires: rec.GetDateTime("expires").Time(), Lease: lease}
	body, _ := json.Marshal(o)
	js, err := jetstream.New(ce.bus.Conn())
	if err != nil {
		t.Fatal(err)
	}
	ack, err := js.Publish(context.Background(), orderSubject(ce.sale.Id, ann.Id, id), body, jetstream.WithMsgID("again."+id))
	if err != nil || ack.Duplicate {
		t.Fatalf("publish the order again: %v (duplicate %v)", err, ack != nil && ack.Duplicate)
	}
	eventually(t, "the core takes the message", func() bool {
		info, err := cc.consumer.Info(context.Background())
		return err == nil && info.AckFloor.Stream >= ack.Sequence
	})
	if n := ce.count(t, Orders, "sale = '"+ce.sale.Id+"'"); n != 1 {
		t.Errorf("%d orders stored, want 1", n)
	}
	if c, _ := ce.mod.engine.Counters(ce.sale.Id); c.Sold != 1 {
		t.Errorf("the sale's figures count %d sold, want 1", c.Sold)
	}
	cc.mu.Lock()
	sold := cc.sold[lease]
	cc.mu.Unlock()
	if sold != 1 {
		t.Errorf("the lease counts %d sold, want 1 (its other units go back to the pool)", sold)
	}
}
