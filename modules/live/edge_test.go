package live

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/canyu/canyu/cluster"
	"github.com/canyu/canyu/modules/internal/testutil"
)

// TestEdgeServesLive: an edge (no database) serves /api/live from its own
// hub. The core says who a token is and what it may follow; a channel's
// state published before the edge joined reaches the edge's clients, later
// publications too; the online count is summed; a session signed out at
// the core is closed at the edge; the polling fallback answers at the edge.
func TestEdgeServesLive(t *testing.T) {
	s := newSite(t, nil)
	s.mod.Publish("topic:t1", map[string]any{"metoo": 4}) // before the edge exists
	coreBus, err := cluster.Start(cluster.Config{Listen: "127.0.0.1:0", Node: "core"}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(coreBus.Close)
	if err := s.mod.UseBus(coreBus, coreBus.Node); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.mod.shared.Load().close() })
	edgeBus, err := cluster.Start(cluster.Config{NATSURL: coreBus.URL(), Node: "edge"}, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(edgeBus.Close)
	e := New(DefaultConfig(), Deps{PublicURL: "http://canyu.test"})
	t.Cleanup(e.Close)
	h, err := e.ServeEdge(edgeBus, edgeBus.Node, func(r *http.Request) string {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		return host
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	base := "ws" + strings.TrimPrefix(srv.URL, "http")
	dial := func(header http.Header) *websocket.Conn {
		c, res, err := websocket.DefaultDialer.Dial(base+"/api/live", header)
		if err != nil {
			t.Fatalf("dial the edge: %v (%v)", err, res)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}

	guest := dial(nil)
	subscribe(t, guest, "topic:t1", "secret:x")
	refused, seeded := false, false
	guest.SetReadDeadline(time.Now().Add(3 * time.Second))
	for !refused || !seeded {
		var raw map[string]any
		if err := guest.ReadJSON(&raw); err != nil {
			t.Fatalf("a guest at the edge: refused a channel no rule names = %v, the core's state of topic:t1 = %v (%v)", refused, seeded, err)
		}
		refused = refused || raw["type"] == "error" && raw["channel"] == "secret:x"
		seeded = seeded || raw["channel"] == "topic:t1" && raw["data"].(map[string]any)["metoo"] == float64(4)
	}
	s.mod.Publish("topic:t1", map[string]any{"metoo": 5})
	for deadline := time.Now().Add(3 * time.Second); ; { // the seeded state may come twice first
		got := next(t, guest, "topic:t1", time.Until(deadline))
		if got.Data["metoo"] == float64(5) {
			break
		}
	}
	eventually(t, "the core counts the edge's guest online", func() bool {
		return s.mod.Hub().Snapshot("site").Data["online"] == 1
	})

	member := testutil.Member(t, s.mod.app, "edge@x.io", "Edge")
	token := testutil.Token(t, member)
	mc := dial(http.Header{"Authorization": {token}})
	subscribe(t, mc, "member:someone-else")
	var n serverNotice
	mc.SetReadDeadline(time.Now().Add(3 * time.Second))
	if err := mc.ReadJSON(&n); err != nil || n.Type != "error" || n.Channel != "member:someone-else" {
		t.Fatalf("another member's channel at the edge = %+v, %v; want refused", n, err)
	}
	subscribe(t, mc, "member:"+member.Id)
	time.Sleep(100 * time.Millisecond)
	s.mod.Publish("member:"+member.Id, map[string]any{"unread": 2})
	if got := next(t, mc, "member:"+member.Id, 3*time.Second); got.Data["unread"] != float64(2) {
		t.Errorf("the member's own channel at the edge = %v", got.Data)
	}
	eventually(t, "the core counts the edge's member", func() bool {
		return s.mod.Hub().Snapshot("site").Data["members_online"] == 1
	})

	res, err := http.Get(srv.URL + "/api/live/snapshot?channels=topic:t1")
	if err != nil {
		t.Fatal(err)
	}
	var snaps map[string]Snapshot
	json.NewDecoder(res.Body).Decode(&snaps)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || snaps["topic:t1"].Data["metoo"] != float64(5) {
		t.Errorf("the edge's snapshot = %d %v", res.StatusCode, snaps)
	}
	if res, err := http.Get(srv.URL + "/api/live/snapshot?channels=member:" + member.Id); err != nil || res.StatusCode != http.StatusForbidden {
		t.Errorf("a guest's snapshot of a member's channel at the edge = %v, %v; want 403", res.StatusCode, err)
	}

	s.mod.endSessions(member.Id, token) // signed out at the core
	if code := closeCode(t, mc); code != CloseSignedOut {
		t.Errorf("the edge closed the signed-out session with %d, want %d", code, CloseSignedOut)
	}
}
