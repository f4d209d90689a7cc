package testutil

import (
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/tests"

	"github.com/canyu/canyu/hooks"
	"github.com/canyu/canyu/platform"
	"github.com/canyu/canyu/ui"
)

// Env is one module test's world, as wire.go builds it for the real site: a
// migrated app, a stopped clock, the web shell (with the members module's
// account links), the event catalogue and a fake live hub. A module test
// embeds it, builds its module from Deps and calls Register.
type Env struct {
	App    *tests.TestApp
	Clock  *Clock
	Shell  *ui.Shell
	Events *hooks.Events
	Live   *FakeLive
}

// NewEnv builds an Env with the clock stopped at at and the default limits.
func NewEnv(t testing.TB, at time.Time) *Env {
	t.Helper()
	return NewEnvWith(t, at, ui.LimitsConfig{})
}

// NewEnvWith is NewEnv with a limits section of the test's own (its zero
// value: the defaults).
func NewEnvWith(t testing.TB, at time.Time, limits ui.LimitsConfig) *Env {
	t.Helper()
	e := &Env{App: NewApp(t), Clock: NewClock(at), Events: hooks.New(), Live: &FakeLive{}}
	s, err := ui.New(ui.DefaultConfig(), ui.Deps{AppName: "Canyu", PublicURL: "http://127.0.0.1:8090", Now: e.Clock.Now, Limits: limits})
	if err != nil {
		t.Fatalf("testutil: shell: %v", err)
	}
	s.SetAccount(Account)
	e.Shell = s
	return e
}

// Deps are what wire.go would hand a module in this env.
func (e *Env) Deps() platform.Deps {
	return platform.Deps{Events: e.Events, UI: e.Shell, Now: e.Clock.Now, Live: e.Live, AppName: "Canyu", PublicURL: "http://127.0.0.1:8090"}
}

// Register registers the modules on the app, then the shell, as wire.go
// does.
func (e *Env) Register(t testing.TB, mods ...platform.Module) {
	t.Helper()
	for _, m := range mods {
		if err := m.Register(e.App); err != nil {
			t.Fatalf("testutil: register %s: %v", m.Name(), err)
		}
	}
	if err := e.Shell.Register(e.App); err != nil {
		t.Fatalf("testutil: register the shell: %v", err)
	}
}
