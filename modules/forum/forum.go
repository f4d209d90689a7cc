// Package forum is where members' needs float to the top: boards, topics of
// four kinds (discussion, feature request, bug report, poll) with structured
// forms stored as data, markdown replies, one "me too" per member on requests
// and bugs (live on the topic's channel), and a published "hot this week"
// ranking.
package forum

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/filesystem"
	"github.com/pocketbase/pocketbase/tools/types"

	"github.com/canyu/canyu/hooks"
	"github.com/canyu/canyu/modules/internal/access"
	"github.com/canyu/canyu/platform"
	"github.com/canyu/canyu/ui"
)

// Collection names.
const (
	Boards = "forum_boards"
	Topics = "forum_topics"
	Posts  = "forum_posts"
	MeToos = "forum_metoos"
)

// Topic kinds.
const (
	KindDiscussion = "discussion"
	KindRequest    = "request"
	KindBug        = "bug"
	KindPoll       = "poll"
)

// Errors of the forum. Handlers map each to a status and a message.
var (
	ErrUnknownBoard   = errors.New("forum: unknown board")
	ErrKindNotAllowed = errors.New("forum: this board does not take this kind of topic")
	ErrStaffOnly      = errors.New("forum: only staff post on this board")
	ErrTopicNotFound  = errors.New("forum: no such topic")
	ErrLocked         = errors.New("forum: topic is locked")
	ErrNotMeTooable   = errors.New("forum: me too is for requests and bugs")
	ErrUnsafeMarkdown = errors.New("forum: markdown with scripts or script links")
)

// FieldErrors are input errors per field (catalog keys).
type FieldErrors = ui.FieldErrors

// Field is one structured field of a topic form.
type Field struct {
	Name     string `json:"name"`
	Label    string `json:"label"` // catalog key or plain text
	Required bool   `json:"required"`
	Long     bool   `json:"long"` // a textarea
}

// DefaultForms are the structured fields used when a board defines none:
// a request says the problem, the proposal and who needs it; a bug report
// says how to reproduce it and on what.
var DefaultForms = map[string][]Field{
	KindRequest: {
		{Name: "problem", Label: "forum.f_problem", Required: true, Long: true},
		{Name: "proposal", Label: "forum.f_proposal", Required: true, Long: true},
		{Name: "who", Label: "forum.f_who"},
	},
	KindBug: {
		{Name: "steps", Label: "forum.f_steps", Required: true, Long: true},
		{Name: "expected", Label: "forum.f_expected", Required: true},
		{Name: "actual", Label: "forum.f_actual", Required: true},
		{Name: "version", Label: "forum.f_version", Required: true},
		{Name: "device", Label: "forum.f_device"},
	},
}

// Forum is the forum's domain logic over its collections.
type Forum struct {
	app    core.App
	now    func() time.Time
	pub    platform.Publisher
	events *hooks.Events
	fresh  platform.Fresh // the "me too" counters publish their latest value
	// the limits of brand-new accounts
	newAge    time.Duration
	newPerDay int
}

// FormFor returns the structured fields of kind on board.
func FormFor(board *core.Record, kind string) []Field {
	var forms map[string][]Field
	if raw := board.GetString("forms"); raw != "" && raw != "null" {
		if err := json.Unmarshal([]byte(raw), &forms); err == nil {
			if f, ok := forms[kind]; ok {
				return f
			}
		}
	}
	return DefaultForms[kind]
}

// NewTopic is what a member submits.
type NewTopic struct {
	Board  string // id or slug
	Kind   string
	Title  string
	Body   string
	Fields map[string]string // structured fields
	Poll   *PollSpec         // for a poll
	Area   string            // product area id, optional
}

var unsafeMarkdown = regexp.MustCompile(`(?i)<\s*/?\s*(script|iframe|object|embed)|\]\(\s*<?\s*(javascript|vbscript|data)\s*:|(href|src)\s*=\s*["']?\s*(javascript|vbscript|data)\s*:|<[^>]+\son[a-z]+\s*=`)

// CheckMarkdown refuses member text that tries to carry script. The renderer
// would neutralize it anyway; refusing says so plainly and stores nothing.
func CheckMarkdown(s string) error {
	if unsafeMarkdown.MatchString(s) {
		return ErrUnsafeMarkdown
	}
	return nil
}

// FindBoard finds a board by id or slug.
func (f *Forum) FindBoard(idOrSlug string) (*core.Record, error) {
	b, err := f.app.FindFirstRecordByFilter(Boards, "id = {:v} || slug = {:v}", dbx.Params{"v": idOrSlug})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrUnknownBoard
	}
	return b, err
}

