// Package platform is the contract between the process and its feature
// modules: what wire.go hands every module (Deps) and what a module gives
// back (Module, and optionally DemoSeeder). A new module is a folder under
// modules/ with New(cfg, Deps), Name and Register, plus one line in wire.go;
// docs/modules.md describes the whole skeleton.
package platform

import (
	"sync"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/hooks"
	"github.com/canyu/canyu/ui"
)

// Module is what every feature package under modules/ provides.
type Module interface {
	// Name is the module's name: its folder, its config section, the
	// prefix of its routes, collections and message keys.
	Name() string
	// Register binds the module's pages, API, hooks and jobs on app.
	Register(app core.App) error
}

// DemoSeeder is implemented by modules that add to the demo community.
type DemoSeeder interface {
	SeedDemo(app core.App) error
}

// Publisher is how a module reaches the live hub: it publishes values into
// channels and declares who may follow its own channels (the first rule
// whose prefix matches a channel decides).
type Publisher interface {
	Publish(channel string, values map[string]any)
	Allow(prefix string, rule func(member *core.Record, channel string) bool)
}

// Deps are what every module receives from the process.
type Deps struct {
	// Events is the catalogue of cross-module events.
	Events *hooks.Events
	// UI is the web shell: pages, strings, assets, route tables, limits.
	UI *ui.Shell
	// Now is the clock (tests set it).
	Now func() time.Time
	// Live is the live hub, or a stand-in that drops what is published
	// when live counters are switched off: never nil.
	Live Publisher
	// AppName and PublicURL name and locate the site (emails, cards, feeds).
	AppName, PublicURL string
}

// Fresh orders a module's live publications: each reads its values after
// the write it follows and publishes them, one at a time, so the last value
// a channel carries is the latest. (Two writes committed in one order can
// otherwise publish in the other, and a counter then rests on a stale
// number.) The zero value is ready.
type Fresh struct{ mu sync.Mutex }

// Do runs read-and-publish under the lock.
func (f *Fresh) Do(readAndPublish func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	readAndPublish()
}
