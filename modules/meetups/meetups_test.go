package meetups

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-ical"
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"github.com/canyu/canyu/hooks"
	"github.com/canyu/canyu/modules/internal/testutil"
	"github.com/canyu/canyu/ui"
)

func TestMain(m *testing.M) { testutil.Main(m) }

// monday is the tests' clock: Monday 7 December 2026, 09:00 UTC.
var monday = time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)

type env struct {
	app   *tests.TestApp
	mod   *Module
	m     *Meetups
	clock *testutil.Clock
	live  *testutil.FakeLive
	staff *core.Record

	mu       sync.Mutex
	notes    []*hooks.NotifyEvent
	attended []*hooks.MeetupEvent
}

func newEnv(t testing.TB) *env { return newEnvWith(t, DefaultConfig()) }

func newEnvWith(t testing.TB, cfg Config) *env {
	t.Helper()
	te := testutil.NewEnv(t, monday)
	e := &env{app: te.App, clock: te.Clock, live: te.Live}
	e.mod = New(cfg, te.Deps())
	te.Register(t, e.mod)
	e.m = e.mod.Meetups()
	te.Events.Notify.BindFunc(func(n *hooks.NotifyEvent) error {
		e.mu.Lock()
		e.notes = append(e.notes, n)
		e.mu.Unlock()
		return n.Next()
	})
	te.Events.MeetupAttended.BindFunc(func(a *hooks.MeetupEvent) error {
		e.mu.Lock()
		e.attended = append(e.attended, a)
		e.mu.Unlock()
		return a.Next()
	})
	e.staff = testutil.Member(t, e.app, "staff@x.io", "Staff", "staff")
	return e
}

