package main

import (
	"fmt"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/cluster"
	"github.com/canyu/canyu/config"
	"github.com/canyu/canyu/hooks"
	"github.com/canyu/canyu/modules/belonging"
	"github.com/canyu/canyu/modules/forum"
	"github.com/canyu/canyu/modules/live"
	"github.com/canyu/canyu/modules/meetups"
	"github.com/canyu/canyu/modules/members"
	"github.com/canyu/canyu/modules/notify"
	"github.com/canyu/canyu/modules/plugins"
	"github.com/canyu/canyu/modules/releases"
	"github.com/canyu/canyu/modules/sales"
	"github.com/canyu/canyu/modules/social"
	"github.com/canyu/canyu/modules/webhooks"
	"github.com/canyu/canyu/platform"
	"github.com/canyu/canyu/ui"
)

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
	List   []platform.Module
	// Live is the live-counters hub, nil when switched off. Modules reach it
	// through platform.Deps.Live.
	Live *live.Module
}

// add appends the module make builds when the module is switched on.
func (m *Modules) add(on bool, make func() platform.Module) {
	if on {
		m.List = append(m.List, make())
	}
}

// wire builds the shell and the enabled modules and registers them on app.
// This list is the one place that says which features Canyu has: a module
// is one line here and a section of the configuration.
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
	p := platform.Deps{Events: events, UI: shell, Now: now, Live: live.Off{}, AppName: cfg.App.Name, PublicURL: cfg.App.PublicURL}
	if cfg.Live.Enabled {
		mods.Live = live.New(cfg.Live, p)
		p.Live = mods.Live // one publisher for every module
	}

	mods.add(cfg.Live.Enabled, func() platform.Module { return mods.Live })
	mods.add(cfg.Members.Enabled, func() platform.Module { return members.New(cfg.Members, members.Deps{Deps: p, SMS: o.SMS}) })
	mods.add(cfg.Notify.Enabled, func() platform.Module { return notify.New(cfg.Notify, p) })
	mods.add(cfg.Forum.Enabled, func() platform.Module { return forum.New(cfg.Forum, p) })
	mods.add(cfg.Sales.Enabled, func() platform.Module { return sales.New(cfg.Sales, sales.Deps{Deps: p}) })
	mods.add(cfg.Releases.Enabled, func() platform.Module { return releases.New(cfg.Releases, p) })
	mods.add(cfg.Meetups.Enabled, func() platform.Module { return meetups.New(cfg.Meetups, p) })
	mods.add(cfg.Belonging.Enabled, func() platform.Module { return belonging.New(cfg.Belonging, p) })
	mods.add(cfg.Social.Enabled, func() platform.Module { return social.New(cfg.Social, p) })
	mods.add(cfg.Plugins.Enabled, func() platform.Module { return plugins.New(cfg.Plugins, p) })
	mods.add(cfg.Webhooks.Enabled, func() platform.Module { return webhooks.New(cfg.Webhooks, p) })

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
	if cfg.Cluster.Enabled {
		joinCluster(app, cfg.Cluster, mods)
	}
	return mods, nil
}

// joinCluster starts the bus when the site serves (not for the other
// commands) and hands it to the live hub; the bus closes with the app.
func joinCluster(app core.App, cfg cluster.Config, mods *Modules) {
	var bus *cluster.Bus
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		var err error
		if bus, err = cluster.Start(cfg, se.App.DataDir()); err != nil {
			return err
		}
		if mods.Live != nil {
			if err := mods.Live.UseBus(bus, bus.Node); err != nil {
				return err
			}
		}
		for _, m := range mods.List {
			if s, ok := m.(*sales.Module); ok {
				if err := s.UseCluster(bus.Conn(), sales.ClusterOptions{Node: bus.Node, Replicas: cfg.Replicas}); err != nil {
					return err
				}
			}
		}
		se.App.Logger().Info("cluster: on the bus", "node", bus.Node, "nats", bus.URL())
		return se.Next()
	})
	app.OnTerminate().BindFunc(func(e *core.TerminateEvent) error {
		if bus != nil {
			bus.Close()
		}
		return e.Next()
	})
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
		if s, ok := m.(platform.DemoSeeder); ok {
			if err := s.SeedDemo(app); err != nil {
				return fmt.Errorf("demo %s: %w", m.Name(), err)
			}
		}
	}
	return nil
}
