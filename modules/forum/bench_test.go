package forum

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/canyu/canyu/modules/internal/testutil"
)

// BenchmarkTopicPage renders a topic with 100 replies for a guest, in
// process (bench/forum.sh measures the same page over HTTP with wrk).
func BenchmarkTopicPage(b *testing.B) {
	e := newEnv(b)
	m := testutil.Member(b, e.app, "m@x.io", "M")
	topic := e.need(b, m, KindRequest)
	for i := range 100 {
		if _, err := e.mod.Forum().Reply(m, topic.Id, "Reply **"+string(rune('a'+i%26))+"**: see [the roadmap](https://example.com) and\n\n- one\n- two"); err != nil {
			b.Fatal(err)
		}
	}
	h, err := testutil.Handler(e.app)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/forum/t/"+topic.Id, nil))
		if rec.Code != 200 {
			b.Fatalf("status %d", rec.Code)
		}
	}
}
