package sales

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/modules/internal/testutil"
	"github.com/canyu/canyu/ui"
)

// issueCode makes one F-code for a sale or a product, as staff would.
func (e *env) issueCode(t *testing.T, sale, product string) string {
	t.Helper()
	staff := e.member(t, fmt.Sprintf("Issuer %d", e.count(t, FCodes, "1=1")), true, "staff")
	codes, err := e.mod.IssueFCodes(staff.Id, Batch{Count: 1, Expires: e.clock.Now().Add(48 * time.Hour), Sale: sale, Product: product})
	if err != nil {
		t.Fatal(err)
	}
	return codes[0]
}

// TestFCodeKeepsTheSessionRules: an F-code replaces the reservation and
// nothing else. Every other rule of the session applies to it, through the
// API and through the web form, and a refused code stays unspent.
func TestFCodeKeepsTheSessionRules(t *testing.T) {
	e := newEnv(t, 5, 1)
	internal := e.newSale(t, 5, 1, func(s *core.Record) { s.Set("staff_only", true) })
	veteran := e.newSale(t, 5, 1, func(s *core.Record) { s.Set("min_account_days", 30) })
	open := e.newSale(t, 5, 1, nil)
	ann := e.member(t, "Ann", false)     // verified phone, account made today
	nophone := e.member(t, "Noah", true) // no phone
	staff := e.member(t, "Sam", false, "staff")
	e.clock.Advance(2 * time.Hour) // every sale is open; nobody reserved

	cases := []struct {
		name   string
		sale   *core.Record
		code   string
		member *core.Record
		want   string
	}{
		{"product-wide code in a staff-only sale", internal, e.issueCode(t, "", internal.GetString("product")), ann, "staff_only"},
		{"sale code in a staff-only sale", internal, e.issueCode(t, internal.Id, ""), ann, "staff_only"},
		{"code without a verified phone", open, e.issueCode(t, open.Id, ""), nophone, "phone_required"},
		{"code in a veteran session, young account", veteran, e.issueCode(t, veteran.Id, ""), ann, "account_too_young"},
	}
	for _, c := range cases {
		a := e.call(t, "POST", "/api/sales/"+c.sale.Id+"/orders", c.member, fmt.Sprintf(`{"fcode":%q}`, c.code), "Idempotency-Key", "k-"+c.code)
		if a.Status != http.StatusForbidden || a.Code() != c.want {
			t.Errorf("%s: API = %d %v, want 403 %s", c.name, a.Status, a.Body, c.want)
		}
		// the web form decides the same
		status := e.form(t, c.member, "/sales/"+c.sale.Id+"/buy", url.Values{"fcode": {c.code}, "key": {"f-" + c.code}})
		if status != http.StatusForbidden {
			t.Errorf("%s: web form = %d, want 403", c.name, status)
		}
		if n := e.count(t, FCodes, "code = '"+c.code+"' AND redeemed_by != ''"); n != 0 {
			t.Errorf("%s: the refused code was spent", c.name)
		}
	}
	if n := e.count(t, Orders, "1=1"); n != 0 {
		t.Fatalf("%d orders made past the session rules", n)
	}

	// the rules met, the code buys without a reservation
	staffCode := e.issueCode(t, "", internal.GetString("product"))
	if a := e.call(t, "POST", "/api/sales/"+internal.Id+"/orders", staff, fmt.Sprintf(`{"fcode":%q}`, staffCode), "Idempotency-Key", "s"); a.Status != http.StatusCreated {
		t.Errorf("staff with a product code in the staff-only sale = %d %v, want 201", a.Status, a.Body)
	}
	if a := e.call(t, "POST", "/api/sales/"+open.Id+"/orders", ann, fmt.Sprintf(`{"fcode":%q}`, e.issueCode(t, open.Id, "")), "Idempotency-Key", "a"); a.Status != http.StatusCreated {
		t.Errorf("an eligible member with a code = %d %v, want 201", a.Status, a.Body)
	}
}

