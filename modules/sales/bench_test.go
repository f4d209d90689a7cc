package sales

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
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
