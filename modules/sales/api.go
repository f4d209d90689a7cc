package sales

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/canyu/canyu/hooks"
	"github.com/canyu/canyu/ui"
)

var (
	errBadBody = errors.New("sales: malformed body")
	errNoKey   = errors.New("sales: missing or bad Idempotency-Key")
)

// problems shows the sales outcomes to members: a status and a message
// key; data.code is the key's end ("sales.err_sold_out" -> "sold_out").
var problems = ui.Problems{
	{Err: ErrUnknownSale, Status: http.StatusNotFound, Key: "sales.err_unknown_sale"},
	{Err: ErrNotOpen, Status: http.StatusForbidden, Key: "sales.err_not_open"},
	{Err: ErrClosed, Status: http.StatusGone, Key: "sales.err_closed"},
	{Err: ErrSoldOut, Status: http.StatusConflict, Key: "sales.err_sold_out"},
	{Err: ErrNotReserved, Status: http.StatusForbidden, Key: "sales.err_not_reserved"},
	{Err: ErrLimit, Status: http.StatusConflict, Key: "sales.err_limit"},
	{Err: ErrBadQuantity, Status: http.StatusBadRequest, Key: "sales.err_bad_quantity"},
	{Err: ErrReserveNotOpen, Status: http.StatusForbidden, Key: "sales.err_reservations_not_open"},
	{Err: ErrReserveClosed, Status: http.StatusGone, Key: "sales.err_reservations_closed"},
	{Err: ErrBadAnswer, Status: http.StatusBadRequest, Key: "sales.err_bad_answer"},
	{Err: ErrKeyReused, Status: http.StatusUnprocessableEntity, Key: "sales.err_key_reused"},
	{Err: ErrKeyInFlight, Status: http.StatusConflict, Key: "sales.err_in_flight"},
	{Err: ErrTooFast, Status: http.StatusTooManyRequests, Key: "sales.err_too_fast"},
	{Err: ErrFCodeUnknown, Status: http.StatusNotFound, Key: "sales.err_fcode_unknown"},
	{Err: ErrFCodeUsed, Status: http.StatusConflict, Key: "sales.err_fcode_used"},
	{Err: ErrFCodeExpired, Status: http.StatusGone, Key: "sales.err_fcode_expired"},
	{Err: ErrFCodeOtherSale, Status: http.StatusBadRequest, Key: "sales.err_fcode_other_sale"},
	{Err: ErrBadBatch, Status: http.StatusBadRequest, Key: "sales.err_bad_batch"},
	{Err: ErrNotPending, Status: http.StatusConflict, Key: "sales.err_not_pending"},
	{Err: ErrBadStock, Status: http.StatusBadRequest, Key: "sales.err_bad_stock"},
	{Err: ErrUnavailable, Status: http.StatusServiceUnavailable, Key: "sales.err_unavailable"},
	{Err: ErrPhoneRequired, Status: http.StatusForbidden, Key: "sales.err_phone_required"},
	{Err: ErrAccountTooYoung, Status: http.StatusForbidden, Key: "sales.err_account_too_young"},
	{Err: ErrStaffOnly, Status: http.StatusForbidden, Key: "sales.err_staff_only"},
	{Err: ErrBadProof, Status: http.StatusBadRequest, Key: "sales.err_bad_proof"},
	{Err: errSignedOut, Status: http.StatusUnauthorized, Key: "sales.err_signed_out"},
	{Err: errBadBody, Status: http.StatusBadRequest, Key: "sales.err_bad_body"},
	{Err: errNoKey, Status: http.StatusBadRequest, Key: "sales.err_bad_key"},
}

// Problems lists how the sales errors are shown.
func (m *Module) Problems() ui.Problems { return problems }

