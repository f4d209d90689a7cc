package markdown

import (
	"net/url"
	"regexp"
	"unicode"
	"unicode/utf8"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// mentionName is what follows the @ of a mention (the forum notifies the
// same names).
var mentionName = regexp.MustCompile(`^@([\p{L}\p{N}_.\-]{2,40})`)

// mentions turns "@name" into a link to base+name (the accounts module
// redirects it to the member's profile).
type mentions struct{ base string }

func (mentions) Trigger() []byte { return []byte{'@'} }

func (mt mentions) Parse(_ ast.Node, block text.Reader, _ parser.Context) ast.Node {
	// not inside a word or an address ("ann@example.com")
	if prev := block.PrecendingCharacter(); prev != '\n' && prev != utf8.RuneError &&
		(unicode.IsLetter(prev) || unicode.IsDigit(prev) || prev == '_' || prev == '@') {
		return nil
	}
	line, _ := block.PeekLine()
	m := mentionName.FindSubmatch(line)
	if m == nil {
		return nil
	}
	name := string(trimTrailing(m[1]))
	if utf8.RuneCountInString(name) < 2 {
		return nil
	}
	block.Advance(1 + len(name))
	link := ast.NewLink()
	link.Destination = []byte(mt.base + url.PathEscape(name))
	link.AppendChild(link, ast.NewString([]byte("@"+name)))
	return link
}

// trimTrailing drops the dots and dashes that end a sentence ("@Ann.").
func trimTrailing(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '.' || b[len(b)-1] == '-') {
		b = b[:len(b)-1]
	}
	return b
}

// mentionExtension registers the parser.
type mentionExtension struct{ base string }

func (x mentionExtension) Extend(m goldmark.Markdown) {
	m.Parser().AddOptions(parser.WithInlineParsers(util.Prioritized(mentions{base: x.base}, 500)))
}
