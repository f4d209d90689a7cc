package testutil

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"
)

// Browser is a cookie-keeping client of a real server that does not follow
// redirects, so a test sees each answer as a member's browser gets it.
type Browser struct {
	T      testing.TB
	Base   string
	Client *http.Client
	Lang   string // Accept-Language, when set
}

// NewBrowser serves app on loopback and returns a browser for it. PocketBase
// binds a router to an app once: make further browsers with Another.
func NewBrowser(t testing.TB, app core.App) *Browser {
	t.Helper()
	return newBrowserAt(t, Serve(t, app))
}

// BrowserAt is a browser for a server the test already runs at base.
func BrowserAt(t testing.TB, base string) *Browser { return newBrowserAt(t, base) }

func newBrowserAt(t testing.TB, base string) *Browser {
	jar, _ := cookiejar.New(nil)
	return &Browser{T: t, Base: base, Client: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Another is a second browser (its own cookies) on the same server.
func (b *Browser) Another() *Browser { return newBrowserAt(b.T, b.Base) }

// As signs the browser in as member (the web UI's auth cookie) and returns it.
func (b *Browser) As(member *core.Record) *Browser {
	u, _ := url.Parse(b.Base)
	b.Client.Jar.SetCookies(u, []*http.Cookie{{Name: "canyu_auth", Value: Token(b.T, member), Path: "/"}})
	return b
}

// Do sends a request (a form when form is not nil) with extra header pairs
// and returns the status, the body and the headers.
func (b *Browser) Do(method, path string, form url.Values, header ...string) (int, string, http.Header) {
	b.T.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.Base+path, body)
	if err != nil {
		b.T.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	if b.Lang != "" {
		req.Header.Set("Accept-Language", b.Lang)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := b.Client.Do(req)
	if err != nil {
		b.T.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(raw), res.Header
}
