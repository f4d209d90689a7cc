// Package belonging is what makes members feel they belong: points earned
// by taking part and spent in a rewards store, titles by account age,
// badges and year medals, VIP after a verified purchase with its perks, the
// playbook's four segments, leaderboards, and the staff's insights page
// (the participation funnel week by week, the staff temperature beside
// it, the segments over time). It binds to the other modules' events and
// works with whichever are switched on.
package belonging

import (
	"embed"
	"net/http"
	"strings"

	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/hooks"
	"github.com/canyu/canyu/platform"
	"github.com/canyu/canyu/ui"
)

//go:embed templates/*.html locales static
var embedded embed.FS

// Deps are what the belonging module needs: the platform's.
type Deps = platform.Deps

// Module is the belonging module.
type Module struct {
	cfg                   Config
	deps                  Deps
	b                     *Belonging
	visits                *Visits
	redeem, member, staff ui.Budget
}

// New returns the module; Register binds it to an app.
func New(cfg Config, deps Deps) *Module {
	l := cfg.Limits
	return &Module{cfg: cfg, deps: deps, visits: &Visits{}, redeem: l.Redeem.MustBudget(), member: l.Member.MustBudget(), staff: l.Staff.MustBudget()}
}

// Name returns "belonging".
func (mod *Module) Name() string { return "belonging" }

// Paths are where the module's pages live.
func (mod *Module) Paths() []string {
	return []string{"/points", "/badges", "/leaderboard", "/insights"}
}

// Belonging returns the domain logic (available after Register).
func (mod *Module) Belonging() *Belonging { return mod.b }

// Coin is the points' icon in the top bar.
var Coin = ui.Icon{"M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18z", "M14.5 9.5c-.5-1-1.4-1.5-2.5-1.5-1.7 0-2.5 1-2.5 2s.8 1.6 2.5 2 2.5 1 2.5 2-.8 2-2.5 2c-1.1 0-2-.5-2.5-1.5", "M12 6.5v1.5M12 16v1.5"}

// Register binds the module to the other modules' events, answers the
// perks and titles questions, and adds its pages, crons and counters.
func (mod *Module) Register(app core.App) error {
	mod.b = &Belonging{app: app, cfg: mod.cfg, now: mod.deps.Now, loc: mod.deps.UI.Location(), events: mod.deps.Events, pub: mod.deps.Live}
	if err := mod.deps.UI.AddModule("belonging", embedded); err != nil {
		return err
	}
	mod.bindEvents(app)
	for _, k := range []hooks.NotificationKind{{Key: NoteBadge, Label: "belonging.note_badge"}, {Key: NoteRedemption, Label: "belonging.note_redemption"},
		{Key: NoteVIP, Label: "belonging.note_vip"}} {
		mod.deps.Events.DeclareNotification(k)
	}
	mod.deps.UI.AddNav(ui.NavItem{Path: "/points/store", Label: "belonging.nav", Order: 40})
	mod.deps.UI.AddMemberLink(ui.MemberLink{Path: "/points", Label: "belonging.my_points", Icon: Coin, Live: "member:%s.points",
		Count: func(e *core.RequestEvent) int { p, _ := mod.b.Balance(e.Auth.Id); return p }})
	mod.deps.UI.AddProfileSection(ui.ProfileSection{Page: "belonging/profile_section", Order: 10, Data: mod.profileSection})
	mod.deps.UI.AddHomeSection(ui.HomeSection{Page: "belonging/home_leaders", Order: 30, Data: mod.homeLeaders})
	app.Cron().MustAdd("canyuBelongingNightly", "30 3 * * *", func() {
		if err := mod.b.Nightly(); err != nil {
			app.Logger().Error("belonging: nightly", "error", err)
		}
	})
	app.Cron().MustAdd("canyuBelongingVisits", "* * * * *", func() {
		if err := mod.visits.flush(app); err != nil {
			app.Logger().Error("belonging: visits", "error", err)
		}
	})
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		se.Router.BindFunc(func(e *core.RequestEvent) error {
			if countable(e.Request) {
				member := ""
				if e.Auth != nil {
					member = e.Auth.Id
				}
				mod.visits.See(mod.deps.Now(), mod.b.loc, e.RealIP(), e.Request.UserAgent(), member)
			}
			return e.Next()
		})
		mod.deps.UI.Mount(se.Router, mod.routes())
		return se.Next()
	})
	return nil
}