// front serves the sale API (/api/sales/{id}...) on a lean chain of its own
// and hands everything else to next (PocketBase's router). The purchase
// path must answer tens of thousands of attempts a second from memory;
// PocketBase's router would read the member from the database and write an
// activity-log row for every one of them. This chain does what those
// middlewares do, without the database: token check against a member cache,
// cross-origin check, body limit, panic recovery, no-store.
//
// A word the route table uses after /api/sales/ ("fcodes", "orders") is
// never taken for a sale's id: those requests go to the router, so a route
// added to the table is never shadowed by the front.
func (m *Module) front(next http.Handler) http.Handler {
	words := tableWords(m.routes())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest, ok := strings.CutPrefix(r.URL.Path, "/api/sales/")
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		id, action, _ := strings.Cut(rest, "/")
		if words[id] {
			next.ServeHTTP(w, r)
			return
		}
		var h http.HandlerFunc
		switch {
		case r.Method == http.MethodPost && action == "orders":
			h = m.apiBuy
		case r.Method == http.MethodPost && action == "reservations":
			h = m.apiReserve
		case r.Method == http.MethodGet && action == "challenge":
			h = m.apiChallenge
		case r.Method == http.MethodGet && action == "":
			h = m.apiSale
		}
		if h == nil || id == "" {
			next.ServeHTTP(w, r)
			return
		}
		r.SetPathValue("id", id)
		defer func() {
			if rec := recover(); rec != nil {
				m.log.Error("sales: panic", "path", r.URL.Path, "panic", rec)
				m.fail(w, r, nil, errors.New("panic"))
			}
		}()
		hd := w.Header()
		hd["Cache-Control"] = noStore
		hd["X-Content-Type-Options"] = noSniff
		if err := m.cop.Check(r); err != nil {
			m.fail(w, r, nil, &ui.Problem{Status: http.StatusForbidden, Key: "ui.err_cross_origin", Err: err})
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
		h(w, r)
	})
}

// tableWords are the fixed first segments after /api/sales/ of the route
// table's paths.
func tableWords(routes []ui.Route) map[string]bool {
	words := map[string]bool{}
	for _, rt := range routes {
		rest, ok := strings.CutPrefix(rt.Path, "/api/sales/")
		if !ok {
			continue
		}
		if word, _, _ := strings.Cut(rest, "/"); word != "" && !strings.HasPrefix(word, "{") {
			words[word] = true
		}
	}
	return words
}

// shared header values (net/http never changes them)
var (
	noStore  = []string{"no-store"}
	noSniff  = []string{"nosniff"}
	jsonType = []string{"application/json"}
)

func (m *Module) t(r *http.Request, b *buyer, key string, args ...any) string {
	return m.deps.UI.Catalog.T(m.lang(r, b), key, args...)
}

// lang is the request's language: ?lang=, the cookie, the member's, the
// browser's, then the site's default.
func (m *Module) lang(r *http.Request, b *buyer) ui.Lang {
	lang := ""
	if b != nil {
		lang = b.Language
	}
	return ui.RequestLang(r, lang, m.deps.UI.DefaultLang())
}

// fail answers err the way every API of the site answers a problem (the
// shell's ProblemBody), in the member's language; errors of ours are logged
// and answered 500.
func (m *Module) fail(w http.ResponseWriter, r *http.Request, b *buyer, err error) {
	p, ok := problems.Explain(err)
	if !ok {
		m.log.Error("sales: request failed", "path", r.URL.Path, "error", err)
	}
	// the same few answers are sent thousands of times a second at the
	// opening: encode each once per language
	k := failKey{p.Key, m.lang(r, b)}
	body, cached := m.failBodies.Load(k)
	if !cached {
		body, _ = m.failBodies.LoadOrStore(k, m.deps.UI.ProblemBody(k.lang, &ui.Problem{Status: p.Status, Key: p.Key}))
	}
	w.Header()["Content-Type"] = jsonType
	w.WriteHeader(p.Status)
	_, _ = w.Write(body.([]byte))
}

