package belonging

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"github.com/canyu/canyu/hooks"
	"github.com/canyu/canyu/modules/internal/testutil"
)

func TestMain(m *testing.M) { testutil.Main(m) }

// monday is the tests' clock: Monday 7 December 2026, 09:00 UTC.
var monday = time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)

type env struct {
	app    *tests.TestApp
	mod    *Module
	b      *Belonging
	clock  *testutil.Clock
	live   *testutil.FakeLive
	events *hooks.Events
	staff  *core.Record

	mu     sync.Mutex
	notes  []*hooks.NotifyEvent
	awards []*hooks.BadgeEvent
}

func newEnv(t testing.TB) *env { return newEnvWith(t, DefaultConfig()) }

func newEnvWith(t testing.TB, cfg Config) *env {
	t.Helper()
	te := testutil.NewEnv(t, monday)
	e := &env{app: te.App, clock: te.Clock, live: te.Live, events: te.Events}
	e.mod = New(cfg, te.Deps())
	te.Register(t, e.mod)
	e.b = e.mod.Belonging()
	te.Events.Notify.BindFunc(func(n *hooks.NotifyEvent) error {
		e.mu.Lock()
		e.notes = append(e.notes, n)
		e.mu.Unlock()
		return n.Next()
	})
	te.Events.BadgeAwarded.BindFunc(func(a *hooks.BadgeEvent) error {
		e.mu.Lock()
		e.awards = append(e.awards, a)
		e.mu.Unlock()
		return a.Next()
	})
	e.staff = testutil.Member(t, e.app, "staff@x.io", "Staff", "staff")
	return e
}

func (e *env) member(t testing.TB, name string) *core.Record {
	t.Helper()
	return testutil.Member(t, e.app, strings.ToLower(name)+"@x.io", name)
}

func (e *env) points(t testing.TB, m string) int {
	t.Helper()
	p, _ := e.b.Balance(m)
	return p
}

func (e *env) holds(m, slug string) bool {
	var n int
	_ = e.app.DB().NewQuery("SELECT COUNT(*) FROM " + Awards + " a JOIN " + Badges + " b ON b.id = a.badge WHERE a.member = {:m} AND b.slug = {:s}").
		Bind(dbx.Params{"m": m, "s": slug}).Row(&n)
	return n > 0
}