// event publishes an official event next Saturday with the given seats.
func (e *env) event(t testing.TB, capacity int, edit ...func(*EventDraft)) *core.Record {
	t.Helper()
	d := EventDraft{Kind: KindOfficial, Title: "Meet the camera team", Starts: monday.AddDate(0, 0, 5), Ends: monday.AddDate(0, 0, 5).Add(3 * time.Hour),
		Venue: "Canyu Space", Capacity: capacity, Publish: true}
	for _, f := range edit {
		f(&d)
	}
	ev, err := e.m.SaveEvent(e.staff, "", d)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func (e *env) members(t testing.TB, n int) []*core.Record {
	t.Helper()
	out := make([]*core.Record, n)
	for i := range out {
		out[i] = testutil.Member(t, e.app, fmt.Sprintf("m%d@x.io", i), fmt.Sprintf("M%d", i))
	}
	return out
}

func (e *env) count(t testing.TB, id, status string) int {
	t.Helper()
	n, err := e.app.CountRecords(RSVPs, dbx.HashExp{"event": id, "status": status})
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

// TestCapacityUnderConcurrency: 2,000 RSVPs and cancellations at once on
// a 50-seat event never seat more than 50; when the dust settles every seat
// is taken by someone going, the line is in order, and the counters match
// the rows. Each freed seat went to exactly one member: no member was
// promoted twice and nobody skipped someone ahead in line.
func TestCapacityUnderConcurrency(t *testing.T) {
	cfg := DefaultConfig()
	cfg.OfferWindow = 0 // a freed seat is given at once: promotions are seats
	e := newEnvWith(t, cfg)
	const seats = 50
	ev := e.event(t, seats)
	members := e.members(t, 400)
	var over atomic.Int32
	check := func() {
		var taken int
		_ = e.app.DB().NewQuery("SELECT COUNT(*) FROM " + RSVPs + " WHERE event = {:e} AND status IN ('going', 'offered')").Bind(dbx.Params{"e": ev.Id}).Row(&taken)
		if taken > seats {
			over.Add(1)
		}
	}
	var wg sync.WaitGroup
	calls := 0
	for i, m := range members {
		for j := range 5 { // 400 members × 5 calls = 2,000
			calls++
			wg.Go(func() {
				var err error
				if (i+j)%2 == 0 {
					_, err = e.m.RSVP(m, ev.Id, nil)
				} else {
					err = e.m.Cancel(m, ev.Id)
					if errors.Is(err, ErrNoRSVP) {
						err = nil
					}
				}
				if err != nil {
					t.Error(err)
				}
				if j == 4 {
					check()
				}
			})
		}
	}
	wg.Wait()
	if calls != 2000 {
		t.Fatalf("%d calls", calls)
	}
	if over.Load() > 0 {
		t.Fatalf("more than %d seats were taken at some point (%d times)", seats, over.Load())
	}
	going, waiting := e.count(t, ev.Id, Going), e.count(t, ev.Id, Waitlist)
	if going > seats || (waiting > 0 && going != seats) {
		t.Fatalf("after the storm: %d going, %d in line; want the room full before anyone waits", going, waiting)
	}
	c, _ := e.m.CountsOf(ev.Id)
	if c.Going != going || c.Waitlist != waiting {
		t.Errorf("counters %+v, rows say %d going, %d waiting", c, going, waiting)
	}

	// now each cancellation frees one seat for exactly the first in line
	promotedBefore := e.promoted()
	var line []string
	_ = e.app.DB().Select("member").From(RSVPs).Where(dbx.HashExp{"event": ev.Id, "status": Waitlist}).OrderBy("position").Column(&line)
	var holders []string
	_ = e.app.DB().Select("member").From(RSVPs).Where(dbx.HashExp{"event": ev.Id, "status": Going}).Column(&holders)
	leaving := min(len(holders), len(line), 20)
	var wg2 sync.WaitGroup
	for _, id := range holders[:leaving] {
		wg2.Go(func() {
			m, _ := e.app.FindRecordById("users", id)
			if err := e.m.Cancel(m, ev.Id); err != nil {
				t.Error(err)
			}
		})
	}
	wg2.Wait()
	promoted := e.promoted()[len(promotedBefore):]
	if len(promoted) != leaving {
		t.Fatalf("%d seats freed, %d promotions; want one each", leaving, len(promoted))
	}
	seen := map[string]bool{}
	for _, p := range promoted {
		if seen[p] {
			t.Errorf("member %s promoted twice", p)
		}
		seen[p] = true
	}
	for _, id := range line[:leaving] {
		if !seen[id] {
			t.Errorf("the first %d in line should have the freed seats; %s did not", leaving, id)
		}
	}
	if going := e.count(t, ev.Id, Going); going != seats {
		t.Errorf("%d going after the promotions, want %d", going, seats)
	}
}

// promoted lists the members told of a seat, in order.
func (e *env) promoted() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, n := range e.notes {
		if n.Kind == NoteSeat && (n.Message == "meetups.note_seat_given" || n.Message == "meetups.note_seat_offered") {
			out = append(out, n.To...)
		}
	}
	return out
}

// TestWaitlistOffersAndLapses: with an offer window, a freed seat is
// offered to the first in line, who sees their place before; an offer not
// confirmed in time lapses and moves to the next member; a confirmed offer
// is a seat.
func TestWaitlistOffersAndLapses(t *testing.T) {
	e := newEnv(t) // offers last 2 hours
	ev := e.event(t, 1)
	a, b, c, d := e.members(t, 4)[0], e.members2(t, "b"), e.members2(t, "c"), e.members2(t, "d")
	for _, m := range []*core.Record{a, b, c, d} {
		if _, err := e.m.RSVP(m, ev.Id, nil); err != nil {
			t.Fatal(err)
		}
	}
	if s, _ := e.m.State(c.Id, ev.Id); s.Status != Waitlist || s.Place != 2 {
		t.Fatalf("c = %+v, want second in line", s)
	}
	if err := e.m.Cancel(a, ev.Id); err != nil {
		t.Fatal(err)
	}
	if s, _ := e.m.State(b.Id, ev.Id); s.Status != Offered || !s.OfferedUntil.Equal(monday.Add(2*time.Hour)) {
		t.Fatalf("b = %+v, want the seat offered for two hours", s)
	}
	if s, _ := e.m.State(c.Id, ev.Id); s.Place != 1 {
		t.Errorf("c is %d in line, want first", s.Place)
	}
	// b lets it lapse: it moves to c
	e.clock.Advance(2*time.Hour + time.Second)
	if err := e.m.ConfirmOffer(b, ev.Id); !errors.Is(err, ErrOfferLapsed) {
		t.Fatalf("confirming late: %v, want ErrOfferLapsed", err)
	}
	if s, _ := e.m.State(c.Id, ev.Id); s.Status != Offered {
		t.Fatalf("c = %+v, want the lapsed seat offered", s)
	}
	// the cron finds nothing more to do, and c confirms in time
	if n, err := e.m.ExpireOffers(); err != nil || n != 0 {
		t.Errorf("ExpireOffers = %d, %v; want nothing left", n, err)
	}
	e.clock.Advance(time.Hour)
	if err := e.m.ConfirmOffer(c, ev.Id); err != nil {
		t.Fatal(err)
	}
	if s, _ := e.m.State(c.Id, ev.Id); s.Status != Going {
		t.Errorf("c = %+v, want going", s)
	}
	if s, _ := e.m.State(d.Id, ev.Id); s.Status != Waitlist || s.Place != 1 {
		t.Errorf("d = %+v, want first in line", s)
	}
	// the cron lapses an offer nobody touches
	if err := e.m.Cancel(c, ev.Id); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(3 * time.Hour)
	if n, err := e.m.ExpireOffers(); err != nil || n != 0 {
		t.Errorf("ExpireOffers = %d, %v; want d's offer lapsed with nobody left", n, err)
	}
	if s, _ := e.m.State(d.Id, ev.Id); s.Status != Lapsed {
		t.Errorf("d = %+v, want lapsed", s)
	}
	if live := e.live.Last("meetup:" + ev.Id); live["going"] != 0 || live["waitlist"] != 0 {
		t.Errorf("live counters %v, want the room empty", live)
	}
}

func (e *env) members2(t testing.TB, name string) *core.Record {
	return testutil.Member(t, e.app, name+"@x.io", strings.ToUpper(name))
}

// TestTicketsAtTheDoor: a good ticket checks in once, with meetup.attended;
// a used ticket, one of another event, a forged or a malformed code are
// refused; a member without a seat has no ticket; only organizers check in.
func TestTicketsAtTheDoor(t *testing.T) {
	e := newEnv(t)
	ev, other := e.event(t, 10), e.event(t, 10)
	ann, bob := e.members2(t, "ann"), e.members2(t, "bob")
	for _, r := range []struct {
		m  *core.Record
		ev string
	}{{ann, ev.Id}, {bob, other.Id}} {
		if _, err := e.m.RSVP(r.m, r.ev, nil); err != nil {
			t.Fatal(err)
		}
	}
	code, err := e.m.Ticket(ann.Id, ev.Id)
	if err != nil || len(code) != 26 {
		t.Fatalf("ticket %q, %v", code, err)
	}
	if _, err := e.m.Ticket(bob.Id, ev.Id); !errors.Is(err, ErrNotGoing) {
		t.Errorf("a ticket for a member without a seat: %v", err)
	}
	if _, err := e.m.CheckInTicket(ann, ev.Id, code); !errors.Is(err, ErrNotOrganizer) {
		t.Errorf("a member checks in: %v", err)
	}
	got, err := e.m.CheckInTicket(e.staff, ev.Id, "  "+strings.ToUpper(code)+" ") // scanned upper case, with spaces
	if err != nil || got.Name != "ANN" {
		t.Fatalf("check-in = %+v, %v", got, err)
	}
	if len(e.attended) != 1 || e.attended[0].Member != ann.Id || e.attended[0].ID != ev.Id {
		t.Errorf("meetup.attended = %+v", e.attended)
	}
	if again, err := e.m.CheckInTicket(e.staff, ev.Id, code); !errors.Is(err, ErrTicketUsed) || again.At.IsZero() {
		t.Errorf("a used ticket: %+v %v", again, err)
	}
	bobs, _ := e.m.Ticket(bob.Id, other.Id)
	if _, err := e.m.CheckInTicket(e.staff, ev.Id, bobs); !errors.Is(err, ErrOtherEvent) {
		t.Errorf("another event's ticket: %v", err)
	}
	rsvp, _, _ := strings.Cut(code, "-")
	for _, forged := range []string{rsvp + "-aaaaaaaaaa", bobs[:16] + code[16:], "", "not-a-ticket", rsvp} {
		if _, err := e.m.CheckInTicket(e.staff, ev.Id, forged); !errors.Is(err, ErrBadTicket) {
			t.Errorf("forged %q: %v, want ErrBadTicket", forged, err)
		}
	}
	if c, _ := e.m.CountsOf(ev.Id); c.CheckedIn != 1 {
		t.Errorf("checked in %d, want 1", c.CheckedIn)
	}
	if png, err := QR(code, 300); err != nil || len(png) < 200 || string(png[1:4]) != "PNG" {
		t.Errorf("QR: %d bytes, %v", len(png), err)
	}

	// two doors scanning one ticket at once let it in once
	carl := e.members2(t, "carl")
	if _, err := e.m.RSVP(carl, ev.Id, nil); err != nil {
		t.Fatal(err)
	}
	carls, _ := e.m.Ticket(carl.Id, ev.Id)
	var ok atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := e.m.CheckInTicket(e.staff, ev.Id, carls); err == nil {
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 1 {
		t.Errorf("one ticket scanned at 8 doors let in %d, want 1", ok.Load())
	}

	// through the API, in Chinese
	b := testutil.NewBrowser(t, e.app)
	a := testutil.API(t, b.Base, "POST", "/api/meetups/"+ev.Id+"/checkin", testutil.Token(t, e.staff), `{"code":"`+code+`"}`, "Accept-Language", "zh-CN")
	if a.Status != http.StatusConflict || a.Code() != "ticket_used" || a.Body["message"] != "这张门票已经签到过了。" {
		t.Errorf("API used ticket = %d %v", a.Status, a.Body)
	}
}

// TestOrganizersManageTheirOwnClub: a club's president creates and edits
// their club's meetups, and cannot touch another club's nor make an
// official event; the same holds through the collections' REST API.
func TestOrganizersManageTheirOwnClub(t *testing.T) {
	e := newEnv(t)
	pres, other := e.members2(t, "pres"), e.members2(t, "other")
	mine, err := e.m.SaveClub(e.staff, "", ClubDraft{Name: "Canton", Slug: "canton", City: "广州", President: pres.Id})
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := e.m.SaveClub(e.staff, "", ClubDraft{Name: "Beijing", Slug: "beijing", City: "北京", President: other.Id})
	if err != nil {
		t.Fatal(err)
	}
	pres, _ = e.app.FindRecordById("users", pres.Id)
	if !slices.Contains(pres.GetStringSlice("roles"), "president") {
		t.Errorf("the president has roles %q", pres.GetStringSlice("roles"))
	}
	d := EventDraft{Club: mine.Id, Kind: KindClub, Title: "Tea", Starts: monday.AddDate(0, 0, 3), Ends: monday.AddDate(0, 0, 3).Add(time.Hour), Venue: "Tea house", Publish: true}
	ev, err := e.m.SaveEvent(pres, "", d)
	if err != nil {
		t.Fatal(err)
	}
	d.Title = "Tea, moved"
	if _, err := e.m.SaveEvent(pres, ev.Id, d); err != nil {
		t.Errorf("editing their own: %v", err)
	}
	d.Club = theirs.Id
	if _, err := e.m.SaveEvent(pres, "", d); !errors.Is(err, ErrNotOrganizer) {
		t.Errorf("an event for another club: %v", err)
	}
	theirEvent, err := e.m.SaveEvent(other, "", d)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.m.SaveEvent(pres, theirEvent.Id, d); !errors.Is(err, ErrNotOrganizer) {
		t.Errorf("editing another club's event: %v", err)
	}
	d.Club, d.Kind = "", KindOfficial
	if _, err := e.m.SaveEvent(pres, "", d); !errors.Is(err, ErrNotStaff) {
		t.Errorf("an official event by a president: %v", err)
	}
	if _, err := e.m.CheckInTicket(pres, theirEvent.Id, "x"); !errors.Is(err, ErrNotOrganizer) {
		t.Errorf("the door of another club's event: %v", err)
	}

	b := testutil.NewBrowser(t, e.app)
	token := testutil.Token(t, pres)
	path := "/api/collections/" + Events + "/records/"
	if a := testutil.API(t, b.Base, "PATCH", path+theirEvent.Id, token, `{"title":"Hijacked"}`); a.Status == 200 {
		t.Errorf("REST: a president changed another club's event")
	}
	if a := testutil.API(t, b.Base, "PATCH", path+ev.Id, token, `{"title":"Tea at ten"}`); a.Status != 200 {
		t.Errorf("REST: the president's own event = %d %v", a.Status, a.Body)
	}
	if a := testutil.API(t, b.Base, "PATCH", path+ev.Id, token, `{"going":0,"capacity":5}`); a.Status == 200 {
		t.Errorf("REST: the counters changed")
	}
	body := fmt.Sprintf(`{"club":%q,"kind":"club","title":"Sneaky","starts":"2026-12-20 10:00:00Z","ends":"2026-12-20 11:00:00Z","status":"published"}`, theirs.Id)
	if a := testutil.API(t, b.Base, "POST", "/api/collections/"+Events+"/records", token, body); a.Status == 200 {
		t.Errorf("REST: a president created an event for another club")
	}
	body = fmt.Sprintf(`{"club":%q,"kind":"official","title":"Sneaky","starts":"2026-12-20 10:00:00Z","ends":"2026-12-20 11:00:00Z","status":"published"}`, mine.Id)
	if a := testutil.API(t, b.Base, "POST", "/api/collections/"+Events+"/records", token, body); a.Status == 200 {
		t.Errorf("REST: a president created an official event")
	}
}

// TestRSVPRules: invitation-only, approval, the RSVP window, answers to the
// questions, a refused member, each with its message; organizers' answers
// tell the member.
func TestRSVPRules(t *testing.T) {
	e := newEnv(t)
	ann, bob := e.members2(t, "ann"), e.members2(t, "bob")
	invite := e.event(t, 10, func(d *EventDraft) { d.InviteOnly = true; d.Kind = KindLaunch })
	if _, err := e.m.RSVP(ann, invite.Id, nil); !errors.Is(err, ErrInviteOnly) {
		t.Errorf("uninvited: %v", err)
	}
	if _, err := e.m.Invite(e.staff, invite.Id, []string{ann.Id}); err != nil {
		t.Fatal(err)
	}
	if s, err := e.m.RSVP(ann, invite.Id, nil); err != nil || s.Status != Going {
		t.Errorf("invited: %+v %v", s, err)
	}
	h, err := e.mod.profileHonours(nil, ann)
	if err != nil || h == nil || len(h.(*ProfileHonours).Honours) != 1 {
		t.Errorf("the invitation is not on the profile: %v %v", h, err)
	}

	asks := e.event(t, 1, func(d *EventDraft) {
		d.Approval = true
		d.Questions = ParseQuestions("T-shirt size: S, M, L\nWhy do you come?")
	})
	if _, err := e.m.RSVP(ann, asks.Id, map[string]string{"q0": "XXL", "q1": "fun"}); err == nil {
		t.Error("an answer outside the choices was taken")
	} else if fe, ok := err.(ui.FieldErrors); !ok || fe["q0"] != "meetups.err_choice" {
		t.Errorf("bad answer: %v", err)
	}
	if _, err := e.m.RSVP(ann, asks.Id, map[string]string{"q0": "M"}); err == nil {
		t.Error("a missing answer was taken")
	}
	s, err := e.m.RSVP(ann, asks.Id, map[string]string{"q0": "M", "q1": "The camera"})
	if err != nil || s.Status != Pending || s.Answers["T-shirt size"] != "M" {
		t.Fatalf("with approval: %+v %v", s, err)
	}
	if s, _ := e.m.RSVP(bob, asks.Id, map[string]string{"q0": "S", "q1": "x"}); s.Status != Pending {
		t.Fatalf("bob = %+v", s)
	}
	if err := e.m.Decide(e.staff, asks.Id, ann.Id, true); err != nil {
		t.Fatal(err)
	}
	if err := e.m.Decide(e.staff, asks.Id, bob.Id, false); err != nil {
		t.Fatal(err)
	}
	if s, _ := e.m.State(ann.Id, asks.Id); s.Status != Going {
		t.Errorf("approved ann = %+v", s)
	}
	if _, err := e.m.RSVP(bob, asks.Id, map[string]string{"q0": "S", "q1": "x"}); !errors.Is(err, ErrDeclined) {
		t.Errorf("declined bob again: %v", err)
	}

	window := e.event(t, 0, func(d *EventDraft) { d.RSVPOpens = monday.Add(24 * time.Hour) })
	if _, err := e.m.RSVP(ann, window.Id, nil); !errors.Is(err, ErrNotOpenYet) {
		t.Errorf("before the window: %v", err)
	}
	e.clock.Advance(6 * 24 * time.Hour) // after the start
	if _, err := e.m.RSVP(ann, window.Id, nil); !errors.Is(err, ErrClosed) {
		t.Errorf("after the start: %v", err)
	}
	// the web form in Chinese
	b := testutil.NewBrowser(t, e.app)
	a := testutil.API(t, b.Base, "POST", "/api/meetups/"+window.Id+"/rsvp", testutil.Token(t, bob), "", "Accept-Language", "zh-CN")
	if a.Status != http.StatusConflict || a.Body["message"] != "报名已截止。" {
		t.Errorf("API after the start = %d %v", a.Status, a.Body)
	}
}

// TestCalendars: the event's, the club's and a member's private feed parse
// with a standard iCalendar parser; the private feed needs its token and a
// new token retires the old one.
func TestCalendars(t *testing.T) {
	e := newEnv(t)
	ann := e.members2(t, "ann")
	ev := e.event(t, 10, func(d *EventDraft) { d.Title = "Meet, greet; and \"talk\""; d.Address = "1 Orange Road, Beijing" })
	if _, err := e.m.RSVP(ann, ev.Id, nil); err != nil {
		t.Fatal(err)
	}
	b := testutil.NewBrowser(t, e.app)
	parse := func(path string) *ical.Calendar {
		t.Helper()
		status, body, h := b.Do("GET", path, nil)
		if status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/calendar") {
			t.Fatalf("GET %s = %d %s", path, status, h.Get("Content-Type"))
		}
		cal, err := ical.NewDecoder(strings.NewReader(body)).Decode()
		if err != nil {
			t.Fatalf("%s does not parse: %v\n%s", path, err, body)
		}
		return cal
	}
	cal := parse("/meetups/" + ev.Id + ".ics")
	events := cal.Events()
	if len(events) != 1 {
		t.Fatalf("%d events", len(events))
	}
	summary, _ := events[0].Props.Text(ical.PropSummary)
	start, err := events[0].DateTimeStart(time.UTC)
	if summary != "Meet, greet; and \"talk\"" || err != nil || !start.Equal(ev.GetDateTime("starts").Time()) {
		t.Errorf("VEVENT summary %q start %v (%v)", summary, start, err)
	}
	token, _ := e.m.FeedToken(ann.Id, false)
	if mine := parse("/meetups/my/calendar/" + token + ".ics"); len(mine.Events()) != 1 {
		t.Errorf("the private feed lists %d events", len(mine.Events()))
	}
	fresh, _ := e.m.FeedToken(ann.Id, true)
	if status, _, _ := b.Do("GET", "/meetups/my/calendar/"+token+".ics", nil); status != 404 || fresh == token {
		t.Errorf("the old private link = %d after a new one", status)
	}
}

// TestReminders: the day before, each member going is emailed once, in
// their language, with the time in the event's zone.
func TestReminders(t *testing.T) {
	e := newEnv(t)
	ann, li := e.members2(t, "ann"), e.members2(t, "li")
	li.Set("language", "zh-CN")
	_ = e.app.Save(li)
	ev := e.event(t, 10, func(d *EventDraft) {
		d.TimeZone = "Asia/Shanghai"
		d.Starts = monday.Add(20 * time.Hour)
		d.Ends = d.Starts.Add(time.Hour)
	})
	for _, m := range []*core.Record{ann, li} {
		if _, err := e.m.RSVP(m, ev.Id, nil); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := e.mod.SendReminders(); err != nil || n != 2 {
		t.Fatalf("reminders = %d, %v", n, err)
	}
	if n, _ := e.mod.SendReminders(); n != 0 {
		t.Errorf("a second run sent %d", n)
	}
	var zh bool
	for _, msg := range e.app.TestMailer.Messages() {
		if msg.To[0].Address == "li@x.io" {
			zh = strings.Contains(msg.Subject, "明天") && strings.Contains(msg.HTML, "2026年12月8日 13:00")
		}
	}
	if !zh {
		t.Error("li's reminder is not in Chinese with Shanghai's time")
	}
}
