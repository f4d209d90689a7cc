package meetups

import (
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/modules/internal/access"
	"github.com/canyu/canyu/ui"
)

// ClubRef names a club in a list.
type ClubRef struct {
	ID, Slug, Name, City string
}

// EventCard is an event in a list.
type EventCard struct {
	ID, Title, Kind, Status string
	Club                    *ClubRef
	When, Day, Month        string // in the event's zone
	Where                   string
	Cover                   string
	Going, Waitlist         int
	Capacity, Left          int
	Mine                    string // the member's RSVP status
	Past                    bool
	// the card's words in the page's language
	KindLabel, GoingLabel, WaitingLabel, MineLabel string
}

// EventView is an event's page.
type EventView struct {
	EventCard
	DescriptionHTML, RecapHTML template.HTML
	Venue, Address, MapURL     string
	OnlineURL                  string
	Zone                       string
	CheckedIn                  int
	Approval, InviteOnly       bool
	Questions                  []Question
	Opens, Closes              string // the RSVP window, when set
	NotOpenYet, Closed         bool
}

var (
	enDays  = "Mon 2 Jan 2006, 15:04"
	zhWeeks = [...]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}
)

// when formats a time in loc for lang.
func when(lang ui.Lang, t time.Time, loc *time.Location) string {
	t = t.In(loc)
	if lang == ui.Chinese {
		return t.Format("2006年1月2日 ") + zhWeeks[t.Weekday()] + t.Format(" 15:04")
	}
	return t.Format(enDays)
}

func (mod *Module) clubRef(id string) *ClubRef {
	if id == "" {
		return nil
	}
	c, err := mod.m.app.FindRecordById(Clubs, id)
	if err != nil {
		return nil
	}
	return &ClubRef{ID: c.Id, Slug: c.GetString("slug"), Name: c.GetString("name"), City: c.GetString("city")}
}

func fileURL(r *core.Record, field, thumb string) string {
	f := r.GetString(field)
	if f == "" {
		return ""
	}
	u := "/api/files/" + r.Collection().Id + "/" + r.Id + "/" + f
	if thumb != "" {
		u += "?thumb=" + thumb
	}
	return u
}

func (mod *Module) card(e *core.RequestEvent, ev *core.Record) EventCard {
	lang := mod.deps.UI.Lang(e)
	loc := mod.m.location(ev)
	starts, ends := ev.GetDateTime("starts").Time().In(loc), ev.GetDateTime("ends").Time().In(loc)
	w := when(lang, starts, loc) + "–" + ends.Format("15:04")
	if ends.YearDay() != starts.YearDay() {
		w = when(lang, starts, loc) + " – " + when(lang, ends, loc)
	}
	c := EventCard{ID: ev.Id, Title: ev.GetString("title"), Kind: ev.GetString("kind"), Status: ev.GetString("status"),
		Club: mod.clubRef(ev.GetString("club")), When: w, Day: starts.Format("2"), Cover: fileURL(ev, "cover", "640x320"),
		Going: ev.GetInt("going"), Waitlist: ev.GetInt("waitlist"), Capacity: ev.GetInt("capacity"),
		Past: !mod.deps.Now().Before(ev.GetDateTime("ends").Time())}
	c.Month = mod.deps.UI.T(e, "meetups.month_"+starts.Format("1"))
	c.Where = ev.GetString("venue")
	if c.Where == "" && ev.GetString("online_url") != "" {
		c.Where = mod.deps.UI.T(e, "meetups.online")
	}
	if c.Capacity > 0 {
		c.Left = max(c.Capacity-c.Going, 0)
	}
	c.KindLabel = mod.deps.UI.T(e, "meetups.kind_"+c.Kind)
	c.GoingLabel, c.WaitingLabel = mod.deps.UI.T(e, "meetups.going"), mod.deps.UI.T(e, "meetups.waiting")
	return c
}

