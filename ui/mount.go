package ui

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/router"
)

// Route is one entry of a module's route table (its routes.go): the one
// place that says what the module answers, to whom, and how often.
type Route struct {
	Method, Path string
	// Exactly one of Page, API and Raw answers. A Page answers HTML: an
	// error it returns becomes an error page in the member's language. An
	// API route answers JSON: an error becomes {"status","message","data"}.
	// A Raw route (files, images, sockets) answers on its own.
	Page, API, Raw func(e *core.RequestEvent) error
	// Members lets only signed-in members through: a guest is sent to the
	// sign-in page (Page) or answered 401.
	Members bool
	// Guard runs after the member check (a role check).
	Guard *hook.Handler[*core.RequestEvent]
	// Limit is the route's own budget. Every write (any method but GET)
	// also counts against the writes budget of the limits section.
	Limit Budget
	// Quiet keeps no activity-log row for successful answers (busy pages).
	Quiet bool
}

// Mount binds a module's route table on r.
func (s *Shell) Mount(r *router.Router[*core.RequestEvent], routes []Route) {
	for _, rt := range routes {
		// routes under /api/ answer guests and refusals in JSON
		json := rt.API != nil || strings.HasPrefix(rt.Path, "/api/")
		var h func(e *core.RequestEvent) error
		switch {
		case rt.Page != nil:
			h = s.Handler(rt.Page)
		case rt.API != nil:
			h = s.APIHandler(rt.API)
		default:
			h = rt.Raw
		}
		route := r.Route(rt.Method, rt.Path, h)
		if rt.Quiet {
			route.Bind(apis.SkipSuccessActivityLog())
		}
		if rt.Members {
			if json {
				route.Bind(s.requireMemberJSON())
			} else {
				route.Bind(s.RequireMember())
			}
		}
		if rt.Guard != nil {
			if json {
				route.Bind(rt.Guard)
			} else {
				route.Bind(s.pageGuard(rt.Guard))
			}
		}
		if rt.Method != http.MethodGet && rt.Method != http.MethodHead {
			route.Bind(s.limit(rt.Method+" "+rt.Path, rt.Limit, json))
		}
	}
}

// limitPriority puts the rate limit after the member check and the guard
// (priority 0), so a refused guest costs no allowance.
const limitPriority = 30

// pageGuard shows a guard's refusal of a page as an error page in the
// member's language (a guard answers an *router.ApiError).
func (s *Shell) pageGuard(g *hook.Handler[*core.RequestEvent]) *hook.Handler[*core.RequestEvent] {
	return &hook.Handler[*core.RequestEvent]{
		Id:       g.Id,
		Priority: g.Priority,
		Func: func(e *core.RequestEvent) error {
			err := g.Func(e)
			var apiErr *router.ApiError
			if errors.As(err, &apiErr) && !e.Written() {
				return s.Error(e, apiErr.Status, statusKey(apiErr.Status))
			}
			return err
		},
	}
}

func (s *Shell) requireMemberJSON() *hook.Handler[*core.RequestEvent] {
	return &hook.Handler[*core.RequestEvent]{
		Id: "canyuRequireMemberJSON",
		Func: func(e *core.RequestEvent) error {
			if e.Auth == nil || e.Auth.Collection().Name != "users" {
				return s.writeProblem(e, &Problem{Status: http.StatusUnauthorized, Key: "ui.err_signed_out"})
			}
			return e.Next()
		},
	}
}

// limit charges a write to the writes budget and to the route's own.
func (s *Shell) limit(class string, own Budget, json bool) *hook.Handler[*core.RequestEvent] {
	return &hook.Handler[*core.RequestEvent]{
		Id:       "canyuRateLimit",
		Priority: limitPriority,
		Func: func(e *core.RequestEvent) error {
			if !s.limits.Enabled || e.HasSuperuserAuth() {
				return e.Next()
			}
			member, ip := "", e.RealIP()
			if e.Auth != nil {
				member = e.Auth.Id
			}
			ok, retry := s.limiter.AllowBudget("writes", s.writes, member, ip)
			if ok {
				ok, retry = s.limiter.AllowBudget(class, own, member, ip)
			}
			if ok {
				return e.Next()
			}
			e.Response.Header().Set("Retry-After", strconv.Itoa(int((retry+time.Second-1)/time.Second)))
			if json {
				return s.writeProblem(e, &Problem{Status: http.StatusTooManyRequests, Key: "ui.err_rate_limited"})
			}
			return s.Error(e, http.StatusTooManyRequests, "ui.err_rate_limited")
		},
	}
}

// Limiter returns the shell's rate limiter, for handlers that run outside
// PocketBase's router (the sale's lean front).
func (s *Shell) Limiter() *Limiter { return s.limiter }

// LimitsEnabled reports whether Canyu's rate limits are on.
func (s *Shell) LimitsEnabled() bool { return s.limits.Enabled }

// APIHandler wraps a JSON handler the way Handler wraps a page: a *Problem
// is answered as JSON in the member's language, a *router.ApiError as
// PocketBase answers it; anything else is logged and answered as a 500.
func (s *Shell) APIHandler(h func(e *core.RequestEvent) error) func(e *core.RequestEvent) error {
	return func(e *core.RequestEvent) error {
		if err := h(e); err != nil {
			return s.apiError(e, err)
		}
		return nil
	}
}
