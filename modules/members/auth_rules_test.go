package members

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"github.com/canyu/canyu/hooks"
	"github.com/canyu/canyu/modules/internal/testutil"
)

// editUsers changes the users collection as an admin would in the dashboard.
func editUsers(t *testing.T, e *env, edit func(c *core.Collection)) {
	t.Helper()
	users, err := e.app.FindCollectionByNameOrId("users")
	if err != nil {
		t.Fatal(err)
	}
	edit(users)
	if err := e.app.Save(users); err != nil {
		t.Fatal(err)
	}
}

func signinForm(b *testutil.Browser, email, password string) (int, string) {
	status, body, _ := b.Do("POST", "/signin", url.Values{"email": {email}, "password": {password}, "next": {"/members"}})
	return status, body
}

// signedIn reports whether the browser holds a session.
func signedIn(b *testutil.Browser) bool {
	status, _, _ := b.Do("GET", "/profile", nil)
	return status == http.StatusOK
}

// TestWebSigninObeysTheUsersCollection: the web forms follow what an admin
// sets on the users collection, as PocketBase's API does.
func TestWebSigninObeysTheUsersCollection(t *testing.T) {
	t.Run("password auth off", func(t *testing.T) {
		e := newEnv(t)
		testutil.Member(t, e.app, "a@x.io", "A")
		editUsers(t, e, func(c *core.Collection) { c.PasswordAuth.Enabled = false })
		b := testutil.NewBrowser(t, e.app)
		if _, page, _ := b.Do("GET", "/signin", nil); strings.Contains(page, `name="password"`) {
			t.Error("the sign-in page offers a password field while password auth is off")
		}
		status, page := signinForm(b, "a@x.io", "password123")
		if status != http.StatusForbidden || !strings.Contains(page, "switched off") || signedIn(b) {
			t.Errorf("password sign-in while off = %d, signed in %v", status, signedIn(b))
		}
		if status, _, _ := b.Do("POST", "/signup", url.Values{"name": {"N"}, "email": {"n@x.io"}, "password": {"password123"}, "password_confirm": {"password123"}}); status != http.StatusForbidden {
			t.Errorf("password sign-up while off = %d, want 403", status)
		}
	})
	t.Run("auth rule verified = true", func(t *testing.T) {
		e := newEnv(t)
		ok := testutil.Member(t, e.app, "ok@x.io", "Ok")
		_ = ok
		unverified := testutil.Member(t, e.app, "u@x.io", "U")
		unverified.SetVerified(false)
		if err := e.app.Save(unverified); err != nil {
			t.Fatal(err)
		}
		editUsers(t, e, func(c *core.Collection) { c.AuthRule = types.Pointer("verified = true") })
		b := testutil.NewBrowser(t, e.app)
		status, page := signinForm(b, "u@x.io", "password123")
		if status != http.StatusForbidden || !strings.Contains(page, "confirm your email address first") || signedIn(b) {
			t.Errorf("unverified sign-in under verified = true: %d, signed in %v", status, signedIn(b))
		}
		if status, _ := signinForm(b, "ok@x.io", "password123"); status != http.StatusSeeOther || !signedIn(b) {
			t.Errorf("verified sign-in = %d, want 303 and a session", status)
		}
		// a new account waits for its confirmation instead of being signed in
		nb := b.Another()
		status, _, h := nb.Do("POST", "/signup", url.Values{"name": {"New"}, "email": {"new@x.io"}, "password": {"password123"}, "password_confirm": {"password123"}})
		if status != http.StatusSeeOther || h.Get("Location") != "/signin" || signedIn(nb) {
			t.Errorf("sign-up under verified = true = %d to %q, signed in %v; want 303 to /signin without a session", status, h.Get("Location"), signedIn(nb))
		}
	})
	t.Run("auth rule null", func(t *testing.T) {
		e := newEnv(t)
		testutil.Member(t, e.app, "a@x.io", "A")
		editUsers(t, e, func(c *core.Collection) { c.AuthRule = nil })
		b := testutil.NewBrowser(t, e.app)
		if status, page := signinForm(b, "a@x.io", "password123"); status != http.StatusForbidden || !strings.Contains(page, "may not sign in") {
			t.Errorf("sign-in with a null auth rule = %d", status)
		}
	})
	t.Run("create rule null", func(t *testing.T) {
		e := newEnv(t)
		editUsers(t, e, func(c *core.Collection) { c.CreateRule = nil })
		b := testutil.NewBrowser(t, e.app)
		if _, page, _ := b.Do("GET", "/signup", nil); !strings.Contains(page, "not open") || strings.Contains(page, `name="password"`) {
			t.Error("the sign-up page offers a form while sign-ups are closed")
		}
		status, _, _ := b.Do("POST", "/signup", url.Values{"name": {"N"}, "email": {"n@x.io"}, "password": {"password123"}, "password_confirm": {"password123"}})
		if n, _ := e.app.CountRecords("users"); status != http.StatusForbidden || n != 0 {
			t.Errorf("sign-up with a null create rule = %d, %d accounts; want 403 and none", status, n)
		}
	})
	t.Run("create rule with a condition", func(t *testing.T) {
		e := newEnv(t)
		editUsers(t, e, func(c *core.Collection) { c.CreateRule = types.Pointer("@request.body.city = 'Wuhan'") })
		b := testutil.NewBrowser(t, e.app)
		form := func(email, city string) int {
			status, _, _ := b.Another().Do("POST", "/signup", url.Values{"name": {"N"}, "email": {email}, "city": {city}, "password": {"password123"}, "password_confirm": {"password123"}})
			return status
		}
		if status := form("bj@x.io", "Beijing"); status != http.StatusForbidden {
			t.Errorf("sign-up the create rule refuses = %d, want 403", status)
		}
		if _, err := e.app.FindAuthRecordByEmail("users", "bj@x.io"); err == nil {
			t.Error("the refused account was stored")
		}
		if status := form("wh@x.io", "Wuhan"); status != http.StatusSeeOther {
			t.Errorf("sign-up the create rule allows = %d, want 303", status)
		}
	})
}

