package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"golang.org/x/crypto/bcrypt"
)

// TestMain lets the test binary run as a real Canyu server in a child
// process (CANYUTEST_SERVE=1), which the kill -9 test starts and kills.
func TestMain(m *testing.M) {
	if os.Getenv("CANYUTEST_SERVE") == "1" {
		os.Args = append([]string{"canyu"}, strings.Fields(os.Getenv("CANYUTEST_ARGS"))...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// child is Canyu serving dir in another process.
type child struct {
	cmd  *exec.Cmd
	base string
}

func startChild(t *testing.T, dir string) *child {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "CANYUTEST_SERVE=1", "CANYUTEST_ARGS=serve --dir "+dir+" --http "+addr,
		"CANYU_SALES_ATTEMPTS_PER_SECOND=0", "CANYU_APP_PUBLIC_URL=http://"+addr)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, base: "http://" + addr}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for range 200 {
		if res, err := http.Get(c.base + "/api/health"); err == nil {
			res.Body.Close()
			return c
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the child server did not start")
	return nil
}

// TestKillMinusNineKeepsAcknowledgedOrders kills the server with SIGKILL in
// the middle of a burst of purchases, restarts it, and checks that every
// order it acknowledged is stored, the database is intact, the counters
// are rebuilt (remaining = stock - orders) and a retry of an acknowledged
// purchase returns the same order.
func TestKillMinusNineKeepsAcknowledgedOrders(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	const members, stock, perMember = 200, 5000, 10
	dir := t.TempDir()
	app := core.NewBaseApp(core.BaseAppConfig{DataDir: dir})
	if err := app.Bootstrap(); err != nil {
		t.Fatal(err)
	}
	if err := app.RunAllMigrations(); err != nil {
		t.Fatal(err)
	}
	users, _ := app.FindCollectionByNameOrId("users")
	if f, ok := users.Fields.GetByName(core.FieldNamePassword).(*core.PasswordField); ok {
		f.Cost = bcrypt.MinCost // many members, quickly
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
	for k, v := range map[string]any{"product": product.Id, "title": "Kill test", "published": true, "stock": stock, "per_member": perMember,
		"reserve_opens": now.Add(-2 * time.Hour), "reserve_closes": now.Add(-time.Hour), "starts": now.Add(-time.Minute), "ends": now.Add(time.Hour)} {
		sale.Set(k, v)
	}
	if err := app.Save(sale); err != nil {
		t.Fatal(err)
	}
	tokens := make([]string, members)
	var err error
	for i := range tokens {
		m := core.NewRecord(users)
		m.SetEmail(fmt.Sprintf("k%d@example.com", i))
		m.SetPassword("password123")
		m.Set("phone", fmt.Sprintf("+8613900%06d", i))
		m.Set("phone_verified", now.Add(-24*time.Hour)) // buyers need a verified phone
		if err := app.Save(m); err != nil {
			t.Fatal(err)
		}
		if _, err := app.DB().NewQuery("INSERT INTO sales_reservations (id, sale, member, number, created) VALUES ({:id}, {:s}, {:m}, {:n}, '')").
			Bind(dbx.Params{"id": fmt.Sprintf("kr%013d", i), "s": sale.Id, "m": m.Id, "n": i + 1}).Execute(); err != nil {
			t.Fatal(err)
		}
		if tokens[i], err = m.NewAuthToken(); err != nil {
			t.Fatal(err)
		}
	}
	// the children own the database now; terminating first stops PocketBase's
	// notify-dir watcher, which would otherwise read the app's state while
	// the children write
	if err := app.OnTerminate().Trigger(&core.TerminateEvent{App: app}); err != nil {
		t.Fatal(err)
	}
	if err := app.ResetBootstrapState(); err != nil {
		t.Fatal(err)
	}

	srv := startChild(t, dir)
	type acked struct{ token, key, id string }
	var (
		mu   sync.Mutex
		acks []acked
		seq  atomic.Int64
		stop atomic.Bool
	)
	buy := func(base, token, key string) (int, string, http.Header) {
		req, _ := http.NewRequest("POST", base+"/api/sales/"+sale.Id+"/orders", strings.NewReader(`{"quantity":1}`))
		req.Header.Set("Authorization", token)
		req.Header.Set("Idempotency-Key", key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, "", nil
		}
		defer res.Body.Close()
		var body struct {
			Order struct{ ID string } `json:"order"`
		}
		_ = json.NewDecoder(res.Body).Decode(&body)
		return res.StatusCode, body.Order.ID, res.Header
	}
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Go(func() {
			for !stop.Load() {
				i := int(seq.Add(1))
				token, key := tokens[(i+w)%members], fmt.Sprint("key-", i)
				status, id, _ := buy(srv.base, token, key)
				switch {
				case status == 0:
					return // the server is gone
				case status == http.StatusCreated:
					mu.Lock()
					acks = append(acks, acked{token, key, id})
					mu.Unlock()
				case status != http.StatusConflict:
					t.Errorf("buy = %d", status)
				}
			}
		})
	}
	for deadline := time.Now().Add(time.Minute); ; {
		mu.Lock()
		n := len(acks)
		mu.Unlock()
		if n >= 300 {
			break
		}
		if time.Now().After(deadline) {
			stop.Store(true)
			wg.Wait()
			t.Fatalf("%d orders acknowledged after a minute, want 300 before the kill", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := srv.cmd.Process.Kill(); err != nil { // SIGKILL, mid-burst
		t.Fatal(err)
	}
	_ = srv.cmd.Wait()
	stop.Store(true)
	wg.Wait()
	t.Logf("%d orders acknowledged before the kill", len(acks))

	srv = startChild(t, dir)
	res, err := http.Get(srv.base + "/api/sales/" + sale.Id)
	if err != nil {
		t.Fatal(err)
	}
	var view struct{ Stock, Sold, Remaining int }
	_ = json.NewDecoder(res.Body).Decode(&view)
	res.Body.Close()
	// a purchase whose answer was lost, retried after the restart
	last := acks[len(acks)-1]
	status, id, header := buy(srv.base, last.token, last.key)
	if status != http.StatusCreated || id != last.id || header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("retry after the restart = %d %s, want 201 with order %s replayed", status, id, last.id)
	}
	_ = srv.cmd.Process.Kill()
	_ = srv.cmd.Wait()

	check := core.NewBaseApp(core.BaseAppConfig{DataDir: dir})
	if err := check.Bootstrap(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = check.OnTerminate().Trigger(&core.TerminateEvent{App: check})
		_ = check.ResetBootstrapState()
	}()
	var integrity string
	if err := check.DB().NewQuery("PRAGMA integrity_check").Row(&integrity); err != nil || integrity != "ok" {
		t.Errorf("integrity_check = %q, %v", integrity, err)
	}
	for _, a := range acks {
		if _, err := check.FindRecordById("sales_orders", a.id); err != nil {
			t.Errorf("acknowledged order %s is missing: %v", a.id, err)
		}
	}
	var ordered int
	if err := check.DB().NewQuery("SELECT COALESCE(SUM(quantity), 0) FROM sales_orders WHERE sale = {:s} AND status IN ('pending', 'paid')").
		Bind(dbx.Params{"s": sale.Id}).Row(&ordered); err != nil {
		t.Fatal(err)
	}
	if ordered < len(acks) || view.Sold != ordered || view.Remaining != stock-ordered || view.Stock != stock {
		t.Errorf("after restart: %+v with %d ordered (%d acknowledged), want remaining = stock - ordered", view, ordered, len(acks))
	}
}
