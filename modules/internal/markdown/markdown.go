// Package markdown is the one renderer for member-written content: goldmark
// with raw HTML off, then a bluemonday sanitizer. It is the only source of
// trusted HTML in Canyu.
package markdown

import (
	"bytes"
	"html"
	"html/template"
	"regexp"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	gmhtml "github.com/yuin/goldmark/renderer/html"
)

// MaxInput is the largest source Render accepts; longer input is cut there.
const MaxInput = 64 << 10

// Renderer turns markdown into sanitized HTML. It is safe for concurrent use.
type Renderer struct {
	md     goldmark.Markdown
	policy *bluemonday.Policy
	strict *bluemonday.Policy // every tag out: Plain
}

// New returns a renderer with GitHub-flavoured extensions (tables,
// strikethrough, autolinks, task lists) and @mentions linked to
// mentionBase+name; with mentionBase empty (no accounts module) a mention
// stays text.
func New(mentionBase string) *Renderer {
	exts := []goldmark.Extender{extension.GFM, extension.CJK}
	if mentionBase != "" {
		exts = append(exts, mentionExtension{base: mentionBase})
	}
	md := goldmark.New(
		goldmark.WithExtensions(exts...),
		goldmark.WithRendererOptions(
			gmhtml.WithHardWraps(), // members write line by line, as in a chat
			// raw HTML stays off: goldmark escapes it unless html.WithUnsafe() is set
		),
	)

	p := bluemonday.UGCPolicy()
	p.AllowURLSchemes("http", "https", "mailto")
	p.RequireNoFollowOnLinks(true)
	p.RequireNoReferrerOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^language-[a-zA-Z0-9_+-]+$`)).OnElements("code")
	p.AllowAttrs("type").Matching(regexp.MustCompile(`^checkbox$`)).OnElements("input")
	p.AllowAttrs("checked", "disabled").OnElements("input")

	return &Renderer{md: md, policy: p, strict: bluemonday.StrictPolicy()}
}

// Render converts src to sanitized HTML. Invalid input never fails: the worst
// case is escaped text.
func (r *Renderer) Render(src string) template.HTML {
	if len(src) > MaxInput {
		src = src[:MaxInput]
	}
	var buf bytes.Buffer
	if err := r.md.Convert([]byte(src), &buf); err != nil {
		// goldmark only fails on writer errors; a bytes.Buffer has none.
		return template.HTML(template.HTMLEscapeString(src))
	}
	return template.HTML(r.policy.SanitizeBytes(buf.Bytes()))
}

// Plain is src as one line of plain text, its markup gone ("**Night
// mode**: on" reads "Night mode: on"): for labels, titles and previews.
func (r *Renderer) Plain(src string) string {
	text := html.UnescapeString(r.strict.Sanitize(string(r.Render(src))))
	return strings.Join(strings.Fields(text), " ")
}
