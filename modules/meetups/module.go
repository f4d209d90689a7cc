// Package meetups is Popcorn: city clubs with their presidents, officers,
// members and albums; official meetups, club meetups, the yearly gala and
// launch events with capacity, approval, invitations, a waitlist that
// promotes itself, signed tickets with QR codes, check-in at the door,
// calendar feeds, reminders, live counters and, afterwards, photos, a recap
// and who was there.
package meetups

import (
	"embed"
	"net/http"
	"strings"

	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/hooks"
	"github.com/canyu/canyu/modules/internal/markdown"
	"github.com/canyu/canyu/platform"
	"github.com/canyu/canyu/ui"
)

//go:embed templates/*.html locales static
var embedded embed.FS

// Deps are what the meetups module needs: the platform's.
type Deps = platform.Deps

// Module is the meetups module.
type Module struct {
	cfg                           Config
	deps                          Deps
	m                             *Meetups
	md                            *markdown.Renderer
	rsvp, join, checkin, organize ui.Budget
}

// New returns the module; Register binds it to an app.
func New(cfg Config, deps Deps) *Module {
	l := cfg.Limits
	return &Module{cfg: cfg, deps: deps, rsvp: l.RSVP.MustBudget(), join: l.Join.MustBudget(), checkin: l.Checkin.MustBudget(),
		organize: l.Organize.MustBudget()}
}

// Name returns "meetups".
func (mod *Module) Name() string { return "meetups" }

// Paths are where the module's pages live.
func (mod *Module) Paths() []string { return []string{"/meetups", "/clubs"} }

// Meetups returns the domain logic (available after Register).
func (mod *Module) Meetups() *Meetups { return mod.m }

// Register adds Popcorn: pages, API, calendars, the offers' and reminders'
// crons, the live counters and the notifications it sends.
func (mod *Module) Register(app core.App) error {
	mod.m = &Meetups{app: app, cfg: mod.cfg, now: mod.deps.Now, events: mod.deps.Events, pub: mod.deps.Live, loc: mod.deps.UI.Location()}
	mod.md = markdown.New(mod.deps.UI.AccountLinks().MemberByName)
	if err := mod.deps.UI.AddModule("meetups", embedded); err != nil {
		return err
	}
	mod.deps.Live.Allow("meetup:", func(member *core.Record, channel string) bool {
		_, err := mod.m.Find(member, strings.TrimPrefix(channel, "meetup:"))
		return err == nil
	})
	for _, k := range []hooks.NotificationKind{{Key: NoteSeat, Label: "meetups.note_seat"}, {Key: NoteInvite, Label: "meetups.note_invite"},
		{Key: NoteClub, Label: "meetups.note_club"}} {
		mod.deps.Events.DeclareNotification(k)
	}
	mod.deps.UI.AddNav(ui.NavItem{Path: "/meetups", Label: "meetups.nav", Order: 30})
	mod.deps.UI.AddHomeSection(ui.HomeSection{Page: "meetups/home_events", Order: 12, Data: mod.homeEvents})
	mod.deps.UI.AddProfileSection(ui.ProfileSection{Page: "meetups/profile_honours", Order: 20, Data: mod.profileHonours})
	mod.bindCounters(app)
	app.Cron().MustAdd("canyuMeetupsOffers", "* * * * *", func() {
		if _, err := mod.m.ExpireOffers(); err != nil {
			app.Logger().Error("meetups: offers", "error", err)
		}
	})
	app.Cron().MustAdd("canyuMeetupsReminders", "7 * * * *", func() {
		if _, err := mod.SendReminders(); err != nil {
			app.Logger().Error("meetups: reminders", "error", err)
		}
	})
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		mod.deps.UI.Mount(se.Router, mod.routes())
		return se.Next()
	})
	return nil
}

// SendReminders emails tomorrow's attendees (the cron runs it hourly).
func (mod *Module) SendReminders() (int, error) {
	return mod.m.SendReminders(mod.deps.UI.Catalog, mod.deps.UI.DefaultLang(), mod.deps.AppName, strings.TrimRight(mod.deps.PublicURL, "/"))
}

// problems shows the module's errors to members.
var problems = ui.Problems{
	{Err: ErrNotFound, Status: http.StatusNotFound, Key: "meetups.err_not_found"},
	{Err: ErrNoClub, Status: http.StatusNotFound, Key: "meetups.err_no_club"},
	{Err: ErrNotOrganizer, Status: http.StatusForbidden, Key: "meetups.err_not_organizer"},
	{Err: ErrNotStaff, Status: http.StatusForbidden, Key: "meetups.err_not_staff"},
	{Err: ErrClosed, Status: http.StatusConflict, Key: "meetups.err_closed"},
	{Err: ErrNotOpenYet, Status: http.StatusConflict, Key: "meetups.err_not_open_yet"},
	{Err: ErrInviteOnly, Status: http.StatusForbidden, Key: "meetups.err_invite_only"},
	{Err: ErrDeclined, Status: http.StatusForbidden, Key: "meetups.err_declined"},
	{Err: ErrNoRSVP, Status: http.StatusConflict, Key: "meetups.err_no_rsvp"},
	{Err: ErrNoOffer, Status: http.StatusConflict, Key: "meetups.err_no_offer"},
	{Err: ErrOfferLapsed, Status: http.StatusConflict, Key: "meetups.err_offer_lapsed"},
	{Err: ErrBadTicket, Status: http.StatusBadRequest, Key: "meetups.err_bad_ticket"},
	{Err: ErrOtherEvent, Status: http.StatusConflict, Key: "meetups.err_other_event"},
	{Err: ErrTicketUsed, Status: http.StatusConflict, Key: "meetups.err_ticket_used"},
	{Err: ErrNotGoing, Status: http.StatusConflict, Key: "meetups.err_not_going"},
	{Err: ErrNotAttendee, Status: http.StatusForbidden, Key: "meetups.err_not_attendee"},
	{Err: ErrNotClubMember, Status: http.StatusForbidden, Key: "meetups.err_not_club_member"},
	{Err: ErrEventOver, Status: http.StatusConflict, Key: "meetups.err_event_over"},
}

// Problems lists how the module's errors are shown.
func (mod *Module) Problems() ui.Problems { return problems }
