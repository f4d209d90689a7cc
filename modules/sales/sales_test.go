package sales

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"github.com/canyu/canyu/hooks"
	"github.com/canyu/canyu/modules/internal/testutil"
	"github.com/canyu/canyu/platform"
)

func TestMain(m *testing.M) { testutil.Main(m) }

type env struct {
	app     *tests.TestApp
	mod     *Module
	live    *testutil.FakeLive
	clock   *testutil.Clock
	sale    *core.Record
	base    string
	handler http.Handler
}

// newEnv serves a sale whose reservations are open now and which opens in
// two hours for an hour, with the given stock and limit.
func newEnv(t testing.TB, stock, perMember int) *env {
	t.Helper()
	te := testutil.NewEnv(t, time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC))
	e := &env{app: te.App, live: te.Live, clock: te.Clock}
	cfg := DefaultConfig()
	cfg.PowBits = 4
	e.mod = New(cfg, Deps{Deps: te.Deps()})
	te.Register(t, e.mod)
	t.Cleanup(e.mod.Close)
	e.sale = e.newSale(t, stock, perMember, nil)
	h, err := testutil.Handler(e.app)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	e.base, e.handler = srv.URL, h
	return e
}

func (e *env) newSale(t testing.TB, stock, perMember int, edit func(*core.Record)) *core.Record {
	t.Helper()
	pc, _ := e.app.FindCollectionByNameOrId(Products)
	p := core.NewRecord(pc)
	p.Set("name", "Canyu Phone 1")
	p.Set("price_cents", 199900)
	p.Set("currency", "CNY")
	if err := e.app.Save(p); err != nil {
		t.Fatal(err)
	}
	sc, _ := e.app.FindCollectionByNameOrId(Sales)
	s := core.NewRecord(sc)
	now := e.clock.Now()
	s.Set("product", p.Id)
	s.Set("title", "Red Tuesday #1")
	s.Set("published", true)
	s.Set("reserve_opens", now.Add(-time.Hour))
	s.Set("reserve_closes", now.Add(time.Hour))
	s.Set("starts", now.Add(2*time.Hour))
	s.Set("ends", now.Add(3*time.Hour))
	s.Set("stock", stock)
	s.Set("per_member", perMember)
	if edit != nil {
		edit(s)
	}
	if err := e.app.Save(s); err != nil {
		t.Fatal(err)
	}
	return s
}

