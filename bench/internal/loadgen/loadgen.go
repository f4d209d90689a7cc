// Package loadgen is the benchmarks' HTTP load generator: bare keep-alive
// connections that spend as little CPU per request as they can (the
// generator shares the machine with the server), workers that drive them,
// and the latencies and statuses they record.
package loadgen

import (
	"bufio"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/canyu/canyu/bench/internal/cpustat"
)

// Conn is a bare HTTP/1.1 keep-alive connection: the generator shares the
// machine with the server, so it spends as little CPU per request as it can
// (no fmt, no header maps: the request is appended into one buffer and the
// answer's status line and Content-Length are read by hand).
type Conn struct {
	c    net.Conn
	br   *bufio.Reader
	buf  []byte
	body []byte
	host string
}

func Dial(addr string) (*Conn, error) { return DialFrom(addr, nil) }

// DialFrom connects from the local address from (nil: the system's choice).
func DialFrom(addr string, from net.Addr) (*Conn, error) {
	c, err := (&net.Dialer{LocalAddr: from}).Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	return &Conn{c: c, br: bufio.NewReaderSize(c, 8192), host: addr}, nil
}

// Do sends one request and returns the status and the body (valid until
// the next call).
func (c *Conn) Do(method, path, token string, extra [][2]string, body []byte) (int, []byte, error) {
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

// Recorder collects one worker's latencies and outcomes.
type Recorder struct {
	Lat      []time.Duration
	Statuses map[int]int
	OKAt     []time.Duration // when each 201 completed, from the start
	Acked    []string        // the ids of the orders the server confirmed
	Second   []time.Duration // the latencies of the requests answered in the first second
	Errs     int
	FirstErr error
}

func NewRecorder() *Recorder { return &Recorder{Statuses: map[int]int{}} }

type Summary struct {
	N        int
	Lat      []time.Duration
	Statuses map[int]int
	OKAt     []time.Duration
	Second   []time.Duration
	Elapsed  time.Duration
	Acked    []string
	Errs     int
	FirstErr error
}

func Merge(rs []*Recorder, elapsed time.Duration) Summary {
	s := Summary{Statuses: map[int]int{}, Elapsed: elapsed}
	for _, r := range rs {
		s.Lat = append(s.Lat, r.Lat...)
		s.OKAt = append(s.OKAt, r.OKAt...)
		s.Acked = append(s.Acked, r.Acked...)
		s.Second = append(s.Second, r.Second...)
		s.Errs += r.Errs
		if s.FirstErr == nil {
			s.FirstErr = r.FirstErr
		}
		for k, v := range r.Statuses {
			s.Statuses[k] += v
		}
	}
	s.N = len(s.Lat)
	slices.Sort(s.Lat)
	slices.Sort(s.OKAt)
	slices.Sort(s.Second)
	return s
}

func (s Summary) Pct(p float64) time.Duration { return Pct(s.Lat, p) }

// Pct returns the p-quantile of sorted latencies.
func Pct(lat []time.Duration, p float64) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	return lat[min(len(lat)-1, int(float64(len(lat))*p))]
}

func (s Summary) Print(what string) {
	fmt.Printf("%s: %d requests in %s = %.0f/s\n", what, s.N, s.Elapsed.Round(time.Millisecond), float64(s.N)/s.Elapsed.Seconds())
	fmt.Printf("  latency p50 %s  p90 %s  p99 %s  max %s\n", MS(s.Pct(0.50)), MS(s.Pct(0.90)), MS(s.Pct(0.99)), MS(s.Pct(1)))
	keys := make([]int, 0, len(s.Statuses))
	for k := range s.Statuses {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	fmt.Print("  statuses")
	for _, k := range keys {
		fmt.Printf("  %d: %d", k, s.Statuses[k])
	}
	fmt.Println()
	if s.Errs > 0 {
		fmt.Printf("  connection errors: %d (first: %v)\n", s.Errs, s.FirstErr)
	}
}

// PrintMachine says how busy the machine was since a, and how much of its
// CPU the hypervisor gave to others.
func PrintMachine(a cpustat.Times) {
	busy, steal := cpustat.Read().Since(a)
	fmt.Printf("  machine meanwhile: busy %.0f%%, stolen %.0f%%\n", busy, steal)
}

func MS(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// DialAll opens n keep-alive connections; addr may list several servers
// ("a:1,b:2"), which then take the connections in turn (the edges of a
// cluster).
func DialAll(addr string, n int) []*Conn {
	addrs := strings.Split(addr, ",")
	cs := make([]*Conn, n)
	for i := range cs {
		c, err := Dial(addrs[i%len(addrs)])
		if err != nil {
			log.Fatalf("dial %d: %v", i, err)
		}
		cs[i] = c
	}
	return cs
}

// DialSpread opens n keep-alive connections from 250 source addresses,
// 127.0.0.2 to 127.0.0.251, as a crowd comes from many: limits per address
// then see what they would see in production, not one address doing
// everything.
func DialSpread(addr string, n int) []*Conn {
	cs := make([]*Conn, n)
	for i := range cs {
		c, err := DialFrom(addr, &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+i%250))})
		if err != nil {
			log.Fatalf("dial %d: %v", i, err)
		}
		cs[i] = c
	}
	return cs
}

// Run drives every connection until stop() says so; job(i) builds a request
// for the n-th attempt and returns false when there is none left.
func Run(cs []*Conn, stop func() bool, job func(n int64, c *Conn, r *Recorder, start time.Time) bool) Summary {
	var wg sync.WaitGroup
	var next atomic.Int64
	rs := make([]*Recorder, len(cs))
	start := time.Now()
	for i, c := range cs {
		rs[i] = NewRecorder()
		wg.Go(func() {
			for !stop() {
				if !job(next.Add(1)-1, c, rs[i], start) {
					return
				}
			}
		})
	}
	wg.Wait()
	return Merge(rs, time.Since(start))
}

// Timed sends one request and records it.
func Timed(c *Conn, r *Recorder, start time.Time, method, path, token string, extra [][2]string, body []byte) ([]byte, int) {
	t := time.Now()
	status, b, err := c.Do(method, path, token, extra, body)
	if err != nil {
		r.Errs++
		if r.FirstErr == nil {
			r.FirstErr = fmt.Errorf("%s %s: %w", method, path, err)
		}
		return nil, 0
	}
	lat := time.Since(t)
	r.Lat = append(r.Lat, lat)
	if time.Since(start) < time.Second {
		r.Second = append(r.Second, lat)
	}
	r.Statuses[status]++
	// a purchase or reservation confirmed: Canyu answers 201, PocketBase's
	// record create 200
	if status == http.StatusCreated || method == http.MethodPost && status == http.StatusOK {
		r.OKAt = append(r.OKAt, time.Since(start))
	}
	return b, status
}
