package main

import (
	"fmt"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/config"
	"github.com/canyu/canyu/hooks"
	"github.com/canyu/canyu/modules/forum"
	"github.com/canyu/canyu/modules/live"
	"github.com/canyu/canyu/modules/members"
	"github.com/canyu/canyu/modules/plugins"
	"github.com/canyu/canyu/modules/sales"
	"github.com/canyu/canyu/modules/webhooks"
	"github.com/canyu/canyu/ui"
)

// module is what every feature package under modules/ provides.
type module interface {
	Name() string
	Register(app core.App) error
}

// demoSeeder is implemented by modules that add to the demo community.
type demoSeeder interface {
	SeedDemo(app core.App) error
}

// Overrides replace real dependencies in tests (a fixed clock, a fake SMS
// gateway). The zero value means production.
type Overrides struct {
	Now func() time.Time
	SMS members.SMSSender
}

// Modules is the wired process: the shell, the event catalogue and the
// enabled modules in registration order.
type Modules struct {
	UI     *ui.Shell
	Events *hooks.Events
	List   []module
	// Live is the live-counters hub, nil when switched off. Modules that
	// publish counters receive it as their own small Publisher interface.
	Live *live.Module
}

// wire builds the shell and the enabled modules and registers them on app.
// This list is the one place that says which features Canyu has.
func wire(app core.App, cfg config.Config, o Overrides) (*Modules, error) {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	shell, err := ui.New(cfg.UI, ui.Deps{AppName: cfg.App.Name, PublicURL: cfg.App.PublicURL, Now: now, Limits: cfg.Limits})
	if err != nil {
		return nil, err
	}
	events := hooks.New()
	mods := &Modules{UI: shell, Events: events}

	// one publisher for every module: the hub, or a stand-in that drops
	// what is published when live counters are off
	var pub interface {
		Publish(channel string, values map[string]any)
		Allow(prefix string, rule live.Rule)
	} = live.Off{}
	if cfg.Live.Enabled {
		mods.Live = live.New(cfg.Live, live.Deps{PublicURL: cfg.App.PublicURL, Events: events})
		mods.List = append(mods.List, mods.Live)
		pub = mods.Live
	}
	if cfg.Members.Enabled {
		mods.List = append(mods.List, members.New(cfg.Members, members.Deps{Events: events, UI: shell, Now: now, SMS: o.SMS, PublicURL: cfg.App.PublicURL}))
	}
	if cfg.Forum.Enabled {
		mods.List = append(mods.List, forum.New(cfg.Forum, forum.Deps{Events: events, UI: shell, Now: now, Live: pub,
			AppName: cfg.App.Name, PublicURL: cfg.App.PublicURL}))
	}
	if cfg.Sales.Enabled {
		mods.List = append(mods.List, sales.New(cfg.Sales, sales.Deps{Events: events, UI: shell, Now: now, Live: pub,
			AppName: cfg.App.Name, PublicURL: cfg.App.PublicURL}))
	}

	if cfg.Plugins.Enabled {
		mods.List = append(mods.List, plugins.New(cfg.Plugins, plugins.Deps{Events: events}))
	}
	if cfg.Webhooks.Enabled {
		mods.List = append(mods.List, webhooks.New(cfg.Webhooks, webhooks.Deps{Events: events, Now: now}))
	}

	for _, m := range mods.List {
		if err := m.Register(app); err != nil {
			return nil, fmt.Errorf("module %s: %w", m.Name(), err)
		}
	}
	if err := shell.Register(app); err != nil {
		return nil, err
	}
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		applySettings(se.App, cfg)
		return se.Next()
	})
	return mods, nil
}

// applySettings copies the configured name and URL into PocketBase's settings
// (used in emails) while an admin has not changed them in the dashboard.
func applySettings(app core.App, cfg config.Config) {
	s := app.Settings()
	changed := false
	if s.Meta.AppName == "Acme" || s.Meta.AppName == "" {
		s.Meta.AppName = cfg.App.Name
		changed = true
	}
	if s.Meta.AppURL == "http://localhost:8090" || s.Meta.AppURL == "" {
		s.Meta.AppURL = cfg.App.PublicURL
		changed = true
	}
	if changed {
		if err := app.Save(s); err != nil {
			app.Logger().Warn("could not store the app name and URL in the settings", "error", err)
		}
	}
}

// seedDemo lets every enabled module add its part of the demo community.
func seedDemo(app core.App, mods *Modules) error {
	for _, m := range mods.List {
		if s, ok := m.(demoSeeder); ok {
			if err := s.SeedDemo(app); err != nil {
				return fmt.Errorf("demo %s: %w", m.Name(), err)
			}
		}
	}
	return nil
}