func (mod *Module) cards(e *core.RequestEvent, evs []*core.Record) []EventCard {
	out := make([]EventCard, 0, len(evs))
	for _, ev := range evs {
		c := mod.card(e, ev)
		if e.Auth != nil {
			if s, err := mod.m.State(e.Auth.Id, ev.Id); err == nil && s.Status != "" {
				c.Mine, c.MineLabel = s.Status, mod.deps.UI.T(e, "meetups.status_"+s.Status)
			}
		}
		out = append(out, c)
	}
	return out
}

func (mod *Module) view(e *core.RequestEvent, ev *core.Record) EventView {
	lang := mod.deps.UI.Lang(e)
	loc := mod.m.location(ev)
	v := EventView{EventCard: mod.card(e, ev), DescriptionHTML: mod.md.Render(ev.GetString("description")), RecapHTML: mod.md.Render(ev.GetString("recap")),
		Venue: ev.GetString("venue"), Address: ev.GetString("address"), MapURL: ev.GetString("map_url"), OnlineURL: ev.GetString("online_url"),
		Zone: loc.String(), CheckedIn: ev.GetInt("checked_in"), Approval: ev.GetBool("approval"), InviteOnly: ev.GetBool("invite_only")}
	_ = ev.UnmarshalJSONField("questions", &v.Questions)
	now := mod.deps.Now()
	if o := ev.GetDateTime("rsvp_opens"); !o.IsZero() {
		v.Opens = when(lang, o.Time(), loc)
		v.NotOpenYet = now.Before(o.Time())
	}
	v.Closes = when(lang, closesAt(ev), loc)
	v.Closed = !now.Before(closesAt(ev)) || ev.GetString("status") != "published"
	return v
}

// IndexPage is /meetups.
type IndexPage struct {
	Upcoming []EventCard
	Past     []EventCard
	Clubs    []ClubCard
	Runs     []ClubRef // clubs the member organizes: they may add events
	Staff    bool
}

func (mod *Module) index(e *core.RequestEvent) error {
	up, err := mod.m.Upcoming("", 30)
	if err != nil {
		return err
	}
	past, err := mod.m.Past("", 6)
	if err != nil {
		return err
	}
	page := IndexPage{Upcoming: mod.cards(e, up), Past: mod.cards(e, past), Staff: access.HasRole(e.Auth, access.RoleStaff)}
	clubs, err := mod.m.app.FindRecordsByFilter(Clubs, "", "-member_count", 6, 0)
	if err != nil {
		return err
	}
	page.Clubs = clubCards(clubs)
	if e.Auth != nil {
		runs, _ := mod.m.app.FindRecordsByFilter(Clubs, "president = {:m} || officers ~ {:m}", "name", 20, 0, dbx.Params{"m": e.Auth.Id})
		for _, c := range runs {
			page.Runs = append(page.Runs, ClubRef{ID: c.Id, Slug: c.GetString("slug"), Name: c.GetString("name")})
		}
	}
	return mod.deps.UI.Render(e, http.StatusOK, "meetups/index", page)
}

// homeEvents is the home page's block: the next events.
func (mod *Module) homeEvents(e *core.RequestEvent) (any, error) {
	up, err := mod.m.Upcoming("", 3)
	if err != nil || len(up) == 0 {
		return nil, err
	}
	return mod.cards(e, up), nil
}

// EventPage is /meetups/{id}.
type EventPage struct {
	Event     EventView
	State     RSVPState
	OfferLeft string
	CanManage bool
	Invited   bool
	Attended  bool
	Attendees []Attendee
	Photos    []Photo
	Answers   map[string]string
	Errors    ui.FieldErrors
	Error     string
	ICS       string
}

func (mod *Module) eventPage(e *core.RequestEvent, ev *core.Record) (*EventPage, error) {
	page := &EventPage{Event: mod.view(e, ev), CanManage: mod.m.CanManage(e.Auth, ev), ICS: "/meetups/" + ev.Id + ".ics"}
	if e.Auth != nil {
		s, err := mod.m.State(e.Auth.Id, ev.Id)
		if err != nil {
			return nil, err
		}
		page.State, page.Answers = s, s.Answers
		if s.Status == Offered {
			page.OfferLeft = when(mod.deps.UI.Lang(e), s.OfferedUntil, mod.m.location(ev))
		}
		page.Invited = mod.m.Invited(e.Auth.Id, ev.Id)
		page.Attended = !s.CheckedIn.IsZero()
	}
	var err error
	if page.Attended || page.CanManage {
		if page.Attendees, err = mod.m.Attendees(ev.Id); err != nil {
			return nil, err
		}
	}
	if page.Photos, err = mod.m.PhotosOf("event", ev.Id, 48); err != nil {
		return nil, err
	}
	return page, nil
}

