package members

import (
	"net/http"

	"github.com/canyu/canyu/ui"
)

// routes is the members module's route table: the account pages, profiles
// and phone binding, and the API under /api/members.
func (m *Module) routes() []ui.Route {
	lim := m.cfg.Limits
	signin, signup, reset := lim.Signin.MustBudget(), lim.Signup.MustBudget(), lim.Reset.MustBudget()
	profile, phone := lim.Profile.MustBudget(), lim.Phone.MustBudget()
	const get, post = http.MethodGet, http.MethodPost
	passwords := m.passwordsOn()
	return []ui.Route{
		{Method: get, Path: "/signin", Page: m.signinForm},
		{Method: post, Path: "/signin", Page: m.signin, Limit: signin},
		{Method: post, Path: "/signin/code", Page: m.signinCode, Limit: signin},
		{Method: post, Path: "/signout", Page: m.signout},
		{Method: get, Path: "/signup", Page: m.signupForm},
		{Method: post, Path: "/signup", Page: m.signup, Limit: signup},
		{Method: get, Path: "/reset", Page: m.resetForm, Guard: passwords},
		{Method: post, Path: "/reset", Page: m.resetRequest, Limit: reset, Guard: passwords},
		{Method: get, Path: "/reset/confirm", Page: m.resetConfirmForm, Guard: passwords},
		{Method: post, Path: "/reset/confirm", Page: m.resetConfirm, Limit: reset, Guard: passwords},
		{Method: get, Path: "/verify", Page: m.verifyEmail},
		{Method: get, Path: "/signin/oauth2/callback", Page: m.oauth2Callback},
		{Method: get, Path: "/signin/oauth2/{provider}", Page: m.oauth2Start},

		{Method: get, Path: "/profile", Page: m.profileForm, Members: true},
		{Method: post, Path: "/profile", Page: m.profileSave, Members: true, Limit: profile},
		{Method: post, Path: "/verify/resend", Page: m.verifyResend, Members: true, Limit: reset},
		{Method: get, Path: "/members/phone", Page: m.phoneForm, Members: true},
		{Method: post, Path: "/members/phone/code", Page: m.phoneSendCode, Members: true, Limit: phone},
		{Method: post, Path: "/members/phone/verify", Page: m.phoneVerify, Members: true, Limit: phone},

		{Method: get, Path: "/members", Page: m.directory},
		{Method: get, Path: "/members/{id}", Page: m.profileView},
		{Method: get, Path: "/members/by-name/{name}", Page: m.profileByName},

		{Method: post, Path: "/api/members/phone/code", API: m.apiPhoneCode, Members: true, Limit: phone},
		{Method: post, Path: "/api/members/phone/verify", API: m.apiPhoneVerify, Members: true, Limit: phone},
		{Method: get, Path: "/api/members/me", API: m.apiMe, Members: true},
	}
}
