package live

import (
	"testing"
	"time"

	"github.com/canyu/canyu/cluster"
)

// TestHubsShareOverTheBus: two processes' hubs on one NATS (the core's
// embedded server and an edge connected to it): what one publishes reaches
// the other's clients, and "online" is the sum of both.
func TestHubsShareOverTheBus(t *testing.T) {
	core, err := cluster.Start(cluster.Config{Listen: "127.0.0.1:0", Node: "core"}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(core.Close)
	edge, err := cluster.Start(cluster.Config{NATSURL: core.URL(), Node: "edge"}, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(edge.Close)
	a, b := New(DefaultConfig(), Deps{}), New(DefaultConfig(), Deps{})
	t.Cleanup(func() { a.hub.Close(); b.hub.Close() })
	if err := a.UseBus(core, core.Node); err != nil {
		t.Fatal(err)
	}
	if err := b.UseBus(edge, edge.Node); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.shared.Load().close(); b.shared.Load().close() })

	a.Publish("topic:t1", map[string]any{"metoo": 3})
	b.Publish("sale:s1", map[string]any{"sold": 7})
	if err := core.Flush(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the edge's hub has the core's publication", func() bool { return b.Hub().Snapshot("topic:t1").Data["metoo"] == float64(3) })
	eventually(t, "the core's hub has the edge's publication", func() bool { return a.Hub().Snapshot("sale:s1").Data["sold"] == float64(7) })
	if got := a.Hub().Snapshot("topic:t1").Data["metoo"]; got != 3 {
		t.Errorf("the core's own value = %v (published once, not echoed back)", got)
	}

	a.mu.Lock()
	a.guests = 2
	a.publishOnlineLocked()
	a.mu.Unlock()
	b.mu.Lock()
	b.guests = 3
	b.publishOnlineLocked()
	b.mu.Unlock()
	for name, m := range map[string]*Module{"core": a, "edge": b} {
		eventually(t, name+" counts everyone online", func() bool { return m.Hub().Snapshot("site").Data["online"] == 5 })
	}
}

func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Errorf("%s: not within 5 s", what)
}
