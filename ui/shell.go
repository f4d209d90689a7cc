// Package ui is Canyu's web shell: layout and partials, CSS and JavaScript,
// the page renderer, message catalogs and the web middleware (cookie auth,
// CSRF protection, CSP and security headers, language choice). Modules add
// their pages, strings, navigation entries and home-page sections to it.
package ui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
)

//go:embed templates locales static
var embedded embed.FS

// Deps are what the shell needs from the process.
type Deps struct {
	AppName   string
	PublicURL string
	Now       func() time.Time
	// Limits is the limits section; its zero value means the defaults.
	Limits LimitsConfig
}

// NavItem is one entry of the main navigation.
type NavItem struct {
	Path  string
	Label string // catalog key
	Order int
}

// Icon is a 24x24 line icon as data: the "d" attribute of each SVG path,
// drawn with the current text colour.
type Icon []string

// Account is what the accounts module tells the shell: where members sign
// in, sign up, open their profile, sign out and bind a phone, and where a
// member's public page is (MemberPage + id, MemberByName + name). Without an
// accounts module the shell shows none of these links, so none is dead.
type Account struct {
	SignIn, SignUp, Profile, SignOut, Phone, MemberPage, MemberByName string
}

// MemberLink is an icon link in the top bar for signed-in members, with an
// optional count (unread notifications) kept live.
type MemberLink struct {
	Path  string
	Label string // catalog key
	Icon  Icon
	// Live is the live value showing the count, with %s for the member id
	// ("member:%s.unread").
	Live  string
	Count func(e *core.RequestEvent) int
}

// memberLinkView is a MemberLink for one member.
type memberLinkView struct {
	Path, Label, Live string
	Icon              Icon
	N                 int
}

// HomeSection is a block of the home page owned by a module: a page template
// (registered with AddPages, defining "section") and the data it renders.
type HomeSection struct {
	Page  string
	Order int
	Data  func(e *core.RequestEvent) (any, error)
}

// Shell renders pages and owns the web middleware. Build it once with New,
// let modules add to it, then Register it on the app.
type Shell struct {
	cfg      Config
	deps     Deps
	Catalog  *Catalog
	base     *template.Template
	mu       sync.RWMutex
	pages    map[string]*template.Template
	nav      []NavItem
	links    []MemberLink
	sections []HomeSection
	profile  []ProfileSection
	assets   map[string]string // file name -> content hash
	assetFS  map[string]assetFile
	limits   LimitsConfig
	writes   Budget
	limiter  *Limiter
	styles   []string // modules' stylesheets, linked on every page
	scripts  []string // modules' scripts, loaded on every page
	account  Account
}

// SetAccount tells the shell where the account pages are (the members
// module calls it).
func (s *Shell) SetAccount(a Account) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.account = a
}

// AccountLinks returns where the account pages are (all empty without an
// accounts module).
func (s *Shell) AccountLinks() Account {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.account
}

// New builds the shell with its own templates, strings and assets.
func New(cfg Config, deps Deps) (*Shell, error) {
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Limits == (LimitsConfig{}) {
		deps.Limits = DefaultLimitsConfig()
	}
	writes, err := deps.Limits.Writes.Parse()
	if err != nil {
		return nil, fmt.Errorf("ui: limits.writes.%w", err)
	}
	s := &Shell{cfg: cfg, deps: deps, Catalog: NewCatalog(), pages: map[string]*template.Template{},
		assets: map[string]string{}, assetFS: map[string]assetFile{},
		limits: deps.Limits, writes: writes, limiter: NewLimiter(deps.Now)}

	s.Catalog.SetFallback(Lang(cfg.DefaultLanguage))
	locales, _ := fs.Sub(embedded, "locales")
	if err := s.Catalog.Add(locales); err != nil {
		return nil, err
	}
	if err := s.hashAssets(); err != nil {
		return nil, err
	}
	base, err := template.New("layout").Funcs(s.funcs()).ParseFS(embedded, "templates/layout.html", "templates/partials/*.html")
	if err != nil {
		return nil, fmt.Errorf("ui: layout: %w", err)
	}
	s.base = base
	tpl, _ := fs.Sub(embedded, "templates/pages")
	if err := s.AddPages("", tpl); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Shell) funcs() template.FuncMap {
	return template.FuncMap{
		"asset": s.assetURL,
		"initial": func(name string) string {
			for _, r := range strings.TrimSpace(name) {
				return strings.ToUpper(string(r))
			}
			return "?"
		},
	}
}

