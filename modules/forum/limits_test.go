package forum

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/canyu/canyu/modules/internal/testutil"
	"github.com/canyu/canyu/ui"
)

// TestWritesAreRateLimited: the forum's writes count per member and per
// address against forum.limits; a refusal is a 429 with Retry-After in the
// member's language, through the API and the web forms, and stores nothing.
func TestWritesAreRateLimited(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Limits.Topic = ui.LimitPair{Member: "2/1h", IP: "3/1h"}
	cfg.Limits.React = ui.LimitPair{Member: "1/1h", IP: "off"}
	e := newEnvWith(t, cfg, ui.LimitsConfig{})
	ann := testutil.Member(t, e.app, "ann@x.io", "Ann", "staff") // staff: the new-account limit does not apply
	bob := testutil.Member(t, e.app, "bob@x.io", "Bob", "staff")
	b := testutil.NewBrowser(t, e.app)
	body := `{"board":"camera","kind":"discussion","title":"A topic to count","body":"text"}`
	post := func(token, lang string) (int, map[string]any, http.Header) {
		a := testutil.API(t, b.Base, "POST", "/api/forum/topics", token, body, "Accept-Language", lang)
		return a.Status, a.Body, a.Header
	}
	annToken, bobToken := testutil.Token(t, ann), testutil.Token(t, bob)
	for i := range 2 {
		if status, out, _ := post(annToken, "en"); status != http.StatusCreated {
			t.Fatalf("topic %d = %d %v", i+1, status, out)
		}
	}
	status, out, h := post(annToken, "zh-CN")
	retry, _ := strconv.Atoi(h.Get("Retry-After"))
	if status != http.StatusTooManyRequests || retry < 1 || out["message"] != "尝试次数太多，请稍后再试。" {
		t.Errorf("third topic of a member = %d, Retry-After %q, %v; want 429 in Chinese with Retry-After", status, h.Get("Retry-After"), out)
	}
	if data, _ := out["data"].(map[string]any); data["code"] != "rate_limited" {
		t.Errorf("data = %v, want code rate_limited", out["data"])
	}
	// the same address: bob's first counts as the third from it, his second is refused
	if status, out, _ := post(bobToken, "en"); status != http.StatusCreated {
		t.Fatalf("bob's first topic = %d %v", status, out)
	}
	if status, _, _ := post(bobToken, "en"); status != http.StatusTooManyRequests {
		t.Errorf("fourth topic from one address = %d, want 429", status)
	}
	if n, _ := e.app.CountRecords(Topics); n != 3 {
		t.Errorf("%d topics stored, want 3: a refused request stores nothing", n)
	}

	// a web form: me too, once per hour here
	need := e.need(t, bob, KindRequest)
	web := b.Another().As(ann)
	if status, _, _ := web.Do("POST", "/forum/t/"+need.Id+"/metoo", url.Values{}); status != http.StatusSeeOther {
		t.Fatalf("first me too = %d", status)
	}
	web.Lang = "en"
	status, page, h := web.Do("POST", "/forum/t/"+need.Id+"/metoo", url.Values{})
	if status != http.StatusTooManyRequests || !strings.Contains(page, "Too many attempts") || h.Get("Retry-After") == "" {
		t.Errorf("second me too = %d (Retry-After %q), want the 429 page", status, h.Get("Retry-After"))
	}
}

// TestWritesBudget: every write of every route counts against the writes
// budget of the limits section, whatever the route's own limit.
func TestWritesBudget(t *testing.T) {
	e := newEnvWith(t, DefaultConfig(), ui.LimitsConfig{Enabled: true, Writes: ui.LimitPair{Member: "3/1m", IP: "off"}})
	ann := testutil.Member(t, e.app, "ann@x.io", "Ann", "staff")
	need := e.need(t, ann, KindRequest)
	b := testutil.NewBrowser(t, e.app).As(ann)
	codes := []int{}
	for range 4 {
		status, _, _ := b.Do("POST", "/forum/t/"+need.Id+"/metoo", url.Values{})
		codes = append(codes, status)
	}
	if codes[2] != http.StatusSeeOther || codes[3] != http.StatusTooManyRequests {
		t.Errorf("four writes under a budget of three = %v, want the fourth refused", codes)
	}
}