type failKey struct {
	key  string
	lang ui.Lang
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header()["Content-Type"] = jsonType
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// SaleView is the public state of a sale (GET /api/sales/{id}).
type SaleView struct {
	ID            string           `json:"id"`
	Title         string           `json:"title"`
	State         string           `json:"state"`
	Now           time.Time        `json:"now"`
	ReserveOpens  time.Time        `json:"reserve_opens"`
	ReserveCloses time.Time        `json:"reserve_closes"`
	Starts        time.Time        `json:"starts"`
	Ends          time.Time        `json:"ends"`
	Stock         int64            `json:"stock"`
	Remaining     int64            `json:"remaining"`
	Sold          int64            `json:"sold"`
	Reserved      int64            `json:"reserved"`
	PerMember     int              `json:"per_member"`
	PriceCents    int64            `json:"price_cents"`
	StaffOnly     bool             `json:"staff_only"`
	Choices       []string         `json:"choices"`
	Answers       map[string]int64 `json:"answers"`
	// Me is the signed-in member's standing: their reservation number (0:
	// none).
	Me *MeView `json:"me,omitempty"`
}

// MeView is a member's standing in a sale.
type MeView struct {
	Reservation int64 `json:"reservation"`
}

// State names where a sale stands at now.
func State(info SaleInfo, remaining int64, now time.Time) string {
	switch {
	case now.Before(info.ReserveOpens):
		return "upcoming"
	case now.Before(info.ReserveCloses) && now.Before(info.Starts):
		return "reserving"
	case now.Before(info.Starts):
		return "waiting"
	case !now.Before(info.Ends):
		return "closed"
	case remaining <= 0:
		return "sold_out"
	}
	return "open"
}

// View returns a sale's public state.
func (m *Module) View(id string, now time.Time) (SaleView, error) {
	info, ok := m.seller.Info(id)
	c, ok2 := m.seller.Counters(id)
	if !ok || !ok2 {
		return SaleView{}, ErrUnknownSale
	}
	choices := info.Choices
	if choices == nil {
		choices = []string{}
	}
	return SaleView{ID: id, Title: info.Title, State: State(info, c.Remaining, now), Now: now.UTC(),
		ReserveOpens: info.ReserveOpens, ReserveCloses: info.ReserveCloses, Starts: info.Starts, Ends: info.Ends,
		Stock: c.Stock, Remaining: c.Remaining, Sold: c.Sold, Reserved: c.Reserved, PerMember: info.PerMember,
		PriceCents: info.PriceCents, StaffOnly: info.StaffOnly, Choices: choices, Answers: c.Answers}, nil
}

func (m *Module) apiSale(w http.ResponseWriter, r *http.Request) {
	b, _ := m.auth.fromRequest(r)
	id := r.PathValue("id")
	if _, err := m.visible(id, b); err != nil {
		m.fail(w, r, b, err)
		return
	}
	v, err := m.View(id, m.deps.Now())
	if err != nil {
		m.fail(w, r, b, err)
		return
	}
	if b != nil {
		v.Me = &MeView{Reservation: m.seller.Reserved(v.ID, b.ID)}
	}
	writeJSON(w, http.StatusOK, v)
}

func (m *Module) apiChallenge(w http.ResponseWriter, r *http.Request) {
	b, err := m.auth.fromRequest(r)
	if err != nil {
		m.fail(w, r, nil, err)
		return
	}
	id := r.PathValue("id")
	now := m.deps.Now()
	if _, err := m.admit(id, b, now); err != nil {
		m.fail(w, r, b, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"challenge": m.challenges.Issue(id, b.ID, now), "bits": m.challenges.Bits(),
		"expires": now.Add(m.cfg.PowTTL).UTC()})
}

type reserveBody struct {
	Challenge string `json:"challenge"`
	Nonce     string `json:"nonce"`
	Answer    string `json:"answer"`
}

func (m *Module) apiReserve(w http.ResponseWriter, r *http.Request) {
	b, err := m.auth.fromRequest(r)
	if err != nil {
		m.fail(w, r, nil, err)
		return
	}
	var body reserveBody
	if _, err := decode(r, &body); err != nil {
		m.fail(w, r, b, err)
		return
	}
	if !m.allowed("sales.reserve", m.reserveLimit, b, r) {
		m.fail(w, r, b, ErrTooFast)
		return
	}
	res, created, err := m.reserve(r.Context(), r.PathValue("id"), b, body, m.deps.Now())
	if err != nil {
		m.fail(w, r, b, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	if created && m.alone() {
		m.emit(&hooks.SaleEvent{Sale: res.Sale, Member: b.ID, Number: res.Number, Answer: res.Answer})
	}
	writeJSON(w, status, map[string]any{"sale": res.Sale, "number": res.Number, "answer": res.Answer,
		"share": "/sales/" + res.Sale + "/card/" + b.ID + ".png"})
}

// reserve checks eligibility and the proof of work, then reserves.
func (m *Module) reserve(ctx context.Context, saleID string, b *buyer, body reserveBody, now time.Time) (Reservation, bool, error) {
	info, err := m.admit(saleID, b, now)
	if errors.Is(err, ErrUnknownSale) {
		return Reservation{}, false, err
	}
	if n := m.seller.Reserved(saleID, b.ID); n != 0 {
		return Reservation{Sale: saleID, Member: b.ID, Number: n}, false, nil
	}
	if err != nil {
		return Reservation{}, false, err
	}
	// the window is public: say so before asking for a proof
	switch {
	case now.Before(info.ReserveOpens):
		return Reservation{}, false, ErrReserveNotOpen
	case !now.Before(info.ReserveCloses):
		return Reservation{}, false, ErrReserveClosed
	}
	if err := m.challenges.Verify(body.Challenge, body.Nonce, saleID, b.ID, now); err != nil {
		return Reservation{}, false, err
	}
	return m.seller.Reserve(ctx, saleID, b.ID, body.Answer, now)
}

type buyBody struct {
	Quantity *int   `json:"quantity"`
	FCode    string `json:"fcode"`
}

// OrderView is an order as the API answers it.
type OrderView struct {
	ID          string    `json:"id"`
	Sale        string    `json:"sale"`
	Quantity    int       `json:"quantity"`
	AmountCents int64     `json:"amount_cents"`
	Status      string    `json:"status"`
	Created     time.Time `json:"created"`
	Expires     time.Time `json:"expires"`
}

func viewOf(o Order) OrderView {
	return OrderView{ID: o.ID, Sale: o.Sale, Quantity: o.Quantity, AmountCents: o.AmountCents, Status: o.Status,
		Created: o.Created.UTC(), Expires: o.Expires.UTC()}
}

func (m *Module) apiBuy(w http.ResponseWriter, r *http.Request) {
	b, err := m.auth.fromRequest(r)
	if err != nil {
		m.fail(w, r, nil, err)
		return
	}
	key := r.Header.Get("Idempotency-Key")
	if !validKey(key) {
		m.fail(w, r, b, errNoKey)
		return
	}
	q, fcode, raw, err := decodeBuy(r)
	if err != nil {
		m.fail(w, r, b, err)
		return
	}
	if fcode != "" && m.edgeProxy != nil { // an F-code is looked up in the core's database
		r.Body = io.NopCloser(bytes.NewReader(raw))
		r.ContentLength = int64(len(raw))
		m.edgeProxy.ServeHTTP(w, r)
		return
	}
	req := BuyRequest{Sale: r.PathValue("id"), Member: b.ID, Quantity: q, Key: key, BodyHash: bodyHash(raw), Now: m.deps.Now()}
	if err := m.withFCode(&req, b, fcode, m.clientIP(r)); err != nil {
		m.fail(w, r, b, err)
		return
	}
	o, replay, err := m.seller.Buy(r.Context(), req)
	if err != nil {
		m.fail(w, r, b, err)
		return
	}
	if replay {
		w.Header().Set("Idempotent-Replayed", "true")
	} else if m.alone() {
		m.emitOrder(o) // on the cluster the core tells the order when it stores it
	}
	if r.Header.Get("Authorization") == "" { // the web UI's session: the next page says it too
		m.deps.UI.FlashTo(w, r, "sales.ok.order")
	}
	writeJSON(w, http.StatusCreated, map[string]any{"order": viewOf(o), "message": m.t(r, b, "sales.ok.order")})
}

// alone: this process decides and stores the sale by itself (no cluster).
func (m *Module) alone() bool { return m.cluster.Load() == nil && m.edgeProxy == nil }

func (m *Module) emitOrder(o Order) {
	m.emit(&hooks.SaleEvent{Sale: o.Sale, Member: o.Member, Order: o.ID, Quantity: o.Quantity, AmountCents: o.AmountCents, FCode: o.FCode != ""})
}

// withFCode checks that b may buy in the sale at all (admit: the same rules
// as reserving), then lets an F-code stand in for a missing reservation. A
// member who reserved keeps the code for another day. Looking a code up
// reads the database, so guesses count against the fcode limits first.
func (m *Module) withFCode(req *BuyRequest, b *buyer, fcode, ip string) error {
	if _, err := m.admit(req.Sale, b, req.Now); err != nil {
		return err
	}
	if fcode == "" || m.seller.Reserved(req.Sale, req.Member) != 0 {
		return nil
	}
	if !m.allowedIP("sales.fcode", m.fcodeLimit, b, ip) {
		return ErrTooFast
	}
	code := NormalizeFCode(fcode)
	if err := m.checkFCode(code, req.Sale, req.Now); err != nil {
		return err
	}
	req.FCode = code
	return nil
}

// allowed charges an action of b to class's budget (for the lean front,
// which runs outside the route table's limits). The address is read only
// when the budget has a limit per address.
func (m *Module) allowed(class string, budget ui.Budget, b *buyer, r *http.Request) bool {
	ip := ""
	if !budget.IP.Off() {
		ip = m.clientIP(r)
	}
	return m.allowedIP(class, budget, b, ip)
}

func (m *Module) allowedIP(class string, budget ui.Budget, b *buyer, ip string) bool {
	if !m.deps.UI.LimitsEnabled() {
		return true
	}
	ok, _ := m.deps.UI.Limiter().AllowBudget(class, budget, b.ID, ip)
	return ok
}

// clientIP is the request's address as PocketBase's router reads it (the
// trusted proxy headers of the settings, else the peer).
func (m *Module) clientIP(r *http.Request) string {
	return m.realIP(r)
}

// bodyHash identifies a request body for the idempotency check.
func bodyHash(compact []byte) string {
	sum := sha256.Sum256(compact)
	return hex.EncodeToString(sum[:16])
}

// validKey accepts 1 to 64 visible ASCII characters.
func validKey(k string) bool {
	if len(k) == 0 || len(k) > 64 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] <= ' ' || k[i] > '~' {
			return false
		}
	}
	return true
}

// decodeBuy reads a purchase body: {} or {"quantity": n}. The two shapes
// every client sends are read by hand (the opening's hot path); anything
// else goes through the strict JSON decoder. It returns the quantity and the
// compacted body the idempotency check hashes.
func decodeBuy(r *http.Request) (quantity int, fcode string, compact []byte, err error) {
	var buf [64]byte
	n, err := io.ReadFull(r.Body, buf[:])
	if err == nil { // 64 bytes or more: not one of the short shapes
		rest, rerr := io.ReadAll(r.Body)
		if rerr != nil {
			return 0, "", nil, errBadBody
		}
		return decodeBuySlow(append(buf[:n:n], rest...))
	}
	if err != io.ErrUnexpectedEOF && err != io.EOF {
		return 0, "", nil, errBadBody
	}
	raw := bytes.TrimSpace(buf[:n])
	if len(raw) == 0 || string(raw) == "{}" {
		return 1, "", []byte("{}"), nil
	}
	if q, ok := quantityOnly(raw); ok {
		return q, "", []byte(`{"quantity":` + strconv.Itoa(q) + `}`), nil
	}
	return decodeBuySlow(raw)
}

// quantityOnly parses exactly {"quantity": <small integer>} with optional
// spaces.
func quantityOnly(b []byte) (int, bool) {
	s := strings.TrimSpace(string(b))
	s, ok := strings.CutPrefix(s, "{")
	if !ok {
		return 0, false
	}
	s, ok = strings.CutPrefix(strings.TrimSpace(s), `"quantity"`)
	if !ok {
		return 0, false
	}
	s, ok = strings.CutPrefix(strings.TrimSpace(s), ":")
	if !ok {
		return 0, false
	}
	s, ok = strings.CutSuffix(strings.TrimSpace(s), "}")
	if !ok {
		return 0, false
	}
	s = strings.TrimSpace(s)
	if len(s) == 0 || len(s) > 4 || s[0] == '0' && len(s) > 1 {
		return 0, false
	}
	q, err := strconv.Atoi(s)
	if err != nil || q < 0 {
		return 0, false
	}
	return q, true
}

func decodeBuySlow(raw []byte) (int, string, []byte, error) {
	var body buyBody
	compact, err := decodeBytes(raw, &body)
	if err != nil {
		return 0, "", nil, err
	}
	if body.Quantity == nil {
		return 1, body.FCode, compact, nil
	}
	return *body.Quantity, body.FCode, compact, nil
}

// decode reads a small JSON object strictly (an empty body is {}) and
// returns the compacted bytes it read.
func decode(r *http.Request, dst any) ([]byte, error) {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, errBadBody
	}
	return decodeBytes(raw, dst)
}

func decodeBytes(raw []byte, dst any) ([]byte, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		raw = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil || dec.More() {
		return nil, errBadBody
	}
	var c bytes.Buffer
	if err := json.Compact(&c, raw); err != nil {
		return nil, errBadBody
	}
	return c.Bytes(), nil
}