// TestEventsPayPoints: each module's event pays its rule once, earns its
// badges, and a paid order makes the buyer VIP.
func TestEventsPayPoints(t *testing.T) {
	e := newEnv(t)
	ana, mei := e.member(t, "Ana"), e.member(t, "Mei")
	ev := e.events
	topic := &hooks.TopicEvent{App: e.app, Topic: "t1", Kind: "request", Author: ana.Id, Member: ana.Id, Source: "topic:t1"}
	for range 2 { // a repeated event pays once
		_ = ev.TopicCreated.Trigger(topic)
		_ = ev.MeTooPressed.Trigger(&hooks.TopicEvent{App: e.app, Topic: "t1", Author: ana.Id, Member: mei.Id, Source: "metoo:t1:" + mei.Id})
	}
	users, _ := e.app.FindCollectionByNameOrId("users")
	tr := core.NewRecord(users) // stands in for the forum topic
	tr.Id = "t1"
	tr.Set("author", ana.Id)
	_ = ev.NeedStatusChanged.Trigger(&hooks.NeedEvent{App: e.app, Topic: tr, To: "planned"})
	_ = ev.NeedStatusChanged.Trigger(&hooks.NeedEvent{App: e.app, Topic: tr, To: "shipped"})
	_ = ev.ReleaseVoted.Trigger(&hooks.ReleaseEvent{App: e.app, Release: "r1", Member: ana.Id})
	_ = ev.MeetupAttended.Trigger(&hooks.MeetupEvent{App: e.app, ID: "m1", Member: ana.Id})
	_ = ev.TesterAdmitted.Trigger(&hooks.TesterEvent{App: e.app, Member: ana.Id, Product: "orange-15"})
	_ = ev.SaleReserved.Trigger(&hooks.SaleEvent{App: e.app, Sale: "s1", Member: ana.Id, Number: 1})
	for range 2 {
		_ = ev.SalePaid.Trigger(&hooks.SaleEvent{App: e.app, Sale: "s1", Member: ana.Id, Order: "o1", Quantity: 1})
	}
	r := DefaultConfig().Earn
	want := r.Topic.Points + r.MeTooReceived.Points + r.Shipped.Points + r.Ballot.Points + r.Attended.Points + r.Tester.Points + r.Purchase.Points
	if got := e.points(t, ana.Id); got != want {
		t.Errorf("Ana's points = %d, want %d (each event once)", got, want)
	}
	if got := e.points(t, mei.Id); got != 0 {
		t.Errorf("pressing \"me too\" paid the presser %d, want 0 (the author earns)", got)
	}
	for _, slug := range []string{"first-post", "shipped", "early-tester", "buyer"} {
		if !e.holds(ana.Id, slug) {
			t.Errorf("Ana lacks the %s badge", slug)
		}
	}
	if e.holds(ana.Id, "regular") || e.holds(ana.Id, "voice") {
		t.Error("Ana holds a badge whose threshold she has not met")
	}
	if len(e.awards) != 4 {
		t.Errorf("badge.awarded fired %d times, want 4", len(e.awards))
	}
	st, _ := e.b.Standings("en", ana.Id)
	if !st[ana.Id].VIP {
		t.Error("a paid order did not make Ana VIP")
	}
	if !ev.HasPerk(e.app, ana.Id, PerkVeteranSessions) || ev.HasPerk(e.app, mei.Id, PerkVeteranSessions) {
		t.Error("the veteran perk does not follow VIP")
	}
	if got := e.live.Last("member:" + ana.Id); got["points"] != want {
		t.Errorf("live balance = %v, want %d", got, want)
	}
	told := 0
	for _, n := range e.notes {
		if n.Kind == NoteBadge || n.Kind == NoteVIP {
			told++
		}
	}
	if told != 5 {
		t.Errorf("Ana was told %d times (4 badges, VIP), want 5", told)
	}
}

// TestDailyCap: a capped action pays up to its cap per day of the site's
// zone, and again the next day from its first minute.
func TestDailyCap(t *testing.T) {
	e := newEnv(t)
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	e.b.loc = shanghai
	ana := e.member(t, "Ana")
	late := time.Date(2026, 12, 7, 23, 59, 0, 0, shanghai)
	for i := range 4 {
		out, err := e.b.Act(ana.Id, ActTopic, fmt.Sprintf("topic:a%d", i), late)
		if err != nil {
			t.Fatal(err)
		}
		if want := map[bool]int{true: 5, false: 0}[i < 3]; out.Points != want {
			t.Errorf("topic %d paid %d, want %d", i, out.Points, want)
		}
	}
	out, _ := e.b.Act(ana.Id, ActTopic, "topic:b", late.Add(time.Minute)) // 00:00 the next day
	if out.Points != 5 {
		t.Errorf("the next day's first topic paid %d, want 5", out.Points)
	}
	if got := e.points(t, ana.Id); got != 20 {
		t.Errorf("balance = %d, want 20", got)
	}
}

