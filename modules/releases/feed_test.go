package releases

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/canyu/canyu/modules/internal/testutil"
)

// feedOf fetches and parses a product's Atom feed with a real feed parser.
func feedOf(t *testing.T, b *testutil.Browser, product string) *gofeed.Feed {
	t.Helper()
	status, body, h := b.Do("GET", "/releases/feed.atom?product="+product, nil)
	if status != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "application/atom+xml") {
		t.Fatalf("feed = %d %s", status, h.Get("Content-Type"))
	}
	f, err := gofeed.NewParser().ParseString(body)
	if err != nil {
		t.Fatalf("the feed does not parse: %v\n%s", err, body)
	}
	if f.FeedType != "atom" {
		t.Fatalf("feed type %q, want atom", f.FeedType)
	}
	return f
}

// TestFeeds: the Atom feed of a product's stable builds parses with a
// standard parser, newest first, items and links complete, no beta; the
// "what's new" JSON counts the releases since a time, for any origin; the
// widget script is served.
func TestFeeds(t *testing.T) {
	e := newEnv(t)
	old := e.release(t, "2.4.0", "stable", "publish", "Bedtime mode")
	e.clock.Advance(7 * 24 * time.Hour)
	seen := e.clock.Now()
	e.clock.Advance(time.Hour)
	latest := e.release(t, "2.4.1", "stable", "publish", "**Night mode** for the gallery")
	e.release(t, "2.5.0-beta.1", "beta", "publish", "Lock screen")
	b := testutil.NewBrowser(t, e.app)

	f := feedOf(t, b, "phone")
	if len(f.Items) != 2 || !strings.Contains(f.Items[0].Title, "2.4.1") || !strings.Contains(f.Items[1].Title, "2.4.0") {
		t.Fatalf("feed items = %d %v, want 2.4.1 then 2.4.0", len(f.Items), f.Items)
	}
	if f.Items[0].Link != "http://127.0.0.1:8090/releases/"+latest.Id || !strings.Contains(f.Items[0].Content, "<strong>Night mode</strong>") {
		t.Errorf("newest item link %q content %q", f.Items[0].Link, f.Items[0].Content)
	}
	if f.UpdatedParsed == nil || !f.UpdatedParsed.Equal(latest.GetDateTime("published").Time()) {
		t.Errorf("feed updated %v, want the newest release's time", f.UpdatedParsed)
	}
	if status, _, _ := b.Do("GET", "/releases/feed.atom?product=phone&channel=beta", nil); status != http.StatusNotFound {
		t.Errorf("a beta feed = %d, want 404 (beta builds are for testers)", status)
	}

	a := testutil.API(t, b.Base, "GET", "/api/releases/whats-new?product=phone&since="+seen.Format(time.RFC3339), "", "", "Origin", "https://brand.example")
	if a.Status != 200 || a.Body["unseen"] != float64(1) || a.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("whats-new since = %d %v (CORS %q), want 1 unseen for any origin", a.Status, a.Body, a.Header.Get("Access-Control-Allow-Origin"))
	}
	if a := testutil.API(t, b.Base, "GET", "/api/releases/whats-new?product=phone", "", ""); a.Body["unseen"] != float64(2) {
		t.Errorf("whats-new without since = %v, want the 2 stable releases", a.Body["unseen"])
	}
	if a := testutil.API(t, b.Base, "GET", "/api/releases/whats-new?product=phone&since=yesterday", "", "", "Accept-Language", "zh-CN"); a.Status != 400 || !strings.Contains(a.Body["message"].(string), "RFC 3339") {
		t.Errorf("a bad since = %d %v", a.Status, a.Body)
	}
	if status, js, h := b.Do("GET", "/releases/widget.js", nil); status != 200 || !strings.Contains(h.Get("Content-Type"), "javascript") || !strings.Contains(js, "whats-new") {
		t.Errorf("widget.js = %d %s", status, h.Get("Content-Type"))
	}
	_ = old
}
