package testutil

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Realtime is a client of PocketBase's realtime API (server-sent events),
// subscribed to some topics as one member: what a member's browser would
// receive.
type Realtime struct {
	events chan RealtimeEvent
}

// RealtimeEvent is one message: its topic (the event name) and data.
type RealtimeEvent struct {
	Topic, Data string
}

// NewRealtime connects to base's /api/realtime and subscribes to topics
// ("releases_releases" for every record, "releases_releases/<id>" for one)
// with token's authority ("" for a guest). The connection closes when the
// test ends.
func NewRealtime(t testing.TB, base, token string, topics ...string) *Realtime {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/realtime", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("realtime: connect: %v", err)
	}
	rt := &Realtime{events: make(chan RealtimeEvent, 64)}
	connected := make(chan string, 1)
	go func() {
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		var ev RealtimeEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event:"):
				ev.Topic = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
			case strings.HasPrefix(line, "data:"):
				ev.Data = strings.TrimSpace(strings.TrimPrefix(line, "data:"))
			case line == "":
				if ev.Topic == "PB_CONNECT" {
					var c struct{ ClientID string }
					_ = json.Unmarshal([]byte(ev.Data), &c)
					connected <- c.ClientID
				} else if ev.Topic != "" {
					rt.events <- ev
				}
				ev = RealtimeEvent{}
			}
		}
	}()
	var client string
	select {
	case client = <-connected:
	case <-time.After(5 * time.Second):
		t.Fatal("realtime: no PB_CONNECT")
	}
	body, _ := json.Marshal(map[string]any{"clientId": client, "subscriptions": topics})
	if a := API(t, base, http.MethodPost, "/api/realtime", token, string(body)); a.Status != http.StatusNoContent {
		t.Fatalf("realtime: subscribe = %d %s", a.Status, a.Body)
	}
	return rt
}

// Next returns the next message, or false when none came within wait.
func (r *Realtime) Next(wait time.Duration) (RealtimeEvent, bool) {
	select {
	case ev := <-r.events:
		return ev, true
	case <-time.After(wait):
		return RealtimeEvent{}, false
	}
}
