package members

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/modules/internal/testutil"
)

// fakeOIDC is an OpenID provider that checks the PKCE verifier.
type fakeOIDC struct {
	mu        sync.Mutex
	challenge string
	user      map[string]any
	srv       *httptest.Server
}

func newFakeOIDC(t *testing.T, user map[string]any) *fakeOIDC {
	f := &fakeOIDC{user: user}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		sum := sha256.Sum256([]byte(r.Form.Get("code_verifier")))
		f.mu.Lock()
		ok := base64.RawURLEncoding.EncodeToString(sum[:]) == f.challenge && r.Form.Get("code") == "the-code"
		f.mu.Unlock()
		if !ok {
			http.Error(w, `{"error":"invalid_grant"}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"access_token":"at","token_type":"bearer","expires_in":3600}`))
	})
	mux.HandleFunc("GET /userinfo", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer at" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		json.NewEncoder(w).Encode(f.user)
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func enableOIDC(t *testing.T, app core.App, f *fakeOIDC) {
	t.Helper()
	users, _ := app.FindCollectionByNameOrId("users")
	users.OAuth2.Enabled = true
	users.OAuth2.Providers = []core.OAuth2ProviderConfig{{
		Name: "oidc", DisplayName: "Example ID", ClientId: "cid", ClientSecret: "secret",
		AuthURL: f.srv.URL + "/authorize", TokenURL: f.srv.URL + "/token", UserInfoURL: f.srv.URL + "/userinfo",
	}}
	if err := app.Save(users); err != nil {
		t.Fatal(err)
	}
}

// oauth2SignIn runs the flow and returns the callback's status and location.
func oauth2SignIn(t *testing.T, b *testutil.Browser, f *fakeOIDC, tamperState bool) (int, string) {
	t.Helper()
	status, _, h := b.Do("GET", "/signin/oauth2/oidc?next=/members", nil)
	if status != 303 || !strings.HasPrefix(h.Get("Location"), f.srv.URL+"/authorize") {
		t.Fatalf("GET /signin/oauth2/oidc = %d to %q, want 303 to the provider", status, h.Get("Location"))
	}
	u, _ := url.Parse(h.Get("Location"))
	f.mu.Lock()
	f.challenge = u.Query().Get("code_challenge")
	f.mu.Unlock()
	if u.Query().Get("code_challenge_method") != "S256" || !strings.HasSuffix(u.Query().Get("redirect_uri"), "/signin/oauth2/callback") {
		t.Fatalf("authorize URL %s lacks PKCE or the callback", u)
	}
	state := u.Query().Get("state")
	if tamperState {
		state += "x"
	}
	status, _, h = b.Do("GET", "/signin/oauth2/callback?state="+url.QueryEscape(state)+"&code=the-code", nil)
	return status, h.Get("Location")
}

func TestOAuth2SignInCreatesThenLinks(t *testing.T) {
	e := newEnv(t)
	f := newFakeOIDC(t, map[string]any{"sub": "ext-1", "email": "o@x.io", "email_verified": true, "name": "OAuth Fan"})
	enableOIDC(t, e.app, f)
	b := testutil.NewBrowser(t, e.app)

	if _, body, _ := b.Do("GET", "/signin", nil); !strings.Contains(body, "Continue with Example ID") {
		t.Fatalf("sign-in page lacks the provider button")
	}
	status, loc := oauth2SignIn(t, b, f, false)
	if status != 303 || loc != "/members" {
		t.Fatalf("callback = %d to %q, want 303 to /members", status, loc)
	}
	m, err := e.app.FindAuthRecordByEmail("users", "o@x.io")
	if err != nil || !m.Verified() || m.GetString("name") != "OAuth Fan" {
		t.Fatalf("member after OAuth2 sign-up: %v, %v", m, err)
	}
	if _, body, _ := b.Do("GET", "/profile", nil); !strings.Contains(body, "OAuth Fan") {
		t.Fatal("not signed in after the callback")
	}

	b2 := b.Another()
	if status, _ := oauth2SignIn(t, b2, f, false); status != 303 {
		t.Fatalf("second OAuth2 sign-in = %d", status)
	}
	if n, _ := e.app.CountRecords("users"); n != 1 {
		t.Errorf("%d members after signing in twice, want 1", n)
	}
	if n, _ := e.app.CountRecords(core.CollectionNameExternalAuths, dbx.HashExp{"provider": "oidc"}); n != 1 {
		t.Errorf("%d external auth links, want 1", n)
	}
}

func TestOAuth2LinksExistingEmail(t *testing.T) {
	e := newEnv(t)
	existing := testutil.Member(t, e.app, "o@x.io", "Already Here")
	f := newFakeOIDC(t, map[string]any{"sub": "ext-2", "email": "o@x.io", "email_verified": true, "name": "Other Name"})
	enableOIDC(t, e.app, f)
	b := testutil.NewBrowser(t, e.app)
	if status, _ := oauth2SignIn(t, b, f, false); status != 303 {
		t.Fatalf("callback = %d", status)
	}
	if n, _ := e.app.CountRecords("users"); n != 1 {
		t.Fatalf("%d members, want the existing one linked", n)
	}
	if _, body, _ := b.Do("GET", "/profile", nil); !strings.Contains(body, "Already Here") {
		t.Errorf("signed in as someone else than %s", existing.Id)
	}
}

// TestOAuth2PreHijackingUndone: someone registers the victim's address with
// a password of their own and never verifies it; when the owner signs in
// through a provider that vouches for the address, the account becomes the
// owner's alone: the squatter's password and tokens stop working and their
// own provider link is gone.
func TestOAuth2PreHijackingUndone(t *testing.T) {
	e := newEnv(t)
	users, _ := e.app.FindCollectionByNameOrId("users")
	squat := core.NewRecord(users)
	squat.SetEmail("victim@x.io")
	squat.SetPassword("attacker-pass")
	squat.Set("name", "Squatter")
	if err := e.app.Save(squat); err != nil {
		t.Fatal(err)
	}
	squatToken := testutil.Token(t, squat)
	other := core.NewExternalAuth(e.app)
	other.SetCollectionRef(users.Id)
	other.SetRecordRef(squat.Id)
	other.SetProvider("github")
	other.SetProviderId("attacker-gh")
	if err := e.app.Save(other); err != nil {
		t.Fatal(err)
	}

	f := newFakeOIDC(t, map[string]any{"sub": "victim-1", "email": "victim@x.io", "email_verified": true, "name": "Victim"})
	enableOIDC(t, e.app, f)
	b := testutil.NewBrowser(t, e.app)
	if status, _ := oauth2SignIn(t, b, f, false); status != 303 {
		t.Fatalf("callback = %d", status)
	}
	m, err := e.app.FindAuthRecordByEmail("users", "victim@x.io")
	if err != nil || m.Id != squat.Id {
		t.Fatalf("member = %v, %v; want the existing account taken over", m, err)
	}
	if !m.Verified() {
		t.Error("taken-over account is not verified")
	}
	if m.ValidatePassword("attacker-pass") {
		t.Error("the squatter's password still signs in")
	}
	if _, err := e.app.FindAuthRecordByToken(squatToken, core.TokenTypeAuth); err == nil {
		t.Error("the squatter's token still works")
	}
	links, _ := e.app.FindAllExternalAuthsByRecord(m)
	if len(links) != 1 || links[0].Provider() != "oidc" {
		t.Errorf("provider links = %v, want only the owner's oidc link", links)
	}
	// the web form refuses the squatter's password too
	status, body, _ := b.Another().Do("POST", "/signin", url.Values{"email": {"victim@x.io"}, "password": {"attacker-pass"}})
	if status != 400 || !strings.Contains(body, "do not match an account") {
		t.Errorf("sign-in with the squatter's password = %d", status)
	}
}

func TestOAuth2UnverifiedEmailDoesNotLink(t *testing.T) {
	e := newEnv(t)
	testutil.Member(t, e.app, "o@x.io", "Victim")
	f := newFakeOIDC(t, map[string]any{"sub": "ext-3", "email": "o@x.io", "email_verified": false, "name": "Attacker"})
	enableOIDC(t, e.app, f)
	b := testutil.NewBrowser(t, e.app)
	if status, _ := oauth2SignIn(t, b, f, false); status != 400 {
		t.Fatalf("callback without a verified email = %d, want 400", status)
	}
	if _, body, _ := b.Do("GET", "/profile", nil); strings.Contains(body, "Victim") {
		t.Fatal("an unverified provider email took over an existing account")
	}
	if n, _ := e.app.CountRecords(core.CollectionNameExternalAuths); n != 0 {
		t.Errorf("%d external auth links, want 0", n)
	}
}

func TestOAuth2RefusesBadState(t *testing.T) {
	e := newEnv(t)
	f := newFakeOIDC(t, map[string]any{"sub": "ext-4", "email": "o@x.io", "email_verified": true})
	enableOIDC(t, e.app, f)
	b := testutil.NewBrowser(t, e.app)
	if status, _ := oauth2SignIn(t, b, f, true); status != 400 {
		t.Fatalf("callback with a forged state = %d, want 400", status)
	}
	if n, _ := e.app.CountRecords("users"); n != 0 {
		t.Errorf("%d members after a forged callback, want 0", n)
	}
	if status, _, _ := b.Do("GET", "/signin/oauth2/nope", nil); status != 404 {
		t.Errorf("unknown provider = %d, want 404", status)
	}
}
