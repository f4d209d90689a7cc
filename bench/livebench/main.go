// Command livebench measures Canyu's live counters against PocketBase's own
// realtime (SSE) on this machine. It runs as two processes, because each
// side needs its own open-file budget:
//
//	livebench -role server -mode ws|sse -addr 127.0.0.1:18090
//	livebench -role client -mode ws|sse -addr 127.0.0.1:18090 -n 10000 -rate 5 -duration 20s
//
// bench/live.sh runs both for every figure in BENCHMARKS.md. Clients spread
// their source addresses over 127.0.0.2-127.0.0.251. Everything stays on
// loopback and stops by itself.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/subscriptions"

	"github.com/canyu/canyu/bench/internal/cpustat"
	"github.com/canyu/canyu/modules/live"
	_ "github.com/canyu/canyu/pb_migrations"
)

func main() {
	role := flag.String("role", "client", "server or client")
	mode := flag.String("mode", "ws", "ws (Canyu live) or sse (PocketBase realtime)")
	addr := flag.String("addr", "127.0.0.1:18090", "server address (loopback only)")
	n := flag.Int("n", 1000, "client connections")
	rate := flag.Int("rate", 5, "updates per second")
	duration := flag.Duration("duration", 20*time.Second, "how long to publish")
	writers := flag.Int("writers", live.DefaultConfig().Writers, "server: writer goroutines of the hub")
	cpuprofile := flag.String("cpuprofile", "", "server: write a CPU profile of the publishing phase here")
	reader := flag.String("reader", "poll", "client: poll (a few epoll loops read every socket, see poll.go) or go (a goroutine per connection)")
	flag.Parse()
	if !strings.HasPrefix(*addr, "127.") && !strings.HasPrefix(*addr, "localhost:") {
		log.Fatal("livebench only targets loopback addresses")
	}
	switch *role {
	case "server":
		serve(*mode, *addr, *cpuprofile, *writers)
	case "client":
		if *reader != "poll" && *reader != "go" {
			log.Fatalf("unknown -reader %q: poll or go", *reader)
		}
		// the load generator collects garbage rarely: its pauses would show
		// up as server lag
		debug.SetGCPercent(400)
		runClients(*mode, *addr, *n, *rate, *duration, *reader)
	default:
		log.Fatalf("unknown role %q", *role)
	}
}

// ---- server ----

