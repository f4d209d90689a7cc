package sales

import (
	"encoding/csv"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/modules/internal/testutil"
)

type recordT = core.Record

func TestFCodes(t *testing.T) {
	e := newEnv(t, 5, 1)
	staff := e.member(t, "Sam", false, "staff")
	ann := e.member(t, "Ann", false)
	bob := e.member(t, "Bob", false)
	other := e.newSale(t, 5, 1, nil)

	issue := func(m *recordT, body string) answer {
		return e.call(t, "POST", "/api/sales/fcodes", m, body)
	}
	exp := e.clock.Now().Add(24 * time.Hour).Format(time.RFC3339)
	if a := issue(ann, fmt.Sprintf(`{"count":1,"expires":%q,"sale":%q}`, exp, e.sale.Id)); a.Status != http.StatusForbidden {
		t.Errorf("a member issues codes: %d %v", a.Status, a.Body)
	}
	for _, bad := range []string{
		fmt.Sprintf(`{"count":0,"expires":%q,"sale":%q}`, exp, e.sale.Id),
		fmt.Sprintf(`{"count":5,"expires":%q}`, exp),
		fmt.Sprintf(`{"count":5,"expires":"2020-01-01T00:00:00Z","sale":%q}`, e.sale.Id),
		fmt.Sprintf(`{"count":5,"expires":%q,"sale":"nope"}`, exp),
	} {
		if a := issue(staff, bad); a.Status != http.StatusBadRequest || a.Code() != "bad_batch" {
			t.Errorf("issue %s = %d %v, want 400 bad_batch", bad, a.Status, a.Body)
		}
	}
	a := issue(staff, fmt.Sprintf(`{"count":3,"expires":%q,"sale":%q,"batch":"club presidents","holder":"Hangzhou club"}`, exp, e.sale.Id))
	if a.Status != http.StatusCreated {
		t.Fatalf("issue = %d %v", a.Status, a.Body)
	}
	codes := a.Body["codes"].([]any)
	if len(codes) != 3 || !strings.HasPrefix(codes[0].(string), "F") {
		t.Fatalf("codes = %v", codes)
	}
	code := codes[0].(string)
	elsewhere := issue(staff, fmt.Sprintf(`{"count":1,"expires":%q,"sale":%q}`, exp, other.Id)).Body["codes"].([]any)[0].(string)

	e.clock.Advance(2 * time.Hour) // the sale is open; nobody reserved
	post := func(member *recordT, key, body string) answer {
		return e.call(t, "POST", "/api/sales/"+e.sale.Id+"/orders", member, body, "Idempotency-Key", key)
	}
	for _, c := range []struct{ body, code string }{
		{`{}`, "not_reserved"},
		{`{"fcode":"F00-0000-0000"}`, "fcode_unknown"},
		{fmt.Sprintf(`{"fcode":%q}`, elsewhere), "fcode_other_sale"},
	} {
		if a := post(ann, "k-"+c.code, c.body); a.Code() != c.code {
			t.Errorf("buy with %s = %d %v, want %s", c.body, a.Status, a.Body, c.code)
		}
	}
	// typed in lower case with spaces, as people do
	typed := strings.ToLower(code[:4]) + " " + code[4:]
	if a := post(ann, "k1", fmt.Sprintf(`{"fcode":%q}`, typed)); a.Status != http.StatusCreated {
		t.Fatalf("buy with an F-code = %d %v", a.Status, a.Body)
	}
	if a := post(bob, "k2", fmt.Sprintf(`{"fcode":%q}`, code)); a.Code() != "fcode_used" {
		t.Errorf("second use = %d %v, want fcode_used", a.Status, a.Body)
	}
	rec, err := e.app.FindFirstRecordByData(FCodes, "code", code)
	if err != nil || rec.GetString("redeemed_by") != ann.Id || rec.GetString("order") == "" {
		t.Errorf("redeemed code = %v, %v", rec, err)
	}
	if n := e.count(t, Audit, "action = 'fcodes.redeemed'"); n != 1 {
		t.Errorf("redemptions audited = %d, want 1", n)
	}
	if n := e.count(t, Audit, "action = 'fcodes.issued'"); n != 2 {
		t.Errorf("issues audited = %d, want 2", n)
	}

	// two holders racing for one code: one order
	race := codes[1].(string)
	cat, dan := e.member(t, "Cat", false), e.member(t, "Dan", false)
	var wg sync.WaitGroup
	results := make([]answer, 2)
	for i, m := range []*recordT{cat, dan} {
		wg.Go(func() { results[i] = post(m, "race", fmt.Sprintf(`{"fcode":%q}`, race)) })
	}
	wg.Wait()
	if ok := (results[0].Status == 201) != (results[1].Status == 201); !ok {
		t.Errorf("racing redemptions = %d and %d, want exactly one 201", results[0].Status, results[1].Status)
	}
	if n := e.count(t, Orders, "fcode = '"+race+"'"); n != 1 {
		t.Errorf("orders paid with the raced code = %d", n)
	}

	e.clock.Advance(23 * time.Hour) // the last code expired (and so did the sale)
	if err := e.mod.checkFCode(codes[2].(string), e.sale.Id, e.clock.Now()); err != ErrFCodeExpired {
		t.Errorf("expired code = %v", err)
	}
}