func (s *Shell) hashAssets() error {
	static, _ := fs.Sub(embedded, "static")
	return s.AddAssets("", static)
}

// assetFile is where a served asset lives.
type assetFile struct {
	fsys fs.FS
	path string
}

// AddAssets serves every file of fsys under /static/prefix/ with a content
// hash for caching; templates name them {{asset "prefix/file"}}.
func (s *Shell) AddAssets(prefix string, fsys fs.FS) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		name := path.Join(prefix, p)
		s.assets[name] = hex.EncodeToString(sum[:6])
		s.assetFS[name] = assetFile{fsys, p}
		return nil
	})
}

// assetURL returns a cache-busting URL of a static file.
func (s *Shell) assetURL(name string) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return "/static/" + name + "?v=" + s.assets[name]
}

// AddModule adds what a module keeps next to its code, by the folders of
// the skeleton (docs/modules.md): locales/ (en.json and zh-CN.json, keys
// prefixed "<name>."), templates/ (pages named "<name>/<file>") and static/
// (served under /static/<name>/). A static/<name>.css is linked on every
// page and a static/<name>.js loaded on every page, so the module's home
// sections and pages are styled wherever they show. Missing folders are
// skipped.
func (s *Shell) AddModule(name string, fsys fs.FS) error {
	if sub, err := fs.Sub(fsys, "locales"); err == nil && exists(fsys, "locales") {
		if err := s.Catalog.Add(sub); err != nil {
			return fmt.Errorf("ui: module %s: %w", name, err)
		}
	}
	if sub, err := fs.Sub(fsys, "templates"); err == nil && exists(fsys, "templates") {
		if err := s.AddPages(name, sub); err != nil {
			return err
		}
	}
	if sub, err := fs.Sub(fsys, "static"); err == nil && exists(fsys, "static") {
		if err := s.AddAssets(name, sub); err != nil {
			return err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if exists(sub, name+".css") {
			s.styles = append(s.styles, name+"/"+name+".css")
		}
		if exists(sub, name+".js") {
			s.scripts = append(s.scripts, name+"/"+name+".js")
		}
	}
	return nil
}

func exists(fsys fs.FS, name string) bool {
	_, err := fs.Stat(fsys, name)
	return err == nil
}

// AddPages parses every *.html file of fsys as a page named
// prefix/filename-without-extension ("members/profile"). Each page defines
// "title" and "content" (or "section" for a home-page section). Files whose
// name starts with "_" are the module's partials, available to all its pages.
func (s *Shell) AddPages(prefix string, fsys fs.FS) error {
	files, err := fs.Glob(fsys, "*.html")
	if err != nil {
		return err
	}
	partials, err := fs.Glob(fsys, "_*.html")
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range files {
		if strings.HasPrefix(f, "_") {
			continue
		}
		t, err := s.base.Clone()
		if err != nil {
			return err
		}
		if _, err := t.ParseFS(fsys, append([]string{f}, partials...)...); err != nil {
			return fmt.Errorf("ui: page %s/%s: %w", prefix, f, err)
		}
		name := strings.TrimSuffix(f, ".html")
		if prefix != "" {
			name = prefix + "/" + name
		}
		s.pages[name] = t
	}
	return nil
}

// AddNav adds an entry to the main navigation.
func (s *Shell) AddNav(item NavItem) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nav = append(s.nav, item)
	slices.SortStableFunc(s.nav, func(a, b NavItem) int { return a.Order - b.Order })
}

// AddMemberLink adds an icon link for signed-in members to the top bar.
func (s *Shell) AddMemberLink(l MemberLink) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.links = append(s.links, l)
}

// ProfileSection is a block of a member's profile page owned by a module:
// a page template defining "section" and the data it renders for the member
// shown (nil data: the block is left out for that member).
type ProfileSection struct {
	Page  string
	Order int
	Data  func(e *core.RequestEvent, member *core.Record) (any, error)
}

