package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Switches PocketBase's rate limiter on with Canyu's rules (docs/rate-limits.md).
// Admins may tune them in the dashboard (Settings > Rate limiting).
func init() {
	m.Register(func(app core.App) error {
		s := app.Settings()
		s.RateLimits.Enabled = true
		s.RateLimits.Rules = []core.RateLimitRule{
			// PocketBase's auth endpoints: password, OTP, OAuth2, refresh
			{Label: "*:auth", MaxRequests: 10, Duration: 60},
			// sign-up through the API
			{Label: "users:create", MaxRequests: 5, Duration: 60},
			// the web forms
			{Label: "POST /signin", MaxRequests: 10, Duration: 60},
			{Label: "POST /signup", MaxRequests: 5, Duration: 60},
			{Label: "POST /reset", MaxRequests: 5, Duration: 300},
			{Label: "POST /reset/confirm", MaxRequests: 10, Duration: 300},
			// password-reset and verification emails through the API
			{Label: "*:requestPasswordReset", MaxRequests: 3, Duration: 300},
			{Label: "*:requestVerification", MaxRequests: 3, Duration: 300},
			// phone codes (the module also counts per account, phone and IP)
			{Label: "/api/members/phone/", MaxRequests: 20, Duration: 60},
			{Label: "POST /members/phone/", MaxRequests: 20, Duration: 60},
			// every other record write
			{Label: "*:create", MaxRequests: 30, Duration: 10},
			{Label: "*:update", MaxRequests: 30, Duration: 10},
			{Label: "*:delete", MaxRequests: 30, Duration: 10},
			// overall API budget per IP
			{Label: "/api/", MaxRequests: 600, Duration: 10},
		}
		return app.Save(s)
	}, func(app core.App) error {
		s := app.Settings()
		s.RateLimits.Enabled = false
		s.RateLimits.Rules = nil
		return app.Save(s)
	})
}
