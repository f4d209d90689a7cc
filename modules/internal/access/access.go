// Package access holds the member roles and the middleware that gates routes
// by role. Every module uses it; it knows no module.
package access

import (
	"slices"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
)

// Roles a member can hold besides plain membership. Admins are PocketBase
// superusers; roles are granted in the dashboard.
const (
	RoleStaff     = "staff"     // engineers and product people who answer members
	RoleModerator = "moderator" // keeps the forum tidy
	RolePresident = "president" // leads a city club
	RoleAdvisor   = "advisor"   // member of the advisory group
)

// HasRole reports whether member holds role. Superusers hold every role.
func HasRole(member *core.Record, role string) bool {
	if member == nil {
		return false
	}
	if member.IsSuperuser() {
		return true
	}
	return slices.Contains(member.GetStringSlice("roles"), role)
}

// RequireRole lets a request through only when its member holds one of roles.
// Guests get 401, members without the role 403.
func RequireRole(roles ...string) *hook.Handler[*core.RequestEvent] {
	return &hook.Handler[*core.RequestEvent]{
		Id: "canyuRequireRole",
		Func: func(e *core.RequestEvent) error {
			if e.Auth == nil {
				return e.UnauthorizedError("", nil)
			}
			for _, r := range roles {
				if HasRole(e.Auth, r) {
					return e.Next()
				}
			}
			return e.ForbiddenError("", nil)
		},
	}
}