func serve(mode, addr, cpuprofile string, writers int) {
	dir, err := os.MkdirTemp("", "livebench-*")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	app := core.NewBaseApp(core.BaseAppConfig{DataDir: dir})
	if err := app.Bootstrap(); err != nil {
		log.Fatal(err)
	}
	if err := app.RunAllMigrations(); err != nil {
		log.Fatal(err)
	}
	app.Settings().RateLimits.Enabled = false
	app.Settings().Logs.MaxDays = 0

	cfg := live.DefaultConfig()
	cfg.MaxPerIP = 1000
	cfg.Writers = writers
	mod := live.New(cfg, live.Deps{PublicURL: "http://" + addr})
	mod.Allow("topic:", live.Public) // the forum declares its channels so in the wired server
	if err := mod.Register(app); err != nil {
		log.Fatal(err)
	}

	var publishing atomic.Bool
	publish := func(rate int, d time.Duration) {
		if !publishing.CompareAndSwap(false, true) {
			return
		}
		defer publishing.Store(false)
		if cpuprofile != "" {
			if f, err := os.Create(cpuprofile); err == nil {
				pprof.StartCPUProfile(f)
				defer func() { pprof.StopCPUProfile(); f.Close() }()
			}
		}
		t := time.NewTicker(time.Second / time.Duration(rate))
		defer t.Stop()
		end := time.Now().Add(d)
		for seq := 1; time.Now().Before(end); seq++ {
			<-t.C
			ts := time.Now().UnixNano()
			if mode == "ws" {
				mod.Publish("topic:bench", map[string]any{"ts": ts, "seq": seq})
				continue
			}
			msg := subscriptions.Message{Name: "bench", Data: []byte(fmt.Sprintf(`{"ts":%d,"seq":%d}`, ts, seq))}
			for _, chunk := range app.SubscriptionsBroker().ChunkedClients(300) {
				for _, c := range chunk {
					if c.HasSubscription("bench") {
						c.Send(msg)
					}
				}
			}
		}
	}

	r, err := apis.NewRouter(app)
	if err != nil {
		log.Fatal(err)
	}
	var h http.Handler
	err = app.OnServe().Trigger(&core.ServeEvent{App: app, Router: r}, func(e *core.ServeEvent) error {
		e.Router.GET("/bench/rss", func(e *core.RequestEvent) error {
			// steady state: collect, then hand freed pages back the way the
			// background scavenger does over time
			debug.FreeOSMemory()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if f, err := os.Create(os.TempDir() + "/livebench-heap.pprof"); err == nil {
				pprof.WriteHeapProfile(f)
				f.Close()
			}
			log.Printf("rss %d KiB, heap in use %d KiB, stacks %d KiB, goroutines %d", rssKiB(), ms.HeapInuse>>10, ms.StackInuse>>10, runtime.NumGoroutine())
			return e.String(200, strconv.FormatInt(rssKiB(), 10))
		})
		e.Router.POST("/bench/publish", func(e *core.RequestEvent) error {
			rate, _ := strconv.Atoi(e.Request.URL.Query().Get("rate"))
			d, _ := time.ParseDuration(e.Request.URL.Query().Get("duration"))
			if rate < 1 || d <= 0 || d > 5*time.Minute {
				return e.BadRequestError("rate and duration (at most 5m) required", nil)
			}
			go publish(rate, d)
			return e.NoContent(204)
		})
		var err error
		h, err = e.Router.BuildMux()
		return err
	})
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Addr: addr, Handler: h}
	log.Printf("livebench server (%s) on %s, max connections %d, pid %d", mode, addr, mod.MaxConnections(), os.Getpid())
	go func() {
		// stops by itself
		time.Sleep(15 * time.Minute)
		srv.Close()
	}()
	if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		log.Fatal(err)
	}
}

func rssKiB() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			v, _ := strconv.ParseInt(f[1], 10, 64)
			return v
		}
	}
	return -1
}

// ---- clients ----

type stats struct {
	mu   sync.Mutex
	lags []time.Duration

	// per update (seq): the earliest and latest arrival over all clients,
	// so the report can tell the start of a fan-out from its spread
	first, last [4096]atomic.Int64
}

// record appends the lag of one received message to lags (a client's own)
// and notes its arrival for the update it carries.
func (s *stats) record(lags []time.Duration, msg []byte) []time.Duration {
	ts := numberOf(msg, `"ts":`)
	if ts <= 0 {
		return lags
	}
	lag := lagOf(ts)
	s.arrive(numberOf(msg, `"seq":`), lag)
	return append(lags, lag)
}

// arrive records the lag of update seq at one client.
func (s *stats) arrive(seq int64, lag time.Duration) {
	if seq <= 0 || seq >= int64(len(s.first)) {
		return
	}
	v := int64(lag)
	for {
		f := s.first[seq].Load()
		if (f != 0 && f <= v) || s.first[seq].CompareAndSwap(f, v) {
			break
		}
	}
	for {
		l := s.last[seq].Load()
		if l >= v || s.last[seq].CompareAndSwap(l, v) {
			break
		}
	}
}

// spread returns the mean earliest and mean latest arrival over updates.
func (s *stats) spread() (first, last time.Duration) {
	var n int64
	for i := range s.first {
		if f := s.first[i].Load(); f > 0 {
			first += time.Duration(f)
			last += time.Duration(s.last[i].Load())
			n++
		}
	}
	if n == 0 {
		return 0, 0
	}
	return first / time.Duration(n), last / time.Duration(n)
}

// merge adds one client's lags when it ends (no lock per message).
func (s *stats) merge(lags []time.Duration) {
	s.mu.Lock()
	s.lags = append(s.lags, lags...)
	s.mu.Unlock()
}

