// Package plugins lets a brand extend Canyu without a rebuild: PocketBase's
// jsvm loads pb_hooks/*.pb.js, and Canyu adds onCanyuEvent(key, handler) so
// JS code reacts to Canyu's own domain events (the hooks catalogue), not
// only to record writes. Every JS handler runs in a pool of its own, under a
// timeout, outside any write transaction.
package plugins

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dop251/goja"
	"github.com/dop251/goja_nodejs/console"
	"github.com/dop251/goja_nodejs/require"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/plugins/jsvm"

	"github.com/canyu/canyu/hooks"
	"github.com/canyu/canyu/platform"
)

// Config is the plugins section of the configuration.
type Config struct {
	// Enabled loads JS plugins from HooksDir.
	Enabled bool `mapstructure:"enabled"`
	// HooksDir holds the *.pb.js files.
	HooksDir string `mapstructure:"hooks_dir"`
	// Watch restarts the server when a plugin file changes (development).
	Watch bool `mapstructure:"watch"`
	// PoolSize is the number of JS runtimes for Canyu events (and, again, for
	// PocketBase's own JS hooks).
	PoolSize int `mapstructure:"pool_size"`
	// Timeout stops a JS event handler that runs longer.
	Timeout time.Duration `mapstructure:"timeout"`
}

// DefaultConfig returns the defaults of the plugins section.
func DefaultConfig() Config {
	return Config{Enabled: true, HooksDir: "pb_hooks", PoolSize: 4, Timeout: 2 * time.Second}
}

// Validate reports unusable values.
func (c Config) Validate() error {
	if c.PoolSize < 1 || c.Timeout <= 0 {
		return errors.New("plugins: pool_size and timeout must be positive")
	}
	return nil
}

// ErrTimeout is the error of a JS handler stopped by the timeout.
var ErrTimeout = errors.New("plugins: JS handler timed out")

// Deps are what the module needs from the process.
type Deps = platform.Deps

// Module is the JS plugins module.
type Module struct {
	cfg  Config
	deps Deps
	app  core.App
	pool chan *goja.Runtime

	mu       sync.RWMutex
	handlers map[string][]handler // event key -> handlers, in load order
	before   map[string]bool
}

type handler struct {
	file    string
	program *goja.Program
}

// New returns the module.
func New(cfg Config, deps Deps) *Module {
	return &Module{cfg: cfg, deps: deps, handlers: map[string][]handler{}, before: map[string]bool{}}
}

// Name returns "plugins".
func (m *Module) Name() string { return "plugins" }

// Register starts PocketBase's jsvm on HooksDir with onCanyuEvent added and
// routes Canyu's events to the JS handlers.
func (m *Module) Register(app core.App) (err error) {
	m.app = app
	// jsvm panics on a plugin file that fails to load: stop the start with
	// that message instead of a stack trace
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("plugins: %v", r)
		}
	}()
	known := map[string]bool{}
	for _, info := range m.deps.Events.Catalogue() {
		known[info.Key] = true
		m.before[info.Key] = info.Before
	}
	m.pool = make(chan *goja.Runtime, m.cfg.PoolSize)
	for range m.cfg.PoolSize {
		m.pool <- m.newRuntime()
	}
	err = jsvm.Register(app, jsvm.Config{
		HooksDir:      m.cfg.HooksDir,
		HooksWatch:    m.cfg.Watch,
		HooksPoolSize: m.cfg.PoolSize,
		MigrationsDir: filepath.Join(m.cfg.HooksDir, "migrations"),
		OnInit: func(vm *goja.Runtime) {
			vm.Set("onCanyuEvent", func(key string, callback goja.Value) {
				if !known[key] {
					panic(vm.NewTypeError("onCanyuEvent: unknown event %q", key))
				}
				src := callback.String()
				pr, err := goja.Compile(key+".pb.js", "{("+src+").apply(undefined, __args)}", true)
				if err != nil {
					panic(vm.NewTypeError("onCanyuEvent(%q): %v", key, err))
				}
				m.mu.Lock()
				m.handlers[key] = append(m.handlers[key], handler{file: key, program: pr})
				m.mu.Unlock()
			})
		},
	})
	if err != nil {
		return err
	}
	m.deps.Events.Listen(m.dispatch)
	return nil
}

func (m *Module) newRuntime() *goja.Runtime {
	vm := goja.New()
	vm.SetFieldNameMapper(jsvm.FieldMapper{})
	new(require.Registry).Enable(vm)
	console.Enable(vm)
	jsvm.BindCore(vm)
	jsvm.BindDbx(vm)
	jsvm.BindSecurity(vm)
	jsvm.BindHTTP(vm)
	jsvm.BindMails(vm)
	vm.Set("$app", m.app)
	return vm
}

// dispatch runs the JS handlers of one event in order. A handler that throws
// vetoes a before-event (its message reaches the member); for an
// after-event the error is logged and the others still run.
func (m *Module) dispatch(key string, p hooks.Payload) error {
	m.mu.RLock()
	hs := m.handlers[key]
	m.mu.RUnlock()
	for _, h := range hs {
		err := m.run(h, map[string]any{"key": key, "data": map[string]any(p)})
		if err == nil {
			continue
		}
		if m.before[key] {
			return err
		}
		m.app.Logger().Error("plugins: JS handler failed", "event", key, "error", err)
	}
	return nil
}

// run executes one handler in a pooled runtime under the timeout.
func (m *Module) run(h handler, event map[string]any) (err error) {
	ctx, cancel := context.WithTimeout(context.Background(), m.cfg.Timeout)
	defer cancel()
	var vm *goja.Runtime
	select {
	case vm = <-m.pool:
	case <-ctx.Done():
		return fmt.Errorf("%w: no free JS runtime", ErrTimeout)
	}
	var timedOut atomic.Bool
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(fired)
		timedOut.Store(true)
		vm.Interrupt(ErrTimeout)
	})
	defer func() {
		if !stop() {
			<-fired // the interrupt is being set: clear it only after
		}
		vm.ClearInterrupt()
		m.pool <- vm
	}()
	vm.Set("__args", []any{event})
	_, err = vm.RunProgram(h.program)
	vm.Set("__args", goja.Undefined())
	if err != nil {
		var ex *goja.Exception
		var ir *goja.InterruptedError
		switch {
		case errors.As(err, &ir) || timedOut.Load():
			return fmt.Errorf("%w after %v", ErrTimeout, m.cfg.Timeout)
		case errors.As(err, &ex):
			return errors.New(ex.Value().String())
		}
		return err
	}
	return nil
}