// member creates a member; with a verified phone unless noPhone.
func (e *env) member(t testing.TB, name string, noPhone bool, roles ...string) *core.Record {
	t.Helper()
	m := testutil.Member(t, e.app, strings.ToLower(strings.ReplaceAll(name, " ", "."))+"@example.com", name, roles...)
	if !noPhone {
		m.Set("phone", fmt.Sprintf("+86138%08d", len(name)*1000+int(name[0])))
		m.Set("phone_verified", e.clock.Now().Add(-24*time.Hour))
		if err := e.app.Save(m); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

type answer = testutil.Answer

// call sends a JSON request as member (nil: a guest) with header pairs.
func (e *env) call(t testing.TB, method, path string, member *core.Record, body string, header ...string) answer {
	t.Helper()
	token := ""
	if member != nil {
		token = testutil.Token(t, member)
	}
	return testutil.API(t, e.base, method, path, token, body, header...)
}

// reserve solves a challenge and reserves, returning the answer.
func (e *env) reserve(t testing.TB, member *core.Record, extra string) answer {
	t.Helper()
	c := e.call(t, "GET", "/api/sales/"+e.sale.Id+"/challenge", member, "")
	if c.Status == http.StatusForbidden || c.Status == http.StatusNotFound {
		return c // a member the sale refuses is told before solving a puzzle
	}
	if c.Status != 200 {
		t.Fatalf("challenge = %d %v", c.Status, c.Body)
	}
	ch := c.Body["challenge"].(string)
	nonce := Solve(ch, int(c.Body["bits"].(float64)))
	return e.call(t, "POST", "/api/sales/"+e.sale.Id+"/reservations", member,
		fmt.Sprintf(`{"challenge":%q,"nonce":%q%s}`, ch, nonce, extra))
}

func (e *env) count(t testing.TB, collection, filter string) int {
	t.Helper()
	n, err := e.app.CountRecords(collection, dbx.NewExp(filter))
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

func TestReserveThenBuy(t *testing.T) {
	e := newEnv(t, 10, 1)
	ann := e.member(t, "Ann", false)
	events := make(chan string, 10)
	e.mod.deps.Events.Listen(func(key string, p hooks.Payload) error {
		events <- key + " " + fmt.Sprint(p["sale"])
		return nil
	})

	r := e.reserve(t, ann, "")
	if r.Status != http.StatusCreated || r.Body["number"] != 1.0 {
		t.Fatalf("reserve = %d %v", r.Status, r.Body)
	}
	if again := e.reserve(t, ann, ""); again.Status != http.StatusOK || again.Body["number"] != 1.0 {
		t.Errorf("second reserve = %d %v, want 200 and the same number", again.Status, again.Body)
	}
	e.mod.publish()
	if got := e.live.Last("sale:" + e.sale.Id)["reserved"]; got != int64(1) {
		t.Errorf("live reserved = %v, want 1", got)
	}

	buy := func(key, body string) answer {
		return e.call(t, "POST", "/api/sales/"+e.sale.Id+"/orders", ann, body, "Idempotency-Key", key)
	}
	if a := buy("k1", `{"quantity":1}`); a.Status != http.StatusForbidden || a.Code() != "not_open" {
		t.Errorf("buy before the opening = %d %v", a.Status, a.Body)
	}
	e.clock.Advance(2 * time.Hour)
	first := buy("k2", `{"quantity": 1}`)
	if first.Status != http.StatusCreated {
		t.Fatalf("buy = %d %v", first.Status, first.Body)
	}
	order := first.Body["order"].(map[string]any)
	replay := buy("k2", `{"quantity":1}`)
	if replay.Status != http.StatusCreated || replay.Body["order"].(map[string]any)["id"] != order["id"] || replay.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("replayed buy = %d %v %v, want the first order", replay.Status, replay.Body, replay.Header)
	}
	if a := buy("k2", `{"quantity":2}`); a.Status != http.StatusUnprocessableEntity {
		t.Errorf("same key, other body = %d %v, want 422", a.Status, a.Body)
	}
	if a := buy("k3", `{}`); a.Status != http.StatusConflict || a.Code() != "limit" {
		t.Errorf("second order = %d %v, want 409 limit", a.Status, a.Body)
	}
	for _, want := range []string{"sale.reserved " + e.sale.Id, "sale.ordered " + e.sale.Id} {
		select {
		case got := <-events:
			if got != want {
				t.Errorf("event = %q, want %q", got, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no %s event", want)
		}
	}
	select {
	case got := <-events:
		t.Errorf("extra event %q (a replay or a rejection must not fire one)", got)
	default:
	}
	if n := e.count(t, Orders, "member = '"+ann.Id+"' AND status = 'pending'"); n != 1 {
		t.Errorf("stored orders = %d, want 1", n)
	}
	rec, err := e.app.FindRecordById(Orders, order["id"].(string))
	if err != nil || rec.GetInt("amount_cents") != 199900 || rec.GetString("idem_key") != "k2" {
		t.Errorf("stored order = %v, %v", rec, err)
	}
	if v := e.call(t, "GET", "/api/sales/"+e.sale.Id, nil, ""); v.Body["remaining"] != 9.0 || v.Body["sold"] != 1.0 || v.Body["state"] != "open" {
		t.Errorf("sale state = %v", v.Body)
	}
}

// badCall is a request that must be refused with status and code.
type badCall struct {
	name, method, path string
	member             *core.Record
	body               string
	header             []string
	status             int
	code               string
}

func TestBadInputChangesNothing(t *testing.T) {
	e := newEnv(t, 1, 1)
	ann := e.member(t, "Ann", false)
	noPhone := e.member(t, "Bob", true)
	cat := e.member(t, "Cat", false)
	if r := e.reserve(t, ann, ""); r.Status != http.StatusCreated {
		t.Fatal(r.Body)
	}
	sale := "/api/sales/" + e.sale.Id
	ch := e.call(t, "GET", sale+"/challenge", cat, "").Body["challenge"].(string)
	used := e.call(t, "GET", sale+"/challenge", ann, "").Body["challenge"].(string)
	// a challenge solved by Ann cannot be used by Cat
	cases := []badCall{
		{"guest reserves", "POST", sale + "/reservations", nil, `{}`, nil, 401, "signed_out"},
		{"forged token", "POST", sale + "/orders", nil, `{}`, []string{"Authorization", "x.y.z", "Idempotency-Key", "k"}, 401, "signed_out"},
		{"unknown sale", "POST", "/api/sales/nope/orders", ann, `{}`, []string{"Idempotency-Key", "k"}, 404, "unknown_sale"},
		{"no verified phone", "POST", sale + "/reservations", noPhone, `{}`, nil, 403, "phone_required"},
		{"no proof", "POST", sale + "/reservations", cat, `{}`, nil, 400, "bad_proof"},
		{"wrong nonce", "POST", sale + "/reservations", cat, fmt.Sprintf(`{"challenge":%q,"nonce":"x"}`, ch+"0"), nil, 400, "bad_proof"},
		{"someone else's challenge", "POST", sale + "/reservations", cat, fmt.Sprintf(`{"challenge":%q,"nonce":%q}`, used, Solve(used, 4)), nil, 400, "bad_proof"},
		{"malformed body", "POST", sale + "/reservations", cat, `{"challenge":`, nil, 400, "bad_body"},
		{"unknown field", "POST", sale + "/orders", ann, `{"qty":1}`, []string{"Idempotency-Key", "k"}, 400, "bad_body"},
		{"no idempotency key", "POST", sale + "/orders", ann, `{}`, nil, 400, "bad_key"},
		{"not open", "POST", sale + "/orders", ann, `{}`, []string{"Idempotency-Key", "k1"}, 403, "not_open"},
		{"not reserved", "POST", sale + "/orders", cat, `{}`, []string{"Idempotency-Key", "k1"}, 403, "not_open"},
		{"cross-origin browser", "POST", sale + "/orders", ann, `{}`, []string{"Idempotency-Key", "k9", "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"}, 403, "cross_origin"},
	}
	check := func(c badCall) {
		t.Helper()
		a := e.call(t, c.method, c.path, c.member, c.body, c.header...)
		if a.Status != c.status || a.Code() != c.code || a.Body["message"] == "" {
			t.Errorf("%s: %d %v, want %d %s", c.name, a.Status, a.Body, c.status, c.code)
		}
	}
	for _, c := range cases {
		check(c)
	}
	// replaying a used proof: Cat solves one, reserves, then replays it on the next sale window
	solved := Solve(ch, 4)
	if a := e.call(t, "POST", sale+"/reservations", cat, fmt.Sprintf(`{"challenge":%q,"nonce":%q}`, ch, solved)); a.Status != 201 {
		t.Fatalf("Cat reserves = %d %v", a.Status, a.Body)
	}
	if err := e.mod.challenges.Verify(ch, solved, e.sale.Id, cat.Id, e.clock.Now()); err != ErrBadProof {
		t.Errorf("replayed proof = %v, want ErrBadProof", err)
	}

	e.clock.Advance(2 * time.Hour)
	dan := e.member(t, "Dan", false)
	after := []badCall{
		{"not reserved", "POST", sale + "/orders", dan, `{}`, []string{"Idempotency-Key", "k2"}, 403, "not_reserved"},
		{"reservations closed", "POST", sale + "/reservations", dan, `{}`, nil, 410, "reservations_closed"},
		{"zero quantity", "POST", sale + "/orders", ann, `{"quantity":0}`, []string{"Idempotency-Key", "k3"}, 400, "bad_quantity"},
		{"over the limit", "POST", sale + "/orders", ann, `{"quantity":2}`, []string{"Idempotency-Key", "k4"}, 409, "limit"},
	}
	for _, c := range after {
		check(c)
	}
	if a := e.call(t, "POST", sale+"/orders", ann, `{}`, "Idempotency-Key", "k5"); a.Status != 201 {
		t.Fatalf("Ann buys = %d %v", a.Status, a.Body)
	}
	soldOut := e.call(t, "POST", sale+"/orders", cat, `{}`, "Idempotency-Key", "k6", "Accept-Language", "zh-CN")
	if soldOut.Status != 409 || soldOut.Code() != "sold_out" || !strings.Contains(soldOut.Body["message"].(string), "售罄") {
		t.Errorf("sold out = %d %v, want 409 in Chinese", soldOut.Status, soldOut.Body)
	}
	e.clock.Advance(time.Hour)
	check(badCall{"closed", "POST", sale + "/orders", cat, `{}`, []string{"Idempotency-Key", "k7"}, 410, "closed"})

	if n := e.count(t, Orders, "1=1"); n != 1 {
		t.Errorf("orders = %d, want 1", n)
	}
	if n := e.count(t, Reservations, "1=1"); n != 2 {
		t.Errorf("reservations = %d, want 2", n)
	}
}

func TestEligibilityRules(t *testing.T) {
	e := newEnv(t, 5, 1)
	veteran := e.newSale(t, 5, 1, func(s *core.Record) { s.Set("min_account_days", 30) })
	internal := e.newSale(t, 5, 1, func(s *core.Record) { s.Set("staff_only", true) })
	ann := e.member(t, "Ann", false)
	staff := e.member(t, "Sam", false, "staff")
	for _, c := range []struct {
		sale   *core.Record
		member *core.Record
		code   string
	}{
		{veteran, ann, "account_too_young"},
		{internal, ann, "staff_only"},
		{internal, staff, ""},
	} {
		e.sale = c.sale
		a := e.reserve(t, c.member, "")
		if c.code == "" && a.Status != 201 || c.code != "" && a.Code() != c.code {
			t.Errorf("reserve %s as %s = %d %v, want %q", c.sale.GetString("title"), c.member.GetString("name"), a.Status, a.Body, c.code)
		}
	}
}

// TestVeteranPerk: a young account holding the veteran_sessions perk (the
// belonging module grants it to VIPs) reserves in a veteran session; the
// question is asked for that rule only.
func TestVeteranPerk(t *testing.T) {
	e := newEnv(t, 5, 1)
	e.sale = e.newSale(t, 5, 1, func(s *core.Record) { s.Set("min_account_days", 30) })
	ann, bo := e.member(t, "Ann", false), e.member(t, "Bo", false)
	var asked []string
	e.mod.deps.Events.Perks.BindFunc(func(q *hooks.PerkQuestion) error {
		asked = append(asked, q.Perk)
		q.Granted = q.Granted || q.Member == ann.Id && q.Perk == PerkVeteran
		return q.Next()
	})
	if a := e.reserve(t, ann, ""); a.Status != 201 {
		t.Errorf("a young account with the perk = %d %v, want 201", a.Status, a.Body)
	}
	if a := e.reserve(t, bo, ""); a.Code() != "account_too_young" {
		t.Errorf("a young account without it = %v, want account_too_young", a.Body)
	}
	if len(asked) == 0 || asked[0] != PerkVeteran {
		t.Errorf("perks asked = %v", asked)
	}
}

func TestQuestionTally(t *testing.T) {
	e := newEnv(t, 5, 1)
	e.sale = e.newSale(t, 5, 1, func(s *core.Record) { s.Set("choices", []string{"Black", "White"}) })
	ann := e.member(t, "Ann", false)
	if a := e.reserve(t, ann, `,"answer":"Pink"`); a.Code() != "bad_answer" {
		t.Errorf("answer outside the choices = %v", a.Body)
	}
	if a := e.reserve(t, ann, `,"answer":"White"`); a.Status != 201 {
		t.Fatalf("reserve = %v", a.Body)
	}
	v := e.call(t, "GET", "/api/sales/"+e.sale.Id, ann, "")
	if v.Body["answers"].(map[string]any)["White"] != 1.0 || v.Body["me"].(map[string]any)["reservation"] != 1.0 {
		t.Errorf("sale view = %v", v.Body)
	}
}

// TestRestartRebuildsFromDatabase: a new process (module) on the same data
// finds every acknowledged order and returns it to a retry.
func TestRestartRebuildsFromDatabase(t *testing.T) {
	e := newEnv(t, 3, 1)
	ann, bob := e.member(t, "Ann", false), e.member(t, "Bob", false)
	e.reserve(t, ann, "")
	e.reserve(t, bob, "")
	e.clock.Advance(2 * time.Hour)
	first := e.call(t, "POST", "/api/sales/"+e.sale.Id+"/orders", ann, `{}`, "Idempotency-Key", "lost-reply")
	if first.Status != 201 {
		t.Fatal(first.Body)
	}

	fresh := New(e.mod.cfg, Deps{Deps: platform.Deps{UI: testutil.NewShell(t, e.clock.Now), Now: e.clock.Now, Live: &testutil.FakeLive{}}})
	fresh.app = e.app
	fresh.store.app = e.app
	t.Cleanup(fresh.Close)
	if err := fresh.LoadSales(); err != nil {
		t.Fatal(err)
	}
	c, _ := fresh.Engine().Counters(e.sale.Id)
	if c.Remaining != 2 || c.Sold != 1 || c.Reserved != 2 {
		t.Errorf("rebuilt counters = %+v", c)
	}
	o, replay, err := fresh.Engine().Buy(t.Context(), BuyRequest{Sale: e.sale.Id, Member: ann.Id, Quantity: 1, Key: "lost-reply",
		BodyHash: bodyHash([]byte(`{}`)), Now: e.clock.Now()})
	if err != nil || !replay || o.ID != first.Body["order"].(map[string]any)["id"] {
		t.Errorf("retry after restart = %+v, %v, %v; want the stored order", o, replay, err)
	}
	if _, _, err := fresh.Engine().Buy(t.Context(), BuyRequest{Sale: e.sale.Id, Member: bob.Id, Quantity: 1, Key: "b", Now: e.clock.Now()}); err != nil {
		t.Errorf("Bob buys after restart = %v", err)
	}
}

func TestExpiryAndCancelReturnStock(t *testing.T) {
	e := newEnv(t, 2, 1)
	ann, bob := e.member(t, "Ann", false), e.member(t, "Bob", false)
	e.reserve(t, ann, "")
	e.reserve(t, bob, "")
	e.clock.Advance(2 * time.Hour)
	a := e.call(t, "POST", "/api/sales/"+e.sale.Id+"/orders", ann, `{}`, "Idempotency-Key", "a")
	b := e.call(t, "POST", "/api/sales/"+e.sale.Id+"/orders", bob, `{}`, "Idempotency-Key", "b")
	if a.Status != 201 || b.Status != 201 {
		t.Fatal(a.Body, b.Body)
	}
	if _, err := e.mod.CancelOrder(b.Body["order"].(map[string]any)["id"].(string), ann.Id); err == nil {
		t.Error("Ann cancelled Bob's order")
	}
	if _, err := e.mod.CancelOrder(b.Body["order"].(map[string]any)["id"].(string), bob.Id); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(e.mod.cfg.OrderExpiry - time.Second)
	if n, err := e.mod.ExpireOrders(); err != nil || n != 0 {
		t.Errorf("ExpireOrders before the expiry = %d, %v", n, err)
	}
	e.clock.Advance(time.Second)
	if n, err := e.mod.ExpireOrders(); err != nil || n != 1 {
		t.Errorf("ExpireOrders = %d, %v; want 1", n, err)
	}
	c, _ := e.mod.Engine().Counters(e.sale.Id)
	if c.Remaining != 2 || c.Sold != 0 {
		t.Errorf("counters after cancel and expiry = %+v", c)
	}
	if n := e.count(t, Orders, "status = 'expired'"); n != 1 {
		t.Errorf("expired orders = %d", n)
	}
	// Ann may buy again: her expired order no longer counts against the limit
	if again := e.call(t, "POST", "/api/sales/"+e.sale.Id+"/orders", ann, `{}`, "Idempotency-Key", "a2"); again.Status != 201 {
		t.Errorf("buy after expiry = %d %v", again.Status, again.Body)
	}
}

func TestStockChangedByStaff(t *testing.T) {
	e := newEnv(t, 1, 1)
	ann := e.member(t, "Ann", false)
	e.reserve(t, ann, "")
	e.clock.Advance(2 * time.Hour)
	e.call(t, "POST", "/api/sales/"+e.sale.Id+"/orders", ann, `{}`, "Idempotency-Key", "a")
	e.sale.Set("stock", 0)
	if err := e.app.Save(e.sale); err == nil {
		t.Error("stock set below the units sold")
	}
	e.sale.Set("stock", 5)
	if err := e.app.Save(e.sale); err != nil {
		t.Fatal(err)
	}
	if c, _ := e.mod.Engine().Counters(e.sale.Id); c.Remaining != 4 || c.Stock != 5 {
		t.Errorf("counters after adding stock = %+v", c)
	}
}

// TestConcurrentBuyersOverHTTP: many more attempts than stock, at once, over
// real connections: orders = stock, nobody above the limit.
func TestConcurrentBuyersOverHTTP(t *testing.T) {
	const stock, buyers = 40, 120
	e := newEnv(t, stock, 1)
	members := make([]*core.Record, buyers)
	for i := range members {
		members[i] = testutil.Member(t, e.app, fmt.Sprintf("m%d@example.com", i), fmt.Sprintf("M%d", i))
		members[i].Set("phone_verified", e.clock.Now().Add(-time.Hour))
		if err := e.app.Save(members[i]); err != nil {
			t.Fatal(err)
		}
		r, _, err := e.mod.Engine().Reserve(t.Context(), e.sale.Id, members[i].Id, "", e.clock.Now())
		if err != nil || r.Number == 0 {
			t.Fatal(err)
		}
	}
	e.clock.Advance(2 * time.Hour)
	var wg sync.WaitGroup
	for i := range buyers * 3 {
		wg.Go(func() {
			m := members[i%buyers]
			a := e.call(t, "POST", "/api/sales/"+e.sale.Id+"/orders", m, `{}`, "Idempotency-Key", fmt.Sprint("k", i))
			if a.Status != 201 && a.Code() != "sold_out" && a.Code() != "limit" {
				t.Errorf("buy = %d %v", a.Status, a.Body)
			}
		})
	}
	wg.Wait()
	if n := e.count(t, Orders, "1=1"); n != stock {
		t.Errorf("orders = %d, want %d", n, stock)
	}
	var over int
	if err := e.app.DB().NewQuery("SELECT COUNT(*) FROM (SELECT member FROM sales_orders GROUP BY member HAVING SUM(quantity) > 1)").Row(&over); err != nil || over != 0 {
		t.Errorf("members above the limit = %d, %v", over, err)
	}
}

func TestWriterGroupsCommits(t *testing.T) {
	e := newEnv(t, 1, 1)
	w, err := e.mod.Writer()
	if err != nil {
		t.Fatal(err)
	}
	members := make([]string, 200)
	for i := range members {
		members[i] = testutil.Member(t, e.app, fmt.Sprintf("g%d@example.com", i), "G").Id
	}
	var wg sync.WaitGroup
	for i, m := range members {
		wg.Go(func() {
			if err := w.CommitReservation(t.Context(), Reservation{Sale: e.sale.Id, Member: m, Number: int64(i + 1), Created: e.clock.Now()}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	// a duplicate fails alone
	if err := w.CommitReservation(t.Context(), Reservation{Sale: e.sale.Id, Member: members[0], Number: 999}); err == nil {
		t.Error("a second reservation of the same member was stored")
	}
	if n := e.count(t, Reservations, "1=1"); n != len(members) {
		t.Errorf("stored = %d, want %d", n, len(members))
	}
	if w.Rows.Load() != int64(len(members)) || w.Groups.Load() >= w.Rows.Load() {
		t.Errorf("groups %d for %d rows: no group commit", w.Groups.Load(), w.Rows.Load())
	}
	var sync int
	if err := e.app.NonconcurrentDB().NewQuery("PRAGMA synchronous").Row(&sync); err != nil || sync != 1 {
		t.Errorf("synchronous after a group = %d, %v; want 1 (NORMAL) restored", sync, err)
	}
}

func TestSalePages(t *testing.T) {
	e := newEnv(t, 3, 1)
	ann := e.member(t, "Ann", false)
	noPhone := e.member(t, "Bob", true)
	guest := e.page(t, nil, "/sales/"+e.sale.Id)
	for _, want := range []string{"Red Tuesday #1", "¥1999.00", `data-live="sale:` + e.sale.Id + `.reserved"`, "Sign in to reserve", "sales/sales.js"} {
		if !strings.Contains(guest, want) {
			t.Errorf("guest sale page lacks %q", want)
		}
	}
	if p := e.page(t, noPhone, "/sales/"+e.sale.Id); !strings.Contains(p, "verified phone number") {
		t.Error("a member without a phone is not told to bind one")
	}
	if p := e.page(t, ann, "/sales/"+e.sale.Id); !strings.Contains(p, "data-reserve") {
		t.Error("no reserve form for an eligible member")
	}
	if p := e.page(t, nil, "/sales"); !strings.Contains(p, "Red Tuesday #1") {
		t.Error("the sale is not listed")
	}
	if p := e.page(t, nil, "/"); !strings.Contains(p, `href="/sales/`+e.sale.Id+`"`) {
		t.Error("the home page does not show the coming sale")
	}
}

func (e *env) page(t testing.TB, member *core.Record, path string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", e.base+path, nil)
	if member != nil {
		req.AddCookie(&http.Cookie{Name: "canyu_auth", Value: testutil.Token(t, member)})
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("GET %s = %d: %s", path, res.StatusCode, raw)
	}
	return string(raw)
}

// A group larger than one INSERT's chunk, with a duplicate in a later
// chunk: only the duplicate fails, every other row is stored.
func TestWriterChunksAGroup(t *testing.T) {
	e := newEnv(t, 1, 1)
	w, err := e.mod.Writer()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.CommitReservation(t.Context(), Reservation{Sale: e.sale.Id, Member: "dup", Number: 1, Created: e.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	const rows, dup = 3*rowsPerInsert + 5, rowsPerInsert + 3
	batch := make([]*job, rows)
	for i := range batch {
		r := Reservation{Sale: e.sale.Id, Member: fmt.Sprintf("m%03d", i), Number: int64(i + 2), Created: e.clock.Now()}
		if i == dup {
			r.Member = "dup"
		}
		batch[i] = &job{res: &storedReservation{r, NewID()}, done: make(chan error, 1)}
	}
	w.commit(batch)
	for i, j := range batch {
		err := <-j.done
		if want := i == dup; (err != nil) != want {
			t.Errorf("row %d: err = %v, want failure %v", i, err, want)
		}
	}
	if n := e.count(t, Reservations, "1=1"); n != rows {
		t.Errorf("stored = %d, want %d", n, rows)
	}
}

// The verified-token cache drops its older half when full, keeping the
// tokens in use: a token used again survives the turn, an idle one goes.
func TestTokenCacheKeepsTokensInUse(t *testing.T) {
	e := newEnv(t, 1, 1)
	c := e.mod.buyers
	c.tokenLimit = 4
	var tokens []string
	for _, name := range []string{"Ada", "Ben", "Cal", "Dan"} {
		tokens = append(tokens, testutil.Token(t, e.member(t, name, false)))
	}
	use := func(i int) {
		t.Helper()
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", tokens[i])
		if _, err := c.fromRequest(r); err != nil {
			t.Fatalf("token %d: %v", i, err)
		}
	}
	cached := func(i int) bool {
		c.mu.RLock()
		defer c.mu.RUnlock()
		_, a := c.tokens[tokens[i]]
		_, b := c.oldTokens[tokens[i]]
		return a || b
	}
	use(0)
	use(1)
	use(2) // the first turn: 0 and 1 become the older generation
	use(0) // in use: carried into the newer one
	use(3) // the second turn: 1, idle, is forgotten
	for i, want := range []bool{true, false, true, true} {
		if got := cached(i); got != want {
			t.Errorf("token %d cached = %v, want %v", i, got, want)
		}
	}
	if n := len(c.tokens) + len(c.oldTokens); n > c.tokenLimit {
		t.Errorf("cache holds %d tokens, over its limit %d", n, c.tokenLimit)
	}
	use(1) // a forgotten token is verified again
}

// A database error in a later chunk of a group rolls the whole group back:
// every request of it fails and none of its rows stays on disk (the engine
// gives their stock back, so disk and memory must agree).
func TestWriterFailsAGroupWhole(t *testing.T) {
	e := newEnv(t, 1, 1)
	w, err := e.mod.Writer()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.DB().NewQuery(`CREATE TRIGGER boom BEFORE INSERT ON sales_reservations WHEN NEW.member = 'boom'
		BEGIN SELECT RAISE(ABORT, 'disk on fire'); END`).Execute(); err != nil {
		t.Fatal(err)
	}
	batch := make([]*job, 2*rowsPerInsert+3)
	for i := range batch {
		r := Reservation{Sale: e.sale.Id, Member: fmt.Sprintf("m%03d", i), Number: int64(i + 1), Created: e.clock.Now()}
		if i == rowsPerInsert+1 {
			r.Member = "boom"
		}
		batch[i] = &job{res: &storedReservation{r, NewID()}, done: make(chan error, 1)}
	}
	w.commit(batch)
	for i, j := range batch {
		if err := <-j.done; err == nil {
			t.Errorf("row %d: no error from a group that failed", i)
		}
	}
	if n := e.count(t, Reservations, "1=1"); n != 0 {
		t.Errorf("stored = %d rows of a failed group, want 0", n)
	}
}
