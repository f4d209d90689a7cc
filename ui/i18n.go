package ui

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"net/http"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/pocketbase/pocketbase/core"
	"golang.org/x/text/language"
)

// Lang is a supported interface language.
type Lang string

// The supported languages. English is the fallback of every catalog.
const (
	English Lang = "en"
	Chinese Lang = "zh-CN"
)

// Languages lists the supported languages in the order the switcher shows them.
var Languages = []Lang{English, Chinese}

var matcher = language.NewMatcher([]language.Tag{language.English, language.SimplifiedChinese})

// ParseLang maps a user-supplied language ("zh", "zh-Hans-CN", "en-GB") to a
// supported one; ok is false when nothing matches.
func ParseLang(s string) (Lang, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return "", false
	case "en", "en-us", "en-gb":
		return English, true
	case "zh", "zh-cn", "zh-hans", "zh-hans-cn", "zh_cn":
		return Chinese, true
	}
	tag, err := language.Parse(s)
	if err != nil {
		return "", false
	}
	return fromAcceptLanguage(tag.String())
}

func fromAcceptLanguage(header string) (Lang, bool) {
	tags, _, err := language.ParseAcceptLanguage(header)
	if err != nil || len(tags) == 0 {
		return "", false
	}
	_, idx, conf := matcher.Match(tags...)
	if conf == language.No {
		return "", false
	}
	return Languages[idx], true
}

// Catalog holds the message strings of every language. Modules add their own
// strings next to their code with Add.
type Catalog struct {
	mu       sync.RWMutex
	msgs     map[Lang]map[string]string
	fallback Lang
}

// NewCatalog returns an empty catalog that falls back to English.
func NewCatalog() *Catalog {
	return &Catalog{msgs: map[Lang]map[string]string{}, fallback: English}
}

// SetFallback sets the language a message missing in the asked language
// is taken from (the site's ui.default_language).
func (c *Catalog) SetFallback(l Lang) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fallback = l
}

// Add loads <lang>.json files (flat key -> text maps) from fsys. A key that
// already exists is an error: two modules must not fight over one string.
func (c *Catalog) Add(fsys fs.FS) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, lang := range Languages {
		raw, err := fs.ReadFile(fsys, string(lang)+".json")
		if err != nil {
			return fmt.Errorf("ui: catalog %s: %w", lang, err)
		}
		var m map[string]string
		if err := json.Unmarshal(raw, &m); err != nil {
			return fmt.Errorf("ui: catalog %s: %w", lang, err)
		}
		if c.msgs[lang] == nil {
			c.msgs[lang] = map[string]string{}
		}
		for k, v := range m {
			if _, dup := c.msgs[lang][k]; dup {
				return fmt.Errorf("ui: catalog %s: key %q defined twice", lang, k)
			}
			c.msgs[lang][k] = v
		}
	}
	return nil
}

// T translates key into lang, falling back to the site's default language,
// then to English and then to the key itself. With args, the text is a fmt
// format.
func (c *Catalog) T(lang Lang, key string, args ...any) string {
	c.mu.RLock()
	msg, ok := c.msgs[lang][key]
	if !ok {
		msg, ok = c.msgs[c.fallback][key]
	}
	if !ok {
		msg, ok = c.msgs[English][key]
	}
	c.mu.RUnlock()
	if !ok {
		msg = key
	}
	if len(args) > 0 {
		return fmt.Sprintf(msg, args...)
	}
	return msg
}

// Has reports whether key is defined in English (every key must be).
func (c *Catalog) Has(key string) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	_, ok := c.msgs[English][key]
	return ok
}

// Missing lists, per language, the keys that English defines and the language
// does not (or the other way round). A test keeps it empty.
func (c *Catalog) Missing() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []string
	for _, a := range Languages {
		for _, b := range Languages {
			for k := range c.msgs[a] {
				if _, ok := c.msgs[b][k]; !ok {
					out = append(out, fmt.Sprintf("%s lacks %q", b, k))
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Keys returns every English key, sorted.
func (c *Catalog) Keys() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return slices.Sorted(maps.Keys(c.msgs[English]))
}

const (
	langCookie   = "lang"
	langStoreKey = "canyu.lang"
)

// LangOf returns the language of the request: ?lang=, then the lang cookie,
// then the member's preferred language, then Accept-Language, then the
// default. The result is kept on the request.
func LangOf(e *core.RequestEvent, fallback Lang) Lang {
	if l, ok := e.Get(langStoreKey).(Lang); ok {
		return l
	}
	l := resolveLang(e, fallback)
	e.Set(langStoreKey, l)
	return l
}

func resolveLang(e *core.RequestEvent, fallback Lang) Lang {
	memberLang := ""
	if e.Auth != nil {
		memberLang = e.Auth.GetString("language")
	}
	return RequestLang(e.Request, memberLang, fallback)
}

// RequestLang is LangOf for handlers outside PocketBase's router: ?lang=,
// the lang cookie, the member's language (may be empty), Accept-Language,
// then fallback.
func RequestLang(r *http.Request, memberLang string, fallback Lang) Lang {
	if r.URL.RawQuery != "" {
		if l, ok := ParseLang(r.URL.Query().Get("lang")); ok {
			return l
		}
	}
	if len(r.Header["Cookie"]) > 0 {
		if c, err := r.Cookie(langCookie); err == nil {
			if l, ok := ParseLang(c.Value); ok {
				return l
			}
		}
	}
	if l, ok := ParseLang(memberLang); ok {
		return l
	}
	if l, ok := fromAcceptLanguage(r.Header.Get("Accept-Language")); ok {
		return l
	}
	return fallback
}

// langSwitchURL returns the current path with ?lang= set to l.
func langSwitchURL(r *http.Request, l Lang) string {
	q := r.URL.Query()
	q.Set("lang", string(l))
	return path.Clean("/"+r.URL.Path) + "?" + q.Encode()
}
