package sales

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/canyu/canyu/modules/internal/testutil"
)

// BenchmarkBuyHandler measures the purchase path in process (no network):
// a reserved member's attempt on a sold-out sale, answered from memory.
func BenchmarkBuyHandler(b *testing.B) {
	e := newEnv(b, 1, 1)
	e.clock.Advance(2 * time.Hour)
	h := e.handler
	tokens := make([]string, 64)
	for i := range tokens {
		m := testutil.Member(b, e.app, fmt.Sprintf("b%d@example.com", i), "B")
		if _, _, err := e.mod.Engine().Reserve(b.Context(), e.sale.Id, m.Id, "", e.clock.Now().Add(-2*time.Hour)); err != nil {
			b.Fatal(err)
		}
		tokens[i] = testutil.Token(b, m)
	}
	var n atomic.Int64
	path := "/api/sales/" + e.sale.Id + "/orders"
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			req := httptest.NewRequest("POST", path, strings.NewReader(`{"quantity":1}`))
			req.Header.Set("Authorization", tokens[i%64])
			req.Header.Set("Idempotency-Key", strconv.FormatInt(i, 36))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusConflict && w.Code != http.StatusCreated && w.Code != http.StatusTooManyRequests {
				b.Fatalf("status %d: %s", w.Code, w.Body)
			}
		}
	})
}

// BenchmarkReserveHandler measures a reservation in process: token check,
// proof of work, engine, and the durable group commit.
func BenchmarkReserveHandler(b *testing.B) {
	e := newEnv(b, 1, 1)
	e.clock.Advance(-time.Minute) // reservations open
	h := e.handler
	type prepared struct{ token, body string }
	reqs := make([]prepared, b.N)
	for i := range reqs {
		m := testutil.Member(b, e.app, fmt.Sprintf("r%d@example.com", i), "R")
		m.Set("phone", fmt.Sprintf("+8613%09d", i))
		m.Set("phone_verified", e.clock.Now())
		if err := e.app.Save(m); err != nil {
			b.Fatal(err)
		}
		// the member opens the sale page and fetches a challenge first
		token := testutil.Token(b, m)
		req := httptest.NewRequest("GET", "/api/sales/"+e.sale.Id+"/challenge", nil)
		req.Header.Set("Authorization", token)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		var c struct{ Challenge string }
		if err := json.Unmarshal(w.Body.Bytes(), &c); err != nil || w.Code != 200 {
			b.Fatalf("challenge = %d %s", w.Code, w.Body)
		}
		reqs[i] = prepared{token, fmt.Sprintf(`{"challenge":%q,"nonce":%q}`, c.Challenge, Solve(c.Challenge, e.mod.Challenges().Bits()))}
	}
	var n atomic.Int64
	path := "/api/sales/" + e.sale.Id + "/reservations"
	b.ResetTimer()
	b.SetParallelism(64) // many members at once, as at a launch: the writer groups their rows
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := reqs[n.Add(1)-1]
			req := httptest.NewRequest("POST", path, strings.NewReader(r.body))
			req.Header.Set("Authorization", r.token)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusCreated {
				b.Fatalf("status %d: %s", w.Code, w.Body)
			}
		}
	})
	b.StopTimer()
	if wr, err := e.mod.Writer(); err == nil && wr.Groups.Load() > 0 {
		b.ReportMetric(float64(wr.Rows.Load())/float64(wr.Groups.Load()), "rows/group")
		b.ReportMetric(float64(wr.Busy.Load())/1e6/float64(wr.Groups.Load()), "ms/group")
	}
}

// BenchmarkWriterBurst measures the durable writer at a sale's opening:
// 1,000 buyers each waiting for their order's group commit, 10,000 orders
// per iteration (synchronous=FULL, real files).
func BenchmarkWriterBurst(b *testing.B) {
	e := newEnv(b, 1, 1)
	w, err := e.mod.Writer()
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	var seq atomic.Int64
	groups := w.Groups.Load()
	b.ResetTimer()
	for range b.N {
		var wg sync.WaitGroup
		for range 1000 {
			wg.Go(func() {
				for range 10 {
					i := seq.Add(1)
					o := Order{ID: NewID(), Sale: e.sale.Id, Member: fmt.Sprintf("m%014d", i), Quantity: 1, AmountCents: 199900,
						Status: "pending", Key: strconv.FormatInt(i, 36), BodyHash: "0123456789abcdef0123456789abcdef",
						Created: now, Expires: now.Add(30 * time.Minute)}
					if err := w.CommitOrder(b.Context(), o); err != nil {
						b.Error(err)
					}
				}
			})
		}
		wg.Wait()
	}
	b.ReportMetric(float64(w.Groups.Load()-groups)/float64(b.N), "groups/op")
	b.ReportMetric(float64(10_000*b.N)/b.Elapsed().Seconds(), "orders/s")
}