// CreateTopic validates and stores a topic by member.
func (f *Forum) CreateTopic(member *core.Record, in NewTopic) (*core.Record, error) {
	board, err := f.FindBoard(in.Board)
	if err != nil {
		return nil, err
	}
	if board.GetString("who_may_post") == "staff" && !access.HasRole(member, access.RoleStaff) {
		return nil, ErrStaffOnly
	}
	if !slices.Contains(board.GetStringSlice("kinds"), in.Kind) {
		return nil, ErrKindNotAllowed
	}
	fe := FieldErrors{}
	title := strings.TrimSpace(in.Title)
	switch n := utf8.RuneCountInString(title); {
	case n == 0:
		fe["title"] = "forum.err_required"
	case n < 4:
		fe["title"] = "forum.err_title_short"
	case n > 120:
		fe["title"] = "forum.err_too_long"
	}
	if utf8.RuneCountInString(in.Body) > 20000 {
		fe["body"] = "forum.err_too_long"
	}
	fields := map[string]string{}
	for _, fd := range FormFor(board, in.Kind) {
		v := strings.TrimSpace(in.Fields[fd.Name])
		if fd.Required && v == "" {
			fe["f_"+fd.Name] = "forum.err_required"
		}
		if utf8.RuneCountInString(v) > 5000 {
			fe["f_"+fd.Name] = "forum.err_too_long"
		}
		if CheckMarkdown(v) != nil {
			fe["f_"+fd.Name] = "forum.err_unsafe"
		}
		if v != "" {
			fields[fd.Name] = v
		}
	}
	if CheckMarkdown(in.Body) != nil {
		fe["body"] = "forum.err_unsafe"
	}
	if in.Kind == KindPoll {
		if in.Poll == nil || in.Poll.clean() != nil {
			fe["poll_options"] = "forum.err_poll_options"
		} else if !in.Poll.Closes.IsZero() && !in.Poll.Closes.After(f.now()) {
			fe["poll_closes"] = "forum.err_poll_closes"
		}
	}
	if in.Area != "" {
		if _, err := f.app.FindRecordById(Areas, in.Area); err != nil {
			fe["area"] = "forum.err_area"
		}
	}
	if len(fe) > 0 {
		return nil, fe
	}
	col, err := f.app.FindCachedCollectionByNameOrId(Topics)
	if err != nil {
		return nil, err
	}
	t := core.NewRecord(col)
	t.Set("board", board.Id)
	t.Set("kind", in.Kind)
	t.Set("title", title)
	t.Set("body", in.Body)
	t.Set("fields", fields)
	t.Set("author", member.Id)
	t.Set("last_activity", f.now().UTC())
	if in.Kind == KindRequest || in.Kind == KindBug {
		t.Set("status", "new")
	}
	if in.Kind == KindPoll {
		t.Set("poll_options", in.Poll.Options)
		t.Set("poll_multiple", in.Poll.Multiple)
		if !in.Poll.Closes.IsZero() {
			t.Set("poll_closes", in.Poll.Closes.UTC())
		}
	}
	if in.Area != "" {
		t.Set("area", in.Area)
	}
	err = f.app.RunInTransaction(func(tx core.App) error {
		// counted in the transaction that stores the topic: parallel
		// requests of a new account cannot slip past the cap
		if err := f.checkNewAccount(tx, member, f.newAge, f.newPerDay); err != nil {
			return err
		}
		if err := tx.Save(t); err != nil {
			return err
		}
		if _, err := f.notifyOwners(tx, t); err != nil {
			return err
		}
		// mentions in the text and in the structured fields
		text := in.Body
		for _, v := range fields {
			text += "\n" + v
		}
		if _, err := f.notifyMentions(tx, member, t.Id, text); err != nil {
			return err
		}
		hooks.TriggerAfterCommit(tx, f.events.TopicCreated, &hooks.TopicEvent{App: f.app, Topic: t.Id, Board: board.GetString("slug"),
			Kind: in.Kind, Title: title, Author: member.Id, Member: member.Id, Source: "topic:" + t.Id})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("forum: create topic: %w", err)
	}
	return t, nil
}

// publishTopic puts values on a topic's live channel; a hidden topic
// publishes nothing.
func (f *Forum) publishTopic(t *core.Record, values map[string]any) {
	if t.GetBool("hidden") {
		return
	}
	f.pub.Publish("topic:"+t.Id, values)
}

// followTopic lets anyone follow a visible topic's channel (topic:<id>).
func (f *Forum) followTopic(_ *core.Record, channel string) bool {
	_, err := f.FindTopic(strings.TrimPrefix(channel, "topic:"))
	return err == nil
}

// FindTopic returns a visible topic.
func (f *Forum) FindTopic(id string) (*core.Record, error) {
	t, err := f.app.FindRecordById(Topics, id)
	if errors.Is(err, sql.ErrNoRows) || err == nil && t.GetBool("hidden") {
		return nil, ErrTopicNotFound
	}
	return t, err
}

// Reply adds a markdown reply by member, with up to four images; staff
// replies carry the staff mark.
func (f *Forum) Reply(member *core.Record, topicID, body string, images ...*filesystem.File) (*core.Record, error) {
	t, err := f.FindTopic(topicID)
	if err != nil {
		return nil, err
	}
	if t.GetBool("locked") && !access.HasRole(member, access.RoleModerator) && !access.HasRole(member, access.RoleStaff) {
		return nil, ErrLocked
	}
	body = strings.TrimSpace(body)
	switch {
	case body == "":
		return nil, FieldErrors{"body": "forum.err_required"}
	case utf8.RuneCountInString(body) > 20000:
		return nil, FieldErrors{"body": "forum.err_too_long"}
	case CheckMarkdown(body) != nil:
		return nil, FieldErrors{"body": "forum.err_unsafe"}
	}
	if err := checkImages(images); err != nil {
		return nil, err
	}
	col, err := f.app.FindCachedCollectionByNameOrId(Posts)
	if err != nil {
		return nil, err
	}
	p := core.NewRecord(col)
	p.Set("topic", t.Id)
	p.Set("author", member.Id)
	p.Set("body", body)
	p.Set("staff", access.HasRole(member, access.RoleStaff))
	if len(images) > 0 {
		p.Set("images", images)
	}
	var replies int
	err = f.app.RunInTransaction(func(tx core.App) error {
		if err := tx.Save(p); err != nil {
			return err
		}
		if _, err := f.notifyMentions(tx, member, t.Id, body); err != nil {
			return err
		}
		if _, err := tx.DB().NewQuery("UPDATE " + Topics + " SET reply_count = reply_count + 1, last_activity = {:now} WHERE id = {:id}").
			Bind(dbx.Params{"id": t.Id, "now": f.now().UTC().Format(types.DefaultDateLayout)}).Execute(); err != nil {
			return err
		}
		return tx.DB().NewQuery("SELECT reply_count FROM " + Topics + " WHERE id = {:id}").Bind(dbx.Params{"id": t.Id}).Row(&replies)
	})
	if err != nil {
		return nil, fmt.Errorf("forum: reply: %w", err)
	}
	f.publishTopic(t, map[string]any{"replies": replies})
	return p, nil
}

// MeToo sets (on) or clears member's "me too" on a request or bug and
// returns the new count. One per member: a unique index holds it, and the
// count is recomputed in the same transaction, so concurrent presses count
// exactly.
func (f *Forum) MeToo(member *core.Record, topicID string, on bool) (int, error) {
	t, err := f.FindTopic(topicID)
	if err != nil {
		return 0, err
	}
	if k := t.GetString("kind"); k != KindRequest && k != KindBug {
		return 0, ErrNotMeTooable
	}
	var count int
	err = f.app.RunInTransaction(func(tx core.App) error {
		p := dbx.Params{"t": t.Id, "m": member.Id, "id": core.GenerateDefaultRandomId(), "now": f.now().UTC().Format(types.DefaultDateLayout)}
		var q string
		if on {
			q = "INSERT INTO " + MeToos + " (id, topic, member, created) VALUES ({:id}, {:t}, {:m}, {:now}) ON CONFLICT DO NOTHING"
		} else {
			q = "DELETE FROM " + MeToos + " WHERE topic = {:t} AND member = {:m}"
		}
		res, err := tx.DB().NewQuery(q).Bind(p).Execute()
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); on && n == 1 && t.GetString("author") != member.Id {
			hooks.TriggerAfterCommit(tx, f.events.MeTooPressed, &hooks.TopicEvent{App: f.app, Topic: t.Id, Kind: t.GetString("kind"),
				Title: t.GetString("title"), Author: t.GetString("author"), Member: member.Id, Source: "metoo:" + t.Id + ":" + member.Id})
		}
		if _, err := tx.DB().NewQuery("UPDATE " + Topics + " SET metoo_count = (SELECT COUNT(*) FROM " + MeToos + " WHERE topic = {:t}) WHERE id = {:t}").Bind(p).Execute(); err != nil {
			return err
		}
		return tx.DB().NewQuery("SELECT metoo_count FROM " + Topics + " WHERE id = {:t}").Bind(p).Row(&count)
	})
	if err != nil {
		return 0, fmt.Errorf("forum: me too: %w", err)
	}
	f.fresh.Do(func() {
		var now int
		if err := f.app.DB().Select("metoo_count").From(Topics).Where(dbx.HashExp{"id": t.Id}).Row(&now); err == nil {
			f.publishTopic(t, map[string]any{"metoo": now})
		}
	})
	return count, nil
}

// HasMeToo reports whether member pressed "me too" on topic.
func (f *Forum) HasMeToo(member *core.Record, topicID string) bool {
	if member == nil {
		return false
	}
	n, _ := f.app.CountRecords(MeToos, dbx.HashExp{"topic": topicID, "member": member.Id})
	return n > 0
}
