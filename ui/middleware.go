package ui

import (
	"net/http"
	"strings"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
)

// AuthCookie is the name of the HttpOnly cookie that carries a member's
// PocketBase auth token in the web UI.
const AuthCookie = "canyu_auth"

// contentSecurityPolicy allows only the site's own files: no inline script or
// style, no plugins, no framing.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// Middleware priorities: after PocketBase's own token loader, before routes.
const (
	cookieAuthPriority = apis.DefaultLoadAuthTokenMiddlewarePriority + 1
	csrfPriority       = apis.DefaultLoadAuthTokenMiddlewarePriority + 2
	headersPriority    = apis.DefaultSecurityHeadersMiddlewarePriority + 1
	langPriority       = apis.DefaultLoadAuthTokenMiddlewarePriority + 3
)

func isDashboard(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/_/") }
func isAPI(r *http.Request) bool       { return strings.HasPrefix(r.URL.Path, "/api/") }

// securityHeaders sets the CSP and the other security headers on everything
// but PocketBase's dashboard (which ships its own).
func (s *Shell) securityHeaders() *hook.Handler[*core.RequestEvent] {
	return &hook.Handler[*core.RequestEvent]{
		Id:       "canyuSecurityHeaders",
		Priority: headersPriority,
		Func: func(e *core.RequestEvent) error {
			h := e.Response.Header()
			h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
			h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
			h.Set("Cross-Origin-Opener-Policy", "same-origin")
			if !isDashboard(e.Request) {
				h.Set("Content-Security-Policy", contentSecurityPolicy)
				h.Set("X-Frame-Options", "DENY")
			}
			if s.secure(e) {
				h.Set("Strict-Transport-Security", "max-age=31536000")
			}
			return e.Next()
		},
	}
}

// csrf refuses cross-origin state-changing requests from browsers with Go's
// http.CrossOriginProtection (Sec-Fetch-Site and Origin checks). Requests
// without browser headers (curl, integrators with a token) pass.
func (s *Shell) csrf() (*hook.Handler[*core.RequestEvent], error) {
	cop, err := s.CrossOriginProtection()
	if err != nil {
		return nil, err
	}
	return &hook.Handler[*core.RequestEvent]{
		Id:       "canyuCSRF",
		Priority: csrfPriority,
		Func: func(e *core.RequestEvent) error {
			if err := cop.Check(e.Request); err != nil {
				if isAPI(e.Request) || isDashboard(e.Request) {
					return e.ForbiddenError(s.T(e, "ui.err_cross_origin"), nil)
				}
				return s.Error(e, http.StatusForbidden, "ui.err_cross_origin")
			}
			return e.Next()
		},
	}, nil
}

// CrossOriginProtection returns the check the shell applies to every
// request, for handlers that run outside PocketBase's router.
func (s *Shell) CrossOriginProtection() (*http.CrossOriginProtection, error) {
	cop := http.NewCrossOriginProtection()
	for _, o := range append([]string{strings.TrimRight(s.deps.PublicURL, "/")}, s.cfg.TrustedOrigins...) {
		if err := cop.AddTrustedOrigin(o); err != nil {
			return nil, err
		}
	}
	return cop, nil
}

// cookieAuth loads the member from the auth cookie when the request carries
// no Authorization header. A stale cookie is cleared.
func (s *Shell) cookieAuth() *hook.Handler[*core.RequestEvent] {
	return &hook.Handler[*core.RequestEvent]{
		Id:       "canyuCookieAuth",
		Priority: cookieAuthPriority,
		Func: func(e *core.RequestEvent) error {
			if e.Auth != nil || e.Request.Header.Get("Authorization") != "" {
				return e.Next()
			}
			c, err := e.Request.Cookie(AuthCookie)
			if err != nil || c.Value == "" {
				return e.Next()
			}
			rec, err := e.App.FindAuthRecordByToken(c.Value, core.TokenTypeAuth)
			if err != nil || rec.Collection().Name != "users" {
				s.clearAuthCookie(e)
				return e.Next()
			}
			e.Auth = rec
			return e.Next()
		},
	}
}

// langFromQuery remembers an explicit ?lang= choice in a cookie.
func (s *Shell) langFromQuery() *hook.Handler[*core.RequestEvent] {
	return &hook.Handler[*core.RequestEvent]{
		Id:       "canyuLang",
		Priority: langPriority,
		Func: func(e *core.RequestEvent) error {
			if l, ok := ParseLang(e.Request.URL.Query().Get("lang")); ok && !isAPI(e.Request) {
				s.SetLang(e, l)
			}
			return e.Next()
		},
	}
}

func (s *Shell) secure(e *core.RequestEvent) bool {
	switch s.cfg.SecureCookies {
	case "always":
		return true
	case "never":
		return false
	}
	return e.IsTLS() || strings.HasPrefix(s.deps.PublicURL, "https://")
}

// SignIn starts a web session for member: a fresh auth token in an HttpOnly,
// SameSite=Lax cookie (Secure behind https).
func (s *Shell) SignIn(e *core.RequestEvent, member *core.Record) error {
	token, err := member.NewAuthToken()
	if err != nil {
		return err
	}
	e.SetCookie(&http.Cookie{
		Name:     AuthCookie,
		Value:    token,
		Path:     "/",
		MaxAge:   int(member.Collection().AuthToken.Duration),
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
		Secure:   s.secure(e),
	})
	e.Auth = member
	return nil
}

// SignOut ends the web session.
func (s *Shell) SignOut(e *core.RequestEvent) {
	s.clearAuthCookie(e)
	e.Auth = nil
}

func (s *Shell) clearAuthCookie(e *core.RequestEvent) {
	e.SetCookie(&http.Cookie{Name: AuthCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secure(e)})
}

// RequireMember sends guests of an HTML page to the sign-in page and back
// (or, on a site without an accounts module, shows them the 401 page).
func (s *Shell) RequireMember() *hook.Handler[*core.RequestEvent] {
	return &hook.Handler[*core.RequestEvent]{
		Id: "canyuRequireMember",
		Func: func(e *core.RequestEvent) error {
			if e.Auth == nil || e.Auth.Collection().Name != "users" {
				if signin := s.AccountLinks().SignIn; signin != "" {
					return e.Redirect(http.StatusSeeOther, signin+"?next="+urlQueryEscape(e.Request.URL.RequestURI()))
				}
				return s.Error(e, http.StatusUnauthorized, "ui.err_signed_out")
			}
			return e.Next()
		},
	}
}

// SetLang remembers the member's language choice in a cookie.
func (s *Shell) SetLang(e *core.RequestEvent, l Lang) {
	e.SetCookie(&http.Cookie{Name: langCookie, Value: string(l), Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode, Secure: s.secure(e)})
	e.Set(langStoreKey, l)
}
