package members

import (
	"database/sql"
	"errors"
	"net/http"
	"slices"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/mails"
	"github.com/pocketbase/pocketbase/tools/routine"
	"github.com/pocketbase/pocketbase/tools/search"
	"github.com/pocketbase/pocketbase/tools/security"

	"github.com/canyu/canyu/ui"
)

// The web forms obey the users collection's settings the way PocketBase's
// own auth API does, so an admin who changes them in the dashboard changes
// both: password sign-in switched off, an auth rule (such as
// "verified = true"), a create rule (null: nobody signs up), MFA.

var (
	errSignupClosed  = errors.New("members: sign-up is closed")
	errSignupRefused = errors.New("members: the create rule refused the account")
)

// passwordAllowed reports whether members may sign in (and so sign up) with
// an email and a password.
func passwordAllowed(users *core.Collection) bool {
	return users.PasswordAuth.Enabled && slices.Contains(users.PasswordAuth.IdentityFields, core.FieldNameEmail)
}

// signupOpen reports whether anyone but a superuser may create an account.
func signupOpen(users *core.Collection) bool { return users.CreateRule != nil }

// mayCreate applies the create rule to a member saved (not yet committed)
// inside tx, as PocketBase's create API does.
func mayCreate(tx core.App, e *core.RequestEvent, member *core.Record) error {
	rule := member.Collection().CreateRule
	switch {
	case rule == nil:
		return errSignupClosed
	case *rule == "":
		return nil
	}
	info, err := e.RequestInfo()
	if err != nil {
		return err
	}
	ok, err := tx.CanAccessRecord(member, info, rule)
	if err != nil {
		return err
	}
	if !ok {
		return errSignupRefused
	}
	return nil
}

// signinRefusal returns why member may not sign in by the auth rule (a
// catalog key), or "" when they may.
func signinRefusal(e *core.RequestEvent, member *core.Record) (string, error) {
	info, err := e.RequestInfo()
	if err != nil {
		return "", err
	}
	ok, err := e.App.CanAccessRecord(member, info, member.Collection().AuthRule)
	if err != nil {
		return "", err
	}
	switch {
	case ok:
		return "", nil
	case !member.Verified():
		return "members.err_unverified", nil
	}
	return "members.err_not_allowed", nil
}

// wantsMFA reports whether member must give a second factor.
func wantsMFA(e *core.RequestEvent, member *core.Record) (bool, error) {
	mfa := member.Collection().MFA
	if !mfa.Enabled {
		return false, nil
	}
	if mfa.Rule == "" {
		return true, nil
	}
	info, err := e.RequestInfo()
	if err != nil {
		return true, err
	}
	resolver := core.NewRecordFieldResolver(e.App, member.Collection(), info, true)
	expr, err := search.FilterData(mfa.Rule).BuildExpr(resolver)
	if err != nil {
		return true, err
	}
	q := e.App.RecordQuery(member.Collection()).Select("(1)").AndWhere(dbx.HashExp{member.Collection().Name + ".id": member.Id})
	if err := resolver.UpdateQuery(q); err != nil {
		return true, err
	}
	var n int
	if err := q.AndWhere(expr).Limit(1).Row(&n); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return true, err
	}
	return n > 0, nil
}

// CodeView is the data of the page asking for the emailed sign-in code.
type CodeView struct {
	MFA, OTP, Next string
	Error          string
}

