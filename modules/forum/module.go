package forum

import (
	"embed"
	"net/http"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"github.com/canyu/canyu/modules/internal/markdown"
	"github.com/canyu/canyu/modules/internal/viewcache"
	"github.com/canyu/canyu/platform"
	"github.com/canyu/canyu/ui"
)

//go:embed templates/*.html locales static
var embedded embed.FS

// Deps are what the module needs from the process.
type Deps = platform.Deps

// Module is the forum module.
type Module struct {
	cfg    Config
	deps   Deps
	forum  *Forum
	md     *markdown.Renderer
	topics *viewcache.Cache[TopicPage] // keyed by the topic's counters and last change
	boards *viewcache.Cache[BoardPage] // a one-second micro-cache: counters in lists are live anyway
}

// New returns the module; Register binds it to an app.
func New(cfg Config, deps Deps) *Module {
	if deps.Now == nil {
		deps.Now = time.Now
	}
	return &Module{cfg: cfg, deps: deps,
		topics: viewcache.New[TopicPage](time.Minute, 2048, deps.Now),
		boards: viewcache.New[BoardPage](time.Second, 512, deps.Now)}
}

// Name returns "forum".
func (m *Module) Name() string { return "forum" }

// Forum returns the domain logic (available after Register).
func (m *Module) Forum() *Forum { return m.forum }

// Register adds the forum's pages, strings, routes and navigation.
func (m *Module) Register(app core.App) error {
	// mentions link to profiles when an accounts module says where they are
	m.md = markdown.New(m.deps.UI.AccountLinks().MemberByName)
	m.forum = &Forum{app: app, now: m.deps.Now, pub: m.deps.Live, events: m.deps.Events,
		newAge: m.cfg.NewAccountAge, newPerDay: m.cfg.NewAccountTopics}
	if err := m.deps.UI.AddModule("forum", embedded); err != nil {
		return err
	}
	m.deps.Live.Allow("topic:", m.forum.followTopic)
	m.deps.UI.AddNav(ui.NavItem{Path: "/forum", Label: "forum.nav", Order: 10})
	m.deps.UI.AddNav(ui.NavItem{Path: "/forum/roadmap", Label: "forum.roadmap", Order: 11})
	m.declareNotifications()
	m.deps.Events.Digest.BindFunc(m.digestSection)
	m.deps.Events.ReleasePublished.BindFunc(m.onReleasePublished)
	m.deps.UI.AddHomeSection(ui.HomeSection{Page: "forum/home_hot", Order: 10, Data: m.homeHot})
	// an edited, hidden or deleted reply changes its topic's page: touch the
	// topic so cached views keyed by its "updated" go stale
	touch := func(e *core.RecordEvent) error {
		if _, err := e.App.DB().NewQuery("UPDATE " + Topics + " SET updated = {:now} WHERE id = {:t}").
			Bind(dbx.Params{"t": e.Record.GetString("topic"), "now": types.NowDateTime().String()}).Execute(); err != nil {
			return err
		}
		return e.Next()
	}
	app.OnRecordAfterUpdateSuccess(Posts).BindFunc(touch)
	m.bindEdits(app)
	m.bindRESTGuards(app)
	app.OnRecordAfterDeleteSuccess(Posts).BindFunc(touch)
	// every Monday just after midnight (UTC), keep the top needs of the week that ended
	app.Cron().MustAdd("canyuForumWeekly", "5 0 * * 1", func() {
		if _, err := m.forum.SnapshotWeek(); err != nil {
			app.Logger().Error("forum: weekly snapshot", "error", err)
		}
	})
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		m.deps.UI.Mount(se.Router, m.routes())
		return se.Next()
	})
	return nil
}

// problems shows the forum's domain errors to members.
var problems = ui.Problems{
	{Err: ErrUnknownBoard, Status: http.StatusNotFound, Key: "forum.err_unknown_board"},
	{Err: ErrTopicNotFound, Status: http.StatusNotFound, Key: "forum.err_topic_not_found"},
	{Err: ErrPostNotFound, Status: http.StatusNotFound, Key: "forum.err_post_not_found"},
	{Err: ErrNotYours, Status: http.StatusForbidden, Key: "forum.err_not_yours"},
	{Err: ErrBadReaction, Status: http.StatusBadRequest, Key: "forum.err_reaction"},
	{Err: ErrKindNotAllowed, Status: http.StatusBadRequest, Key: "forum.err_kind"},
	{Err: ErrStaffOnly, Status: http.StatusForbidden, Key: "forum.err_staff_only"},
	{Err: ErrLocked, Status: http.StatusForbidden, Key: "forum.err_locked"},
	{Err: ErrNotMeTooable, Status: http.StatusBadRequest, Key: "forum.err_not_metooable"},
	{Err: ErrUnsafeMarkdown, Status: http.StatusBadRequest, Key: "forum.err_unsafe"},
	{Err: ErrBadStatus, Status: http.StatusBadRequest, Key: "forum.err_status"},
	{Err: ErrNotPoll, Status: http.StatusBadRequest, Key: "forum.err_not_poll"},
	{Err: ErrPollClosed, Status: http.StatusConflict, Key: "forum.err_poll_closed"},
	{Err: ErrVoted, Status: http.StatusConflict, Key: "forum.err_voted"},
	{Err: ErrBadChoice, Status: http.StatusBadRequest, Key: "forum.err_choice"},
	{Err: ErrBadMerge, Status: http.StatusBadRequest, Key: "forum.err_merge"},
	{Err: ErrNotModerator, Status: http.StatusForbidden, Key: "forum.err_not_moderator"},
	{Err: ErrBadAction, Status: http.StatusBadRequest, Key: "forum.err_action"},
	{Err: ErrAlreadyReported, Status: http.StatusConflict, Key: "forum.err_reported"},
	{Err: ErrNewAccount, Status: http.StatusTooManyRequests, Key: "forum.err_new_account"},
}

// Problems lists how the forum's errors are shown (a test checks every key
// is in both languages).
func (m *Module) Problems() ui.Problems { return problems }