// TestTitlesAtDayBoundaries: a title changes at the midnight (site's zone)
// that completes its days, in both languages, and through the titles
// question other modules ask.
func TestTitlesAtDayBoundaries(t *testing.T) {
	e := newEnv(t)
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	e.b.loc = shanghai
	created := time.Date(2026, 1, 1, 22, 30, 0, 0, shanghai)
	for _, c := range []struct {
		at     time.Time
		en, zh string
	}{
		{created, "Newcomer", "新人"},
		{time.Date(2026, 1, 30, 23, 59, 59, 0, shanghai), "Newcomer", "新人"}, // day 29
		{time.Date(2026, 1, 31, 0, 0, 0, 0, shanghai), "Member", "粉丝"},      // day 30
		{time.Date(2027, 1, 1, 0, 0, 0, 0, shanghai), "Veteran", "元老"},      // day 365
		{time.Date(2026, 12, 31, 23, 59, 0, 0, shanghai), "Regular", "资深粉丝"},
	} {
		if got := e.b.TitleFor(created, c.at, "en"); got != c.en {
			t.Errorf("title at %s = %q, want %q", c.at, got, c.en)
		}
		if got := e.b.TitleFor(created, c.at, "zh-CN"); got != c.zh {
			t.Errorf("title at %s in Chinese = %q, want %q", c.at, got, c.zh)
		}
	}
	ana := e.member(t, "Ana")
	if _, err := e.app.DB().NewQuery("UPDATE users SET created = {:c} WHERE id = {:id}").
		Bind(dbx.Params{"c": dbTime(monday.AddDate(-1, 0, -1)), "id": ana.Id}).Execute(); err != nil {
		t.Fatal(err)
	}
	if got := e.events.TitlesOf(e.app, "en", ana.Id)[ana.Id]; got != "Veteran" {
		t.Errorf("titles question answers %q, want Veteran", got)
	}
	if !e.events.HasPerk(e.app, ana.Id, PerkVeteranSessions) {
		t.Error("a year-old account lacks the veteran perk (title:365)")
	}
	// a badge shown as title replaces it
	if _, err := e.b.Award(e.staff, "helper", []string{ana.Id}, ""); err != nil {
		t.Fatal(err)
	}
	if err := e.b.ShowAsTitle(ana.Id, "helper"); err != nil {
		t.Fatal(err)
	}
	if got := e.events.TitlesOf(e.app, "zh-CN", ana.Id)[ana.Id]; got != "🤝 热心米粉" {
		t.Errorf("badge as title = %q", got)
	}
	if err := e.b.ShowAsTitle(ana.Id, "buyer"); !errors.Is(err, ErrNotHeld) {
		t.Errorf("showing a badge not held = %v, want ErrNotHeld", err)
	}
}

// gift stocks a gift.
func (e *env) gift(t testing.TB, price, stock int, reserved string) string {
	t.Helper()
	col, _ := e.app.FindCollectionByNameOrId(Gifts)
	r := core.NewRecord(col)
	r.Load(map[string]any{"name": "Mug", "price": price, "stock": stock, "active": true, "reserved_to": reserved, "icon": "☕"})
	if err := e.app.Save(r); err != nil {
		t.Fatal(err)
	}
	return r.Id
}

var ship = Shipping{Recipient: "Ana", Address: "1 Orange Road", Phone: "+86 138"}

// TestGiftNeverOversold: 40 members with points enough race for 5 mugs.
func TestGiftNeverOversold(t *testing.T) {
	e := newEnv(t)
	gift := e.gift(t, 100, 5, "")
	var members []*core.Record
	for i := range 40 {
		m := e.member(t, fmt.Sprintf("M%02d", i))
		if err := e.b.Grant(e.staff, m.Id, 150, "test"); err != nil {
			t.Fatal(err)
		}
		members = append(members, m)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	got, sold := 0, 0
	for _, m := range members {
		wg.Go(func() {
			_, err := e.b.Redeem(m, gift, ship)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				got++
			case errors.Is(err, ErrSoldOut):
				sold++
			default:
				t.Errorf("redeem: %v", err)
			}
		})
	}
	wg.Wait()
	var stock, redemptions, spent int
	_ = e.app.DB().NewQuery("SELECT stock FROM " + Gifts + " WHERE id = {:g}").Bind(dbx.Params{"g": gift}).Row(&stock)
	_ = e.app.DB().NewQuery("SELECT COUNT(*) FROM " + Redemptions).Row(&redemptions)
	_ = e.app.DB().NewQuery("SELECT COUNT(*) FROM " + Ledger + " WHERE reason = 'redeem'").Row(&spent)
	if got != 5 || sold != 35 || stock != 0 || redemptions != 5 || spent != 5 {
		t.Errorf("got %d, sold out %d, stock %d, redemptions %d, points spent %d times; want 5, 35, 0, 5, 5", got, sold, stock, redemptions, spent)
	}
}

