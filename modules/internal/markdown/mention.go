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

// MentionPath is where a mention links: the members module redirects
// /members/by-name/<name> to that member's profile.
const MentionPath = "/members/by-name/"

// mentionName is what follows the @ of a mention (the forum notifies the
// same names).
var mentionName = regexp.MustCompile(`^@([\p{L}\p{N}_.\-]{2,40})`)

// mentions turns "@name" into a link to the member's profile.
type mentions struct{}

func (mentions) Trigger() []byte { return []byte{'@'} }

func (mentions) Parse(_ ast.Node, block text.Reader, _ parser.Context) ast.Node {
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
	link.Destination = []byte(MentionPath + url.PathEscape(name))
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
type mentionExtension struct{}

func (mentionExtension) Extend(m goldmark.Markdown) {
	m.Parser().AddOptions(parser.WithInlineParsers(util.Prioritized(mentions{}, 500)))
}
