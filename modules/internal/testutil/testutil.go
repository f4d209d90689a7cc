// Package testutil builds test apps for Canyu's modules: a migrated template
// data directory made once per test binary, cloned for every test, plus a
// fixed clock and helpers for members and requests.
package testutil

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
	"golang.org/x/crypto/bcrypt"

	_ "github.com/canyu/canyu/pb_migrations"
	"github.com/canyu/canyu/ui"
)

var (
	once        sync.Once
	templateDir string
	templateErr error
)

// Main runs a package's tests and removes the template afterwards. Call it
// from TestMain: func TestMain(m *testing.M) { testutil.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	if templateDir != "" {
		os.RemoveAll(templateDir)
	}
	os.Exit(code)
}

// TemplateDir returns a data directory with every migration applied. It is
// built once per test binary.
func TemplateDir() (string, error) {
	once.Do(func() {
		templateDir, templateErr = os.MkdirTemp("", "canyu-template-*")
		if templateErr != nil {
			return
		}
		app := core.NewBaseApp(core.BaseAppConfig{DataDir: templateDir, EncryptionEnv: "pb_test_env"})
		if templateErr = app.Bootstrap(); templateErr != nil {
			return
		}
		if templateErr = app.RunAllMigrations(); templateErr == nil {
			templateErr = cheapPasswords(app)
		}
		if err := app.ResetBootstrapState(); templateErr == nil {
			templateErr = err
		}
	})
	return templateDir, templateErr
}

// cheapPasswords lowers the bcrypt cost of the test template's accounts:
// tests create many members, and the production cost would dominate them.
func cheapPasswords(app core.App) error {
	users, err := app.FindCollectionByNameOrId("users")
	if err != nil {
		return err
	}
	if f, ok := users.Fields.GetByName(core.FieldNamePassword).(*core.PasswordField); ok {
		f.Cost = bcrypt.MinCost
	}
	return app.Save(users)
}

// NewApp returns a fresh migrated app, removed when the test ends.
func NewApp(t testing.TB) *tests.TestApp {
	t.Helper()
	dir, err := TemplateDir()
	if err != nil {
		t.Fatalf("testutil: template: %v", err)
	}
	app, err := tests.NewTestAppWithConfig(core.BaseAppConfig{DataDir: dir, EncryptionEnv: "pb_test_env"})
	if err != nil {
		t.Fatalf("testutil: new app: %v", err)
	}
	t.Cleanup(app.Cleanup)
	return app
}

// Account is where the members module puts the account pages; module
// tests give it to their shell so pages link as on the wired site.
var Account = ui.Account{SignIn: "/signin", SignUp: "/signup", Profile: "/profile", SignOut: "/signout",
	Phone: "/members/phone", MemberPage: "/members/", MemberByName: "/members/by-name/"}

// NewShell returns the web shell with the default configuration and the
// members module's account links.
func NewShell(t testing.TB, now func() time.Time) *ui.Shell {
	t.Helper()
	s, err := ui.New(ui.DefaultConfig(), ui.Deps{AppName: "Canyu", PublicURL: "http://127.0.0.1:8090", Now: now})
	if err != nil {
		t.Fatalf("testutil: shell: %v", err)
	}
	s.SetAccount(Account)
	return s
}

// Clock is a settable clock for tests.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock stopped at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Member creates a verified member with the given email, name and roles.
// The password is "password123".
func Member(t testing.TB, app core.App, email, name string, roles ...string) *core.Record {
	t.Helper()
	users, err := app.FindCollectionByNameOrId("users")
	if err != nil {
		t.Fatal(err)
	}
	r := core.NewRecord(users)
	r.SetEmail(email)
	r.SetPassword("password123")
	r.SetVerified(true)
	r.Set("name", name)
	r.Set("roles", roles)
	if err := app.Save(r); err != nil {
		t.Fatalf("testutil: member %s: %v", email, err)
	}
	return r
}

// Token returns an API auth token for member.
func Token(t testing.TB, member *core.Record) string {
	t.Helper()
	tok, err := member.NewAuthToken()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// FakeSMS records every text message instead of sending it.
type FakeSMS struct {
	mu   sync.Mutex
	Sent []SMS
	Fail error
}

// SMS is one recorded message.
type SMS struct{ Phone, Text string }

// Send records the message, or fails with f.Fail.
func (f *FakeSMS) Send(_ context.Context, phone, text string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.Fail != nil {
		return f.Fail
	}
	f.Sent = append(f.Sent, SMS{phone, text})
	return nil
}

var digits = regexp.MustCompile(`\b\d{4,10}\b`)

// LastCode returns the code of the last message sent to phone.
func (f *FakeSMS) LastCode(t testing.TB, phone string) string {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.Sent) - 1; i >= 0; i-- {
		if f.Sent[i].Phone == phone {
			return digits.FindString(f.Sent[i].Text)
		}
	}
	t.Fatalf("FakeSMS: nothing sent to %s (sent: %v)", phone, f.Sent)
	return ""
}

// Count returns how many messages were sent.
func (f *FakeSMS) Count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.Sent)
}

// FakeLive records what a module publishes to live counters and the
// channel rules it declares.
type FakeLive struct {
	mu    sync.Mutex
	last  map[string]map[string]any
	rules []fakeRule
}

type fakeRule struct {
	prefix string
	allow  func(member *core.Record, channel string) bool
}

// Allow records a module's rule for the channels starting with prefix.
func (f *FakeLive) Allow(prefix string, rule func(member *core.Record, channel string) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules = append(f.rules, fakeRule{prefix, rule})
}

// Follows reports whether member (nil: a guest) may follow channel by the
// declared rules, the way the live hub decides: the first rule whose prefix
// matches, none matching refuses.
func (f *FakeLive) Follows(member *core.Record, channel string) bool {
	f.mu.Lock()
	rules := f.rules
	f.mu.Unlock()
	for _, r := range rules {
		if channel == r.prefix || strings.HasSuffix(r.prefix, ":") && strings.HasPrefix(channel, r.prefix) && len(channel) > len(r.prefix) {
			return r.allow(member, channel)
		}
	}
	return false
}

// Publish records the values of a channel's latest publication.
func (f *FakeLive) Publish(ch string, v map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.last == nil {
		f.last = map[string]map[string]any{}
	}
	f.last[ch] = v
}

// Last returns the latest values published on a channel (nil: none).
func (f *FakeLive) Last(ch string) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last[ch]
}

// Serve starts app's router (with every OnServe route) on a real loopback
// listener and returns its base URL; the server stops when the test ends.
func Serve(t testing.TB, app core.App) string {
	t.Helper()
	h, err := Handler(app)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// Handler builds app's full HTTP handler the way `serve` does.
func Handler(app core.App) (http.Handler, error) {
	r, err := apis.NewRouter(app)
	if err != nil {
		return nil, err
	}
	se := &core.ServeEvent{App: app, Router: r, Server: &http.Server{}}
	err = app.OnServe().Trigger(se, func(e *core.ServeEvent) error {
		m, err := e.Router.BuildMux()
		e.Server.Handler = m
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("testutil: serve: %w", err)
	}
	// handlers may wrap the router after Next, as under `serve`
	return se.Server.Handler, nil
}
