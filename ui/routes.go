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
	return s.Error(e, http.StatusNotFound, "error.404")
}

// SafeNext returns next when it is a local path, "/" otherwise, so a
// ?next= parameter cannot send a member to another site.
func SafeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