// event: GET /meetups/{id}, or /meetups/{id}.ics for its calendar file.
func (mod *Module) event(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	if strings.HasSuffix(id, ".ics") {
		ev, err := mod.m.Find(e.Auth, strings.TrimSuffix(id, ".ics"))
		if err != nil {
			return problems.Show(err)
		}
		return mod.ics(e, ev.GetString("title"), []*core.Record{ev})
	}
	ev, err := mod.m.Find(e.Auth, id)
	if err != nil {
		return problems.Show(err)
	}
	page, err := mod.eventPage(e, ev)
	if err != nil {
		return err
	}
	return mod.deps.UI.Render(e, http.StatusOK, "meetups/event", page)
}

func (mod *Module) ics(e *core.RequestEvent, name string, evs []*core.Record) error {
	e.Response.Header().Set("Cache-Control", "private, max-age=300")
	return e.Blob(http.StatusOK, "text/calendar; charset=utf-8",
		[]byte(mod.m.ICS(mod.deps.AppName+" · "+name, strings.TrimRight(mod.deps.PublicURL, "/"), evs)))
}

// rsvpForm: POST /meetups/{id}/rsvp with the answers q0, q1...
func (mod *Module) rsvpForm(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	if err := e.Request.ParseForm(); err != nil {
		return ui.BadBody(err)
	}
	answers := map[string]string{}
	for k, v := range e.Request.PostForm {
		if strings.HasPrefix(k, "q") && len(v) > 0 {
			answers[k] = v[0]
		}
	}
	s, err := mod.m.RSVP(e.Auth, id, answers)
	if err != nil {
		p, ok := problems.Explain(err)
		if !ok || p.Status == http.StatusNotFound {
			return problems.Show(err)
		}
		ev, ferr := mod.m.Find(e.Auth, id)
		if ferr != nil {
			return problems.Show(ferr)
		}
		page, perr := mod.eventPage(e, ev)
		if perr != nil {
			return perr
		}
		page.Error, page.Errors, page.Answers = p.Key, p.Fields, map[string]string{}
		for i, q := range page.Event.Questions { // the form shows what was typed, by question
			page.Answers[q.Label] = answers[fmt.Sprintf("q%d", i)]
		}
		return mod.deps.UI.Render(e, p.Status, "meetups/event", page)
	}
	mod.deps.UI.Flash(e, "meetups.rsvp_"+s.Status)
	return e.Redirect(http.StatusSeeOther, "/meetups/"+id+"#rsvp")
}

// cancelForm: POST /meetups/{id}/cancel.
func (mod *Module) cancelForm(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	if err := mod.m.Cancel(e.Auth, id); err != nil {
		return problems.Show(err)
	}
	mod.deps.UI.Flash(e, "meetups.cancelled_flash")
	return e.Redirect(http.StatusSeeOther, "/meetups/"+id)
}

// confirmForm: POST /meetups/{id}/confirm, the seat offered.
func (mod *Module) confirmForm(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	if err := mod.m.ConfirmOffer(e.Auth, id); err != nil {
		return problems.Show(err)
	}
	mod.deps.UI.Flash(e, "meetups.rsvp_going")
	return e.Redirect(http.StatusSeeOther, "/meetups/"+id+"/ticket")
}

// TicketPage is a member's ticket.
type TicketPage struct {
	Event EventView
	Code  string
	Name  string
}

func (mod *Module) ticket(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	ev, err := mod.m.Find(e.Auth, id)
	if err != nil {
		return problems.Show(err)
	}
	code, err := mod.m.Ticket(e.Auth.Id, id)
	if err != nil {
		return problems.Show(err)
	}
	return mod.deps.UI.Render(e, http.StatusOK, "meetups/ticket", TicketPage{Event: mod.view(e, ev), Code: strings.ToUpper(code), Name: e.Auth.GetString("name")})
}

