package members

import (
	"errors"
	"net/http"
	"strings"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/mails"
	"github.com/pocketbase/pocketbase/tools/routine"

	"github.com/canyu/canyu/ui"
)

// SignupView is the data of the sign-up page. Entered values survive an error.
type SignupView struct {
	Name     string
	Email    string
	City     string
	Language string
	Errors   map[string]string // field -> catalog key
	Error    string
	// Closed: the users collection takes no sign-ups (its create rule is
	// null); PasswordOn: members sign up with a password (else only through
	// the providers).
	Closed     bool
	PasswordOn bool
	Providers  []ProviderLink
}

func (m *Module) signupForm(e *core.RequestEvent) error {
	if e.Auth != nil {
		return e.Redirect(http.StatusSeeOther, "/profile")
	}
	users, err := e.App.FindCachedCollectionByNameOrId("users")
	if err != nil {
		return err
	}
	return m.deps.UI.Render(e, http.StatusOK, "members/signup", SignupView{Language: string(m.deps.UI.Lang(e)),
		Closed: !signupOpen(users), PasswordOn: passwordAllowed(users), Providers: providers(e.App)})
}

func (m *Module) signup(e *core.RequestEvent) error {
	users, err := e.App.FindCachedCollectionByNameOrId("users")
	if err != nil {
		return err
	}
	if !signupOpen(users) || !passwordAllowed(users) {
		v := SignupView{Closed: !signupOpen(users), PasswordOn: passwordAllowed(users), Providers: providers(e.App),
			Error: "members.err_signup_closed", Language: string(m.deps.UI.Lang(e))}
		if !v.Closed {
			v.Error = "members.err_password_off"
		}
		return m.deps.UI.Render(e, http.StatusForbidden, "members/signup", v)
	}
	v := SignupView{PasswordOn: true, Providers: providers(e.App),
		Name:     strings.TrimSpace(e.Request.FormValue("name")),
		Email:    strings.TrimSpace(e.Request.FormValue("email")),
		City:     strings.TrimSpace(e.Request.FormValue("city")),
		Language: e.Request.FormValue("language"),
		Errors:   map[string]string{},
	}
	password := e.Request.FormValue("password")
	if v.Name == "" {
		v.Errors["name"] = "members.err_required"
	}
	if v.Email == "" {
		v.Errors["email"] = "members.err_required"
	}
	if len(password) < 8 {
		v.Errors["password"] = "members.err_too_short_password"
	}
	if password != e.Request.FormValue("password_confirm") {
		v.Errors["password_confirm"] = "members.err_password_mismatch"
	}
	lang, ok := ui.ParseLang(v.Language)
	if !ok {
		lang = m.deps.UI.Lang(e)
	}
	v.Language = string(lang)
	if len(v.Errors) > 0 {
		return m.deps.UI.Render(e, http.StatusBadRequest, "members/signup", v)
	}

	member := core.NewRecord(users)
	member.SetEmail(v.Email)
	member.SetPassword(password)
	member.Set("name", v.Name)
	member.Set("city", v.City)
	member.Set("language", string(lang))
	err = e.App.RunInTransaction(func(tx core.App) error {
		if err := tx.Save(member); err != nil {
			return err
		}
		return mayCreate(tx, e, member) // an error rolls the account back
	})
	if errors.Is(err, errSignupRefused) || errors.Is(err, errSignupClosed) {
		v.Error = "members.err_signup_refused"
		return m.deps.UI.Render(e, http.StatusForbidden, "members/signup", v)
	}
	if err != nil {
		if fe, ok := fieldErrors(err); ok {
			v.Errors = fe
			return m.deps.UI.Render(e, http.StatusBadRequest, "members/signup", v)
		}
		return err
	}
	app := e.App
	routine.FireAndForget(func() {
		if err := mails.SendRecordVerification(app, member); err != nil {
			app.Logger().Error("members: verification mail failed", "member", member.Id, "error", err)
		}
	})
	// the auth rule (e.g. verified = true) or MFA may not let the new member
	// in yet: they confirm their address, then sign in
	refusal, err := signinRefusal(e, member)
	if err != nil {
		return err
	}
	mfa, err := wantsMFA(e, member)
	if err != nil {
		return err
	}
	if refusal != "" || mfa {
		m.deps.UI.Flash(e, "auth.welcome_then_signin")
		return e.Redirect(http.StatusSeeOther, "/signin")
	}
	if err := m.deps.UI.SignIn(e, member); err != nil {
		return err
	}
	m.deps.UI.Flash(e, "auth.welcome")
	return e.Redirect(http.StatusSeeOther, "/profile")
}