// finishSignIn signs member in after a first factor (method: "password" or
// "oauth2"): the auth rule first, then, when MFA applies, a code sent by
// email (PocketBase's OTP) before the session starts.
func (m *Module) finishSignIn(e *core.RequestEvent, member *core.Record, method, next string) error {
	refusal, err := signinRefusal(e, member)
	if err != nil {
		return err
	}
	if refusal != "" {
		return m.deps.UI.Render(e, http.StatusForbidden, "members/signin", SigninView{Email: member.Email(), Next: next,
			Error: refusal, Providers: providers(e.App), PasswordOn: passwordAllowed(member.Collection())})
	}
	want, err := wantsMFA(e, member)
	if err != nil {
		return err
	}
	if !want {
		if err := m.deps.UI.SignIn(e, member); err != nil {
			return err
		}
		return e.Redirect(http.StatusSeeOther, next)
	}
	users := member.Collection()
	if !users.OTP.Enabled {
		return m.deps.UI.Render(e, http.StatusForbidden, "members/signin", SigninView{Email: member.Email(), Next: next,
			Error: "members.err_mfa_web", Providers: providers(e.App), PasswordOn: passwordAllowed(users)})
	}
	mfa := core.NewMFA(e.App)
	mfa.SetCollectionRef(users.Id)
	mfa.SetRecordRef(member.Id)
	mfa.SetMethod(method)
	if err := e.App.Save(mfa); err != nil {
		return err
	}
	pass := security.RandomStringWithAlphabet(users.OTP.Length, "1234567890")
	otp := core.NewOTP(e.App)
	otp.SetCollectionRef(users.Id)
	otp.SetRecordRef(member.Id)
	otp.SetPassword(pass)
	if err := e.App.Save(otp); err != nil {
		return err
	}
	app := e.App
	routine.FireAndForget(func() {
		if err := mails.SendRecordOTP(app, member, otp.Id, pass); err != nil {
			app.Logger().Error("members: sign-in code mail failed", "member", member.Id, "error", err)
		}
	})
	return m.deps.UI.Render(e, http.StatusOK, "members/signin_code", CodeView{MFA: mfa.Id, OTP: otp.Id, Next: next})
}

// maxCodeGuesses is how many wrong sign-in codes one emailed code survives.
const maxCodeGuesses = 5

// signinCode: POST /signin/code, the second step of a sign-in under MFA.
func (m *Module) signinCode(e *core.RequestEvent) error {
	v := CodeView{MFA: e.Request.FormValue("mfa"), OTP: e.Request.FormValue("otp"), Next: ui.SafeNext(e.Request.FormValue("next"))}
	fail := func(key string) error {
		v.Error = key
		return m.deps.UI.Render(e, http.StatusBadRequest, "members/signin_code", v)
	}
	users, err := e.App.FindCachedCollectionByNameOrId("users")
	if err != nil {
		return err
	}
	// the first factor must be a password or a provider: an MFA begun by an
	// emailed code (through PocketBase's own OTP API) would let a second
	// emailed code stand in for the password
	mfa, err := e.App.FindMFAById(v.MFA)
	if err != nil || mfa.CollectionRef() != users.Id || mfa.HasExpired(users.MFA.DurationTime()) ||
		(mfa.Method() != core.MFAMethodPassword && mfa.Method() != core.MFAMethodOAuth2) {
		return fail("members.err_code_expired")
	}
	otp, err := e.App.FindOTPById(v.OTP)
	if err != nil || otp.CollectionRef() != users.Id || otp.RecordRef() != mfa.RecordRef() || otp.HasExpired(users.OTP.DurationTime()) {
		return fail("members.err_code_expired")
	}
	// each emailed code survives maxCodeGuesses wrong guesses, then is burnt:
	// the budget refills one guess per two lifetimes, so never while it lives
	life := users.OTP.DurationTime()
	if ok, _ := m.deps.UI.Limiter().Allow("members.otp\x00"+otp.Id, ui.Limit{N: maxCodeGuesses, Per: 2 * maxCodeGuesses * life}); !ok {
		_ = e.App.Delete(otp)
		return fail("members.err_code_expired")
	}
	if !otp.ValidatePassword(e.Request.FormValue("code")) {
		return fail("members.err_code_wrong")
	}
	member, err := e.App.FindRecordById(users, mfa.RecordRef())
	if err != nil {
		return fail("members.err_code_expired")
	}
	if refusal, err := signinRefusal(e, member); err != nil {
		return err
	} else if refusal != "" {
		return fail(refusal)
	}
	if err := e.App.Delete(otp); err != nil {
		return err
	}
	if err := e.App.Delete(mfa); err != nil {
		return err
	}
	if err := m.deps.UI.SignIn(e, member); err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, v.Next)
}