// AddProfileSection adds a block to members' profile pages.
func (s *Shell) AddProfileSection(sec ProfileSection) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.profile = append(s.profile, sec)
	slices.SortStableFunc(s.profile, func(a, b ProfileSection) int { return a.Order - b.Order })
}

// ProfileSections renders the modules' blocks of member's profile page (the
// accounts module puts them on the page).
func (s *Shell) ProfileSections(e *core.RequestEvent, member *core.Record) ([]template.HTML, error) {
	s.mu.RLock()
	secs := slices.Clone(s.profile)
	s.mu.RUnlock()
	var out []template.HTML
	for _, sec := range secs {
		data, err := sec.Data(e, member)
		if err != nil {
			return nil, err
		}
		if data == nil || reflect.ValueOf(data).Kind() == reflect.Pointer && reflect.ValueOf(data).IsNil() {
			continue
		}
		html, err := s.Fragment(e, sec.Page, "section", data)
		if err != nil {
			return nil, err
		}
		out = append(out, html)
	}
	return out, nil
}

// AddHomeSection adds a block to the home page.
func (s *Shell) AddHomeSection(sec HomeSection) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sections = append(s.sections, sec)
	slices.SortStableFunc(s.sections, func(a, b HomeSection) int { return a.Order - b.Order })
}

// Location is the brand's time zone (ui.time_zone).
func (s *Shell) Location() *time.Location { return s.cfg.Location() }

// DefaultLang is the site's default language (ui.default_language).
func (s *Shell) DefaultLang() Lang { return Lang(s.cfg.DefaultLanguage) }

// Lang returns the language of the request.
func (s *Shell) Lang(e *core.RequestEvent) Lang {
	return LangOf(e, Lang(s.cfg.DefaultLanguage))
}

// T translates key into the request's language.
func (s *Shell) T(e *core.RequestEvent, key string, args ...any) string {
	return s.Catalog.T(s.Lang(e), key, args...)
}

// Page is what every template receives: the request's context plus the
// page's own typed view in Data.
type Page struct {
	AppName string
	Lang    Lang
	Path    string
	Member  *core.Record
	Nav     []NavItem
	Links   []memberLinkView
	Flash   string
	Title   string
	Data    any
	// Styles and Scripts are the modules' assets every page links.
	Styles, Scripts []string
	// Account is where the account pages are; its fields are empty without
	// an accounts module.
	Account  Account
	catalog  *Catalog
	request  *http.Request
	loc      *time.Location
	sections []renderedSection
}

type renderedSection struct {
	tpl  *template.Template
	data any
}

// T translates a catalog key into the page's language.
func (p *Page) T(key string, args ...any) string { return p.catalog.T(p.Lang, key, args...) }

// Date formats t for the page's language, in the brand's time zone.
func (p *Page) Date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(p.loc)
	if p.Lang == Chinese {
		return t.Format("2006年1月2日")
	}
	return t.Format("2 Jan 2006")
}

// DateTime formats t with its weekday and time of day for the page's
// language, in the brand's time zone ("Fri 4 Dec 2026, 17:00").
func (p *Page) DateTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(p.loc)
	if p.Lang == Chinese {
		return t.Format("2006年1月2日 ") + zhWeekdays[t.Weekday()] + t.Format(" 15:04")
	}
	return t.Format("Mon 2 Jan 2006, 15:04")
}

var zhWeekdays = [...]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}

// Zone names the brand's time zone ("Asia/Shanghai").
func (p *Page) Zone() string { return p.loc.String() }

// Duration formats a wait for people: "–", "45 min", "3.5 h", "2.0 d".
func (p *Page) Duration(d time.Duration) string {
	switch {
	case d <= 0:
		return "–"
	case d < time.Hour:
		return fmt.Sprintf("%d min", max(1, int(d.Minutes())))
	case d < 48*time.Hour:
		return fmt.Sprintf("%.1f h", d.Hours())
	}
	return fmt.Sprintf("%.1f d", d.Hours()/24)
}

