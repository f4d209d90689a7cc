package ui

import (
	"testing"
	"testing/fstest"
)

func TestParseLang(t *testing.T) {
	cases := []struct {
		in   string
		want Lang
		ok   bool
	}{
		{"en", English, true}, {"EN-gb", English, true}, {"zh", Chinese, true}, {"zh-CN", Chinese, true},
		{"zh-Hans-CN", Chinese, true}, {"zh-TW", Chinese, true}, {"fr", "", false}, {"", "", false}, {"<script>", "", false},
	}
	for _, c := range cases {
		if got, ok := ParseLang(c.in); got != c.want || ok != c.ok {
			t.Errorf("ParseLang(%q) = %q, %v, want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestSafeNext(t *testing.T) {
	cases := map[string]string{
		"/profile": "/profile", "/members/abc?x=1": "/members/abc?x=1",
		"//evil.example": "/", "https://evil.example": "/", "/\\evil.example": "/", "": "/", "javascript:alert(1)": "/",
		// browsers drop tabs and newlines and read a backslash as a slash
		"/\t/evil.example": "/", "/\n/evil.example": "/", "/\r/evil.example": "/", "\t//evil.example": "/",
		"/x\\y": "/", "/\x00/evil.example": "/", "/\x7f/evil.example": "/",
		// encoded variants
		"/%09/evil.example": "/", "/%0a/evil.example": "/", "/%5Cevil.example": "/", "/%5cevil.example": "/",
		"/%2F%2Fevil.example": "/", "/%2f/evil.example": "/", "/%zz": "/",
		// ordinary paths stay
		"/forum/search?q=a%20b": "/forum/search?q=a%20b", "/forum/t/abc#reply": "/forum/t/abc#reply",
	}
	for in, want := range cases {
		if got := SafeNext(in); got != want {
			t.Errorf("SafeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCatalog(t *testing.T) {
	c := NewCatalog()
	err := c.Add(fstest.MapFS{
		"en.json":    {Data: []byte(`{"a":"Hello %s","only.en":"x"}`)},
		"zh-CN.json": {Data: []byte(`{"a":"你好 %s"}`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.T(Chinese, "a", "米粉"); got != "你好 米粉" {
		t.Errorf("T(zh, a) = %q", got)
	}
	if got := c.T(Chinese, "only.en"); got != "x" {
		t.Errorf("T(zh, only.en) = %q, want the English fallback", got)
	}
	c.SetFallback(Chinese) // a site whose default language is Chinese
	if err := c.Add(fstest.MapFS{"en.json": {Data: []byte(`{"both":"English"}`)}, "zh-CN.json": {Data: []byte(`{"both":"中文","only.zh":"只有中文"}`)}}); err != nil {
		t.Fatal(err)
	}
	if got := c.T(English, "only.zh"); got != "只有中文" {
		t.Errorf("T(en, only.zh) = %q, want the default language's text, not the key", got)
	}
	if got := c.T(English, "nope"); got != "nope" {
		t.Errorf("T(en, nope) = %q, want the key", got)
	}
	if m := c.Missing(); len(m) != 2 || m[1] != `zh-CN lacks "only.en"` {
		t.Errorf("Missing() = %v", m)
	}
	dup := fstest.MapFS{"en.json": {Data: []byte(`{"a":"again"}`)}, "zh-CN.json": {Data: []byte(`{}`)}}
	if err := c.Add(dup); err == nil {
		t.Error("Add(duplicate key) = nil, want an error")
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Errorf("DefaultConfig().Validate() = %v", err)
	}
	bad := DefaultConfig()
	bad.SecureCookies = "sometimes"
	if bad.Validate() == nil {
		t.Error("Validate(secure_cookies: sometimes) = nil, want an error")
	}
}
