package forum

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"github.com/canyu/canyu/modules/internal/access"
)

// Collections of moderation.
const (
	Reports = "forum_reports"
	Audit   = "forum_audit"
)

// Moderator actions.
var Actions = []string{"hide", "unhide", "lock", "unlock", "pin", "unpin", "hide_post", "official"}

// Errors of moderation.
var (
	ErrNotModerator    = errors.New("forum: moderators and staff only")
	ErrBadAction       = errors.New("forum: unknown moderator action")
	ErrAlreadyReported = errors.New("forum: already reported")
	ErrNewAccount      = errors.New("forum: new accounts post a few topics a day")
)

// Report records member's report of a topic (postID empty) or a reply.
func (f *Forum) Report(member *core.Record, topicID, postID, reason string) error {
	t, err := f.FindTopic(topicID)
	if err != nil {
		return err
	}
	if postID != "" {
		if _, err := f.app.FindFirstRecordByFilter(Posts, "id = {:p} && topic = {:t}", dbx.Params{"p": postID, "t": t.Id}); err != nil {
			return ErrTopicNotFound
		}
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return FieldErrors{"reason": "forum.err_required"}
	}
	if utf8.RuneCountInString(reason) > 500 {
		return FieldErrors{"reason": "forum.err_too_long"}
	}
	res, err := f.app.DB().NewQuery("INSERT INTO " + Reports + " (id, reporter, topic, post, reason, status, created) VALUES ({:id}, {:m}, {:t}, {:p}, {:r}, 'open', {:now}) ON CONFLICT DO NOTHING").
		Bind(dbx.Params{"id": core.GenerateDefaultRandomId(), "m": member.Id, "t": t.Id, "p": postID, "r": reason, "now": f.now().UTC().Format(types.DefaultDateLayout)}).Execute()
	if err != nil {
		return fmt.Errorf("forum: report: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrAlreadyReported
	}
	return nil
}

// Moderate applies a moderator action to a topic (or, for hide_post and
// official, to one of its replies), writes it to the audit log and resolves
// the open reports about that target, in one transaction.
func (f *Forum) Moderate(actor *core.Record, action, topicID, postID, note string) error {
	if !access.HasRole(actor, access.RoleModerator) && !access.HasRole(actor, access.RoleStaff) {
		return ErrNotModerator
	}
	if !slices.Contains(Actions, action) {
		return ErrBadAction
	}
	if action == "official" && !access.HasRole(actor, access.RoleStaff) {
		return ErrNotModerator
	}
	t, err := f.app.FindRecordById(Topics, topicID) // moderators also reach hidden topics
	if err != nil {
		return ErrTopicNotFound
	}
	return f.app.RunInTransaction(func(tx core.App) error {
		switch action {
		case "hide", "unhide":
			t.Set("hidden", action == "hide")
		case "lock", "unlock":
			t.Set("locked", action == "lock")
		case "pin", "unpin":
			t.Set("pinned", action == "pin")
		case "hide_post", "official":
			p, err := tx.FindFirstRecordByFilter(Posts, "id = {:p} && topic = {:t}", dbx.Params{"p": postID, "t": t.Id})
			if err != nil {
				return ErrTopicNotFound
			}
			if action == "hide_post" {
				p.Set("hidden", true)
			} else {
				p.Set("official", !p.GetBool("official"))
			}
			if err := tx.Save(p); err != nil {
				return err
			}
		}
		if action != "hide_post" && action != "official" {
			if err := tx.Save(t); err != nil {
				return err
			}
			postID = ""
		}
		col, err := tx.FindCachedCollectionByNameOrId(Audit)
		if err != nil {
			return err
		}
		a := core.NewRecord(col)
		a.Set("actor", actor.Id)
		a.Set("action", action)
		a.Set("topic", t.Id)
		a.Set("post", postID)
		a.Set("note", strings.TrimSpace(note))
		if err := tx.Save(a); err != nil {
			return err
		}
		q := "UPDATE " + Reports + " SET status = 'resolved' WHERE status = 'open' AND topic = {:t}"
		if postID != "" {
			q += " AND post = {:p}"
		}
		_, err = tx.DB().NewQuery(q).Bind(dbx.Params{"t": t.Id, "p": postID}).Execute()
		return err
	})
}

// checkNewAccount limits accounts younger than age to perDay topics a day.
func (f *Forum) checkNewAccount(app core.App, member *core.Record, age time.Duration, perDay int) error {
	if perDay <= 0 || access.HasRole(member, access.RoleStaff) || access.HasRole(member, access.RoleModerator) {
		return nil
	}
	if f.now().Sub(member.GetDateTime("created").Time()) >= age {
		return nil
	}
	since := f.now().UTC().Add(-24 * time.Hour).Format(types.DefaultDateLayout)
	n, err := app.CountRecords(Topics, dbx.HashExp{"author": member.Id}, dbx.NewExp("created >= {:s}", dbx.Params{"s": since}))
	if err != nil {
		return err
	}
	if int(n) >= perDay {
		return ErrNewAccount
	}
	return nil
}
