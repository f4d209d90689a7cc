package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"golang.org/x/crypto/bcrypt"
)

// natsCluster is a three-node NATS cluster with JetStream in the test
// process, on loopback ports.
type natsCluster struct {
	opts []*server.Options
	srvs []*server.Server
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func startNATSCluster(t *testing.T, dir string) *natsCluster {
	t.Helper()
	nc := &natsCluster{}
	var routes []*url.URL
	ports := make([][2]int, 3)
	for i := range ports {
		ports[i] = [2]int{freePort(t), freePort(t)}
		routes = append(routes, &url.URL{Scheme: "nats", Host: fmt.Sprintf("127.0.0.1:%d", ports[i][1])})
	}
	for i := range ports {
		nc.opts = append(nc.opts, &server.Options{ServerName: fmt.Sprint("n", i), Host: "127.0.0.1", Port: ports[i][0],
			JetStream: true, StoreDir: filepath.Join(dir, fmt.Sprint("n", i)), NoSigs: true, NoLog: true,
			Cluster: server.ClusterOpts{Name: "canyu-test", Host: "127.0.0.1", Port: ports[i][1]}, Routes: routes})
		nc.srvs = append(nc.srvs, nil)
		nc.start(t, i)
	}
	t.Cleanup(func() {
		for _, s := range nc.srvs {
			if s != nil {
				s.Shutdown()
				s.WaitForShutdown()
			}
		}
	})
	// JetStream answers once the cluster has a meta leader
	conn, err := nats.Connect(nc.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	js, _ := jetstream.New(conn)
	for range 300 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err = js.AccountInfo(ctx)
		cancel()
		if err == nil {
			return nc
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the NATS cluster's JetStream is not ready: %v", err)
	return nil
}

func (nc *natsCluster) start(t *testing.T, i int) {
	t.Helper()
	s, err := server.NewServer(nc.opts[i])
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatalf("NATS node %d did not start", i)
	}
	nc.srvs[i] = s
}

// restart stops node i and starts it again on its data.
func (nc *natsCluster) restart(t *testing.T, i int) {
	t.Helper()
	nc.srvs[i].Shutdown()
	nc.srvs[i].WaitForShutdown()
	nc.srvs[i] = nil
	time.Sleep(time.Second)
	nc.start(t, i)
}

// URL lists the nodes for clients.
func (nc *natsCluster) URL() string {
	var urls []string
	for _, o := range nc.opts {
		urls = append(urls, fmt.Sprintf("nats://127.0.0.1:%d", o.Port))
	}
	return strings.Join(urls, ",")
}

// proc is a Canyu process (core or edge) run from this test binary.
type proc struct {
	cmd  *exec.Cmd
	base string
}

func startProc(t *testing.T, args string, env []string, ready string) *proc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), "CANYUTEST_SERVE=1", "CANYUTEST_ARGS="+args), env...)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd}
	t.Cleanup(p.kill)
	for range 600 {
		if res, err := http.Get(ready); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return p
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s did not get ready", args)
	return nil
}

// kill sends SIGKILL.
func (p *proc) kill() {
	if p.cmd.ProcessState == nil {
		_ = p.cmd.Process.Kill()
		_ = p.cmd.Wait()
	}
}

