package releases

import (
	_ "embed"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/feeds"
	"github.com/pocketbase/pocketbase/core"
)

// atom: GET /releases/feed.atom?product=&channel=stable, the product's
// releases in a channel as an Atom feed. Only stable builds have a public
// feed (beta and dev builds are for testers, who read them on the site).
func (m *Module) atom(e *core.RequestEvent) error {
	q := e.Request.URL.Query()
	pv, _, err := m.productBySlug(e, q.Get("product"))
	channel := q.Get("channel")
	if channel == "" {
		channel = "stable"
	}
	if err != nil || channel != "stable" {
		return e.NotFoundError("", nil)
	}
	recs, err := m.r.Published(nil, pv.ID, []string{channel}, 20)
	if err != nil {
		return err
	}
	base := strings.TrimRight(m.deps.PublicURL, "/")
	f := &feeds.Feed{
		Title:       m.deps.AppName + " · " + pv.Name + " (" + channel + ")",
		Link:        &feeds.Link{Href: base + "/releases?product=" + pv.Slug},
		Description: m.deps.UI.T(e, "releases.feed_description"),
		Id:          base + "/releases/feed.atom?product=" + pv.Slug + "&channel=" + channel,
		Updated:     time.Unix(0, 0).UTC(),
	}
	for _, rec := range recs {
		v, err := m.releaseView(e, rec)
		if err != nil {
			return err
		}
		var body strings.Builder
		body.WriteString(string(v.SummaryHTML))
		for _, g := range v.Groups {
			body.WriteString("<h3>" + m.deps.UI.T(e, "releases.cat_"+g.Category) + "</h3><ul>")
			for _, it := range g.Items {
				body.WriteString("<li>" + string(it.HTML) + "</li>")
			}
			body.WriteString("</ul>")
		}
		link := base + "/releases/" + rec.Id
		published := v.Published
		f.Items = append(f.Items, &feeds.Item{Title: pv.Name + " " + v.Version + ": " + v.Title, Link: &feeds.Link{Href: link},
			Id: link, Created: published, Updated: published, Content: body.String()})
		if published.After(f.Updated) {
			f.Updated = published
		}
	}
	out, err := f.ToAtom()
	if err != nil {
		return err
	}
	e.Response.Header().Set("Cache-Control", "public, max-age=300")
	return e.Blob(http.StatusOK, "application/atom+xml; charset=utf-8", []byte(out))
}

// whatsNew: GET /api/releases/whats-new?product=&channel=stable&since=<RFC
// 3339 time>, the releases published since then, newest first, for the
// brand's own site (the embeddable widget reads it: any origin may).
func (m *Module) whatsNew(e *core.RequestEvent) error {
	e.Response.Header().Set("Access-Control-Allow-Origin", "*")
	q := e.Request.URL.Query()
	pv, _, err := m.productBySlug(e, q.Get("product"))
	if err != nil {
		return problems.Show(err)
	}
	channel := q.Get("channel")
	if channel == "" {
		channel = "stable"
	}
	var since time.Time
	if s := q.Get("since"); s != "" {
		if since, err = time.Parse(time.RFC3339, s); err != nil {
			return problems.Show(ErrBadSince)
		}
	}
	recs, err := m.r.Published(e.Auth, pv.ID, []string{channel}, 20)
	if err != nil {
		return err
	}
	out := []NewsRelease{}
	for _, rec := range recs {
		if !rec.GetDateTime("published").Time().After(since) {
			continue
		}
		r, err := m.newsOf(rec)
		if err != nil {
			return err
		}
		out = append(out, r)
	}
	e.Response.Header().Set("Cache-Control", "public, max-age=60")
	base := strings.TrimRight(m.deps.PublicURL, "/")
	return e.JSON(http.StatusOK, map[string]any{"product": pv.Slug, "channel": channel, "unseen": len(out), "releases": out,
		"feed": base + "/releases/feed.atom?product=" + pv.Slug})
}

// NewsRelease is a release as the "what's new" JSON gives it.
type NewsRelease struct {
	ID        string     `json:"id"`
	Version   string     `json:"version"`
	Title     string     `json:"title"`
	Published time.Time  `json:"published"`
	URL       string     `json:"url"`
	Items     []NewsItem `json:"items"`
}

// NewsItem is one change of a NewsRelease.
type NewsItem struct {
	Category    string `json:"category"`
	Text        string `json:"text"` // markdown, as staff wrote it
	HTML        string `json:"html"` // the same, rendered and sanitised
	Recommended bool   `json:"recommended"`
}

// newsOf is rec as the JSON gives it, from the cache: every brand site's
// widget asks for the same few releases.
func (m *Module) newsOf(rec *core.Record) (NewsRelease, error) {
	key := rec.Id + "|" + rec.GetString("updated")
	if r, ok := m.news.Get(key); ok {
		return r, nil
	}
	r := NewsRelease{ID: rec.Id, Version: rec.GetString("version"), Title: rec.GetString("title"),
		Published: rec.GetDateTime("published").Time().UTC(), URL: strings.TrimRight(m.deps.PublicURL, "/") + "/releases/" + rec.Id, Items: []NewsItem{}}
	items, err := m.r.ItemsOf(rec.Id)
	if err != nil {
		return r, err
	}
	for _, it := range items {
		r.Items = append(r.Items, NewsItem{Category: it.GetString("category"), Text: it.GetString("text"),
			HTML: string(m.md.Render(it.GetString("text"))), Recommended: it.GetBool("recommended")})
	}
	m.news.Put(key, r)
	return r, nil
}

//go:embed widget/widget.js
var widgetJS []byte

// widget: GET /releases/widget.js, the "what's new" badge a brand puts on
// its own site with a script tag (widget/widget.js says how).
func (m *Module) widget(e *core.RequestEvent) error {
	e.Response.Header().Set("Cache-Control", "public, max-age=3600")
	e.Response.Header().Set("Access-Control-Allow-Origin", "*")
	return e.Blob(http.StatusOK, "text/javascript; charset=utf-8", widgetJS)
}