var codePattern = regexp.MustCompile(`\b\d{8}\b`)

// TestWebSigninWithMFA: with MFA and one-time codes on, a right password
// is not enough; the emailed code completes the sign-in, a wrong one does
// not, and the code is burnt after a few wrong guesses.
func TestWebSigninWithMFA(t *testing.T) {
	e := newEnv(t)
	testutil.Member(t, e.app, "a@x.io", "A")
	editUsers(t, e, func(c *core.Collection) {
		c.MFA.Enabled = true
		c.OTP.Enabled = true
	})
	b := testutil.NewBrowser(t, e.app)
	status, page := signinForm(b, "a@x.io", "password123")
	if status != http.StatusOK || !strings.Contains(page, `name="code"`) || signedIn(b) {
		t.Fatalf("password under MFA = %d, signed in %v; want the code page and no session", status, signedIn(b))
	}
	hidden := func(name string) string {
		m := regexp.MustCompile(`name="` + name + `" value="([^"]*)"`).FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("code page lacks %s", name)
		}
		return m[1]
	}
	mfa, otp := hidden("mfa"), hidden("otp")
	var code string
	for deadline := time.Now().Add(5 * time.Second); code == ""; {
		if e.app.TestMailer.TotalSend() > 0 {
			code = codePattern.FindString(e.app.TestMailer.LastMessage().HTML)
		}
		if time.Now().After(deadline) {
			t.Fatal("no sign-in code mailed")
		}
		time.Sleep(20 * time.Millisecond)
	}
	send := func(c string) int {
		status, _, _ := b.Do("POST", "/signin/code", url.Values{"mfa": {mfa}, "otp": {otp}, "code": {c}, "next": {"/members"}})
		return status
	}
	wrong := "00000000"
	if wrong == code {
		wrong = "11111111"
	}
	if status := send(wrong); status != http.StatusBadRequest || signedIn(b) {
		t.Fatalf("wrong code = %d, want 400 and no session", status)
	}
	if status := send(code); status != http.StatusSeeOther || !signedIn(b) {
		t.Fatalf("right code = %d, signed in %v", status, signedIn(b))
	}
	if status := send(code); status != http.StatusBadRequest {
		t.Errorf("the used code again = %d, want 400", status)
	}

	// a fresh code survives five wrong guesses, then even the right one fails
	b2 := b.Another()
	_, page = signinForm(b2, "a@x.io", "password123")
	mfa, otp = hidden("mfa"), hidden("otp")
	guess := func(c string) int {
		status, _, _ := b2.Do("POST", "/signin/code", url.Values{"mfa": {mfa}, "otp": {otp}, "code": {c}})
		return status
	}
	for range maxCodeGuesses {
		guess("99999999x")
	}
	if _, err := e.app.FindOTPById(otp); err != nil {
		t.Fatalf("the code is gone before the guesses ran out: %v", err)
	}
	guess("99999999x")
	if _, err := e.app.FindOTPById(otp); err == nil {
		t.Error("the code survives more than five wrong guesses")
	}

	// an MFA begun by an emailed code (PocketBase's OTP API) does not let a
	// second emailed code stand in for the password
	byCode := core.NewMFA(e.app)
	byCode.SetCollectionRef(otpRecord(t, e, "").CollectionRef())
	byCode.SetRecordRef(otpRecord(t, e, "").RecordRef())
	byCode.SetMethod(core.MFAMethodOTP)
	if err := e.app.Save(byCode); err != nil {
		t.Fatal(err)
	}
	second := otpRecord(t, e, "12345678")
	b3 := b.Another()
	if status, _, _ := b3.Do("POST", "/signin/code", url.Values{"mfa": {byCode.Id}, "otp": {second.Id}, "code": {"12345678"}}); status != http.StatusBadRequest || signedIn(b3) {
		t.Errorf("code after code = %d, signed in %v; want 400 and no session", status, signedIn(b3))
	}

	// without one-time codes the web form cannot do a second step: it says so
	enableOIDC(t, e.app, newFakeOIDC(t, map[string]any{"sub": "x"})) // MFA needs two methods: password and OAuth2
	editUsers(t, e, func(c *core.Collection) { c.OTP.Enabled = false })
	if status, page := signinForm(b.Another(), "a@x.io", "password123"); status != http.StatusForbidden || !strings.Contains(page, "second step") {
		t.Errorf("MFA without codes = %d", status)
	}
}