// TestClusterFaults runs a sale on the cluster (a three-node NATS cluster
// with JetStream, the core, three edges) and, in the middle of its burst,
// kills an edge with SIGKILL, kills the core with SIGKILL and starts it
// again, and restarts a NATS node. Then: the sale sold out all its stock
// and no more, at most one order per member across the edges, every
// acknowledged order is stored once, and the dead edge's leases came back
// within their time.
func TestClusterFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a NATS cluster and server processes")
	}
	const members, stock = 700, 600
	began := time.Now()
	dir := t.TempDir()
	data := filepath.Join(dir, "pb_data")
	saleID, tokens := seedClusterSale(t, data, members, stock)
	t.Logf("%v: %d members and their reservations stored", time.Since(began).Round(time.Millisecond), members)
	nc := startNATSCluster(t, filepath.Join(dir, "nats"))
	t.Logf("%v: the NATS cluster is ready", time.Since(began).Round(time.Millisecond))

	coreAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	env := []string{"CANYU_SALES_ATTEMPTS_PER_SECOND=0", "CANYU_SALES_LEASE_TTL=3s", "CANYU_SALES_LEASE_UNITS=32",
		"CANYU_CLUSTER_NATS_URL=" + nc.URL(), "CANYU_CLUSTER_REPLICAS=3", "CANYU_APP_PUBLIC_URL=http://" + coreAddr}
	startCore := func() *proc {
		return startProc(t, "serve --cluster --dir "+data+" --http "+coreAddr, append(env, "CANYU_CLUSTER_NODE=core"),
			"http://"+coreAddr+"/api/sales/"+saleID)
	}
	coreP := startCore()
	edges := make([]*proc, 3)
	for i := range edges {
		addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
		edges[i] = startProc(t, fmt.Sprintf("edge --nats %s --core http://%s --http %s --node edge-%d", nc.URL(), coreAddr, addr, i),
			env, "http://"+addr+"/api/sales/"+saleID)
		edges[i].base = "http://" + addr
	}

	t.Logf("%v: the core and three edges serve", time.Since(began).Round(time.Millisecond))
	type acked struct{ member, id, key string }
	var (
		mu      sync.Mutex
		acks    []acked
		alive   = []atomic.Bool{{}, {}, {}}
		done    atomic.Bool
		refused atomic.Int64
	)
	for i := range alive {
		alive[i].Store(true)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	buy := func(edge, member int, key string) (int, string, string) {
		req, _ := http.NewRequest("POST", edges[edge].base+"/api/sales/"+saleID+"/orders", strings.NewReader(`{}`))
		req.Header.Set("Authorization", tokens[member])
		req.Header.Set("Idempotency-Key", key)
		res, err := client.Do(req)
		if err != nil {
			return 0, "", ""
		}
		defer res.Body.Close()
		var body struct {
			Order struct{ ID string }   `json:"order"`
			Data  struct{ Code string } `json:"data"`
		}
		_ = json.NewDecoder(res.Body).Decode(&body)
		return res.StatusCode, body.Order.ID, body.Data.Code
	}
	// each member buys on a live edge: an answer lost (an edge or the core
	// gone, 503) is retried with the same key, a "sold out" later with a
	// new one (stock comes back from a dead edge's lease); bounded in time
	deadline := time.Now().Add(3 * time.Minute)
	next := atomic.Int64{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for !done.Load() && time.Now().Before(deadline) {
				turn := int(next.Add(1))
				member := turn % members
				for attempt := 0; !done.Load() && time.Now().Before(deadline); attempt++ {
					key := fmt.Sprintf("m%d-t%d-a%d", member, turn, attempt)
					var status int
					var id, code string
					for try := 0; try < 100 && time.Now().Before(deadline); try++ {
						edge := rand.IntN(3)
						if !alive[edge].Load() {
							continue
						}
						status, id, code = buy(edge, member, key)
						if status == http.StatusCreated || status == http.StatusConflict && code != "in_flight" {
							break
						}
						time.Sleep(50 * time.Millisecond) // unknown outcome: the same key again
					}
					if status == http.StatusCreated {
						mu.Lock()
						acks = append(acks, acked{fmt.Sprint(member), id, key}) // a member told yes twice is an error below
						if len(acks) == stock {
							done.Store(true)
						}
						mu.Unlock()
						break
					}
					refused.Add(1)
					if code == "limit" {
						break
					}
					time.Sleep(100 * time.Millisecond)
					break // sold out for now: the next member's turn; this one comes round again
				}
				time.Sleep(250 * time.Millisecond) // a burst that lasts while the faults happen
			}
		})
	}
	sold := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(acks)
	}
	js := natsJS(t, nc.URL())
	// each fault waits for a share of the stock to be sold, and must come
	// before the sale sold out
	midBurst := func(share float64, fault string) {
		for sold() < int(share*stock) && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		n := sold()
		if n >= stock {
			t.Errorf("the sale sold out before %s", fault)
		}
		t.Logf("%v: %s at %d sold", time.Since(began).Round(time.Millisecond), fault, n)
	}

	// 1. kill -9 an edge mid-burst: its leases come back within their time
	// (3 s, renewed each second) and the grace (3 s), plus the core's ticks
	midBurst(0.15, "edge 2 killed")
	edges[2].kill()
	alive[2].Store(false)
	killedAt := time.Now()
	back := time.Duration(0)
	for back == 0 && time.Since(killedAt) < 30*time.Second {
		if pool, ok := readPool(js, saleID); ok && !pool.heldBy("edge-2") {
			back = time.Since(killedAt)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if back == 0 || back > 8*time.Second {
		t.Errorf("the dead edge's leases came back after %v (0: not in 30 s)", back)
	}
	t.Logf("edge 2's leases back %v after its death", back.Round(time.Millisecond))

	// 2. kill -9 the core mid-burst, then start it again
	midBurst(0.45, "core killed")
	coreP.kill()
	time.Sleep(2 * time.Second)
	coreP = startCore()
	t.Logf("%v: core back at %d sold", time.Since(began).Round(time.Millisecond), sold())

	// 3. restart a NATS node mid-burst
	midBurst(0.75, "NATS node 0 restarted")
	nc.restart(t, 0)

	wg.Wait()
	t.Logf("%v: the burst ended at %d sold (%d refusals)", time.Since(began).Round(time.Millisecond), sold(), refused.Load())
	if n := sold(); n != stock {
		t.Errorf("%d orders acknowledged (%d refusals), want the whole stock of %d", n, refused.Load(), stock)
	}
	// the core stores every acknowledged order
	var view struct{ Sold, Remaining int }
	for range 300 {
		res, err := http.Get("http://" + coreAddr + "/api/sales/" + saleID)
		if err == nil {
			_ = json.NewDecoder(res.Body).Decode(&view)
			res.Body.Close()
			if view.Sold == stock {
				break
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	liveAtEdge(t, edges[0].base, tokens[0], saleID, stock)
	coreP.kill()
	for _, e := range edges {
		e.kill()
	}

	check := core.NewBaseApp(core.BaseAppConfig{DataDir: data})
	if err := check.Bootstrap(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = check.OnTerminate().Trigger(&core.TerminateEvent{App: check})
		_ = check.ResetBootstrapState()
	}()
	var rows []struct {
		ID     string `db:"id"`
		Member string `db:"member"`
		Qty    int    `db:"quantity"`
	}
	if err := check.DB().NewQuery("SELECT id, member, quantity FROM sales_orders WHERE sale = {:s}").Bind(dbx.Params{"s": saleID}).All(&rows); err != nil {
		t.Fatal(err)
	}
	units, perMember, byID := 0, map[string]int{}, map[string]int{}
	for _, r := range rows {
		units += r.Qty
		perMember[r.Member]++
		byID[r.ID]++
	}
	if units != stock {
		t.Errorf("%d units stored for a stock of %d (the core's view: %+v)", units, stock, view)
	}
	for m, n := range perMember {
		if n > 1 {
			t.Errorf("member %s has %d orders across the edges", m, n)
		}
	}
	ackedBy := map[string]int{}
	for _, a := range acks {
		ackedBy[a.member]++
		if byID[a.id] != 1 {
			t.Errorf("acknowledged order %s (key %s, member %s) is stored %d times", a.id, a.key, a.member, byID[a.id])
		}
	}
	for m, n := range ackedBy {
		if n > 1 {
			t.Errorf("member %s was told yes %d times", m, n)
		}
	}
}

// seedClusterSale makes the database: members with verified phones and
// reservations, and a sale open now. It returns the sale and the tokens.
func seedClusterSale(t *testing.T, dir string, members, stock int) (string, []string) {
	t.Helper()
	app := core.NewBaseApp(core.BaseAppConfig{DataDir: dir})
	if err := app.Bootstrap(); err != nil {
		t.Fatal(err)
	}
	if err := app.RunAllMigrations(); err != nil {
		t.Fatal(err)
	}
	users, _ := app.FindCollectionByNameOrId("users")
	if f, ok := users.Fields.GetByName(core.FieldNamePassword).(*core.PasswordField); ok {
		f.Cost = bcrypt.MinCost
	}
	if err := app.Save(users); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	pc, _ := app.FindCollectionByNameOrId("sales_products")
	product := core.NewRecord(pc)
	product.Set("name", "Phone")
	product.Set("price_cents", 100)
	if err := app.Save(product); err != nil {
		t.Fatal(err)
	}
	sc, _ := app.FindCollectionByNameOrId("sales_sales")
	sale := core.NewRecord(sc)
	for k, v := range map[string]any{"product": product.Id, "title": "Cluster faults", "published": true, "stock": stock, "per_member": 1,
		"reserve_opens": now.Add(-2 * time.Hour), "reserve_closes": now.Add(-time.Hour), "starts": now.Add(-time.Minute), "ends": now.Add(time.Hour)} {
		sale.Set(k, v)
	}
	if err := app.Save(sale); err != nil {
		t.Fatal(err)
	}
	tokens := make([]string, members)
	err := app.RunInTransaction(func(tx core.App) error {
		for i := range tokens {
			m := core.NewRecord(users)
			m.SetEmail(fmt.Sprintf("c%d@example.com", i))
			m.SetPassword("password123")
			m.Set("phone", fmt.Sprintf("+8613700%06d", i))
			m.Set("phone_verified", now.Add(-24*time.Hour))
			if err := tx.Save(m); err != nil {
				return err
			}
			if _, err := tx.DB().NewQuery("INSERT INTO sales_reservations (id, sale, member, number, created) VALUES ({:id}, {:s}, {:m}, {:n}, '')").
				Bind(dbx.Params{"id": fmt.Sprintf("cr%013d", i), "s": sale.Id, "m": m.Id, "n": i + 1}).Execute(); err != nil {
				return err
			}
			var err error
			if tokens[i], err = m.NewAuthToken(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := app.OnTerminate().Trigger(&core.TerminateEvent{App: app}); err != nil {
		t.Fatal(err)
	}
	if err := app.ResetBootstrapState(); err != nil {
		t.Fatal(err)
	}
	return sale.Id, tokens
}

func natsJS(t *testing.T, url string) jetstream.JetStream {
	t.Helper()
	conn, err := nats.Connect(url, nats.MaxReconnects(-1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.Close)
	js, err := jetstream.New(conn)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// poolView is the core's pool of a sale, read from its bucket.
type poolView struct {
	Pool   int64 `json:"pool"`
	Leases map[string]struct {
		Edge  string `json:"edge"`
		Units int64  `json:"units"`
	} `json:"leases"`
}

func (p poolView) heldBy(edge string) bool {
	for _, l := range p.Leases {
		if l.Edge == edge {
			return true
		}
	}
	return false
}

// readPool reads the core's pool of a sale from its bucket (ok false: not
// now).
func readPool(js jetstream.JetStream, sale string) (p poolView, ok bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	kv, err := js.KeyValue(ctx, "canyu_pool")
	if err != nil {
		return p, false
	}
	entry, err := kv.Get(ctx, sale)
	if err != nil {
		return p, false
	}
	return p, json.Unmarshal(entry.Value(), &p) == nil
}

// liveAtEdge: a member's WebSocket at an edge (the edge's own hub) follows
// the sale's counters, published by the core (restarted meanwhile), and
// counts among those online.
func liveAtEdge(t *testing.T, base, token, sale string, sold int) {
	t.Helper()
	c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/api/live", http.Header{"Authorization": {token}})
	if err != nil {
		t.Fatalf("live at an edge: %v", err)
	}
	defer c.Close()
	if err := c.WriteJSON(map[string]any{"type": "subscribe", "channels": []string{"sale:" + sale, "site"}}); err != nil {
		t.Fatal(err)
	}
	var counted, soldOut bool
	c.SetReadDeadline(time.Now().Add(15 * time.Second))
	for !counted || !soldOut {
		var snap struct {
			Channel string         `json:"channel"`
			Data    map[string]any `json:"data"`
		}
		if err := c.ReadJSON(&snap); err != nil {
			t.Fatalf("live at an edge: the sale's counters sold out = %v, the member counted online = %v (%v)", soldOut, counted, err)
		}
		soldOut = soldOut || snap.Channel == "sale:"+sale && snap.Data["sold"] == float64(sold)
		counted = counted || snap.Channel == "site" && snap.Data["members_online"] == float64(1)
	}
}
