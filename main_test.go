package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	pbui "github.com/pocketbase/pocketbase/ui"

	"github.com/canyu/canyu/config"
)

// newSite runs the fully wired Canyu (every module of the default config) on
// a fresh migrated database behind a real loopback server.
func newSite(t *testing.T) (core.App, *Modules, string) {
	t.Helper()
	app := core.NewBaseApp(core.BaseAppConfig{DataDir: t.TempDir(), EncryptionEnv: "pb_test_env"})
	if err := app.Bootstrap(); err != nil {
		t.Fatal(err)
	}
	if err := app.RunAllMigrations(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.ResetBootstrapState() })
	// the browser test signs up and in repeatedly from one address
	app.Settings().RateLimits.Enabled = false

	cfg := config.Default()
	mods, err := wire(app, cfg, Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	// stop the modules' background work (webhook sender, live hub) as serve does on exit
	t.Cleanup(func() { app.OnTerminate().Trigger(&core.TerminateEvent{App: app}) })
	r, err := apis.NewRouter(app)
	if err != nil {
		t.Fatal(err)
	}
	// as apis.Serve does: the dashboard beside our catch-all routes
	r.GET("/_/{path...}", apis.Static(pbui.DistDirFS, false))
	se := &core.ServeEvent{App: app, Router: r, Server: &http.Server{}}
	err = app.OnServe().Trigger(se, func(e *core.ServeEvent) error {
		h, err := e.Router.BuildMux()
		e.Server.Handler = h
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// modules may wrap the router after Next, as under serve
	srv := httptest.NewServer(se.Server.Handler)
	t.Cleanup(srv.Close)
	return app, mods, srv.URL
}

func get(t *testing.T, url, lang string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if lang != "" {
		req.Header.Set("Accept-Language", lang)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestSiteAnswers(t *testing.T) {
	app, mods, base := newSite(t)
	if err := seedDemo(app, mods); err != nil {
		t.Fatalf("seedDemo() = %v", err)
	}
	if err := seedDemo(app, mods); err != nil {
		t.Fatalf("seedDemo() a second time = %v, want it idempotent", err)
	}
	cases := []struct {
		path, lang, want string
	}{
		{"/", "en", "Build the product with the people who use it."},
		{"/", "zh-CN", "和用户一起做产品。"},
		{"/?lang=zh-CN", "", "和用户一起做产品。"},
		{"/api/health", "", "API is healthy"},
		{"/_/", "", "<html"},
		{"/members", "en", "Ana Souza"},
		{"/signup", "en", "Join the community"},
	}
	for _, c := range cases {
		status, body := get(t, base+c.path, c.lang)
		if status != 200 || !strings.Contains(body, c.want) {
			t.Errorf("GET %s (%s) = %d, want 200 containing %q", c.path, c.lang, status, c.want)
		}
	}
}

// TestCatalogsComplete checks that every string exists in every language and
// that every key a template asks for exists.
func TestCatalogsComplete(t *testing.T) {
	_, mods, _ := newSite(t)
	if missing := mods.UI.Catalog.Missing(); len(missing) > 0 {
		t.Errorf("catalog gaps:\n%s", strings.Join(missing, "\n"))
	}
	key := regexp.MustCompile(`\.T "([a-z0-9_.]+)"`)
	filepath.WalkDir(".", func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".html") {
			return err
		}
		raw, _ := os.ReadFile(p)
		for _, m := range key.FindAllStringSubmatch(string(raw), -1) {
			if !mods.UI.Catalog.Has(m[1]) {
				t.Errorf("%s uses catalog key %q, which no catalog defines", p, m[1])
			}
		}
		return nil
	})
}

func TestModulesCanBeSwitchedOff(t *testing.T) {
	app := core.NewBaseApp(core.BaseAppConfig{DataDir: t.TempDir()})
	if err := app.Bootstrap(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.ResetBootstrapState() })
	cfg := config.Default()
	cfg.Members.Enabled = false
	mods, err := wire(app, cfg, Overrides{Now: func() time.Time { return time.Unix(0, 0) }})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mods.List {
		if m.Name() == "members" {
			t.Errorf("members is registered although members.enabled is false")
		}
	}
}

func TestHealthcheck(t *testing.T) {
	_, _, base := newSite(t)
	if code := healthcheck([]string{"--url", base + "/api/health"}, io.Discard); code != 0 {
		t.Errorf("healthcheck(running site) = %d, want 0", code)
	}
	if code := healthcheck([]string{"--url", base + "/api/nothing"}, io.Discard); code != 1 {
		t.Errorf("healthcheck(404) = %d, want 1", code)
	}
	if code := healthcheck([]string{"--url", "http://127.0.0.1:1/api/health"}, io.Discard); code != 1 {
		t.Errorf("healthcheck(nothing listening) = %d, want 1", code)
	}
}