// ticketPNG: the member's ticket as a QR code.
func (mod *Module) ticketPNG(e *core.RequestEvent) error {
	code, err := mod.m.Ticket(e.Auth.Id, e.Request.PathValue("id"))
	if err != nil {
		return e.NotFoundError("", nil)
	}
	png, err := QR(code, 360)
	if err != nil {
		return err
	}
	e.Response.Header().Set("Cache-Control", "private, no-store")
	return e.Blob(http.StatusOK, "image/png", png)
}

// MyPage is /meetups/my: the member's events and calendar link.
type MyPage struct {
	Events []EventCard
	Feed   string
}

func (mod *Module) my(e *core.RequestEvent) error {
	evs, _, err := mod.m.MyEvents(e.Auth.Id)
	if err != nil {
		return err
	}
	token, err := mod.m.FeedToken(e.Auth.Id, false)
	if err != nil {
		return err
	}
	return mod.deps.UI.Render(e, http.StatusOK, "meetups/my", MyPage{Events: mod.cards(e, evs),
		Feed: strings.TrimRight(mod.deps.PublicURL, "/") + "/meetups/my/calendar/" + token + ".ics"})
}

// renewFeed: POST /meetups/my/calendar makes a new private link (the old
// one stops working).
func (mod *Module) renewFeed(e *core.RequestEvent) error {
	if _, err := mod.m.FeedToken(e.Auth.Id, true); err != nil {
		return err
	}
	mod.deps.UI.Flash(e, "meetups.feed_renewed")
	return e.Redirect(http.StatusSeeOther, "/meetups/my")
}

// myICS: GET /meetups/my/calendar/{token}.ics, a member's events for their
// calendar app (the token is the key: calendar apps send no cookie).
func (mod *Module) myICS(e *core.RequestEvent) error {
	member, ok := mod.m.FeedOwner(strings.TrimSuffix(e.Request.PathValue("token"), ".ics"))
	if !ok {
		return e.NotFoundError("", nil)
	}
	evs, _, err := mod.m.MyEvents(member)
	if err != nil {
		return err
	}
	return mod.ics(e, mod.deps.UI.T(e, "meetups.my_title"), evs)
}

// Honour is an invitation shown on a profile.
type Honour struct {
	ID, Title, Kind string
	Date            time.Time
}

// ProfileHonours is a profile's block: launch and gala invitations, and the
// member's clubs.
type ProfileHonours struct {
	Honours []Honour
	Clubs   []ClubRef
}

func (mod *Module) profileHonours(e *core.RequestEvent, member *core.Record) (any, error) {
	var rows []struct {
		ID     string `db:"id"`
		Title  string `db:"title"`
		Kind   string `db:"kind"`
		Starts string `db:"starts"`
	}
	err := mod.m.app.DB().NewQuery(`SELECT ev.id AS id, ev.title AS title, ev.kind AS kind, ev.starts AS starts FROM ` + Invites + ` i
		JOIN ` + Events + ` ev ON ev.id = i.event WHERE i.member = {:m} AND ev.status = 'published' ORDER BY ev.starts DESC LIMIT 20`).
		Bind(dbx.Params{"m": member.Id}).All(&rows)
	if err != nil {
		return nil, err
	}
	out := &ProfileHonours{}
	for _, r := range rows {
		t, _ := time.Parse("2006-01-02 15:04:05.000Z", r.Starts)
		out.Honours = append(out.Honours, Honour{ID: r.ID, Title: r.Title, Kind: r.Kind, Date: t})
	}
	clubs, err := mod.m.ClubsOf(member.Id)
	if err != nil {
		return nil, err
	}
	for _, c := range clubs {
		out.Clubs = append(out.Clubs, ClubRef{ID: c.Id, Slug: c.GetString("slug"), Name: c.GetString("name"), City: c.GetString("city")})
	}
	if len(out.Honours) == 0 && len(out.Clubs) == 0 {
		return nil, nil
	}
	return out, nil
}
