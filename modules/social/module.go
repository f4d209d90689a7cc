// Package social is member to member: following members and a feed of what
// they do, blocks, direct messages between two members or a small group
// (live, with unread counts, reported to moderators when they must be),
// each member's story of the products they owned, and introductions to
// members who owned the same.
package social

import (
	"embed"
	"net/http"
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/hooks"
	"github.com/canyu/canyu/modules/internal/markdown"
	"github.com/canyu/canyu/platform"
	"github.com/canyu/canyu/ui"
)

//go:embed templates/*.html locales static
var embedded embed.FS

// Deps are what the social module needs: the platform's.
type Deps = platform.Deps

// Module is the social module.
type Module struct {
	cfg                     Config
	deps                    Deps
	s                       *Social
	md                      *markdown.Renderer
	follow, message, report ui.Budget
}

// New returns the module; Register binds it to an app.
func New(cfg Config, deps Deps) *Module {
	l := cfg.Limits
	return &Module{cfg: cfg, deps: deps, follow: l.Follow.MustBudget(), message: l.Message.MustBudget(), report: l.Report.MustBudget()}
}

// Name returns "social".
func (mod *Module) Name() string { return "social" }

// Paths are where the module's pages live.
func (mod *Module) Paths() []string { return []string{"/following", "/people", "/messages", "/story"} }

// Social returns the domain logic (available after Register).
func (mod *Module) Social() *Social { return mod.s }

// Envelope is the messages' icon in the top bar.
var Envelope = ui.Icon{"M4 6h16v12H4z", "M4 7l8 6 8-6"}

// Register adds follows, the feed, messages and stories, binds the other
// modules' events to the feed and to stories, and guards the conversations'
// live channels.
func (mod *Module) Register(app core.App) error {
	mod.s = &Social{app: app, cfg: mod.cfg, now: mod.deps.Now, events: mod.deps.Events, pub: mod.deps.Live}
	mod.md = markdown.New(mod.deps.UI.AccountLinks().MemberByName)
	if err := mod.deps.UI.AddModule("social", embedded); err != nil {
		return err
	}
	// a conversation's channel carries only its latest number, and only to
	// the members taking part
	mod.deps.Live.Allow("dm:", func(member *core.Record, channel string) bool {
		return member != nil && mod.s.TakesPart(member.Id, strings.TrimPrefix(channel, "dm:"))
	})
	for _, k := range []hooks.NotificationKind{{Key: NoteFollower, Label: "social.note_follower"}, {Key: NoteMessage, Label: "social.note_message"},
		{Key: NoteReport, Label: "social.note_report"}} {
		mod.deps.Events.DeclareNotification(k)
	}
	mod.deps.UI.AddMemberLink(ui.MemberLink{Path: "/messages", Label: "social.messages", Icon: Envelope, Live: "member:%s.messages",
		Count: func(e *core.RequestEvent) int { return mod.s.Unread(e.Auth.Id) }})
	mod.deps.UI.AddProfileSection(ui.ProfileSection{Page: "social/profile_section", Order: 5, Data: mod.profileSection})
	mod.deps.UI.AddHomeSection(ui.HomeSection{Page: "social/home_feed", Order: 5, Data: mod.homeFeed})
	mod.bindEvents(app)
	app.Cron().MustAdd("canyuSocialUnread", "* * * * *", func() {
		if _, err := mod.s.TellUnread(); err != nil {
			app.Logger().Error("social: unread messages", "error", err)
		}
	})
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		mod.deps.UI.Mount(se.Router, mod.routes())
		return se.Next()
	})
	return nil
}

// bindEvents puts what members do in their followers' feed, and a paid
// order in the buyer's story.
func (mod *Module) bindEvents(app core.App) {
	ev, s := mod.deps.Events, mod.s
	log := func(err error) {
		if err != nil {
			app.Logger().Error("social: feed", "error", err)
		}
	}
	ev.TopicCreated.BindFunc(func(e *hooks.TopicEvent) error {
		log(s.record(e.Author, "topic", e.Title, "/forum/t/"+e.Topic, "topic:"+e.Topic))
		return e.Next()
	})
	ev.TesterAdmitted.BindFunc(func(e *hooks.TesterEvent) error {
		log(s.record(e.Member, "tester", e.Product, "/releases/testers?product="+e.Product, "tester:"+e.Product+":"+e.Member))
		return e.Next()
	})
	ev.MeetupAttended.BindFunc(func(e *hooks.MeetupEvent) error {
		log(s.record(e.Member, "attended", e.Title, "/meetups/"+e.ID, "attended:"+e.ID+":"+e.Member))
		return e.Next()
	})
	ev.BadgeAwarded.BindFunc(func(e *hooks.BadgeEvent) error {
		log(s.record(e.Member, "badge", e.Name, "/badges/"+e.Badge, "badge:"+e.Badge+":"+e.Member))
		return e.Next()
	})
	ev.SalePaid.BindFunc(func(e *hooks.SaleEvent) error {
		// the product as members know it (the sales module's collection, read only)
		var name string
		if e.Product != "" {
			_ = app.DB().NewQuery("SELECT name FROM sales_products WHERE id = {:id}").Bind(dbx.Params{"id": e.Product}).Row(&name)
		}
		if name != "" {
			log(s.owned(app, e.Member, name, mod.deps.Now().In(mod.deps.UI.Location()).Year(), "", true))
		}
		return e.Next()
	})
}

// problems shows the module's errors to members.
var problems = ui.Problems{
	{Err: ErrNoMember, Status: http.StatusNotFound, Key: "social.err_no_member"},
	{Err: ErrSelf, Status: http.StatusBadRequest, Key: "social.err_self"},
	{Err: ErrBlocked, Status: http.StatusForbidden, Key: "social.err_blocked"},
	{Err: ErrNoConversation, Status: http.StatusNotFound, Key: "social.err_no_conversation"},
	{Err: ErrTooMany, Status: http.StatusBadRequest, Key: "social.err_too_many"},
	{Err: ErrEmpty, Status: http.StatusBadRequest, Key: "social.err_empty"},
	{Err: ErrTooLong, Status: http.StatusBadRequest, Key: "social.err_too_long"},
	{Err: ErrNewAccount, Status: http.StatusTooManyRequests, Key: "social.err_new_account"},
	{Err: ErrNoMessage, Status: http.StatusNotFound, Key: "social.err_no_message"},
}

// Problems lists how the module's errors are shown.
func (mod *Module) Problems() ui.Problems { return problems }
