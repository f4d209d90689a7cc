package notify

import (
	"embed"
	"sync"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/hooks"
	"github.com/canyu/canyu/platform"
	"github.com/canyu/canyu/ui"
)

//go:embed templates/*.html locales static
var embedded embed.FS

// Deps are what the notify module needs: the platform's.
type Deps = platform.Deps

// Module is the notify module.
type Module struct {
	cfg      Config
	deps     Deps
	n        *Notifier
	settings ui.Budget
	kick     chan struct{}
	stop     chan struct{}
	// sending is held while the sender runs: the app's end waits for it, so
	// a batch never runs on a closed database
	sending sync.WaitGroup
}

// Bell is the top bar's notification icon.
var Bell = ui.Icon{"M18 8a6 6 0 0 0-12 0c0 7-3 9-3 9h18s-3-2-3-9", "M13.7 21a2 2 0 0 1-3.4 0"}

// New returns the module; Register binds it to an app.
func New(cfg Config, deps Deps) *Module {
	return &Module{cfg: cfg, deps: deps, settings: cfg.Limits.Settings.MustBudget(),
		kick: make(chan struct{}, 1), stop: make(chan struct{})}
}

// Name returns "notify".
func (m *Module) Name() string { return "notify" }

// Notifier returns the domain logic (available after Register).
func (m *Module) Notifier() *Notifier { return m.n }

// Register stores the notifications other modules ask for and adds the
// center, the bell, the settings and the emails.
func (m *Module) Register(app core.App) error {
	m.n = &Notifier{app: app, now: m.deps.Now, pub: m.deps.Live, events: m.deps.Events, sent: m.wake}
	if err := m.deps.UI.AddModule("notify", embedded); err != nil {
		return err
	}
	m.deps.UI.AddMemberLink(ui.MemberLink{Path: "/notifications", Label: "notify.title", Icon: Bell,
		Live: "member:%s.unread", Count: func(e *core.RequestEvent) int { return m.n.Unread(e.Auth.Id) }})
	m.deps.Events.Notify.BindFunc(func(e *hooks.NotifyEvent) error {
		if err := m.n.store(e); err != nil {
			return err
		}
		return e.Next()
	})
	// the digests leave at digest_hour (UTC): daily ones every day, weekly
	// ones on Mondays; immediate emails a minute at the latest after their
	// notification (the sender is also woken at once)
	app.Cron().MustAdd("canyuNotifyDigests", "0 * * * *", func() {
		now := m.deps.Now().UTC()
		if now.Hour() != m.cfg.DigestHour {
			return
		}
		if _, err := m.SendDigests(false); err != nil {
			app.Logger().Error("notify: daily digests", "error", err)
		}
		if now.Weekday() == time.Monday {
			if _, err := m.SendDigests(true); err != nil {
				app.Logger().Error("notify: weekly digests", "error", err)
			}
		}
	})
	app.Cron().MustAdd("canyuNotifyImmediate", "* * * * *", func() { m.wake() })
	app.Cron().MustAdd("canyuNotifyPrune", "30 3 * * *", func() {
		if _, err := m.n.Prune(m.cfg.Keep); err != nil {
			app.Logger().Error("notify: prune", "error", err)
		}
	})
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		m.deps.UI.Mount(se.Router, m.routes())
		m.sending.Add(1)
		go m.sender(app)
		return se.Next()
	})
	app.OnTerminate().BindFunc(func(e *core.TerminateEvent) error {
		select {
		case <-m.stop:
		default:
			close(m.stop)
		}
		m.sending.Wait()
		return e.Next()
	})
	return nil
}

// wake asks the sender to look for immediate emails.
func (m *Module) wake() {
	select {
	case m.kick <- struct{}{}:
	default:
	}
}

// sender sends immediate emails when woken, until the app stops.
func (m *Module) sender(app core.App) {
	defer m.sending.Done()
	for {
		select {
		case <-m.stop:
			return
		case <-m.kick:
			if _, err := m.SendImmediate(); err != nil {
				app.Logger().Error("notify: immediate emails", "error", err)
			}
		}
	}
}

// problems shows the notify module's errors to members.
var problems = ui.Problems{
	{Err: ErrNotFound, Status: 404, Key: "notify.err_not_found"},
	{Err: ErrBadMode, Status: 400, Key: "notify.err_bad_mode"},
	{Err: ErrBadKind, Status: 400, Key: "notify.err_bad_kind"},
}

// Problems lists how the notify module's errors are shown.
func (m *Module) Problems() ui.Problems { return problems }
