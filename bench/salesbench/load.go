package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/canyu/canyu/bench/internal/benchdata"

	"github.com/canyu/canyu/bench/internal/cpustat"
	"github.com/canyu/canyu/bench/internal/loadgen"
	"github.com/canyu/canyu/modules/sales"
)

// reserve: every member of the pool fetches a challenge and solves it (as
// the page does), then the reservations are posted as fast as the server
// answers them, for duration or until the pool is used up.
func reserve(p plan, tokens []string, addr string, conns int, duration time.Duration) {
	pool := tokens[p.Reserved+p.Unreserved:]
	cs := loadgen.DialAll(addr, conns)
	type solved struct{ challenge, nonce string }
	proofs := make([]solved, len(pool))
	path := "/api/sales/" + p.ReserveSale
	got := loadgen.Run(cs, func() bool { return false }, func(n int64, c *loadgen.Conn, r *loadgen.Recorder, start time.Time) bool {
		if n >= int64(len(pool)) {
			return false
		}
		b, status := loadgen.Timed(c, r, start, "GET", path+"/challenge", pool[n], nil, nil)
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
	got.Print("challenges (GET, each member's first request: reads the member from the database)")

	deadline := time.Now().Add(duration)
	cpu0 := cpustat.Read()
	res := loadgen.Run(cs, func() bool { return time.Now().After(deadline) }, func(n int64, c *loadgen.Conn, r *loadgen.Recorder, start time.Time) bool {
		if n >= int64(len(pool)) {
			return false
		}
		body, _ := json.Marshal(map[string]string{"challenge": proofs[n].challenge, "nonce": proofs[n].nonce})
		_, status := loadgen.Timed(c, r, start, "POST", path+"/reservations", pool[n], nil, body)
		return status != 0
	})
	res.Print("reservations (POST, each durable before its 201)")
	loadgen.PrintMachine(cpu0)
	fmt.Printf("  reservations stored: %d = %.0f/s\n", res.Statuses[201], float64(res.Statuses[201])/res.Elapsed.Seconds())
}

// buy: the members who reserved, and some who did not, wait on the sale page
// with their connections open; at the opening every connection sends
// purchase attempts back to back, each from a random member with a fresh
// idempotency key.
func buy(p plan, tokens []string, addr string, conns int, duration time.Duration, ackedFile string) {
	cs := loadgen.DialAll(addr, conns)
	crowd := p.Reserved + p.Unreserved
	var path, viewPath string
	switch p.Kind {
	case "canyu", "trivial":
		path, viewPath = "/api/sales/"+p.BuySale+"/orders", "/api/sales/"+p.BuySale
	case "naive":
		path, viewPath = "/api/collections/naive_orders/records", "/api/collections/naive_products/records/"+p.BuySale
	}
	// before the opening, every member has the sale page open
	warm := loadgen.Run(cs, func() bool { return false }, func(n int64, c *loadgen.Conn, r *loadgen.Recorder, start time.Time) bool {
		if n >= int64(crowd) {
			return false
		}
		_, status := loadgen.Timed(c, r, start, "GET", viewPath, tokens[n], nil, nil)
		return status != 0
	})
	warm.Print("sale page views before the opening (GET)")
	if wait := time.Until(p.Opens); wait > 0 {
		fmt.Printf("waiting %s for the opening\n", wait.Round(time.Millisecond))
		time.Sleep(wait)
	} else {
		fmt.Printf("the sale opened %s before the burst started\n", (-wait).Round(time.Millisecond))
	}
	deadline := time.Now().Add(duration)
	cpu0 := cpustat.Read()
	var seq atomic.Int64
	res := loadgen.Run(cs, func() bool { return time.Now().After(deadline) }, func(n int64, c *loadgen.Conn, r *loadgen.Recorder, start time.Time) bool {
		i := rand.IntN(crowd)
		var extra [][2]string
		var body []byte
		if p.Kind != "naive" {
			extra = [][2]string{{"Idempotency-Key", strconv.FormatInt(seq.Add(1), 36)}}
			body = []byte(`{"quantity":1}`)
		} else {
			body = []byte(`{"member":"` + benchdata.MemberID(i) + `","product":"` + p.BuySale + `"}`)
		}
		b, status := loadgen.Timed(c, r, start, "POST", path, tokens[i], extra, body)
		if status == http.StatusCreated || status == http.StatusOK {
			if id := orderID(b); id != "" {
				r.Acked = append(r.Acked, id)
			}
		}
		return status != 0
	})
	res.Print(fmt.Sprintf("purchase attempts (POST, %d keep-alive connections)", conns))
	fmt.Printf("  first second: %d attempts answered, p50 %s  p99 %s  max %s\n", len(res.Second),
		loadgen.MS(loadgen.Pct(res.Second, 0.5)), loadgen.MS(loadgen.Pct(res.Second, 0.99)), loadgen.MS(loadgen.Pct(res.Second, 1)))
	loadgen.PrintMachine(cpu0)
	if len(res.OKAt) > 0 {
		fmt.Printf("  orders: %d; first at %s, last at %s after the opening\n", len(res.OKAt), loadgen.MS(res.OKAt[0]), loadgen.MS(res.OKAt[len(res.OKAt)-1]))
	}
	if ackedFile != "" {
		if err := os.WriteFile(ackedFile, []byte(strings.Join(res.Acked, "\n")+"\n"), 0o644); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("  %d acknowledged order ids written to %s\n", len(res.Acked), ackedFile)
	}
	if len(res.OKAt) >= p.Stock {
		fmt.Printf("  sold out (%d units) in %s\n", p.Stock, loadgen.MS(res.OKAt[p.Stock-1]))
	} else {
		fmt.Printf("  NOT sold out: %d of %d units in %s\n", len(res.OKAt), p.Stock, res.Elapsed.Round(time.Millisecond))
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