// SignInURL is the sign-in page that comes back to next, or "" when the
// site has no accounts module (templates then show no sign-in link).
func (p *Page) SignInURL(next string) string {
	if p.Account.SignIn == "" {
		return ""
	}
	return p.Account.SignIn + "?next=" + url.QueryEscape(SafeNext(next))
}

// MemberURL is a member's public page, or "" without an accounts module.
func (p *Page) MemberURL(id string) string {
	if p.Account.MemberPage == "" || id == "" {
		return ""
	}
	return p.Account.MemberPage + id
}

// LangURL returns the current page in language l.
func (p *Page) LangURL(l Lang) string { return langSwitchURL(p.request, l) }

// Languages lists the switchable languages.
func (p *Page) Languages() []Lang { return Languages }

// LangName is the language's own name.
func (p *Page) LangName(l Lang) string {
	if l == Chinese {
		return "中文"
	}
	return "English"
}

// Sections renders the home-page sections into HTML, each from its own
// template (so trusted HTML only ever comes from html/template).
func (p *Page) Sections() ([]template.HTML, error) {
	out := make([]template.HTML, 0, len(p.sections))
	for _, sec := range p.sections {
		var buf bytes.Buffer
		sp := *p
		sp.Data = sec.data
		if err := sec.tpl.ExecuteTemplate(&buf, "section", &sp); err != nil {
			return nil, err
		}
		out = append(out, template.HTML(buf.String()))
	}
	return out, nil
}

// Fragment executes the template named name of page with data into HTML
// (for a module that caches a rendered part of a page, such as a long list
// of replies). The HTML comes from html/template, so it is as safe as a
// rendered page.
func (s *Shell) Fragment(e *core.RequestEvent, page, name string, data any) (template.HTML, error) {
	s.mu.RLock()
	t, ok := s.pages[page]
	s.mu.RUnlock()
	if !ok {
		return "", fmt.Errorf("ui: no page %q", page)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, s.newPage(e, data)); err != nil {
		return "", fmt.Errorf("ui: fragment %s/%s: %w", page, name, err)
	}
	return template.HTML(buf.String()), nil
}

// Render writes page with data and the given status. The page is rendered
// into a buffer first, so a template error becomes a clean 500.
func (s *Shell) Render(e *core.RequestEvent, status int, page string, data any) error {
	s.mu.RLock()
	t, ok := s.pages[page]
	nav := s.nav
	s.mu.RUnlock()
	if !ok {
		return fmt.Errorf("ui: no page %q", page)
	}
	p := s.newPage(e, data)
	if page == "home" {
		secs, err := s.renderSections(e)
		if err != nil {
			return err
		}
		p.sections = secs
	}
	p.Nav = nav
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		return fmt.Errorf("ui: render %s: %w", page, err)
	}
	e.Response.Header().Set("Content-Type", "text/html; charset=utf-8")
	e.Response.Header().Set("Cache-Control", "no-store")
	e.Response.Header().Set("Content-Language", string(p.Lang))
	e.Response.Header().Set("Content-Length", strconv.Itoa(buf.Len())) // the page is whole: no chunks
	e.Response.WriteHeader(status)
	_, err := e.Response.Write(buf.Bytes())
	return err
}

func (s *Shell) newPage(e *core.RequestEvent, data any) *Page {
	s.mu.RLock()
	styles, scripts, account := s.styles, s.scripts, s.account
	s.mu.RUnlock()
	p := &Page{
		AppName: s.deps.AppName,
		Lang:    s.Lang(e),
		Path:    e.Request.URL.Path,
		Member:  e.Auth,
		Data:    data,
		Styles:  styles,
		Scripts: scripts,
		Account: account,
		catalog: s.Catalog,
		request: e.Request,
		loc:     s.cfg.Location(),
	}
	if p.Member != nil && p.Member.Collection().Name != "users" {
		p.Member = nil // superusers browse the member UI as guests
	}
	if p.Member != nil {
		s.mu.RLock()
		links := s.links
		s.mu.RUnlock()
		for _, l := range links {
			v := memberLinkView{Path: l.Path, Label: l.Label, Icon: l.Icon}
			if l.Live != "" {
				v.Live = fmt.Sprintf(l.Live, p.Member.Id)
			}
			if l.Count != nil {
				v.N = l.Count(e)
			}
			p.Links = append(p.Links, v)
		}
	}
	if c, err := e.Request.Cookie(flashCookie); err == nil && s.Catalog.Has(c.Value) {
		p.Flash = c.Value
		e.SetCookie(&http.Cookie{Name: flashCookie, Path: "/", MaxAge: -1})
	}
	return p
}

