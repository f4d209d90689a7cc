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

	"github.com/canyu/canyu/modules/sales"
)

// conn is a bare HTTP/1.1 keep-alive connection: the generator shares the
// machine with the server, so it spends as little CPU per request as it can
// (no fmt, no header maps: the request is appended into one buffer and the
// answer's status line and Content-Length are read by hand).
type conn struct {
	c    net.Conn
	fd   int // the socket once the poll loops took it over (runPolled), else -1
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
	return &conn{c: c, fd: -1, br: bufio.NewReaderSize(c, 8192), host: addr}, nil
}

// request is one HTTP request of the generator.
type request struct {
	method, path, token string
	extra               [][2]string
	body                []byte
}

// appendTo writes r as HTTP/1.1 onto b, for host.
func (r request) appendTo(b []byte, host string) []byte {
	b = append(b, r.method...)
	b = append(b, ' ')
	b = append(b, r.path...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, host...)
	b = append(b, "\r\nAuthorization: "...)
	b = append(b, r.token...)
	b = append(b, "\r\nContent-Type: application/json\r\nContent-Length: "...)
	b = strconv.AppendInt(b, int64(len(r.body)), 10)
	b = append(b, "\r\n"...)
	for _, h := range r.extra {
		b = append(b, h[0]...)
		b = append(b, ": "...)
		b = append(b, h[1]...)
		b = append(b, "\r\n"...)
	}
	b = append(b, "\r\n"...)
	return append(b, r.body...)
}

// do sends one request and returns the status and the body (valid until
// the next call).
func (c *conn) do(req request) (int, []byte, error) {
	c.buf = req.appendTo(c.buf[:0], c.host)
	if _, err := c.c.Write(c.buf); err != nil {
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
		return 0, nil, fmt.Errorf("%s %s: the answer has no Content-Length", req.method, req.path)
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
	errs     int
	firstErr error
}

func newRecorder() *recorder { return &recorder{statuses: map[int]int{}} }

type summary struct {
	n        int
	lat      []time.Duration
	statuses map[int]int
	okAt     []time.Duration
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
	return s
}

func (s summary) pct(p float64) time.Duration {
	if len(s.lat) == 0 {
		return 0
	}
	return s.lat[min(len(s.lat)-1, int(float64(len(s.lat))*p))]
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

// job makes the n-th attempt's request (false: none left) and takes its
// answer (false: stop this connection).
type job struct {
	request func(n int64) (request, bool)
	answer  func(n int64, status int, body []byte, r *recorder) bool
}

// reader is how the generator reads its answers: "poll" (poll.go) or "go"
// (a goroutine per connection).
var reader = "poll"

// run drives every connection until stop() says so.
func run(cs []*conn, stop func() bool, j job) summary {
	if reader == "poll" {
		return runPolled(cs, stop, j)
	}
	var wg sync.WaitGroup
	var next atomic.Int64
	rs := make([]*recorder, len(cs))
	start := time.Now()
	for i, c := range cs {
		rs[i] = newRecorder()
		wg.Go(func() {
			for !stop() {
				n := next.Add(1) - 1
				req, ok := j.request(n)
				if !ok {
					return
				}
				t := time.Now()
				status, b, err := c.do(req)
				if err != nil {
					rs[i].fail(req, err)
					return
				}
				rs[i].done(req, status, t, start)
				if !j.answer(n, status, b, rs[i]) {
					return
				}
			}
		})
	}
	wg.Wait()
	return merge(rs, time.Since(start))
}

func (r *recorder) fail(req request, err error) {
	r.errs++
	if r.firstErr == nil {
		r.firstErr = fmt.Errorf("%s %s: %w", req.method, req.path, err)
	}
}

// done records one answer that came sent after being sent at t.
func (r *recorder) done(req request, status int, sent, start time.Time) {
	r.lat = append(r.lat, time.Since(sent))
	r.statuses[status]++
	// a purchase or reservation confirmed: Canyu answers 201, PocketBase's
	// record create 200
	if status == http.StatusCreated || req.method == http.MethodPost && status == http.StatusOK {
		r.okAt = append(r.okAt, time.Since(start))
	}
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
	got := run(cs, func() bool { return false }, job{
		request: func(n int64) (request, bool) {
			return request{method: "GET", path: path + "/challenge", token: pool[min(n, int64(len(pool)-1))]}, n < int64(len(pool))
		},
		answer: func(n int64, status int, b []byte, r *recorder) bool {
			var ch struct {
				Challenge string `json:"challenge"`
				Bits      int    `json:"bits"`
			}
			if status != 200 || json.Unmarshal(b, &ch) != nil {
				log.Fatalf("challenge: %d %s", status, b)
			}
			proofs[n] = solved{ch.Challenge, sales.Solve(ch.Challenge, ch.Bits)}
			return true
		},
	})
	got.print("challenges (GET, each member's first request: reads the member from the database)")

	deadline := time.Now().Add(duration)
	res := run(cs, func() bool { return time.Now().After(deadline) }, job{
		request: func(n int64) (request, bool) {
			if n >= int64(len(pool)) {
				return request{}, false
			}
			body, _ := json.Marshal(map[string]string{"challenge": proofs[n].challenge, "nonce": proofs[n].nonce})
			return request{method: "POST", path: path + "/reservations", token: pool[n], body: body}, true
		},
		answer: func(int64, int, []byte, *recorder) bool { return true },
	})
	res.print("reservations (POST, each durable before its 201)")
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
	warm := run(cs, func() bool { return false }, job{
		request: func(n int64) (request, bool) {
			return request{method: "GET", path: viewPath, token: tokens[min(n, int64(crowd-1))]}, n < int64(crowd)
		},
		answer: func(int64, int, []byte, *recorder) bool { return true },
	})
	warm.print("sale page views before the opening (GET)")
	if wait := time.Until(p.Opens); wait > 0 {
		fmt.Printf("waiting %s for the opening\n", wait.Round(time.Millisecond))
		time.Sleep(wait)
	} else {
		fmt.Printf("the sale opened %s before the burst started\n", (-wait).Round(time.Millisecond))
	}
	deadline := time.Now().Add(duration)
	var seq atomic.Int64
	res := run(cs, func() bool { return time.Now().After(deadline) }, job{
		request: func(int64) (request, bool) {
			i := rand.IntN(crowd)
			req := request{method: "POST", path: path, token: tokens[i]}
			if p.Kind != "naive" {
				req.extra = [][2]string{{"Idempotency-Key", strconv.FormatInt(seq.Add(1), 36)}}
				req.body = []byte(`{"quantity":1}`)
			} else {
				req.body = []byte(`{"member":"` + memberID(i) + `","product":"` + p.BuySale + `"}`)
			}
			return req, true
		},
		answer: func(_ int64, status int, b []byte, r *recorder) bool {
			if status == http.StatusCreated || status == http.StatusOK {
				if id := orderID(b); id != "" {
					r.acked = append(r.acked, id)
				}
			}
			return true
		},
	})
	res.print(fmt.Sprintf("purchase attempts (POST, %d keep-alive connections)", conns))
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
