package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/canyu/canyu/bench/internal/cpustat"
	"github.com/canyu/canyu/modules/sales"
)

// conn is a bare HTTP/1.1 keep-alive connection: the generator shares the
// machine with the server, so it spends as little CPU per request as it can
// (no fmt, no header maps: the request is appended into one buffer and the
// answer's status line and Content-Length are read by hand).
type conn struct {
	c    net.Conn
	br   *bufio.Reader
	buf  []byte
	body []byte
	host string
}

func dial(addr string) (*conn, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	return &conn{c: c, br: bufio.NewReaderSize(c, 8192), host: addr}, nil
}

// do sends one request and returns the status and the body (valid until
// the next call).
func (c *conn) do(method, path, token string, extra [][2]string, body []byte) (int, []byte, error) {
	b := c.buf[:0]
	b = append(b, method...)
	b = append(b, ' ')
	b = append(b, path...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, c.host...)
	b = append(b, "\r\nAuthorization: "...)
	b = append(b, token...)
	b = append(b, "\r\nContent-Type: application/json\r\nContent-Length: "...)
	b = strconv.AppendInt(b, int64(len(body)), 10)
	b = append(b, "\r\n"...)
	for _, h := range extra {
		b = append(b, h[0]...)
		b = append(b, ": "...)
		b = append(b, h[1]...)
		b = append(b, "\r\n"...)
	}
	b = append(b, "\r\n"...)
	b = append(b, body...)
	c.buf = b
	if _, err := c.c.Write(b); err != nil {
		return 0, nil, err
	}
	line, err := c.br.ReadSlice('\n')
	if err != nil {
		return 0, nil, err
	}
	if len(line) < 12 {
		return 0, nil, fmt.Errorf("bad status line %q", line)
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, nil, fmt.Errorf("bad status line %q", line)
	}
	length, chunked := -1, false
	for {
		h, err := c.br.ReadSlice('\n')
		if err != nil {
			return 0, nil, err
		}
		if len(h) <= 2 {
			break
		}
		if len(h) > 16 && (h[0] == 'C' || h[0] == 'c') && strings.EqualFold(string(h[:15]), "content-length:") {
			length, _ = strconv.Atoi(strings.TrimSpace(string(h[15:])))
		}
		if len(h) > 18 && (h[0] == 'T' || h[0] == 't') && strings.EqualFold(string(h[:18]), "transfer-encoding:") {
			chunked = true
		}
	}
	if chunked || length < 0 {
		return 0, nil, fmt.Errorf("%s %s: the answer has no Content-Length", method, path)
	}
	if cap(c.body) < length {
		c.body = make([]byte, length)
	}
	c.body = c.body[:length]
	if _, err := io.ReadFull(c.br, c.body); err != nil {
		return 0, nil, err
	}
	return status, c.body, nil
}

// recorder collects one worker's latencies and outcomes.
type recorder struct {
	lat      []time.Duration
	statuses map[int]int
	okAt     []time.Duration // when each 201 completed, from the start
	acked    []string        // the ids of the orders the server confirmed
	second   []time.Duration // the latencies of the requests answered in the first second
	errs     int
	firstErr error
}

func newRecorder() *recorder { return &recorder{statuses: map[int]int{}} }

type summary struct {
	n        int
	lat      []time.Duration
	statuses map[int]int
	okAt     []time.Duration
	second   []time.Duration
	elapsed  time.Duration
	acked    []string
	errs     int
	firstErr error
}

func merge(rs []*recorder, elapsed time.Duration) summary {
	s := summary{statuses: map[int]int{}, elapsed: elapsed}
	for _, r := range rs {
		s.lat = append(s.lat, r.lat...)
		s.okAt = append(s.okAt, r.okAt...)
		s.acked = append(s.acked, r.acked...)
		s.second = append(s.second, r.second...)
		s.errs += r.errs
		if s.firstErr == nil {
			s.firstErr = r.firstErr
		}
		for k, v := range r.statuses {
			s.statuses[k] += v
		}
	}
	s.n = len(s.lat)
	slices.Sort(s.lat)
	slices.Sort(s.okAt)
	slices.Sort(s.second)
	return s
}

func (s summary) pct(p float64) time.Duration { return pct(s.lat, p) }

// pct returns the p-quantile of sorted latencies.
func pct(lat []time.Duration, p float64) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	return lat[min(len(lat)-1, int(float64(len(lat))*p))]
}