// form posts a web form as member and returns the status.
func (e *env) form(t testing.TB, member *core.Record, path string, v url.Values) int {
	t.Helper()
	req, _ := http.NewRequest("POST", e.base+path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.AddCookie(&http.Cookie{Name: "canyu_auth", Value: testutil.Token(t, member)})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// TestUnpublishedSaleIsGone: unpublishing stops a sale at once on every
// endpoint: members get 404 (even one who reserved), the engine takes no
// order from anyone, the public live channel goes quiet; staff keep the
// sale's state and its console.
func TestUnpublishedSaleIsGone(t *testing.T) {
	e := newEnv(t, 5, 1)
	ann := e.member(t, "Ann", false)
	staff := e.member(t, "Sam", false, "staff")
	if a := e.reserve(t, ann, ""); a.Status != http.StatusCreated {
		t.Fatalf("reserve = %d %v", a.Status, a.Body)
	}
	e.sale.Set("published", false)
	if err := e.app.Save(e.sale); err != nil {
		t.Fatal(err)
	}
	e.mod.publish()
	before := e.live.Last("sale:" + e.sale.Id)
	bob := e.member(t, "Bob", false)
	id := e.sale.Id
	for _, c := range []struct {
		method, path string
		member       *core.Record
	}{
		{"GET", "/api/sales/" + id, nil},
		{"GET", "/api/sales/" + id, ann},
		{"GET", "/api/sales/" + id + "/challenge", bob},
		{"POST", "/api/sales/" + id + "/reservations", bob},
	} {
		if a := e.call(t, c.method, c.path, c.member, "{}"); a.Status != http.StatusNotFound || a.Code() != "unknown_sale" {
			t.Errorf("%s %s = %d %v, want 404 unknown_sale", c.method, c.path, a.Status, a.Body)
		}
	}
	e.clock.Advance(2 * time.Hour) // the sale's opening
	for _, m := range []*core.Record{ann, staff} {
		if a := e.call(t, "POST", "/api/sales/"+id+"/orders", m, "{}", "Idempotency-Key", "k"+m.Id); a.Status != http.StatusNotFound {
			t.Errorf("buy in an unpublished sale as %s = %d %v, want 404", m.GetString("name"), a.Status, a.Body)
		}
	}
	if status := e.form(t, ann, "/sales/"+id+"/buy", url.Values{"key": {"web"}}); status != http.StatusNotFound {
		t.Errorf("web buy form = %d, want 404", status)
	}
	if n := e.count(t, Orders, "1=1"); n != 0 {
		t.Errorf("%d orders in an unpublished sale", n)
	}
	// staff keep the state and the console
	if a := e.call(t, "GET", "/api/sales/"+id, staff, ""); a.Status != http.StatusOK {
		t.Errorf("staff GET the unpublished sale = %d, want 200", a.Status)
	}
	if page := e.page(t, staff, "/sales/"+id+"/console"); !strings.Contains(page, "sale-console:"+id) {
		t.Error("staff lost the console of the unpublished sale")
	}
	// attempts moved the counters, yet nothing reached the public channel
	e.call(t, "POST", "/api/sales/"+id+"/orders", ann, "{}", "Idempotency-Key", "again")
	e.mod.publish()
	if after := e.live.Last("sale:" + id); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("the public live channel of an unpublished sale changed: %v -> %v", before, after)
	}
}

// TestFCodeGuessesAreLimited: F-code look-ups count against sales.limits.fcode
// before the code is read, so codes cannot be guessed by the thousand.
func TestFCodeGuessesAreLimited(t *testing.T) {
	e := newEnv(t, 5, 1)
	ann := e.member(t, "Ann", false)
	e.clock.Advance(2 * time.Hour)
	limited := 0
	for i := range 12 {
		a := e.call(t, "POST", "/api/sales/"+e.sale.Id+"/orders", ann, fmt.Sprintf(`{"fcode":"FGUESS%d"}`, i), "Idempotency-Key", fmt.Sprint("g", i))
		switch a.Code() {
		case "fcode_unknown":
		case "too_fast":
			limited++
		default:
			t.Fatalf("guess %d = %d %v", i, a.Status, a.Body)
		}
	}
	if limited != 2 {
		t.Errorf("%d of 12 guesses refused by the limit, want 2 (10 per 10 minutes)", limited)
	}
}

// TestStockChangesSayWhy: a stock change below the units sold is refused
// with a clear problem (API: 400 bad_stock; console: the form again with
// the reason and what was typed), never a 500 or a silent redirect; a
// change that works is told by the flash.
func TestStockChangesSayWhy(t *testing.T) {
	e := newEnv(t, 3, 1)
	staff := e.member(t, "Sam", false, "staff")
	ann := e.member(t, "Ann", false)
	e.reserve(t, ann, "")
	e.clock.Advance(2 * time.Hour)
	if a := e.call(t, "POST", "/api/sales/"+e.sale.Id+"/orders", ann, `{}`, "Idempotency-Key", "a"); a.Status != 201 {
		t.Fatal(a.Body)
	}
	if a := e.call(t, "POST", "/api/sales/"+e.sale.Id+"/stock", staff, `{"add":-3}`); a.Status != http.StatusBadRequest || a.Code() != "bad_stock" {
		t.Errorf("stock below the units sold through the API = %d %v, want 400 bad_stock", a.Status, a.Body)
	}
	b := testutil.BrowserAt(t, e.base).As(staff)
	status, page, _ := b.Do("POST", "/sales/"+e.sale.Id+"/stock", url.Values{"add": {"-3"}})
	if status != http.StatusBadRequest || !strings.Contains(page, `value="-3"`) || !strings.Contains(page, "never less than what is sold") {
		t.Errorf("console form below the units sold = %d, want the console with the reason and the typed -3", status)
	}
	if status, _, h := b.Do("POST", "/sales/"+e.sale.Id+"/stock", url.Values{"add": {"5"}}); status != http.StatusSeeOther || strings.Contains(h.Get("Location"), "?") {
		t.Errorf("a good change = %d to %q, want 303 with no query", status, h.Get("Location"))
	}
	if _, page, _ := b.Do("GET", "/sales/"+e.sale.Id+"/console", nil); !strings.Contains(page, "Stock changed.") {
		t.Error("the console does not say the stock changed (flash)")
	}
}

// TestFrontShadowsNoTableRoute: every route of the table under /api/sales/
// reaches the router, whatever its method; only a sale's four endpoints are
// the front's.
func TestFrontShadowsNoTableRoute(t *testing.T) {
	e := newEnv(t, 1, 1)
	routed := ""
	h := e.mod.front(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { routed = r.Method + " " + r.URL.Path }))
	for _, rt := range e.mod.routes() {
		if !strings.HasPrefix(rt.Path, "/api/sales/") {
			continue
		}
		for _, method := range []string{rt.Method, "GET", "POST"} {
			path := strings.NewReplacer("{id}", "x1").Replace(rt.Path)
			routed = ""
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(method, path, nil))
			if routed != method+" "+path {
				t.Errorf("%s %s (route %s %s) was answered by the front, not the router", method, path, rt.Method, rt.Path)
			}
		}
	}
	// a future read under a word of its own, added to the table, is routed too
	words := tableWords(append(e.mod.routes(), ui.Route{Method: "GET", Path: "/api/sales/feed"}))
	if !words["feed"] || !words["fcodes"] || !words["orders"] || words["{id}"] {
		t.Errorf("tableWords = %v", words)
	}
	// the sale's own endpoints stay the front's
	routed = ""
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/api/sales/"+e.sale.Id, nil))
	if routed != "" {
		t.Error("GET /api/sales/{id} went past the front")
	}
}