func lagOf(ts int64) time.Duration { return time.Since(time.Unix(0, ts)) }

func localAddr(i int) *net.TCPAddr {
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+i%250))}
}

func runClients(mode, addr string, n, rate int, duration time.Duration, reader string) {
	base := "http://" + addr
	rss0 := fetchRSS(base)
	st := &stats{}
	var p *poller
	if reader == "poll" {
		var err error
		if p, err = newPoller(mode, st, 4); err != nil {
			log.Fatal(err)
		}
	}
	var ready, failed atomic.Int64
	ctx, cancel := context.WithTimeout(context.Background(), duration+3*time.Minute)
	defer cancel()

	start := time.Now()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 200) // connect 200 at a time
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			ok := false
			defer func() {
				if !ok {
					failed.Add(1)
					<-sem
				}
			}()
			var err error
			if mode == "ws" {
				err = wsClient(ctx, addr, i, st, p, func() { ok = true; ready.Add(1); <-sem })
			} else {
				err = sseClient(ctx, addr, i, st, p, func() { ok = true; ready.Add(1); <-sem })
			}
			if err != nil && !ok && failed.Load() < 5 {
				log.Printf("client %d: %v", i, err)
			}
		})
	}
	for ready.Load()+failed.Load() < int64(n) {
		time.Sleep(100 * time.Millisecond)
	}
	connectTime := time.Since(start)
	time.Sleep(2 * time.Second) // let the server settle
	rss1 := fetchRSS(base)

	polled := make(chan struct{})
	if p != nil {
		go func() { p.run(ctx); close(polled) }()
	} else {
		close(polled)
	}
	cpu0 := cpustat.Read()
	res, err := http.Post(fmt.Sprintf("%s/bench/publish?rate=%d&duration=%s", base, rate, duration), "", nil)
	if err != nil {
		log.Fatal(err)
	}
	res.Body.Close()
	time.Sleep(duration)
	cpu1 := cpustat.Read()
	time.Sleep(2 * time.Second)
	cancel()
	wg.Wait()
	<-polled

	st.mu.Lock()
	lags := slices.Clone(st.lags)
	st.mu.Unlock()
	slices.Sort(lags)
	pct := func(p float64) time.Duration {
		if len(lags) == 0 {
			return 0
		}
		return lags[min(len(lags)-1, int(float64(len(lags))*p))]
	}
	expected := int64(ready.Load()) * int64(rate) * int64(duration/time.Second)
	perConn := float64(rss1-rss0) / float64(max(1, ready.Load()))
	fmt.Printf("mode=%s reader=%s clients=%d connected=%d failed=%d connect_s=%.1f rate=%d/s duration=%s\n",
		mode, reader, n, ready.Load(), failed.Load(), connectTime.Seconds(), rate, duration)
	fmt.Printf("server_rss_before_kib=%d server_rss_connected_kib=%d rss_per_conn_kib=%.2f\n", rss0, rss1, perConn)
	fmt.Printf("delivered=%d expected~%d lag_p50_ms=%.1f lag_p99_ms=%.1f lag_max_ms=%.1f\n",
		len(lags), expected, ms(pct(0.50)), ms(pct(0.99)), ms(pct(1.0)))
	busy, steal := cpu1.Since(cpu0)
	fmt.Printf("machine while publishing: busy_pct=%.0f steal_pct=%.0f (time the hypervisor gave to others)\n", busy, steal)
	first, last := st.spread()
	fmt.Printf("per update, mean over updates: first_arrival_ms=%.1f last_arrival_ms=%.1f\n", ms(first), ms(last))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func fetchRSS(base string) int64 {
	res, err := http.Get(base + "/bench/rss")
	if err != nil {
		log.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	v, _ := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	return v
}

func wsClient(ctx context.Context, addr string, i int, st *stats, p *poller, connected func()) error {
	d := websocket.Dialer{
		NetDialContext:   (&net.Dialer{LocalAddr: localAddr(i), Timeout: 30 * time.Second}).DialContext,
		HandshakeTimeout: 30 * time.Second,
		ReadBufferSize:   512,
		WriteBufferSize:  512,
	}
	c, _, err := d.DialContext(ctx, "ws://"+addr+"/api/live", nil)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.WriteJSON(map[string]any{"type": "subscribe", "channels": []string{"topic:bench"}}); err != nil {
		return err
	}
	if p != nil {
		if err := p.adopt(c.UnderlyingConn()); err != nil {
			return err
		}
		connected()
		return nil
	}
	connected()
	go func() { <-ctx.Done(); c.Close() }()
	lags := make([]time.Duration, 0, 512)
	defer func() { st.merge(lags) }()
	buf := make([]byte, 256)
	for {
		_, r, err := c.NextReader()
		if err != nil {
			return nil
		}
		n, _ := io.ReadFull(r, buf)
		lags = st.record(lags, buf[:n])
	}
}

var (
	transportsMu sync.Mutex
	transports   = map[int]*http.Client{}
)

// clientFor returns an HTTP client whose connections leave from the same
// source address as SSE stream i (PocketBase checks the subscriber's IP).
func clientFor(i int) *http.Client {
	transportsMu.Lock()
	defer transportsMu.Unlock()
	k := i % 250
	if c, ok := transports[k]; ok {
		return c
	}
	c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		DialContext:         (&net.Dialer{LocalAddr: localAddr(i), Timeout: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 4,
	}}
	transports[k] = c
	return c
}

func sseClient(ctx context.Context, addr string, i int, st *stats, p *poller, connected func()) error {
	conn, err := (&net.Dialer{LocalAddr: localAddr(i), Timeout: 30 * time.Second}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	go func() { <-ctx.Done(); conn.Close() }()
	fmt.Fprintf(conn, "GET /api/realtime HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n\r\n", addr)
	r := bufio.NewReaderSize(conn, 1024)
	res, err := http.ReadResponse(r, nil)
	if err != nil {
		return err
	}
	body := bufio.NewReaderSize(res.Body, 1024)
	var event, data string
	subscribed := false
	var lags []time.Duration
	defer func() { st.merge(lags) }()
	for {
		line, err := body.ReadString('\n')
		if err != nil {
			return nil
		}
		line = strings.TrimRight(line, "\r\n")
		switch {
		case strings.HasPrefix(line, "event:"):
			event = strings.TrimSpace(line[6:])
		case strings.HasPrefix(line, "data:"):
			data = strings.TrimSpace(line[5:])
		case line == "":
			if event == "PB_CONNECT" && !subscribed {
				var hello struct {
					ClientID string `json:"clientId"`
				}
				json.Unmarshal([]byte(data), &hello)
				b, _ := json.Marshal(map[string]any{"clientId": hello.ClientID, "subscriptions": []string{"bench"}})
				req, _ := http.NewRequestWithContext(ctx, "POST", "http://"+addr+"/api/realtime", strings.NewReader(string(b)))
				req.Header.Set("Content-Type", "application/json")
				res, err := clientFor(i).Do(req)
				if err != nil {
					return err
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != 204 {
					return fmt.Errorf("subscribe: %s", res.Status)
				}
				subscribed = true
				if p != nil {
					if body.Buffered() > 0 || r.Buffered() > 0 {
						return fmt.Errorf("unread bytes after subscribing")
					}
					if err := p.adopt(conn); err != nil {
						return err
					}
					connected()
					return nil
				}
				connected()
			} else if event == "bench" {
				lags = st.record(lags, []byte(data))
			}
			event, data = "", ""
		}
	}
}

// numberOf finds the number after key in a message without a JSON decoder:
// the clients must cost the machine as little as possible, since they share
// it with the server being measured.
func numberOf(b []byte, key string) int64 {
	i := bytes.Index(b, []byte(key))
	if i < 0 {
		return 0
	}
	var v int64
	for _, c := range b[i+len(key):] {
		if c < '0' || c > '9' {
			break
		}
		v = v*10 + int64(c-'0')
	}
	return v
}
