package forum

import (
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/filesystem"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Collections of reply edits and reactions.
const (
	PostEdits = "forum_post_edits"
	Reactions = "forum_reactions"
)

// ReactionKeys are the reactions a member may add to a reply, in display
// order, with the emoji each shows.
var ReactionKeys = []string{"up", "heart", "party", "laugh", "think", "eyes"}

// ReactionEmoji maps a reaction key to its emoji.
var ReactionEmoji = map[string]string{"up": "👍", "heart": "❤️", "party": "🎉", "laugh": "😄", "think": "🤔", "eyes": "👀"}

// Errors of editing and reacting.
var (
	ErrPostNotFound = errors.New("forum: reply not found")
	ErrNotYours     = errors.New("forum: not your reply")
	ErrBadReaction  = errors.New("forum: unknown reaction")
)

// FindPost returns a visible reply.
func (f *Forum) FindPost(id string) (*core.Record, error) {
	p, err := f.app.FindRecordById(Posts, id)
	if errors.Is(err, sql.ErrNoRows) || err == nil && p.GetBool("hidden") {
		return nil, ErrPostNotFound
	}
	if err != nil {
		return nil, err
	}
	if _, err := f.FindTopic(p.GetString("topic")); err != nil {
		return nil, ErrPostNotFound
	}
	return p, nil
}

// Image limits of a reply (the migration's file field holds the same).
const (
	maxImages    = 4
	maxImageSize = 5 << 20
)

var imageTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/webp": true, "image/gif": true}

// checkImages refuses, with a clear message, what the file field would
// refuse: too many files, too large, not an image.
func checkImages(images []*filesystem.File) error {
	if len(images) > maxImages {
		return FieldErrors{"images": "forum.err_image_count"}
	}
	for _, img := range images {
		if img.Size > maxImageSize {
			return FieldErrors{"images": "forum.err_image_size"}
		}
		r, err := img.Reader.Open()
		if err != nil {
			return FieldErrors{"images": "forum.err_image_type"}
		}
		head := make([]byte, 512)
		n, _ := io.ReadFull(r, head)
		r.Close()
		if !imageTypes[http.DetectContentType(head[:n])] {
			return FieldErrors{"images": "forum.err_image_type"}
		}
	}
	return nil
}

// checkBody is the rule every reply text follows, new or edited.
func checkBody(body string) error {
	switch {
	case body == "":
		return FieldErrors{"body": "forum.err_required"}
	case utf8.RuneCountInString(body) > 20000:
		return FieldErrors{"body": "forum.err_too_long"}
	case CheckMarkdown(body) != nil:
		return FieldErrors{"body": "forum.err_unsafe"}
	}
	return nil
}

// EditPost replaces the text of a reply by its author (or a moderator). The
// replaced text is kept in the reply's history (see bindEdits).
func (f *Forum) EditPost(member *core.Record, postID, body string) (*core.Record, error) {
	p, err := f.FindPost(postID)
	if err != nil {
		return nil, err
	}
	if member == nil || p.GetString("author") != member.Id && !canModerate(member) {
		return nil, ErrNotYours
	}
	if !canModerate(member) {
		// a locked topic is read-only to its members, their own replies too
		if t, err := f.FindTopic(p.GetString("topic")); err != nil || t.GetBool("locked") {
			return nil, ErrLocked
		}
	}
	body = strings.TrimSpace(body)
	if err := checkBody(body); err != nil {
		return nil, err
	}
	if body == p.GetString("body") {
		return p, nil
	}
	err = f.app.RunInTransaction(func(tx core.App) error {
		if err := f.recordEdit(tx, p, member.Id, body); err != nil {
			return err
		}
		return tx.Save(p)
	})
	if err != nil {
		return nil, fmt.Errorf("forum: edit %s: %w", postID, err)
	}
	return p, nil
}

// recordEdit keeps the reply's current text in its history and sets the
// new one (the caller saves p in the same transaction).
func (f *Forum) recordEdit(tx core.App, p *core.Record, editor, body string) error {
	_, err := tx.DB().NewQuery("INSERT INTO " + PostEdits + " (id, post, editor, body, created) VALUES ({:id}, {:p}, {:ed}, {:b}, {:now})").
		Bind(dbx.Params{"id": core.GenerateDefaultRandomId(), "p": p.Id, "ed": editor, "b": p.Original().GetString("body"), "now": dbNow(f.now())}).Execute()
	if err != nil {
		return err
	}
	p.Set("body", body)
	p.Set("edited", f.now())
	return nil
}

// bindEdits applies the same rules to an edit sent to the REST API (or made
// in the dashboard): the text is checked like a new reply's, and the text it
// replaces is kept.
func (m *Module) bindEdits(app core.App) {
	app.OnRecordUpdateRequest(Posts).BindFunc(func(e *core.RecordRequestEvent) error {
		body := strings.TrimSpace(e.Record.GetString("body"))
		if body == e.Record.Original().GetString("body") {
			return e.Next()
		}
		if err := checkBody(body); err != nil {
			var fe FieldErrors
			errors.As(err, &fe)
			return e.BadRequestError(m.deps.UI.T(e.RequestEvent, fe["body"]), nil)
		}
		editor := ""
		if e.Auth != nil && e.Auth.Collection().Name == "users" {
			editor = e.Auth.Id
		}
		return e.App.RunInTransaction(func(tx core.App) error {
			if err := m.forum.recordEdit(tx, e.Record, editor, body); err != nil {
				return err
			}
			e.App = tx
			return e.Next()
		})
	})
}

// PostEdit is one earlier version of a reply.
type PostEdit struct {
	Body   string
	Editor string
	When   time.Time
}

// History returns a reply's earlier versions, newest first.
func (f *Forum) History(postID string) ([]PostEdit, error) {
	var rows []struct {
		Body    string `db:"body"`
		Editor  string `db:"name"`
		Created string `db:"created"`
	}
	err := f.app.DB().NewQuery("SELECT e.body, COALESCE(u.name, '') AS name, e.created FROM " + PostEdits + " e LEFT JOIN users u ON u.id = e.editor WHERE e.post = {:p} ORDER BY e.created DESC, e.rowid DESC").
		Bind(dbx.Params{"p": postID}).All(&rows)
	if err != nil {
		return nil, err
	}
	out := make([]PostEdit, len(rows))
	for i, r := range rows {
		out[i] = PostEdit{Body: r.Body, Editor: r.Editor, When: parseTime(r.Created)}
	}
	return out, nil
}

// React adds (on) or takes back member's reaction key on a reply and
// returns the reply's reaction counts. One per member and key: a unique
// index holds it under concurrency.
func (f *Forum) React(member *core.Record, postID, key string, on bool) (map[string]int, error) {
	if ReactionEmoji[key] == "" {
		return nil, ErrBadReaction
	}
	p, err := f.FindPost(postID)
	if err != nil {
		return nil, err
	}
	params := dbx.Params{"id": core.GenerateDefaultRandomId(), "p": p.Id, "m": member.Id, "k": key, "now": dbNow(f.now())}
	q := "INSERT INTO " + Reactions + " (id, post, member, emoji, created) VALUES ({:id}, {:p}, {:m}, {:k}, {:now}) ON CONFLICT DO NOTHING"
	if !on {
		q = "DELETE FROM " + Reactions + " WHERE post = {:p} AND member = {:m} AND emoji = {:k}"
	}
	err = f.app.RunInTransaction(func(tx core.App) error {
		if _, err := tx.DB().NewQuery(q).Bind(params).Execute(); err != nil {
			return err
		}
		// cached topic views are keyed by the topic's "updated"
		_, err := tx.DB().NewQuery("UPDATE " + Topics + " SET updated = {:now} WHERE id = {:t}").
			Bind(dbx.Params{"t": p.GetString("topic"), "now": dbNow(f.now())}).Execute()
		return err
	})
	if err != nil {
		return nil, err
	}
	counts, err := f.reactionCounts(p.GetString("topic"))
	if err != nil {
		return nil, err
	}
	f.pub.Publish("topic:"+p.GetString("topic"), map[string]any{"reactions": map[string]any{p.Id: counts[p.Id]}})
	return counts[p.Id], nil
}

// HasReacted reports whether member reacted with key on a reply.
func (f *Forum) HasReacted(member *core.Record, postID, key string) bool {
	if member == nil {
		return false
	}
	n, _ := f.app.CountRecords(Reactions, dbx.HashExp{"post": postID, "member": member.Id, "emoji": key})
	return n > 0
}

// reactionCounts returns the reaction counts of every reply of a topic.
func (f *Forum) reactionCounts(topicID string) (map[string]map[string]int, error) {
	var rows []struct {
		Post  string `db:"post"`
		Emoji string `db:"emoji"`
		N     int    `db:"n"`
	}
	err := f.app.DB().NewQuery("SELECT r.post, r.emoji, COUNT(*) AS n FROM " + Reactions + " r JOIN " + Posts + " p ON p.id = r.post WHERE p.topic = {:t} GROUP BY r.post, r.emoji").
		Bind(dbx.Params{"t": topicID}).All(&rows)
	if err != nil {
		return nil, err
	}
	out := map[string]map[string]int{}
	for _, r := range rows {
		if out[r.Post] == nil {
			out[r.Post] = map[string]int{}
		}
		out[r.Post][r.Emoji] = r.N
	}
	return out, nil
}

// Quote returns a reply as a markdown quote to start an answer with.
func (f *Forum) Quote(postID string) (string, error) {
	p, err := f.FindPost(postID)
	if err != nil {
		return "", err
	}
	name := ""
	if a, err := f.app.FindRecordById("users", p.GetString("author")); err == nil {
		name = a.GetString("name")
	}
	var b strings.Builder
	if name != "" && !strings.ContainsAny(name, " \t") {
		b.WriteString("@" + name + " ")
	} else if name != "" {
		b.WriteString(name + ":")
	}
	b.WriteString("\n")
	for _, line := range strings.Split(strings.TrimSpace(p.GetString("body")), "\n") {
		b.WriteString("> " + line + "\n")
	}
	b.WriteString("\n")
	return b.String(), nil
}

// dbNow formats t as PocketBase stores dates.
func dbNow(t time.Time) string { return t.UTC().Format(types.DefaultDateLayout) }

func parseTime(s string) time.Time {
	d, _ := types.ParseDateTime(s)
	return d.Time()
}