func (s *Shell) renderSections(e *core.RequestEvent) ([]renderedSection, error) {
	s.mu.RLock()
	secs := slices.Clone(s.sections)
	s.mu.RUnlock()
	out := make([]renderedSection, 0, len(secs))
	for _, sec := range secs {
		data, err := sec.Data(e)
		if err != nil {
			return nil, err
		}
		s.mu.RLock()
		t, ok := s.pages[sec.Page]
		s.mu.RUnlock()
		if !ok {
			return nil, fmt.Errorf("ui: no section page %q", sec.Page)
		}
		out = append(out, renderedSection{tpl: t, data: data})
	}
	return out, nil
}

const flashCookie = "flash"

// Flash stores a one-time message (a catalog key) shown on the next page.
func (s *Shell) Flash(e *core.RequestEvent, key string) {
	s.FlashTo(e.Response, e.Request, key)
}

// FlashTo is Flash for handlers outside PocketBase's router: the next page
// the browser opens shows the message.
func (s *Shell) FlashTo(w http.ResponseWriter, r *http.Request, key string) {
	secure := s.cfg.SecureCookies == "always" || s.cfg.SecureCookies == "auto" && (r.TLS != nil || strings.HasPrefix(s.deps.PublicURL, "https://"))
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: key, Path: "/", MaxAge: 60, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: secure})
}

// ErrorView is the data of the error page.
type ErrorView struct {
	Status  int
	Message string
}

// Error renders the error page with a translated message.
func (s *Shell) Error(e *core.RequestEvent, status int, key string, args ...any) error {
	return s.Render(e, status, "error", ErrorView{Status: status, Message: s.T(e, key, args...)})
}

// Handler wraps an HTML handler: an error it returns becomes an error page in
// the member's language. A *Problem shows its status and message, a
// *router.ApiError its status; anything else is logged and shown as a 500.
func (s *Shell) Handler(h func(e *core.RequestEvent) error) func(e *core.RequestEvent) error {
	return func(e *core.RequestEvent) error {
		err := h(e)
		if err == nil {
			return nil
		}
		var p *Problem
		if errors.As(err, &p) && !e.Written() {
			return s.Error(e, p.Status, p.Key, p.Args...)
		}
		var apiErr *router.ApiError
		if errors.As(err, &apiErr) {
			return s.Error(e, apiErr.Status, statusKey(apiErr.Status))
		}
		e.App.Logger().Error("ui: page failed", "path", e.Request.URL.Path, "error", err)
		if e.Written() {
			return nil
		}
		return s.Error(e, http.StatusInternalServerError, "ui.err_server")
	}
}

func statusKey(status int) string {
	switch status {
	case http.StatusNotFound:
		return "ui.err_not_found"
	case http.StatusForbidden:
		return "ui.err_forbidden"
	case http.StatusUnauthorized:
		return "ui.err_signed_out"
	case http.StatusTooManyRequests:
		return "ui.err_rate_limited"
	case http.StatusBadRequest:
		return "ui.err_bad_request"
	}
	return "ui.err_server"
}

// staticFile serves an embedded asset; a request carrying the current hash
// may be cached for a year.
func (s *Shell) staticFile(e *core.RequestEvent) error {
	name := path.Clean(e.Request.PathValue("path"))
	s.mu.RLock()
	hash, ok := s.assets[name]
	file := s.assetFS[name]
	s.mu.RUnlock()
	if !ok {
		return e.NotFoundError("", nil)
	}
	if e.Request.URL.Query().Get("v") == hash {
		e.Response.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		e.Response.Header().Set("Cache-Control", "public, max-age=300")
	}
	return e.FileFS(file.fsys, file.path)
}
