package members

import (
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
}

func (m *Module) signupForm(e *core.RequestEvent) error {
	if e.Auth != nil {
		return e.Redirect(http.StatusSeeOther, "/profile")
	}
	return m.deps.UI.Render(e, http.StatusOK, "members/signup", SignupView{Language: string(m.deps.UI.Lang(e))})
}

func (m *Module) signup(e *core.RequestEvent) error {
	v := SignupView{
		Name:     strings.TrimSpace(e.Request.FormValue("name")),
		Email:    strings.TrimSpace(e.Request.FormValue("email")),
		City:     strings.TrimSpace(e.Request.FormValue("city")),
		Language: e.Request.FormValue("language"),
		Errors:   map[string]string{},
	}
	password := e.Request.FormValue("password")
	if v.Name == "" {
		v.Errors["name"] = "form.required"
	}
	if v.Email == "" {
		v.Errors["email"] = "form.required"
	}
	if len(password) < 8 {
		v.Errors["password"] = "form.too_short_password"
	}
	if password != e.Request.FormValue("password_confirm") {
		v.Errors["password_confirm"] = "form.password_mismatch"
	}
	lang, ok := ui.ParseLang(v.Language)
	if !ok {
		lang = m.deps.UI.Lang(e)
	}
	v.Language = string(lang)
	if len(v.Errors) > 0 {
		return m.deps.UI.Render(e, http.StatusBadRequest, "members/signup", v)
	}

	users, err := e.App.FindCachedCollectionByNameOrId("users")
	if err != nil {
		return err
	}
	member := core.NewRecord(users)
	member.SetEmail(v.Email)
	member.SetPassword(password)
	member.Set("name", v.Name)
	member.Set("city", v.City)
	member.Set("language", string(lang))
	if err := e.App.Save(member); err != nil {
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
	if err := m.deps.UI.SignIn(e, member); err != nil {
		return err
	}
	m.deps.UI.Flash(e, "auth.welcome")
	return e.Redirect(http.StatusSeeOther, "/profile")
}