func TestConsoleAndExport(t *testing.T) {
	e := newEnv(t, 3, 1)
	staff := e.member(t, "Sam", false, "staff")
	ann := e.member(t, "Ann", false)
	ann.Set("name", "=cmd|' /C calc'!A0")
	if err := e.app.Save(ann); err != nil {
		t.Fatal(err)
	}
	// a spreadsheet skips a leading tab or carriage return, then reads a formula
	bo := e.member(t, "Bo", false)
	bo.Set("name", "\t=HYPERLINK(\"http://x\")")
	if err := e.app.Save(bo); err != nil {
		t.Fatal(err)
	}
	e.reserve(t, ann, "")
	e.reserve(t, bo, "")
	e.clock.Advance(2 * time.Hour)
	if a := e.call(t, "POST", "/api/sales/"+e.sale.Id+"/orders", ann, `{}`, "Idempotency-Key", "a"); a.Status != 201 {
		t.Fatal(a.Body)
	}
	e.call(t, "POST", "/api/sales/"+e.sale.Id+"/orders", ann, `{}`, "Idempotency-Key", "b") // limit

	if a := e.call(t, "POST", "/api/sales/"+e.sale.Id+"/stock", ann, `{"add":5}`); a.Status != http.StatusForbidden {
		t.Errorf("a member adds stock: %d", a.Status)
	}
	if a := e.call(t, "POST", "/api/sales/"+e.sale.Id+"/stock", staff, `{"add":5}`); a.Status != 200 || a.Body["remaining"] != 7.0 {
		t.Errorf("add stock = %d %v", a.Status, a.Body)
	}
	if a := e.call(t, "POST", "/api/sales/"+e.sale.Id+"/stock", staff, `{"add":-8}`); a.Status == 200 {
		t.Errorf("stock taken below the units sold: %v", a.Body)
	}
	if n := e.count(t, Audit, "action = 'stock.changed'"); n != 1 {
		t.Errorf("stock changes audited = %d, want 1", n)
	}

	if a := e.call(t, "POST", "/api/sales/"+e.sale.Id+"/orders", bo, `{}`, "Idempotency-Key", "c"); a.Status != 201 {
		t.Fatal(a.Body)
	}
	e.mod.publish()
	console := e.live.Last(ConsoleChannel(e.sale.Id))
	if console["sold"] != int64(2) || console["rejected"].(map[string]any)["limit"] != int64(1) || console["attempts"] != int64(3) {
		t.Errorf("console figures = %v", console)
	}
	if page := e.page(t, staff, "/sales/"+e.sale.Id+"/console"); !strings.Contains(page, `data-live="sale-console:`+e.sale.Id+`.per_second"`) {
		t.Error("the console page has no live attempts per second")
	}
	if !e.mod.ConsoleRule(staff, "") || e.mod.ConsoleRule(ann, "") || e.mod.ConsoleRule(nil, "") {
		t.Error("ConsoleRule lets someone other than staff follow the console")
	}

	req, _ := http.NewRequest("GET", e.base+"/api/sales/"+e.sale.Id+"/orders.csv", nil)
	req.Header.Set("Authorization", testutil.Token(t, staff))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	rows, err := csv.NewReader(strings.NewReader(string(raw))).ReadAll()
	if err != nil || res.StatusCode != 200 || len(rows) != 3 {
		t.Fatalf("CSV = %d %q, %v", res.StatusCode, raw, err)
	}
	names := map[string]bool{rows[1][6]: true, rows[2][6]: true}
	if rows[0][0] != "order" || rows[1][2] != "pending" || rows[1][4] != "199900" || !names["'=cmd|' /C calc'!A0"] || !names["'\t=HYPERLINK(\"http://x\")"] {
		t.Errorf("CSV rows = %q (a name starting with =, or with a tab then =, must not become a formula)", rows)
	}
}