// TestRedeemRefusalsAndRefund: too few points, a reserved gift and a bad
// form change nothing; a cancelled redemption refunds through the ledger,
// once.
func TestRedeemRefusalsAndRefund(t *testing.T) {
	e := newEnv(t)
	ana := e.member(t, "Ana")
	mug, vipOnly := e.gift(t, 100, 3, ""), e.gift(t, 10, 3, "vip")
	if err := e.b.Grant(e.staff, ana.Id, 150, "thanks"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.b.Redeem(ana, vipOnly, ship); !errors.Is(err, ErrReserved) {
		t.Errorf("a VIP gift for a non-VIP = %v, want ErrReserved", err)
	}
	var fe interface{ Error() string }
	if _, err := e.b.Redeem(ana, mug, Shipping{Recipient: "Ana"}); err == nil || !errors.As(err, &fe) || !strings.Contains(err.Error(), "address") {
		t.Errorf("a redemption without address = %v, want a form error on address", err)
	}
	id, err := e.b.Redeem(ana, mug, ship)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.b.Redeem(ana, mug, ship); !errors.Is(err, ErrNotEnoughPoints) {
		t.Errorf("a second mug with 50 points = %v, want ErrNotEnoughPoints", err)
	}
	if got := e.points(t, ana.Id); got != 50 {
		t.Errorf("balance after one mug = %d, want 50", got)
	}
	mei := e.member(t, "Mei")
	if err := e.b.Cancel(mei, id, false, ""); !errors.Is(err, ErrNoRedemption) {
		t.Errorf("cancelling another's redemption = %v, want ErrNoRedemption", err)
	}
	if err := e.b.Cancel(ana, id, false, ""); err != nil {
		t.Fatal(err)
	}
	if err := e.b.Cancel(ana, id, false, ""); !errors.Is(err, ErrNotPending) {
		t.Errorf("cancelling twice = %v, want ErrNotPending", err)
	}
	var stock int
	_ = e.app.DB().NewQuery("SELECT stock FROM " + Gifts + " WHERE id = {:g}").Bind(dbx.Params{"g": mug}).Row(&stock)
	if got := e.points(t, ana.Id); got != 150 || stock != 3 {
		t.Errorf("after the refund: %d points, stock %d; want 150 and 3", got, stock)
	}
	_, earned := e.b.Balance(ana.Id)
	if earned != 150 {
		t.Errorf("earned = %d after a refund, want 150 (a refund is not earned)", earned)
	}
	if err := e.b.Grant(e.staff, ana.Id, -151, "too much"); !errors.Is(err, ErrNotEnoughPoints) {
		t.Errorf("taking more than the balance = %v, want ErrNotEnoughPoints", err)
	}
	// staff ship, the member is told with the tracking number
	id, _ = e.b.Redeem(ana, mug, ship)
	if err := e.b.Ship(e.staff, id, "SF123"); err != nil {
		t.Fatal(err)
	}
	last := e.notes[len(e.notes)-1]
	if last.Kind != NoteRedemption || last.Detail != "SF123" || last.To[0] != ana.Id {
		t.Errorf("shipping told %+v", last)
	}
	if err := e.b.Cancel(e.staff, id, true, ""); !errors.Is(err, ErrNotPending) {
		t.Errorf("cancelling a shipped gift = %v, want ErrNotPending", err)
	}
}

// TestBank: concurrent earning (events repeated from several goroutines),
// grants that take, and redemptions; then every balance is the sum of its
// ledger, none is below zero, no source paid twice.
func TestBank(t *testing.T) {
	e := newEnv(t)
	gift := e.gift(t, 7, 1000, "")
	var members []*core.Record
	for i := range 8 {
		members = append(members, e.member(t, fmt.Sprintf("B%d", i)))
	}
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Go(func() {
			for i := range 60 {
				m := members[(i+w)%len(members)]
				// the same source from every worker: paid once
				if _, err := e.b.Act(m.Id, ActMeTooGot, fmt.Sprintf("metoo:t%d:%d", i%20, (i+w)%len(members)), monday); err != nil {
					t.Error(err)
				}
				switch i % 4 {
				case 0:
					if _, err := e.b.Redeem(m, gift, ship); err != nil && !errors.Is(err, ErrNotEnoughPoints) {
						t.Error(err)
					}
				case 1:
					if err := e.b.Grant(e.staff, m.Id, -3, "adjust"); err != nil && !errors.Is(err, ErrNotEnoughPoints) {
						t.Error(err)
					}
				case 2:
					if err := e.b.Grant(e.staff, m.Id, 4, "bonus"); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	wg.Wait()
	var rows []struct {
		Member string `db:"member"`
		Points int    `db:"points"`
		Ledger int    `db:"ledger"`
	}
	if err := e.app.DB().NewQuery("SELECT b.member, b.points, (SELECT COALESCE(SUM(amount), 0) FROM " + Ledger + " l WHERE l.member = b.member) AS ledger FROM " + Balances + " b").
		All(&rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(members) {
		t.Fatalf("%d balances, want %d", len(rows), len(members))
	}
	sum, sumLedger := 0, 0
	for _, r := range rows {
		if r.Points != r.Ledger || r.Points < 0 {
			t.Errorf("member %s: balance %d, ledger %d", r.Member, r.Points, r.Ledger)
		}
		sum += r.Points
		sumLedger += r.Ledger
	}
	var total, paid, sources int
	_ = e.app.DB().NewQuery("SELECT COALESCE(SUM(amount), 0) FROM " + Ledger).Row(&total)
	_ = e.app.DB().NewQuery("SELECT COUNT(*), COUNT(DISTINCT source) FROM "+Ledger+" WHERE reason = 'metoo_received'").Row(&paid, &sources)
	if sum != total || sumLedger != total {
		t.Errorf("sum of balances %d, of the ledger %d", sum, total)
	}
	var acts, actSources int
	_ = e.app.DB().NewQuery("SELECT COUNT(*), COUNT(DISTINCT source) FROM "+Acts).Row(&acts, &actSources)
	if paid != sources || acts != actSources || paid > acts {
		t.Errorf("me-too payments %d for %d sources; %d acts of %d sources", paid, sources, acts, actSources)
	}
	if cap := DefaultConfig().Earn.MeTooReceived.PerDay; paid > cap*len(members) {
		t.Errorf("%d me-too payments, over the cap of %d a member", paid, cap)
	}
}

// TestBackfillTwice: the backfill finds the acts of other modules' rows,
// pays nothing for them, gives the badges they earn, and a second run (or
// the live event of an act already found) adds nothing.
func TestBackfillTwice(t *testing.T) {
	e := newEnv(t)
	ana, mei := e.member(t, "Ana"), e.member(t, "Mei")
	for i, at := range []time.Time{monday.AddDate(0, -2, 0), monday.AddDate(0, -1, 0)} {
		if _, err := e.app.DB().NewQuery("INSERT INTO forum_topics (id, author, title, kind, hidden, created, updated) VALUES ({:id}, {:a}, 'A need', 'request', FALSE, {:at}, {:at})").
			Bind(dbx.Params{"id": fmt.Sprintf("topic%d", i), "a": ana.Id, "at": dbTime(at)}).Execute(); err != nil {
			t.Fatal(err)
		}
	}
	for i, m := range []string{ana.Id, mei.Id, ana.Id} {
		if _, err := e.app.DB().NewQuery("INSERT INTO meetups_rsvps (id, event, member, status, checked_in) VALUES ({:id}, {:ev}, {:m}, 'going', {:at})").
			Bind(dbx.Params{"id": fmt.Sprintf("rsvp%d", i), "ev": fmt.Sprintf("ev%d", i), "m": m, "at": dbTime(monday.AddDate(0, 0, -i-1))}).Execute(); err != nil {
			t.Fatal(err)
		}
	}
	acts, badges, err := e.b.Backfill()
	if err != nil {
		t.Fatal(err)
	}
	if acts != 5 || badges != 1 {
		t.Errorf("first backfill: %d acts, %d badges; want 5 acts (2 topics, 3 check-ins) and first-post for Ana", acts, badges)
	}
	if got := e.points(t, ana.Id); got != 0 {
		t.Errorf("the backfill paid %d points, want none", got)
	}
	if len(e.notes) != 0 {
		t.Errorf("the backfill told members %d times, want silence", len(e.notes))
	}
	acts, badges, err = e.b.Backfill()
	if err != nil || acts != 0 || badges != 0 {
		t.Errorf("second backfill: %d acts, %d badges (%v); want nothing new", acts, badges, err)
	}
	if out, _ := e.b.Act(ana.Id, ActTopic, "topic:topic0", monday); out.New || out.Points != 0 {
		t.Errorf("the live event of a backfilled act = %+v, want nothing", out)
	}
	var holders int
	_ = e.app.DB().NewQuery("SELECT holders FROM " + Badges + " WHERE slug = 'first-post'").Row(&holders)
	if holders != 1 {
		t.Errorf("first-post holders = %d, want 1", holders)
	}
}

// TestMedals: a year's medal goes to those whose acts of that year meet
// its rule, once the year is over, and only once.
func TestMedals(t *testing.T) {
	e := newEnv(t)
	ana, mei := e.member(t, "Ana"), e.member(t, "Mei")
	col, _ := e.app.FindCollectionByNameOrId(Badges)
	for _, year := range []int{2025, 2026} {
		r := core.NewRecord(col)
		r.Load(map[string]any{"slug": fmt.Sprintf("vip-%d", year), "name": "VIP of the year", "kind": "medal", "rule": ActPurchase, "threshold": 1, "year": year})
		if err := e.app.Save(r); err != nil {
			t.Fatal(err)
		}
	}
	_, _ = e.b.Act(ana.Id, ActPurchase, "order:a", time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC))
	_, _ = e.b.Act(mei.Id, ActPurchase, "order:b", time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	n, err := e.b.AwardMedals()
	if err != nil || n != 1 || !e.holds(ana.Id, "vip-2025") || e.holds(mei.Id, "vip-2025") || e.holds(mei.Id, "vip-2026") {
		t.Errorf("medals: %d (%v), Ana 2025 %v, Mei 2025 %v, Mei 2026 %v", n, err, e.holds(ana.Id, "vip-2025"), e.holds(mei.Id, "vip-2025"), e.holds(mei.Id, "vip-2026"))
	}
	if n, _ := e.b.AwardMedals(); n != 0 {
		t.Errorf("medals again: %d, want 0", n)
	}
	e.clock.Advance(30 * 24 * time.Hour) // 2027
	if n, _ := e.b.AwardMedals(); n != 1 || !e.holds(mei.Id, "vip-2026") {
		t.Errorf("medals in 2027: %d, want Mei's 2026 medal", n)
	}
}

// TestSegments places members in the playbook's groups and keeps the sizes.
func TestSegments(t *testing.T) {
	e := newEnv(t)
	tester, leader, fan, follower, quiet := e.member(t, "Tess"), e.member(t, "Leo"), e.member(t, "Fay"), e.member(t, "Flo"), e.member(t, "Quinn")
	act := func(m *core.Record, action string, n int) {
		for i := range n {
			if _, err := e.b.Act(m.Id, action, fmt.Sprintf("%s:%s:%d", action, m.Id, i), monday.AddDate(0, 0, -1)); err != nil {
				t.Fatal(err)
			}
		}
	}
	act(tester, ActBallot, 3)
	act(tester, ActTopic, 5)
	act(leader, ActMeTooGot, 10)
	act(fan, ActAttended, 1)
	act(follower, ActPurchase, 1)
	act(quiet, ActMeToo, 1)
	// an old act falls out of the window
	if _, err := e.b.Act(quiet.Id, ActAttended, "old", monday.AddDate(0, 0, -200)); err != nil {
		t.Fatal(err)
	}
	sizes, err := e.b.ComputeSegments()
	if err != nil {
		t.Fatal(err)
	}
	st, _ := e.b.Standings("en", tester.Id, leader.Id, fan.Id, follower.Id, quiet.Id)
	for m, want := range map[*core.Record]string{tester: "testers", leader: "leaders", fan: "fans", follower: "followers", quiet: ""} {
		if got := st[m.Id].Segment; got != want {
			t.Errorf("%s is in %q, want %q", m.GetString("name"), got, want)
		}
	}
	if sizes["testers"] != 1 || sizes["followers"] != 1 {
		t.Errorf("sizes = %v", sizes)
	}
	hist, err := e.b.SegmentHistory(7)
	if err != nil || len(hist) != 1 || hist[0].Sizes["leaders"] != 1 {
		t.Errorf("history = %+v (%v)", hist, err)
	}
	ms, _ := e.b.Members("fans", 10)
	if len(ms) != 1 || ms[0].ID != fan.Id {
		t.Errorf("fans = %+v", ms)
	}
}

// TestFunnel counts distinct members per step and week, and the week's
// visitors without storing who they were.
func TestFunnel(t *testing.T) {
	e := newEnv(t)
	a, b := e.member(t, "Ana"), e.member(t, "Bo")
	lastWeek := monday.AddDate(0, 0, -7)
	for i, x := range []struct {
		m      *core.Record
		action string
		at     time.Time
	}{{a, ActTopic, monday}, {a, ActTopic, monday}, {b, ActTopic, monday}, {a, ActMeToo, monday}, {b, ActPurchase, monday}, {a, ActTopic, lastWeek}} {
		if _, err := e.b.Act(x.m.Id, x.action, fmt.Sprintf("s%d", i), x.at); err != nil {
			t.Fatal(err)
		}
	}
	// a reservation is read from the sales module's rows, not from an event
	if _, err := e.app.DB().NewQuery("INSERT INTO sales_reservations (id, sale, member, number, created) VALUES ('r1', 's1', {:m}, 1, {:at})").
		Bind(dbx.Params{"m": b.Id, "at": dbTime(monday)}).Execute(); err != nil {
		t.Fatal(err)
	}
	for _, v := range []struct{ ip, member string }{{"10.0.0.1", ""}, {"10.0.0.1", ""}, {"10.0.0.2", a.Id}, {"10.0.0.3", a.Id}} {
		e.mod.visits.See(monday, time.UTC, v.ip, "test", v.member)
	}
	if err := e.mod.visits.flush(e.app); err != nil {
		t.Fatal(err)
	}
	weeks, err := e.b.Funnel(2)
	if err != nil {
		t.Fatal(err)
	}
	if len(weeks) != 2 || weeks[1].Week != "2026-W50" {
		t.Fatalf("weeks = %+v", weeks)
	}
	got := map[string]int{}
	for _, s := range weeks[1].Steps {
		got[s.Key] = s.Count
	}
	if got["visitors"] != 3 || got["members"] != 1 || got["posters"] != 2 || got["metoo"] != 1 || got["bought"] != 1 || got["reserved"] != 1 || got["attended"] != 0 {
		t.Errorf("this week's funnel = %v", got)
	}
	if weeks[0].Steps[2].Count != 1 {
		t.Errorf("last week's posters = %d, want 1", weeks[0].Steps[2].Count)
	}
}

// TestAPIAndPages: the ledger is its owner's and staff's; badges, honours
// and the leaderboard are public; redemption through the API; staff pages
// are staff's.
func TestAPIAndPages(t *testing.T) {
	e := newEnv(t)
	base := testutil.Serve(t, e.app)
	ana, mei := e.member(t, "Ana"), e.member(t, "Mei")
	gift := e.gift(t, 50, 2, "")
	_ = e.b.Grant(e.staff, ana.Id, 120, "thanks")
	_, _ = e.b.Act(ana.Id, ActTopic, "topic:x", monday)
	anaT, meiT, staffT := testutil.Token(t, ana), testutil.Token(t, mei), testutil.Token(t, e.staff)

	if a := testutil.API(t, base, "GET", "/api/points", anaT, ""); a.Status != 200 || a.Body["points"] != float64(125) {
		t.Errorf("GET /api/points = %d %v", a.Status, a.Body)
	}
	if a := testutil.API(t, base, "GET", "/api/points?member="+ana.Id, meiT, ""); a.Status != http.StatusForbidden {
		t.Errorf("Mei reading Ana's ledger = %d, want 403", a.Status)
	}
	if a := testutil.API(t, base, "GET", "/api/points?member="+ana.Id, staffT, ""); a.Status != 200 || a.Body["points"] != float64(125) {
		t.Errorf("staff reading Ana's ledger = %d %v", a.Status, a.Body)
	}
	if a := testutil.API(t, base, "GET", "/api/points", "", ""); a.Status != http.StatusUnauthorized {
		t.Errorf("a guest's ledger = %d, want 401", a.Status)
	}
	// the REST API of the collections follows the same rule
	if a := testutil.API(t, base, "GET", "/api/collections/belonging_ledger/records", meiT, ""); a.Status != 200 || a.Body["totalItems"] != float64(0) {
		t.Errorf("Mei listing the ledger records = %d %v, want none of Ana's", a.Status, a.Body["totalItems"])
	}
	a := testutil.API(t, base, "POST", "/api/points/store/"+gift+"/redeem", anaT, `{"recipient":"Ana","address":"1 Orange Road","phone":"138"}`)
	if a.Status != http.StatusCreated || a.Body["points"] != float64(75) {
		t.Fatalf("redeem = %d %v", a.Status, a.Body)
	}
	id, _ := a.Body["id"].(string)
	if a := testutil.API(t, base, "POST", "/api/points/store/"+gift+"/redeem", meiT, `{"recipient":"Mei","address":"x","phone":"1"}`); a.Status != http.StatusConflict || a.Code() != "not_enough_points" {
		t.Errorf("redeem without points = %d %q", a.Status, a.Code())
	}
	if a := testutil.API(t, base, "POST", "/api/points/store/"+gift+"/redeem", anaT, `{"recipient":"Ana"}`); a.Status != http.StatusBadRequest {
		t.Errorf("redeem without address = %d, want 400", a.Status)
	}
	if a := testutil.API(t, base, "DELETE", "/api/points/redemptions/"+id, meiT, ""); a.Status != http.StatusNotFound {
		t.Errorf("Mei cancelling Ana's redemption = %d, want 404", a.Status)
	}
	if a := testutil.API(t, base, "DELETE", "/api/points/redemptions/"+id, anaT, ""); a.Status != 200 || a.Body["points"] != float64(125) {
		t.Errorf("cancel = %d %v", a.Status, a.Body)
	}
	if a := testutil.API(t, base, "GET", "/api/honours/"+ana.Id, "", ""); a.Status != 200 || a.Body["title"] != "Newcomer" {
		t.Errorf("honours = %d %v", a.Status, a.Body)
	} else if bs, _ := a.Body["badges"].([]any); len(bs) != 1 {
		t.Errorf("Ana's public badges = %v, want first-post", a.Body["badges"])
	}
	if a := testutil.API(t, base, "GET", "/api/leaderboard?period=week", "", ""); a.Status != 200 {
		t.Errorf("leaderboard = %d", a.Status)
	} else if ls, _ := a.Body["leaders"].([]any); len(ls) != 1 {
		t.Errorf("leaders = %v, want Ana (grants count, a refund does not)", a.Body["leaders"])
	}
	if a := testutil.API(t, base, "POST", "/api/points/grant", anaT, `{"member":"`+ana.Id+`","amount":1000}`); a.Status != http.StatusForbidden {
		t.Errorf("a member granting points = %d, want 403", a.Status)
	}
	for _, p := range []struct {
		path, token string
		status      int
		want        string
	}{
		{"/points/store", "", 200, "Mug"},
		{"/points/rules", "", 200, "How to earn points"},
		{"/badges", "", 200, "First post"},
		{"/badges/first-post", "", 200, "Ana"},
		{"/leaderboard?period=all", "", 200, "Ana"},
		{"/points", anaT, 200, "125"},
		{"/points/vip", anaT, 200, "Verify a purchase"},
		{"/points/staff", meiT, 403, ""},
		{"/points/staff", staffT, 200, "Rewards desk"},
		{"/insights", staffT, 200, "Participation funnel"},
		{"/insights", anaT, 403, ""},
		{"/insights/members.csv", staffT, 200, "member,name,email"},
		{"/points/staff/redemptions.csv?status=cancelled", staffT, 200, "Mug"},
	} {
		status, body := testutil.Page(t, base+p.path, p.token)
		if status != p.status || !strings.Contains(body, p.want) {
			t.Errorf("GET %s = %d, want %d with %q", p.path, status, p.status, p.want)
		}
	}
}
