package forum

import (
	"html/template"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/ui"
)

// BoardView is a board as pages show it.
type BoardView struct {
	ID, Slug, Name, Description string
	Kinds                       []string
	StaffOnly                   bool
}

func boardView(b *core.Record, lang ui.Lang) BoardView {
	v := BoardView{ID: b.Id, Slug: b.GetString("slug"), Name: b.GetString("name"), Description: b.GetString("description"),
		Kinds: b.GetStringSlice("kinds"), StaffOnly: b.GetString("who_may_post") == "staff"}
	if lang == ui.Chinese {
		if s := b.GetString("name_zh"); s != "" {
			v.Name = s
		}
		if s := b.GetString("description_zh"); s != "" {
			v.Description = s
		}
	}
	return v
}

// TopicRow is a topic in a list.
type TopicRow struct {
	ID, Title, Kind, Status   string
	ShippedIn, ShippedURL     string // the release a shipped need came in
	MeToo, Replies            int
	AuthorID, AuthorName      string
	AuthorTitle               string // beside the name (the belonging module's title)
	LastActivity              time.Time
	Pinned, Locked, MeTooable bool
	Score                     float64
	KindLabel, StatusLabel    string // translated
	RepliesLabel, PinnedLabel string // translated
}

func topicRow(t *core.Record, authors map[string]*core.Record) TopicRow {
	r := TopicRow{ID: t.Id, Title: t.GetString("title"), Kind: t.GetString("kind"), Status: t.GetString("status"),
		ShippedIn: t.GetString("shipped_in"), ShippedURL: t.GetString("shipped_url"),
		MeToo: t.GetInt("metoo_count"), Replies: t.GetInt("reply_count"), AuthorID: t.GetString("author"),
		LastActivity: t.GetDateTime("last_activity").Time(), Pinned: t.GetBool("pinned"), Locked: t.GetBool("locked")}
	r.MeTooable = r.Kind == KindRequest || r.Kind == KindBug
	if a, ok := authors[r.AuthorID]; ok {
		r.AuthorName = a.GetString("name")
	}
	return r
}

// authorsOf loads the authors of records (field "author") in one query.
func authorsOf(app core.App, recs []*core.Record) map[string]*core.Record {
	ids := make([]string, 0, len(recs))
	for _, r := range recs {
		ids = append(ids, r.GetString("author"))
	}
	out := map[string]*core.Record{}
	users, err := app.FindRecordsByIds("users", ids)
	if err != nil {
		return out
	}
	for _, u := range users {
		out[u.Id] = u
	}
	return out
}

// FieldValue is a structured field of a topic, rendered.
type FieldValue struct {
	Label string
	HTML  template.HTML
}

// PostView is one reply.
type PostView struct {
	ID, TopicID, AuthorID, AuthorName string
	AuthorTitle                       string
	Staff, Official, Edited           bool
	Body                              template.HTML
	Created                           time.Time
	Reactions                         []ReactionView
	Images                            []string // file URLs
}

// FormField is a structured field in the new-topic form.
type FormField struct {
	Field
	Value string
	Error string
}