func TestDecodeBuy(t *testing.T) {
	for _, c := range []struct {
		body, fcode, compact string
		q                    int
		err                  error
	}{
		{"", "", "{}", 1, nil},
		{" {} ", "", "{}", 1, nil},
		{`{"quantity":2}`, "", `{"quantity":2}`, 2, nil},
		{`{ "quantity" : 3 }`, "", `{"quantity":3}`, 3, nil},
		{`{"quantity":-1}`, "", `{"quantity":-1}`, -1, nil},
		{`{"quantity":1,"fcode":"F23"}`, "F23", `{"quantity":1,"fcode":"F23"}`, 1, nil},
		{`{"quantity":"1"}`, "", "", 0, errBadBody},
		{`{"qty":1}`, "", "", 0, errBadBody},
		{`{"quantity":1}{}`, "", "", 0, errBadBody},
		{`[1]`, "", "", 0, errBadBody},
	} {
		req, _ := http.NewRequest("POST", "/", strings.NewReader(c.body))
		q, fcode, compact, err := decodeBuy(req)
		if err != c.err || q != c.q || fcode != c.fcode || (err == nil && string(compact) != c.compact) {
			t.Errorf("decodeBuy(%s) = %d, %q, %s, %v; want %d, %q, %s, %v", c.body, q, fcode, compact, err, c.q, c.fcode, c.compact, c.err)
		}
	}
}

func TestMarkPaid(t *testing.T) {
	e := newEnv(t, 3, 1)
	staff := e.member(t, "Sam", false, "staff")
	ann := e.member(t, "Ann", false)
	e.reserve(t, ann, "")
	e.clock.Advance(2 * time.Hour)
	id := e.call(t, "POST", "/api/sales/"+e.sale.Id+"/orders", ann, `{}`, "Idempotency-Key", "a").Body["order"].(map[string]any)["id"].(string)
	if a := e.call(t, "POST", "/api/sales/orders/"+id+"/paid", ann, ``); a.Status != http.StatusForbidden {
		t.Errorf("a member marks paid: %d", a.Status)
	}
	if a := e.call(t, "POST", "/api/sales/orders/"+id+"/paid", staff, ``); a.Status != 200 {
		t.Fatalf("mark paid = %d %v", a.Status, a.Body)
	}
	if a := e.call(t, "POST", "/api/sales/orders/"+id+"/paid", staff, ``); a.Code() != "not_pending" {
		t.Errorf("paid twice = %d %v", a.Status, a.Body)
	}
	// a paid order never expires
	e.clock.Advance(e.mod.cfg.OrderExpiry + time.Minute)
	if n, _ := e.mod.ExpireOrders(); n != 0 {
		t.Errorf("a paid order expired")
	}
	if p := e.page(t, ann, "/sales/orders"); !strings.Contains(p, "paid") || !strings.Contains(p, id) {
		t.Error("my orders does not show the paid order")
	}
	if n := e.count(t, Audit, "action = 'order.paid'"); n != 1 {
		t.Errorf("payments audited = %d", n)
	}
}

func TestShareCard(t *testing.T) {
	e := newEnv(t, 3, 1)
	ann := e.member(t, "Ann Lee", false)
	if r := e.reserve(t, ann, ""); r.Status != 201 || r.Body["share"] != "/sales/"+e.sale.Id+"/card/"+ann.Id+".png" {
		t.Fatalf("reserve = %v", r.Body)
	}
	res, err := http.Get(e.base + "/sales/" + e.sale.Id + "/card/" + ann.Id + ".png")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	img, err := png.Decode(res.Body)
	if err != nil || res.StatusCode != 200 || img.Bounds().Dx() != 1200 || img.Bounds().Dy() != 630 {
		t.Fatalf("card = %d, %v, %v", res.StatusCode, err, img)
	}
	if dir := os.Getenv("CANYU_SCREENSHOTS"); dir != "" {
		f, _ := os.Create(dir + "/share-card.png")
		_ = png.Encode(f, img)
		f.Close()
	}
	bob := e.member(t, "Bob", false)
	if res, _ := http.Get(e.base + "/sales/" + e.sale.Id + "/card/" + bob.Id + ".png"); res.StatusCode != 404 {
		t.Errorf("card of a member who did not reserve = %d", res.StatusCode)
	}
	page := e.page(t, nil, "/sales/"+e.sale.Id+"?ref="+ann.Id)
	if !strings.Contains(page, `<meta property="og:image" content="http://127.0.0.1:8090/sales/`+e.sale.Id+`/card/`+ann.Id+`.png">`) ||
		!strings.Contains(page, `og:title" content="#1 · Red Tuesday #1`) {
		t.Errorf("shared page lacks the card's Open Graph tags")
	}
}
