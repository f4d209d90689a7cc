package main

import (
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	pbui "github.com/pocketbase/pocketbase/ui"

	"github.com/canyu/canyu/config"
	"github.com/canyu/canyu/ui"
)

// newSite runs the fully wired Canyu (every module of the default config) on
// a fresh migrated database behind a real loopback server.
func newSite(t *testing.T) (core.App, *Modules, string) {
	t.Helper()
	return newSiteWith(t, config.Default())
}

// newSiteWith is newSite with a configuration of the test's own.
func newSiteWith(t *testing.T, cfg config.Config) (core.App, *Modules, string) {
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
	// every message a problems table names exists (in English, so, by the
	// check above, in every language), and follows <module>.err_<what>
	checked := 0
	for _, m := range mods.List {
		p, ok := m.(interface{ Problems() ui.Problems })
		if !ok {
			continue
		}
		for _, key := range p.Problems().Keys() {
			checked++
			if !mods.UI.Catalog.Has(key) {
				t.Errorf("module %s shows an error with key %q, which no catalog defines", m.Name(), key)
			}
			if !strings.HasPrefix(key, m.Name()+".err_") {
				t.Errorf("module %s: error key %q is not %s.err_<what>", m.Name(), key, m.Name())
			}
		}
	}
	if checked < 50 {
		t.Errorf("checked %d problem keys, want the tables of members, forum and sales", checked)
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

// TestModulesCanBeSwitchedOff: with each module off in turn, the site
// starts with its demo, and every page a guest or a member reaches by
// following links from the home page renders: no link is dead (404), no
// page breaks (5xx), and the switched-off module's pages are gone.
func TestModulesCanBeSwitchedOff(t *testing.T) {
	// every module of the default site, found by its config section's
	// enabled switch: a new module is covered by its line in wire.go
	_, all, _ := newSite(t)
	if len(all.List) < 7 {
		t.Fatalf("the default site has %d modules", len(all.List))
	}
	for _, mod := range all.List {
		name := mod.Name()
		t.Run(name, func(t *testing.T) {
			cfg := config.Default()
			section := reflect.ValueOf(&cfg).Elem().FieldByNameFunc(func(f string) bool {
				field, _ := reflect.TypeOf(cfg).FieldByName(f)
				return field.Tag.Get("mapstructure") == name
			})
			if !section.IsValid() || !section.FieldByName("Enabled").CanSet() {
				t.Fatalf("module %s has no config section %q with an enabled switch", name, name)
			}
			section.FieldByName("Enabled").SetBool(false)
			// a module's pages live under /<name>, or under the paths it names
			paths := []string{"/" + name}
			if p, ok := mod.(interface{ Paths() []string }); ok {
				paths = p.Paths()
			}
			app, mods, base := newSiteWith(t, cfg)
			for _, m := range mods.List {
				if m.Name() == name {
					t.Fatalf("%s is registered although switched off", name)
				}
			}
			if err := seedDemo(app, mods); err != nil {
				t.Fatalf("demo without %s: %v", name, err)
			}
			member, err := app.FindAuthRecordByEmail("users", "ana@demo.canyu")
			if err != nil {
				t.Fatal(err)
			}
			token, _ := member.NewAuthToken()
			for _, who := range []string{"guest", "member"} {
				pages := crawl(t, base, map[bool]string{true: token}[who == "member"], 80)
				t.Logf("%s without %s: %d pages opened", who, name, len(pages))
				if len(pages) < 3 {
					t.Errorf("%s without %s reached only %v", who, name, pages)
				}
				for _, p := range pages {
					for _, prefix := range paths {
						if strings.HasPrefix(p, prefix+"/") || p == prefix || strings.HasPrefix(p, prefix+"?") {
							t.Errorf("%s without %s still reaches %s", who, name, p)
						}
					}
				}
			}
		})
	}
}

var hrefs = regexp.MustCompile(`href="(/[^"#]*)"`)

// crawl follows the site's own links from / (at most limit pages, as a
// guest or with the member's session cookie) and fails on a dead link or a
// broken page. It returns the paths it opened.
func crawl(t *testing.T, base, token string, limit int) []string {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	seen := map[string]string{"/": "start"}
	queue := []string{"/"}
	var opened []string
	for len(queue) > 0 && len(opened) < limit {
		p := queue[0]
		queue = queue[1:]
		req, _ := http.NewRequest("GET", base+p, nil)
		req.Header.Set("Accept-Language", "en")
		if token != "" {
			req.AddCookie(&http.Cookie{Name: "canyu_auth", Value: token})
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		opened = append(opened, p)
		switch {
		case res.StatusCode == http.StatusNotFound || res.StatusCode >= 500:
			t.Errorf("GET %s (linked from %s) = %d", p, seen[p], res.StatusCode)
			continue
		case res.StatusCode >= 300 && res.StatusCode < 400:
			if loc := res.Header.Get("Location"); strings.HasPrefix(loc, "/") {
				if _, ok := seen[loc]; !ok {
					seen[loc] = p
					queue = append(queue, loc)
				}
			}
			continue
		}
		if !strings.Contains(res.Header.Get("Content-Type"), "text/html") {
			continue
		}
		for _, m := range hrefs.FindAllStringSubmatch(string(body), -1) {
			link := html.UnescapeString(m[1])
			if strings.HasPrefix(link, "/static/") || strings.HasPrefix(link, "/api/") || strings.HasPrefix(link, "/_/") ||
				strings.Contains(link, "lang=") {
				continue
			}
			if _, ok := seen[link]; !ok {
				seen[link] = p
				queue = append(queue, link)
			}
		}
	}
	return opened
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

// TestServeOnTheBus: with the cluster on, serving starts the embedded NATS
// server with JetStream in the data directory and the live hub publishes
// through it; the site answers as before and the bus closes with the app.
func TestServeOnTheBus(t *testing.T) {
	cfg := config.Default()
	cfg.Cluster.Enabled, cfg.Cluster.Listen, cfg.Cluster.Node = true, "127.0.0.1:0", "core-test"
	app, mods, base := newSiteWith(t, cfg)
	if status, body := get(t, base+"/api/health", ""); status != 200 || !strings.Contains(body, "healthy") {
		t.Fatalf("GET /api/health on the bus = %d", status)
	}
	if _, err := os.Stat(filepath.Join(app.DataDir(), "nats", "jetstream")); err != nil {
		t.Errorf("JetStream keeps no data in the data directory: %v", err)
	}
	mods.Live.Publish("topic:bus", map[string]any{"metoo": 1})
	if got := mods.Live.Hub().Snapshot("topic:bus").Data["metoo"]; got != 1 {
		t.Errorf("a publication on the bus = %v locally", got)
	}
}