// otpRecord saves a sign-in code for a@x.io with the given digits (or
// random ones when empty).
func otpRecord(t *testing.T, e *env, pass string) *core.OTP {
	t.Helper()
	member, err := e.app.FindAuthRecordByEmail("users", "a@x.io")
	if err != nil {
		t.Fatal(err)
	}
	if pass == "" {
		pass = "87654321"
	}
	otp := core.NewOTP(e.app)
	otp.SetCollectionRef(member.Collection().Id)
	otp.SetRecordRef(member.Id)
	otp.SetPassword(pass)
	if err := e.app.Save(otp); err != nil {
		t.Fatal(err)
	}
	return otp
}

// TestResetGoesThroughTheSigninGate: a password reset signs the member in
// only where the sign-in form would: the auth rule holds, MFA asks for its
// code, and a site without passwords has no reset pages.
func TestResetGoesThroughTheSigninGate(t *testing.T) {
	e := newEnv(t)
	member := testutil.Member(t, e.app, "a@x.io", "A")
	first := testutil.NewBrowser(t, e.app)
	reset := func() (int, string, *testutil.Browser) {
		t.Helper()
		token, err := member.NewPasswordResetToken()
		if err != nil {
			t.Fatal(err)
		}
		b := first.Another()
		status, page, _ := b.Do("POST", "/reset/confirm", url.Values{"token": {token}, "password": {"newpassword1"}, "password_confirm": {"newpassword1"}})
		fresh, err := e.app.FindRecordById("users", member.Id)
		if err != nil {
			t.Fatal(err)
		}
		member = fresh
		return status, page, b
	}

	// banned by the auth rule: the password changes, no session
	editUsers(t, e, func(c *core.Collection) { c.AuthRule = types.Pointer(`name != "A"`) })
	if status, _, b := reset(); status != http.StatusForbidden || signedIn(b) || !member.ValidatePassword("newpassword1") {
		t.Errorf("reset of a refused member = %d, signed in %v", status, signedIn(b))
	}

	// under MFA: the code page, no session yet
	editUsers(t, e, func(c *core.Collection) {
		c.AuthRule = types.Pointer("")
		c.MFA.Enabled = true
		c.OTP.Enabled = true
	})
	if status, page, b := reset(); status != http.StatusOK || !strings.Contains(page, `name="code"`) || signedIn(b) {
		t.Errorf("reset under MFA = %d, signed in %v; want the code page", status, signedIn(b))
	}

	// password sign-in off: no reset pages
	editUsers(t, e, func(c *core.Collection) {
		c.MFA.Enabled = false
		c.PasswordAuth.Enabled = false
	})
	if status, _, _ := reset(); status != http.StatusNotFound {
		t.Errorf("reset with passwords off = %d, want 404", status)
	}
	if status, _, _ := first.Another().Do("GET", "/reset", nil); status != http.StatusNotFound {
		t.Errorf("GET /reset with passwords off = %d, want 404", status)
	}
}

// TestSignOutEndsTheSession: signing out fires member.signed_out with the
// session's token, for the live hub to close that session's connections.
func TestSignOutEndsTheSession(t *testing.T) {
	e := newEnv(t)
	m := testutil.Member(t, e.app, "a@x.io", "A")
	var got *hooks.SignOutEvent
	e.events.MemberSignedOut.BindFunc(func(ev *hooks.SignOutEvent) error { got = ev; return ev.Next() })
	b := testutil.NewBrowser(t, e.app).As(m)
	u, _ := url.Parse(b.Base)
	var token string
	for _, c := range b.Client.Jar.Cookies(u) {
		if c.Name == "canyu_auth" {
			token = c.Value
		}
	}
	if status, _, _ := b.Do("POST", "/signout", url.Values{}); status != http.StatusSeeOther {
		t.Fatalf("sign-out = %d", status)
	}
	if got == nil || got.Member.Id != m.Id || got.Token != token || token == "" {
		t.Fatalf("member.signed_out = %+v, want the member and the session's token", got)
	}
	if signedIn(b) {
		t.Error("still signed in after signing out")
	}
}
