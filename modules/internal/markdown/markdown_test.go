package markdown

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func TestRenderGolden(t *testing.T) {
	r := New("/members/by-name/")
	files, err := filepath.Glob("testdata/*.md")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	for _, in := range files {
		t.Run(filepath.Base(in), func(t *testing.T) {
			src, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			got := string(r.Render(string(src)))
			golden := strings.TrimSuffix(in, ".md") + ".golden.html"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update once)", err)
			}
			if got != string(want) {
				t.Errorf("Render(%s) =\n%s\nwant\n%s", in, got, want)
			}
		})
	}
}

// unsafe returns a description of the first dangerous construct in out: a
// script-capable element, an event-handler attribute or a script/data URL.
func unsafe(out string) string {
	z := html.NewTokenizer(strings.NewReader(out))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			switch tok.Data {
			case "script", "iframe", "object", "embed", "style", "svg", "math", "form":
				return "<" + tok.Data + ">"
			}
			for _, a := range tok.Attr {
				key := strings.ToLower(a.Key)
				if strings.HasPrefix(key, "on") || key == "style" {
					return key + "="
				}
				val := strings.ToLower(strings.Map(func(r rune) rune {
					if r <= ' ' {
						return -1
					}
					return r
				}, a.Val))
				for _, scheme := range []string{"javascript:", "data:", "vbscript:"} {
					if strings.HasPrefix(val, scheme) {
						return key + "=" + scheme
					}
				}
			}
		}
	}
}

func assertSafe(t *testing.T, src, out string) {
	t.Helper()
	if m := unsafe(out); m != "" {
		t.Fatalf("Render(%q) contains %s:\n%s", src, m, out)
	}
}

func TestRenderStripsDangerousMarkup(t *testing.T) {
	r := New("/members/by-name/")
	cases := []string{
		"<script>alert(1)</script>",
		"<img src=x onerror=alert(1)>",
		"[x](javascript:alert(1))",
		"[x](JaVaScRiPt:alert(1))",
		"[x](data:text/html,<script>alert(1)</script>)",
		"![x](data:image/svg+xml,<svg onload=alert(1)>)",
		"<a href=\"javascript:alert(1)\">x</a>",
		"[x](vbscript:msgbox)",
		"<iframe src=https://evil.example></iframe>",
		"<div style=\"background:url(javascript:alert(1))\">x</div>",
		"[x](&#106;avascript:alert(1))",
		"<svg><script>alert(1)</script></svg>",
	}
	for _, src := range cases {
		out := string(r.Render(src))
		assertSafe(t, src, out)
	}
}

func TestRenderKeepsContent(t *testing.T) {
	r := New("/members/by-name/")
	out := string(r.Render("**粗体** and [link](https://example.com)"))
	for _, want := range []string{"<strong>粗体</strong>", `href="https://example.com"`, `rel="nofollow noreferrer noopener"`} {
		if !strings.Contains(out, want) {
			t.Errorf("Render() = %s, want it to contain %s", out, want)
		}
	}
}

func TestRenderCutsHugeInput(t *testing.T) {
	out := New("/members/by-name/").Render(strings.Repeat("a", MaxInput*2))
	if n := strings.Count(string(out), "a"); n > MaxInput {
		t.Errorf("Render(2*MaxInput) kept %d characters, want at most %d", n, MaxInput)
	}
}

func FuzzRender(f *testing.F) {
	seeds := []string{
		"<script>alert(1)</script>", "[a](javascript:x)", "<img onerror=x>", "![a](data:x)",
		"<a href='java\tscript:x'>a</a>", "[a](<javascript:x>)", "`<script>`", "<<script>script>",
		"[a]: javascript:x\n\n[a]", "<details open ontoggle=alert(1)>",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	r := New("/members/by-name/")
	f.Fuzz(func(t *testing.T, src string) {
		assertSafe(t, src, string(r.Render(src)))
	})
}

func TestMentionsLinkToProfiles(t *testing.T) {
	r := New("/members/by-name/")
	for _, c := range []struct{ in, want string }{
		{"hi @Ann.", `<p>hi <a href="/members/by-name/Ann" rel="nofollow noreferrer">@Ann</a>.</p>`},
		{"(@小米版主)", `<p>(<a href="/members/by-name/%E5%B0%8F%E7%B1%B3%E7%89%88%E4%B8%BB" rel="nofollow noreferrer">@小米版主</a>)</p>`},
		{"mail ann@example.com", `<p>mail <a href="mailto:ann@example.com" rel="nofollow noreferrer">ann@example.com</a></p>`},
		{"`@code`", `<p><code>@code</code></p>`},
		{"@a", `<p>@a</p>`},
	} {
		if got := strings.TrimSpace(string(r.Render(c.in))); got != c.want {
			t.Errorf("Render(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}

func TestPlain(t *testing.T) {
	r := New("")
	for src, want := range map[string]string{
		"**Night mode** for the *gallery*":    "Night mode for the gallery",
		"- one\n- two":                        "one two",
		"[link](https://x.io) &amp; <b>x</b>": "link & x", // raw HTML is dropped, as Render drops it
		"<script>alert(1)</script>ok":         "",
	} {
		if got := r.Plain(src); got != want {
			t.Errorf("Plain(%q) = %q, want %q", src, got, want)
		}
	}
}
