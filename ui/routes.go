package ui

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
)

// Register binds the shell's middleware and routes (static files, home page,
// not-found page) on app.
func (s *Shell) Register(app core.App) error {
	csrf, err := s.csrf()
	if err != nil {
		return err
	}
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		se.Router.Bind(s.securityHeaders(), csrf, s.cookieAuth(), s.langFromQuery())
		se.Router.GET("/static/{path...}", s.staticFile).Bind(apis.SkipSuccessActivityLog())
		se.Router.GET("/{$}", s.Handler(s.home))
		se.Router.GET("/{path...}", s.notFound)
		return se.Next()
	})
	return nil
}

func (s *Shell) home(e *core.RequestEvent) error {
	return s.Render(e, http.StatusOK, "home", nil)
}

func (s *Shell) notFound(e *core.RequestEvent) error {
	if isAPI(e.Request) {
		return e.NotFoundError("", nil)
	}
	return s.Error(e, http.StatusNotFound, "ui.err_not_found")
}

// SafeNext returns next when it is a path on this site, "/" otherwise, so a
// ?next= parameter cannot send a member to another site. Browsers drop tabs
// and newlines from URLs and read a backslash as a slash, so "/\t/evil" and
// "/\\evil" are other sites to them: a control character or a backslash
// anywhere, raw or percent-encoded, refuses the value, as does anything a
// URL parser reads as having a scheme or a host.
func SafeNext(next string) string {
	if !localPath(next) {
		return "/"
	}
	// an encoded variant ("/%2F%2Fevil", "/%5Cevil", "/%09/evil") may be
	// decoded by a proxy or a later redirect: it must be local too
	if dec, err := url.PathUnescape(next); err != nil || !localPath(dec) {
		return "/"
	}
	return next
}

func localPath(p string) bool {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") {
		return false
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; c < 0x20 || c == 0x7f || c == '\\' {
			return false
		}
	}
	u, err := url.Parse(p)
	return err == nil && u.Scheme == "" && u.Host == "" && u.User == nil && u.Opaque == ""
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
