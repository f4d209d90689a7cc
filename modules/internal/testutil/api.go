package testutil

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/canyu/canyu/ui"
)

// Answer is a JSON API's answer as a client sees it.
type Answer struct {
	Status int
	Body   map[string]any
	Header http.Header
}

// Code is the answer's data.code (the problem's stable name), "" for none.
func (a Answer) Code() string {
	d, _ := a.Body["data"].(map[string]any)
	c, _ := d["code"].(string)
	return c
}

// API sends a JSON request to a server at base, with the member's token
// when token is not empty and extra header pairs, and decodes the answer.
func API(t testing.TB, base, method, path, token, body string, header ...string) Answer {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	a := Answer{Status: res.StatusCode, Header: res.Header}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &a.Body); err != nil {
			t.Fatalf("%s %s: not JSON: %s", method, path, raw)
		}
	}
	return a
}

// Page GETs a page at url in English, with the member's session cookie when
// token is not empty, and returns the status and the body.
func Page(t testing.TB, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept-Language", "en")
	if token != "" {
		req.AddCookie(&http.Cookie{Name: ui.AuthCookie, Value: token})
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(b)
}
