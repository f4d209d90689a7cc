package members

import (
	"net/http"
	"strings"

	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/hooks"
	"github.com/canyu/canyu/ui"
)

// SigninView is the data of the sign-in page.
type SigninView struct {
	Email     string
	Next      string
	Error     string // catalog key
	Providers []ProviderLink
	// PasswordOn: the users collection allows password sign-in (an admin may
	// switch it off in the dashboard, leaving the providers).
	PasswordOn bool
}

func (m *Module) signinForm(e *core.RequestEvent) error {
	next := ui.SafeNext(e.Request.URL.Query().Get("next"))
	if e.Auth != nil {
		return e.Redirect(http.StatusSeeOther, next)
	}
	users, err := e.App.FindCachedCollectionByNameOrId("users")
	if err != nil {
		return err
	}
	return m.deps.UI.Render(e, http.StatusOK, "members/signin", SigninView{Next: next, Providers: providers(e.App), PasswordOn: passwordAllowed(users)})
}

func (m *Module) signin(e *core.RequestEvent) error {
	users, err := e.App.FindCachedCollectionByNameOrId("users")
	if err != nil {
		return err
	}
	v := SigninView{
		Email:      strings.TrimSpace(e.Request.FormValue("email")),
		Next:       ui.SafeNext(e.Request.FormValue("next")),
		Providers:  providers(e.App),
		PasswordOn: passwordAllowed(users),
	}
	if !v.PasswordOn {
		v.Error = "members.err_password_off"
		return m.deps.UI.Render(e, http.StatusForbidden, "members/signin", v)
	}
	password := e.Request.FormValue("password")
	if v.Email == "" || password == "" {
		v.Error = "members.err_missing"
		return m.deps.UI.Render(e, http.StatusBadRequest, "members/signin", v)
	}
	member, err := e.App.FindAuthRecordByEmail(users, v.Email)
	if err != nil || !member.ValidatePassword(password) {
		v.Error = "members.err_credentials"
		return m.deps.UI.Render(e, http.StatusBadRequest, "members/signin", v)
	}
	return m.finishSignIn(e, member, "password", v.Next)
}

func (m *Module) signout(e *core.RequestEvent) error {
	if e.Auth != nil {
		// the session's live connections end with it (they follow the
		// member's own channels)
		token := ""
		if c, err := e.Request.Cookie(ui.AuthCookie); err == nil {
			token = c.Value
		}
		hooks.TriggerAfterCommit(e.App, m.deps.Events.MemberSignedOut, &hooks.SignOutEvent{App: e.App, Member: e.Auth, Token: token})
	}
	m.deps.UI.SignOut(e)
	m.deps.UI.Flash(e, "auth.signed_out")
	return e.Redirect(http.StatusSeeOther, "/")
}
