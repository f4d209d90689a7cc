package members

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"github.com/canyu/canyu/hooks"
	"github.com/canyu/canyu/modules/internal/testutil"
	"github.com/canyu/canyu/ui"
)

func TestMain(m *testing.M) { testutil.Main(m) }

var t0 = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

// env is one test's app with the shell and the members module registered.
type env struct {
	app    *tests.TestApp
	mod    *Module
	clock  *testutil.Clock
	sms    *testutil.FakeSMS
	events *hooks.Events
}

func newEnv(t testing.TB) *env {
	t.Helper()
	te := testutil.NewEnv(t, t0)
	e := &env{app: te.App, clock: te.Clock, sms: &testutil.FakeSMS{}, events: te.Events}
	e.mod = New(DefaultConfig(), Deps{Deps: te.Deps(), SMS: e.sms})
	te.Register(t, e.mod)
	return e
}

// run runs s against env's app. PocketBase binds a router to an app once,
// so each env serves one scenario (or one real server).
func (e *env) run(t *testing.T, s tests.ApiScenario) {
	t.Helper()
	s.TestAppFactory = func(testing.TB) *tests.TestApp { return e.app }
	s.DisableTestAppCleanup = true
	s.Test(t)
}

func TestSignUpThroughAPI(t *testing.T) {
	cases := []struct {
		name   string
		body   string
		status int
		want   []string
	}{
		{"plain member", `{"email":"a@x.io","password":"password123","passwordConfirm":"password123","name":"A"}`, 200, []string{`"name":"A"`}},
		{"cannot give themselves a role", `{"email":"b@x.io","password":"password123","passwordConfirm":"password123","roles":["staff"]}`, 400, []string{`"status":400`}},
		// hidden fields are dropped from members' bodies: the account is made, without the phone
		{"cannot set a phone", `{"email":"c@x.io","password":"password123","passwordConfirm":"password123","phone":"+8613800138000"}`, 200, []string{`"collectionName":"users"`}},
		{"short password", `{"email":"d@x.io","password":"short","passwordConfirm":"short"}`, 400, []string{`"password"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			signedUp := 0
			e.events.MemberSignedUp.BindFunc(func(ev *hooks.MemberEvent) error { signedUp++; return ev.Next() })
			e.run(t, tests.ApiScenario{
				Method: http.MethodPost, URL: "/api/collections/users/records", Body: strings.NewReader(c.body),
				ExpectedStatus: c.status, ExpectedContent: c.want,
			})
			if want := map[bool]int{true: 1, false: 0}[c.status == 200]; signedUp != want {
				t.Errorf("MemberSignedUp fired %d times, want %d", signedUp, want)
			}
			if n, _ := e.app.CountRecords("users", dbx.NewExp("phone != '' OR roles != '[]'")); n != 0 {
				t.Errorf("%d members with a phone or a role after sign-up, want 0", n)
			}
		})
	}
}

func TestSignInThroughAPI(t *testing.T) {
	for _, c := range []struct {
		password string
		status   int
		want     string
	}{{"password123", 200, `"token":`}, {"wrong-password", 400, `"status":400`}} {
		e := newEnv(t)
		testutil.Member(t, e.app, "m@x.io", "M")
		e.run(t, tests.ApiScenario{
			Method: http.MethodPost, URL: "/api/collections/users/auth-with-password",
			Body:           strings.NewReader(`{"identity":"m@x.io","password":"` + c.password + `"}`),
			ExpectedStatus: c.status, ExpectedContent: []string{c.want},
		})
	}
}

func TestProfileEditThroughAPI(t *testing.T) {
	cases := []struct {
		name       string
		other      bool
		body       string
		status     int
		field      string
		want       string
		otherField string
	}{
		{"own name and city", false, `{"name":"New","city":"深圳","bio":"hi"}`, 200, "city", "深圳", ""},
		{"another member's profile", true, `{"name":"Hacked"}`, 404, "name", "Me", "Other"},
		{"own roles", false, `{"roles":["staff"]}`, 404, "roles", "[]", ""},
		// hidden fields are dropped from members' bodies: accepted, not stored
		{"own phone", false, `{"phone":"+8613800138000"}`, 200, "phone", "", ""},
		{"own phone_verified", false, `{"phone_verified":"2026-01-01 00:00:00.000Z"}`, 200, "phone_verified", "", ""},
		{"bad language", false, `{"language":"fr"}`, 400, "language", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			me := testutil.Member(t, e.app, "me@x.io", "Me")
			other := testutil.Member(t, e.app, "other@x.io", "Other")
			id := me.Id
			if c.other {
				id = other.Id
			}
			e.run(t, tests.ApiScenario{
				Method: http.MethodPatch, URL: "/api/collections/users/records/" + id, Body: strings.NewReader(c.body),
				Headers: map[string]string{"Authorization": testutil.Token(t, me)}, ExpectedStatus: c.status,
				NotExpectedContent: []string{`"phone"`, "Hacked"},
			})
			fresh, _ := e.app.FindRecordById("users", me.Id)
			if got := fmt.Sprint(fresh.Get(c.field)); c.field == "roles" && got != c.want || c.field != "roles" && c.want != "" && got != c.want {
				t.Errorf("%s after PATCH = %q, want %q", c.field, got, c.want)
			}
			if c.field == "phone" || c.field == "phone_verified" {
				if got := fresh.GetString(c.field); got != "" {
					t.Errorf("%s after PATCH = %q, want empty", c.field, got)
				}
			}
			if o, _ := e.app.FindRecordById("users", other.Id); o.GetString("name") != "Other" {
				t.Errorf("other member's name = %q, want Other", o.GetString("name"))
			}
		})
	}
}

func TestPublicProfileHidesPrivateFields(t *testing.T) {
	e := newEnv(t)
	m := testutil.Member(t, e.app, "secret@x.io", "Public Name")
	m.Set("phone", "+8613800138000")
	if err := e.app.Save(m); err != nil {
		t.Fatal(err)
	}
	b := testutil.NewBrowser(t, e.app)
	for _, c := range []struct {
		path   string
		status int
		want   string
	}{
		{"/api/collections/users/records/" + m.Id, 200, `"name":"Public Name"`},
		{"/members/" + m.Id, 200, "Public Name"},
		{"/members/nosuchmember123", 404, "There is no member"},
	} {
		status, body, _ := b.Do("GET", c.path, nil)
		if status != c.status || !strings.Contains(body, c.want) || strings.Contains(body, "secret@x.io") || strings.Contains(body, "13800138000") {
			t.Errorf("GET %s = %d, want %d with %q and neither email nor phone:\n%.300s", c.path, status, c.status, c.want, body)
		}
	}
}

func TestSignUpAndSignInForms(t *testing.T) {
	e := newEnv(t)
	b := testutil.NewBrowser(t, e.app)

	// mismatched passwords: 400, entered values kept
	status, body, _ := b.Do("POST", "/signup", url.Values{"name": {"小米粉"}, "email": {"fan@x.io"}, "password": {"password123"}, "password_confirm": {"password124"}, "city": {"武汉"}})
	if status != 400 || !strings.Contains(body, `value="小米粉"`) || !strings.Contains(body, `value="武汉"`) || !strings.Contains(body, "The two passwords differ") {
		t.Fatalf("POST /signup (mismatch) = %d, want 400 with the values kept and the error:\n%s", status, body)
	}
	if n, _ := e.app.CountRecords("users"); n != 0 {
		t.Fatalf("members after a refused sign-up = %d, want 0", n)
	}

	status, _, h := b.Do("POST", "/signup", url.Values{"name": {"小米粉"}, "email": {"fan@x.io"}, "password": {"password123"}, "password_confirm": {"password123"}, "language": {"zh-CN"}})
	if status != 303 || h.Get("Location") != "/profile" {
		t.Fatalf("POST /signup = %d to %q, want 303 to /profile", status, h.Get("Location"))
	}
	if c := h.Get("Set-Cookie"); !strings.Contains(c, ui.AuthCookie+"=") || !strings.Contains(c, "HttpOnly") || !strings.Contains(c, "SameSite=Lax") {
		t.Errorf("sign-up cookie = %q, want an HttpOnly SameSite=Lax %s", c, ui.AuthCookie)
	}
	status, body, _ = b.Do("GET", "/profile", nil)
	if status != 200 || !strings.Contains(body, "小米粉") || !strings.Contains(body, `lang="zh-CN"`) {
		t.Fatalf("GET /profile after sign-up = %d, want 200 in Chinese with the name:\n%.400s", status, body)
	}

	// the same address again, from a fresh browser
	b2 := b.Another()
	status, body, _ = b2.Do("POST", "/signup", url.Values{"name": {"Dup"}, "email": {"fan@x.io"}, "password": {"password123"}, "password_confirm": {"password123"}, "language": {"en"}})
	if status != 400 || !strings.Contains(body, "An account already uses this email") {
		t.Fatalf("POST /signup (duplicate) = %d, want 400 naming the duplicate:\n%s", status, body)
	}

	// sign out, then in
	status, _, _ = b.Do("POST", "/signout", url.Values{})
	if status != 303 {
		t.Fatalf("POST /signout = %d, want 303", status)
	}
	status, _, h = b.Do("GET", "/profile", nil)
	if status != 303 || !strings.HasPrefix(h.Get("Location"), "/signin?next=") {
		t.Fatalf("GET /profile signed out = %d to %q, want 303 to /signin", status, h.Get("Location"))
	}
	status, body, _ = b.Do("POST", "/signin", url.Values{"email": {"fan@x.io"}, "password": {"nope-nope"}})
	if status != 400 || !strings.Contains(body, "邮箱或密码不正确") && !strings.Contains(body, "do not match") {
		t.Fatalf("POST /signin (wrong) = %d, want 400 with a message:\n%.300s", status, body)
	}
	status, _, h = b.Do("POST", "/signin", url.Values{"email": {"fan@x.io"}, "password": {"password123"}, "next": {"//evil.example/x"}})
	if status != 303 || h.Get("Location") != "/" {
		t.Fatalf("POST /signin with an outside next = %d to %q, want 303 to /", status, h.Get("Location"))
	}
}

func TestProfileFormCannotGrantRoles(t *testing.T) {
	e := newEnv(t)
	testutil.Member(t, e.app, "p@x.io", "P")
	b := testutil.NewBrowser(t, e.app)
	if status, _, _ := b.Do("POST", "/signin", url.Values{"email": {"p@x.io"}, "password": {"password123"}}); status != 303 {
		t.Fatalf("sign in = %d", status)
	}
	status, _, _ := b.Do("POST", "/profile", url.Values{"name": {"Pat"}, "bio": {"hello"}, "city": {"杭州"}, "language": {"en"}, "roles": {"staff"}, "phone": {"+8613800138000"}})
	if status != 303 {
		t.Fatalf("POST /profile = %d, want 303", status)
	}
	m, _ := e.app.FindAuthRecordByEmail("users", "p@x.io")
	if m.GetString("name") != "Pat" || m.GetString("city") != "杭州" || len(m.GetStringSlice("roles")) != 0 || m.GetString("phone") != "" {
		t.Errorf("after POST /profile: name=%q city=%q roles=%v phone=%q, want Pat, 杭州, none, none",
			m.GetString("name"), m.GetString("city"), m.GetStringSlice("roles"), m.GetString("phone"))
	}
	status, body, _ := b.Do("POST", "/profile", url.Values{"name": {""}, "bio": {"kept bio"}, "language": {"en"}})
	if status != 400 || !strings.Contains(body, "kept bio") || !strings.Contains(body, "This field is required") {
		t.Errorf("POST /profile without a name = %d, want 400 keeping the bio:\n%.300s", status, body)
	}
}

func TestCrossSiteFormIsRefused(t *testing.T) {
	e := newEnv(t)
	testutil.Member(t, e.app, "c@x.io", "C")
	b := testutil.NewBrowser(t, e.app)
	status, body, _ := b.Do("POST", "/signin", url.Values{"email": {"c@x.io"}, "password": {"password123"}}, "Sec-Fetch-Site", "cross-site")
	if status != 403 || !strings.Contains(body, "another site") {
		t.Fatalf("cross-site POST /signin = %d, want 403 with an explanation:\n%.300s", status, body)
	}
	status, _, _ = b.Do("POST", "/signin", url.Values{"email": {"c@x.io"}, "password": {"password123"}}, "Origin", "https://evil.example", "Sec-Fetch-Site", "")
	if status != 403 {
		t.Fatalf("POST /signin from a foreign Origin = %d, want 403", status)
	}
}

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t)
	b := testutil.NewBrowser(t, e.app)
	_, _, h := b.Do("GET", "/signin", nil)
	for k, want := range map[string]string{
		"Content-Security-Policy": "script-src 'self'",
		"X-Frame-Options":         "DENY",
		"Referrer-Policy":         "strict-origin-when-cross-origin",
		"X-Content-Type-Options":  "nosniff",
	} {
		if !strings.Contains(h.Get(k), want) {
			t.Errorf("GET /signin header %s = %q, want it to contain %q", k, h.Get(k), want)
		}
	}
	if strings.Contains(h.Get("Content-Security-Policy"), "unsafe-inline") {
		t.Errorf("CSP allows unsafe-inline: %s", h.Get("Content-Security-Policy"))
	}
}

func TestLanguageChoice(t *testing.T) {
	e := newEnv(t)
	b := testutil.NewBrowser(t, e.app)
	cases := []struct {
		path, accept, want string
	}{
		{"/signin", "", "Welcome back"},
		{"/signin", "zh-CN,zh;q=0.9", "欢迎回来"},
		{"/signin", "zh-TW", "欢迎回来"},
		{"/signin?lang=en", "zh-CN", "Welcome back"},
		{"/signin", "zh-CN", "Welcome back"}, // the ?lang=en choice is remembered
	}
	for _, c := range cases {
		b.Lang = c.accept
		if _, body, _ := b.Do("GET", c.path, nil); !strings.Contains(body, c.want) {
			t.Errorf("GET %s (Accept-Language %q) lacks %q", c.path, c.accept, c.want)
		}
	}
}

func TestPasswordReset(t *testing.T) {
	e := newEnv(t)
	testutil.Member(t, e.app, "r@x.io", "R")
	b := testutil.NewBrowser(t, e.app)

	status, body, _ := b.Do("POST", "/reset", url.Values{"email": {"nobody@x.io"}})
	if status != 200 || !strings.Contains(body, "If an account uses that address") || e.app.TestMailer.TotalSend() != 0 {
		t.Fatalf("POST /reset (unknown) = %d, mails %d; want 200, the same answer, no mail", status, e.app.TestMailer.TotalSend())
	}
	status, _, _ = b.Do("POST", "/reset", url.Values{"email": {"r@x.io"}})
	if status != 200 || e.app.TestMailer.TotalSend() != 1 {
		t.Fatalf("POST /reset = %d, mails %d; want 200 and one mail", status, e.app.TestMailer.TotalSend())
	}
	mail := e.app.TestMailer.LastMessage().HTML
	i := strings.Index(mail, "/reset/confirm?token=")
	if i < 0 {
		t.Fatalf("reset mail has no /reset/confirm link:\n%s", mail)
	}
	token := strings.SplitN(mail[i+len("/reset/confirm?token="):], `"`, 2)[0]

	if status, _, _ := b.Do("GET", "/reset/confirm?token="+token, nil); status != 200 {
		t.Fatalf("GET /reset/confirm = %d, want 200", status)
	}
	if status, _, _ := b.Do("POST", "/reset/confirm", url.Values{"token": {token}, "password": {"newpassword1"}, "password_confirm": {"other"}}); status != 400 {
		t.Fatalf("POST /reset/confirm mismatch = %d, want 400", status)
	}
	if status, _, _ := b.Do("POST", "/reset/confirm", url.Values{"token": {token}, "password": {"newpassword1"}, "password_confirm": {"newpassword1"}}); status != 303 {
		t.Fatalf("POST /reset/confirm = %d, want 303", status)
	}
	m, _ := e.app.FindAuthRecordByEmail("users", "r@x.io")
	if !m.ValidatePassword("newpassword1") {
		t.Error("password not changed")
	}
	if status, _, _ := b.Do("POST", "/reset/confirm", url.Values{"token": {token}, "password": {"another-one"}, "password_confirm": {"another-one"}}); status != 400 {
		t.Errorf("reusing the reset link = %d, want 400", status)
	}
}

func TestEmailVerification(t *testing.T) {
	e := newEnv(t)
	users, _ := e.app.FindCollectionByNameOrId("users")
	m := core.NewRecord(users)
	m.SetEmail("v@x.io")
	m.SetPassword("password123")
	if err := e.app.Save(m); err != nil {
		t.Fatal(err)
	}
	tok, err := m.NewVerificationToken()
	if err != nil {
		t.Fatal(err)
	}
	b := testutil.NewBrowser(t, e.app)
	if status, _, _ := b.Do("GET", "/verify?token=bogus", nil); status != 400 {
		t.Errorf("GET /verify bogus = %d, want 400", status)
	}
	if status, _, h := b.Do("GET", "/verify?token="+tok, nil); status != 303 || h.Get("Location") != "/profile" {
		t.Fatalf("GET /verify = %d, want 303", status)
	}
	if m, _ := e.app.FindRecordById("users", m.Id); !m.Verified() {
		t.Error("member not verified after the link")
	}
}

func TestRateLimitOnSignIn(t *testing.T) {
	e := newEnv(t)
	b := testutil.NewBrowser(t, e.app)
	last := 0
	for range 12 {
		last, _, _ = b.Do("POST", "/signin", url.Values{"email": {"x@x.io"}, "password": {"whatever1"}})
	}
	if last != http.StatusTooManyRequests {
		t.Fatalf("12th POST /signin within a minute = %d, want 429", last)
	}
}

func TestNotFoundPage(t *testing.T) {
	e := newEnv(t)
	b := testutil.NewBrowser(t, e.app)
	status, body, h := b.Do("GET", "/no/such/page", nil)
	if status != 404 || !strings.Contains(h.Get("Content-Type"), "text/html") || !strings.Contains(body, "This page does not exist") {
		t.Errorf("GET /no/such/page = %d %s, want an HTML 404", status, h.Get("Content-Type"))
	}
	status, _, h = b.Do("GET", "/api/no/such", nil)
	if status != 404 || !strings.Contains(h.Get("Content-Type"), "json") {
		t.Errorf("GET /api/no/such = %d %s, want a JSON 404", status, h.Get("Content-Type"))
	}
}

func TestMentionLinksFindTheProfile(t *testing.T) {
	e := newEnv(t)
	m := testutil.Member(t, e.app, "mei@x.io", "小梅")
	testutil.Member(t, e.app, "tom1@x.io", "Tom")
	testutil.Member(t, e.app, "tom2@x.io", "tom")
	b := testutil.NewBrowser(t, e.app)
	if status, _, h := b.Do("GET", "/members/by-name/"+url.PathEscape("小梅"), nil); status != 303 || h.Get("Location") != "/members/"+m.Id {
		t.Errorf("mention link = %d to %q, want 303 to the profile", status, h.Get("Location"))
	}
	for _, name := range []string{"Tom", "nobody"} { // two members share "Tom"; nobody is called "nobody"
		if status, _, _ := b.Do("GET", "/members/by-name/"+name, nil); status != 404 {
			t.Errorf("mention link for %q = %d, want 404", name, status)
		}
	}
}
