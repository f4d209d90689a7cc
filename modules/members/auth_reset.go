package members

import (
	"net/http"
	"strings"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/mails"
	"github.com/pocketbase/pocketbase/tools/hook"
)

// passwordsOn guards the reset pages: a site that switched password sign-in
// off has no password to reset (a reset would sign the member in by one).
func (m *Module) passwordsOn() *hook.Handler[*core.RequestEvent] {
	return &hook.Handler[*core.RequestEvent]{
		Id: "canyuPasswordsOn",
		Func: func(e *core.RequestEvent) error {
			users, err := e.App.FindCachedCollectionByNameOrId("users")
			if err != nil {
				return err
			}
			if !passwordAllowed(users) {
				return m.deps.UI.Error(e, http.StatusNotFound, "members.err_password_off")
			}
			return e.Next()
		},
	}
}

// ResetView is the data of the password-reset pages.
type ResetView struct {
	Email string
	Token string
	Sent  bool
	Error string
}

func (m *Module) resetForm(e *core.RequestEvent) error {
	return m.deps.UI.Render(e, http.StatusOK, "members/reset", ResetView{})
}

// resetRequest sends a reset link when the address belongs to a member. The
// answer is the same either way, so the form cannot tell who is a member.
func (m *Module) resetRequest(e *core.RequestEvent) error {
	v := ResetView{Email: strings.TrimSpace(e.Request.FormValue("email"))}
	if v.Email == "" {
		v.Error = "members.err_required"
		return m.deps.UI.Render(e, http.StatusBadRequest, "members/reset", v)
	}
	if member, err := e.App.FindAuthRecordByEmail("users", v.Email); err == nil {
		if err := mails.SendRecordPasswordReset(e.App, member); err != nil {
			return err
		}
	}
	v.Sent = true
	return m.deps.UI.Render(e, http.StatusOK, "members/reset", v)
}

func (m *Module) resetConfirmForm(e *core.RequestEvent) error {
	token := e.Request.URL.Query().Get("token")
	if _, err := e.App.FindAuthRecordByToken(token, core.TokenTypePasswordReset); err != nil {
		return m.deps.UI.Error(e, http.StatusBadRequest, "members.err_reset_token")
	}
	return m.deps.UI.Render(e, http.StatusOK, "members/reset_confirm", ResetView{Token: token})
}

func (m *Module) resetConfirm(e *core.RequestEvent) error {
	v := ResetView{Token: e.Request.FormValue("token")}
	member, err := e.App.FindAuthRecordByToken(v.Token, core.TokenTypePasswordReset)
	if err != nil {
		return m.deps.UI.Error(e, http.StatusBadRequest, "members.err_reset_token")
	}
	password := e.Request.FormValue("password")
	switch {
	case len(password) < 8:
		v.Error = "members.err_too_short_password"
	case password != e.Request.FormValue("password_confirm"):
		v.Error = "members.err_password_mismatch"
	}
	if v.Error != "" {
		return m.deps.UI.Render(e, http.StatusBadRequest, "members/reset_confirm", v)
	}
	member.SetPassword(password) // also renews the token key: the link and old sessions stop working
	member.SetVerified(true)     // the member proved they read this mailbox
	if err := e.App.Save(member); err != nil {
		return err
	}
	m.deps.UI.Flash(e, "auth.password_changed")
	// signing in after a reset goes through the same gate as the sign-in
	// form: the auth rule, then MFA
	return m.finishSignIn(e, member, core.MFAMethodPassword, "/profile")
}
