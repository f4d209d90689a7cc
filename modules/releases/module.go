package releases

import (
	"embed"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/hooks"
	"github.com/canyu/canyu/modules/internal/card"
	"github.com/canyu/canyu/modules/internal/markdown"
	"github.com/canyu/canyu/modules/internal/viewcache"
	"github.com/canyu/canyu/platform"
	"github.com/canyu/canyu/ui"
)

//go:embed templates/*.html locales static
var embedded embed.FS

// Deps are what the releases module needs: the platform's.
type Deps = platform.Deps

// Module is the releases module.
type Module struct {
	cfg                Config
	deps               Deps
	r                  *Release
	md                 *markdown.Renderer
	fonts              *card.Fonts
	cards              card.Cache
	views              *viewcache.Cache[cachedRelease] // the release page's shared part
	news               *viewcache.Cache[NewsRelease]   // releases as the "what's new" JSON gives them
	vote, apply, staff ui.Budget
}

// New returns the module; Register binds it to an app.
func New(cfg Config, deps Deps) *Module {
	return &Module{cfg: cfg, deps: deps, fonts: card.NewFonts(cfg.CardFont), views: viewcache.New[cachedRelease](30*time.Second, 256, deps.Now),
		news: viewcache.New[NewsRelease](time.Minute, 512, deps.Now),
		vote: cfg.Limits.Vote.MustBudget(), apply: cfg.Limits.Apply.MustBudget(), staff: cfg.Limits.Staff.MustBudget()}
}

// Name returns "releases".
func (m *Module) Name() string { return "releases" }

// Releases returns the domain logic (available after Register).
func (m *Module) Releases() *Release { return m.r }

// Register adds Orange Friday: pages, API, feeds, the publishing cron, the
// live tallies and the notifications it sends.
func (m *Module) Register(app core.App) error {
	m.r = &Release{app: app, cfg: m.cfg, now: m.deps.Now, events: m.deps.Events, pub: m.deps.Live,
		loc: m.cfg.location(m.deps.UI.Location())}
	m.md = markdown.New(m.deps.UI.AccountLinks().MemberByName)
	if err := m.deps.UI.AddModule("releases", embedded); err != nil {
		return err
	}
	m.deps.Live.Allow("release:", func(member *core.Record, channel string) bool {
		_, err := m.r.Find(member, strings.TrimPrefix(channel, "release:"))
		return err == nil
	})
	m.deps.Events.DeclareNotification(hooks.NotificationKind{Key: NoteAdmitted, Label: "releases.note_admitted"})
	m.deps.Events.DeclareNotification(hooks.NotificationKind{Key: NoteIdle, Label: "releases.note_idle"})
	m.deps.UI.AddNav(ui.NavItem{Path: "/releases", Label: "releases.nav", Order: 15})
	m.deps.UI.AddHomeSection(ui.HomeSection{Page: "releases/home_latest", Order: 8, Data: m.homeLatest})
	// scheduled releases go out on the minute
	app.Cron().MustAdd("canyuReleasesPublish", "* * * * *", func() {
		if _, err := m.r.PublishDue(); err != nil {
			app.Logger().Error("releases: publish", "error", err)
		}
	})
	m.bindCounters(app)
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		m.deps.UI.Mount(se.Router, m.routes())
		return se.Next()
	})
	return nil
}

// problems shows the module's errors to members.
var problems = ui.Problems{
	{Err: ErrNotFound, Status: 404, Key: "releases.err_not_found"},
	{Err: ErrNoProduct, Status: 404, Key: "releases.err_no_product"},
	{Err: ErrPublished, Status: 409, Key: "releases.err_published"},
	{Err: ErrNotUpgraded, Status: 403, Key: "releases.err_not_upgraded"},
	{Err: ErrVotingClosed, Status: 409, Key: "releases.err_voting_closed"},
	{Err: ErrBadItem, Status: 400, Key: "releases.err_bad_item"},
	{Err: ErrSameItem, Status: 400, Key: "releases.err_same_item"},
	{Err: ErrBadMood, Status: 400, Key: "releases.err_bad_mood"},
	{Err: ErrEmptyBallot, Status: 400, Key: "releases.err_empty_ballot"},
	{Err: ErrBadTopic, Status: 400, Key: "releases.err_bad_topic"},
	{Err: ErrNotTester, Status: 403, Key: "releases.err_not_tester"},
	{Err: ErrAlreadyApplied, Status: 409, Key: "releases.err_already_applied"},
	{Err: ErrWaveFull, Status: 409, Key: "releases.err_wave_full"},
	{Err: ErrBadSince, Status: 400, Key: "releases.err_bad_since"},
}

// Problems lists how the module's errors are shown.
func (m *Module) Problems() ui.Problems { return problems }
