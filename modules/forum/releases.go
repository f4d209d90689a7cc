package forum

import (
	"strings"

	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/hooks"
)

// The forum's half of Orange Friday, bound to release.published (the
// releases module is never imported): each need a release answers is marked
// shipped in it, which tells its author and every "me too" once, and the
// release gets its discussion topic.

// onReleasePublished ships the linked needs and opens the discussion. A
// beta or dev build does neither: its testers talk on their own board, and
// a need ships for everyone when a stable build carries it.
func (m *Module) onReleasePublished(e *hooks.ReleaseEvent) error {
	if e.Channel != "stable" {
		return e.Next()
	}
	by, _ := e.App.FindRecordById("users", e.By) // nil: the author's account is gone
	shippedIn := clipRunes(strings.TrimSpace(e.ProductName+" "+e.Version), 64)
	for _, id := range e.Topics {
		t, err := m.forum.FindTopic(id)
		if err != nil {
			continue // hidden or deleted since the release was written
		}
		if k := t.GetString("kind"); (k != KindRequest && k != KindBug) || t.GetString("status") == "shipped" {
			continue
		}
		if err := m.forum.ChangeStatus(by, id, StatusChange{Status: "shipped", Release: shippedIn, ReleaseURL: e.URL}); err != nil {
			e.App.Logger().Error("forum: ship a need of a release", "topic", id, "release", e.Release, "error", err)
		}
	}
	if by != nil {
		if board := m.releaseBoard(); board != nil {
			body := strings.TrimSpace(e.Summary)
			if body != "" {
				body += "\n\n"
			}
			body += m.deps.UI.Catalog.T(m.deps.UI.DefaultLang(), "forum.release_discussion_body", e.URL)
			t, err := m.forum.CreateTopic(by, NewTopic{Board: board.Id, Kind: KindDiscussion,
				Title: clipRunes(e.ProductName+" "+e.Version+" · "+e.Title, 120), Body: body})
			if err != nil {
				e.App.Logger().Error("forum: release discussion", "release", e.Release, "error", err)
			} else {
				e.Discussion = "/forum/t/" + t.Id
			}
		}
	}
	return e.Next()
}

// releaseBoard is where release discussions open: the board of the
// release_board setting, else the first board that takes discussions (nil:
// none does).
func (m *Module) releaseBoard() *core.Record {
	if m.cfg.ReleaseBoard != "" {
		if b, err := m.forum.FindBoard(m.cfg.ReleaseBoard); err == nil {
			return b
		}
	}
	boards, err := m.forum.app.FindRecordsByFilter(Boards, "", "order,name", 0, 0)
	if err != nil {
		return nil
	}
	for _, b := range boards {
		for _, k := range b.GetStringSlice("kinds") {
			if k == KindDiscussion {
				return b
			}
		}
	}
	return nil
}

func clipRunes(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