// bindEvents turns the other modules' events into acts (and points, and
// badges), and answers the questions modules ask.
func (mod *Module) bindEvents(app core.App) {
	ev, b := mod.deps.Events, mod.b
	act := func(member, action, source string, also ...func(tx core.App) error) {
		if member == "" {
			return
		}
		if _, err := b.Act(member, action, source, mod.deps.Now(), also...); err != nil {
			app.Logger().Error("belonging: act", "action", action, "source", source, "error", err)
		}
	}
	ev.TopicCreated.BindFunc(func(e *hooks.TopicEvent) error {
		act(e.Member, ActTopic, e.Source)
		return e.Next()
	})
	ev.MeTooPressed.BindFunc(func(e *hooks.TopicEvent) error {
		act(e.Author, ActMeTooGot, e.Source)
		act(e.Member, ActMeToo, e.Source)
		return e.Next()
	})
	ev.NeedStatusChanged.BindFunc(func(e *hooks.NeedEvent) error {
		if e.To == "shipped" && e.Topic != nil {
			act(e.Topic.GetString("author"), ActShipped, "shipped:"+e.Topic.Id)
		}
		return e.Next()
	})
	ev.ReleaseVoted.BindFunc(func(e *hooks.ReleaseEvent) error {
		act(e.Member, ActBallot, "ballot:"+e.Release+":"+e.Member)
		return e.Next()
	})
	ev.TesterAdmitted.BindFunc(func(e *hooks.TesterEvent) error {
		act(e.Member, ActTester, "tester:"+e.Product+":"+e.Member)
		return e.Next()
	})
	ev.MeetupAttended.BindFunc(func(e *hooks.MeetupEvent) error {
		act(e.Member, ActAttended, "attended:"+e.ID+":"+e.Member)
		return e.Next()
	})
	// sale.reserved is not bound: a sale's opening brings thousands of
	// reservations a second, and a write for each would slow the sale; the
	// funnel reads the reservations, the nightly backfill counts them as acts
	ev.SalePaid.BindFunc(func(e *hooks.SaleEvent) error {
		var vip []func(tx core.App) error
		if mod.cfg.VIPOnPurchase {
			vip = append(vip, func(tx core.App) error { return mod.makeVIP(tx, e.Member, "order:"+e.Order) })
		}
		act(e.Member, ActPurchase, "order:"+e.Order, vip...)
		return e.Next()
	})
	ev.Perks.BindFunc(func(q *hooks.PerkQuestion) error {
		q.Granted = q.Granted || b.HasPerk(q.Member, q.Perk)
		return q.Next()
	})
	ev.Titles.BindFunc(func(q *hooks.TitlesQuestion) error {
		st, err := b.Standings(q.Lang, q.Members...)
		if err != nil {
			return err
		}
		for id, s := range st {
			q.Titles[id] = strings.TrimSpace(s.TitleIcon + " " + s.Title)
		}
		return q.Next()
	})
}

// makeVIP makes a buyer VIP in tx and tells them, once.
func (mod *Module) makeVIP(tx core.App, member, via string) error {
	isNew, err := mod.b.MakeVIP(tx, member, via)
	if err != nil || !isNew {
		return err
	}
	return mod.deps.Events.Notify.Trigger(&hooks.NotifyEvent{App: tx, Kind: NoteVIP, To: []string{member}, Subject: "VIP",
		Link: "/points/vip", Message: "belonging.notif_vip"})
}

// problems shows the module's errors to members.
var problems = ui.Problems{
	{Err: ErrNotEnoughPoints, Status: http.StatusConflict, Key: "belonging.err_not_enough_points"},
	{Err: ErrSoldOut, Status: http.StatusConflict, Key: "belonging.err_sold_out"},
	{Err: ErrNoGift, Status: http.StatusNotFound, Key: "belonging.err_no_gift"},
	{Err: ErrReserved, Status: http.StatusForbidden, Key: "belonging.err_reserved"},
	{Err: ErrNoBadge, Status: http.StatusNotFound, Key: "belonging.err_no_badge"},
	{Err: ErrNotHeld, Status: http.StatusConflict, Key: "belonging.err_not_held"},
	{Err: ErrNoRedemption, Status: http.StatusNotFound, Key: "belonging.err_no_redemption"},
	{Err: ErrNotPending, Status: http.StatusConflict, Key: "belonging.err_not_pending"},
	{Err: ErrNoClaim, Status: http.StatusNotFound, Key: "belonging.err_no_claim"},
	{Err: ErrNoMember, Status: http.StatusNotFound, Key: "belonging.err_no_member"},
	{Err: ErrZeroGrant, Status: http.StatusBadRequest, Key: "belonging.err_zero_grant"},
}

// Problems lists how the module's errors are shown.
func (mod *Module) Problems() ui.Problems { return problems }