func (s summary) print(what string) {
	fmt.Printf("%s: %d requests in %s = %.0f/s\n", what, s.n, s.elapsed.Round(time.Millisecond), float64(s.n)/s.elapsed.Seconds())
	fmt.Printf("  latency p50 %s  p90 %s  p99 %s  max %s\n", ms(s.pct(0.50)), ms(s.pct(0.90)), ms(s.pct(0.99)), ms(s.pct(1)))
	keys := make([]int, 0, len(s.statuses))
	for k := range s.statuses {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	fmt.Print("  statuses")
	for _, k := range keys {
		fmt.Printf("  %d: %d", k, s.statuses[k])
	}
	fmt.Println()
	if s.errs > 0 {
		fmt.Printf("  connection errors: %d (first: %v)\n", s.errs, s.firstErr)
	}
}

// printMachine says how busy the machine was since a, and how much of its
// CPU the hypervisor gave to others.
func printMachine(a cpustat.Times) {
	busy, steal := cpustat.Read().Since(a)
	fmt.Printf("  machine meanwhile: busy %.0f%%, stolen %.0f%%\n", busy, steal)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// dialAll opens n keep-alive connections.
func dialAll(addr string, n int) []*conn {
	cs := make([]*conn, n)
	for i := range cs {
		c, err := dial(addr)
		if err != nil {
			log.Fatalf("dial %d: %v", i, err)
		}
		cs[i] = c
	}
	return cs
}

// run drives every connection until stop() says so; job(i) builds a request
// for the n-th attempt and returns false when there is none left.
func run(cs []*conn, stop func() bool, job func(n int64, c *conn, r *recorder, start time.Time) bool) summary {
	var wg sync.WaitGroup
	var next atomic.Int64
	rs := make([]*recorder, len(cs))
	start := time.Now()
	for i, c := range cs {
		rs[i] = newRecorder()
		wg.Go(func() {
			for !stop() {
				if !job(next.Add(1)-1, c, rs[i], start) {
					return
				}
			}
		})
	}
	wg.Wait()
	return merge(rs, time.Since(start))
}

// timed sends one request and records it.
func timed(c *conn, r *recorder, start time.Time, method, path, token string, extra [][2]string, body []byte) ([]byte, int) {
	t := time.Now()
	status, b, err := c.do(method, path, token, extra, body)
	if err != nil {
		r.errs++
		if r.firstErr == nil {
			r.firstErr = fmt.Errorf("%s %s: %w", method, path, err)
		}
		return nil, 0
	}
	lat := time.Since(t)
	r.lat = append(r.lat, lat)
	if time.Since(start) < time.Second {
		r.second = append(r.second, lat)
	}
	r.statuses[status]++
	// a purchase or reservation confirmed: Canyu answers 201, PocketBase's
	// record create 200
	if status == http.StatusCreated || method == http.MethodPost && status == http.StatusOK {
		r.okAt = append(r.okAt, time.Since(start))
	}
	return b, status
}

// reserve: every member of the pool fetches a challenge and solves it (as
// the page does), then the reservations are posted as fast as the server
// answers them, for duration or until the pool is used up.
func reserve(p plan, tokens []string, addr string, conns int, duration time.Duration) {
	pool := tokens[p.Reserved+p.Unreserved:]
	cs := dialAll(addr, conns)
	type solved struct{ challenge, nonce string }
	proofs := make([]solved, len(pool))
	path := "/api/sales/" + p.ReserveSale
	got := run(cs, func() bool { return false }, func(n int64, c *conn, r *recorder, start time.Time) bool {
		if n >= int64(len(pool)) {
			return false
		}
		b, status := timed(c, r, start, "GET", path+"/challenge", pool[n], nil, nil)
		if status == 0 {
			return false
		}
		var ch struct {
			Challenge string `json:"challenge"`
			Bits      int    `json:"bits"`
		}
		if status != 200 || json.Unmarshal(b, &ch) != nil {
			log.Fatalf("challenge: %d %s", status, b)
		}
		proofs[n] = solved{ch.Challenge, sales.Solve(ch.Challenge, ch.Bits)}
		return true
	})
	got.print("challenges (GET, each member's first request: reads the member from the database)")

	deadline := time.Now().Add(duration)
	cpu0 := cpustat.Read()
	res := run(cs, func() bool { return time.Now().After(deadline) }, func(n int64, c *conn, r *recorder, start time.Time) bool {
		if n >= int64(len(pool)) {
			return false
		}
		body, _ := json.Marshal(map[string]string{"challenge": proofs[n].challenge, "nonce": proofs[n].nonce})
		_, status := timed(c, r, start, "POST", path+"/reservations", pool[n], nil, body)
		return status != 0
	})
	res.print("reservations (POST, each durable before its 201)")
	printMachine(cpu0)
	fmt.Printf("  reservations stored: %d = %.0f/s\n", res.statuses[201], float64(res.statuses[201])/res.elapsed.Seconds())
}

// buy: the members who reserved, and some who did not, wait on the sale page
// with their connections open; at the opening every connection sends
// purchase attempts back to back, each from a random member with a fresh
// idempotency key.
func buy(p plan, tokens []string, addr string, conns int, duration time.Duration, ackedFile string) {
	cs := dialAll(addr, conns)
	crowd := p.Reserved + p.Unreserved
	var path, viewPath string
	switch p.Kind {
	case "canyu", "trivial":
		path, viewPath = "/api/sales/"+p.BuySale+"/orders", "/api/sales/"+p.BuySale
	case "naive":
		path, viewPath = "/api/collections/naive_orders/records", "/api/collections/naive_products/records/"+p.BuySale
	}
	// before the opening, every member has the sale page open
	warm := run(cs, func() bool { return false }, func(n int64, c *conn, r *recorder, start time.Time) bool {
		if n >= int64(crowd) {
			return false
		}
		_, status := timed(c, r, start, "GET", viewPath, tokens[n], nil, nil)
		return status != 0
	})
	warm.print("sale page views before the opening (GET)")
	if wait := time.Until(p.Opens); wait > 0 {
		fmt.Printf("waiting %s for the opening\n", wait.Round(time.Millisecond))
		time.Sleep(wait)
	} else {
		fmt.Printf("the sale opened %s before the burst started\n", (-wait).Round(time.Millisecond))
	}
	deadline := time.Now().Add(duration)
	cpu0 := cpustat.Read()
	var seq atomic.Int64
	res := run(cs, func() bool { return time.Now().After(deadline) }, func(n int64, c *conn, r *recorder, start time.Time) bool {
		i := rand.IntN(crowd)
		var extra [][2]string
		var body []byte
		if p.Kind != "naive" {
			extra = [][2]string{{"Idempotency-Key", strconv.FormatInt(seq.Add(1), 36)}}
			body = []byte(`{"quantity":1}`)
		} else {
			body = []byte(`{"member":"` + memberID(i) + `","product":"` + p.BuySale + `"}`)
		}
		b, status := timed(c, r, start, "POST", path, tokens[i], extra, body)
		if status == http.StatusCreated || status == http.StatusOK {
			if id := orderID(b); id != "" {
				r.acked = append(r.acked, id)
			}
		}
		return status != 0
	})
	res.print(fmt.Sprintf("purchase attempts (POST, %d keep-alive connections)", conns))
	fmt.Printf("  first second: %d attempts answered, p50 %s  p99 %s  max %s\n", len(res.second),
		ms(pct(res.second, 0.5)), ms(pct(res.second, 0.99)), ms(pct(res.second, 1)))
	printMachine(cpu0)
	if len(res.okAt) > 0 {
		fmt.Printf("  orders: %d; first at %s, last at %s after the opening\n", len(res.okAt), ms(res.okAt[0]), ms(res.okAt[len(res.okAt)-1]))
	}
	if ackedFile != "" {
		if err := os.WriteFile(ackedFile, []byte(strings.Join(res.acked, "\n")+"\n"), 0o644); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("  %d acknowledged order ids written to %s\n", len(res.acked), ackedFile)
	}
	if len(res.okAt) >= p.Stock {
		fmt.Printf("  sold out (%d units) in %s\n", p.Stock, ms(res.okAt[p.Stock-1]))
	} else {
		fmt.Printf("  NOT sold out: %d of %d units in %s\n", len(res.okAt), p.Stock, res.elapsed.Round(time.Millisecond))
	}
}

// orderID finds "id":"..." in an answer, the first id being the order's
// (canyu) or the record's (naive).
func orderID(b []byte) string {
	i := bytes.Index(b, []byte(`"id":"`))
	if i < 0 {
		return ""
	}
	rest := b[i+6:]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return ""
	}
	return string(rest[:j])
}
