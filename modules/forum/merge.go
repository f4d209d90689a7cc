package forum

import (
	"errors"
	"fmt"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/hooks"
)

// ErrBadMerge is a merge of a topic into itself, into another duplicate, or
// of something that is not a request or bug.
var ErrBadMerge = errors.New("forum: these topics cannot be merged")

// Merge marks dup as a duplicate of original. The "me too"s of dup move to
// the original without double counting (a member who pressed both counts
// once), dup's author counts as a "me too" on the original, and everyone
// who followed dup is told, in one transaction.
func (f *Forum) Merge(by *core.Record, dupID, originalID string) (int, error) {
	dup, err := f.FindTopic(dupID)
	if err != nil {
		return 0, err
	}
	orig, err := f.FindTopic(originalID)
	if err != nil {
		return 0, err
	}
	needs := func(t *core.Record) bool { k := t.GetString("kind"); return k == KindRequest || k == KindBug }
	if dup.Id == orig.Id || !needs(dup) || !needs(orig) || orig.GetString("merged_into") != "" || dup.GetString("merged_into") != "" {
		return 0, ErrBadMerge
	}
	from := dup.GetString("status")
	reason := fmt.Sprintf("→ %s", orig.GetString("title"))
	var told []string
	var count int
	err = f.app.RunInTransaction(func(tx core.App) error {
		var err error
		if told, err = f.setStatus(tx, by, dup, StatusChange{Status: "duplicate", Reason: reason}); err != nil {
			return err
		}
		dup.Set("merged_into", orig.Id)
		if err := tx.Save(dup); err != nil {
			return err
		}
		p := dbx.Params{"dup": dup.Id, "orig": orig.Id, "author": dup.GetString("author")}
		for _, q := range []string{
			// move the me-toos; the unique index drops a member's second one
			`INSERT INTO ` + MeToos + ` (id, topic, member, created)
				SELECT 'm' || substr(lower(hex(randomblob(7))), 1, 14), {:orig}, member, created FROM ` + MeToos + ` WHERE topic = {:dup}
				ON CONFLICT DO NOTHING`,
			// the author of the duplicate wanted it too
			`INSERT INTO ` + MeToos + ` (id, topic, member, created)
				VALUES ('m' || substr(lower(hex(randomblob(7))), 1, 14), {:orig}, {:author}, strftime('%Y-%m-%d %H:%M:%fZ', 'now'))
				ON CONFLICT DO NOTHING`,
			`DELETE FROM ` + MeToos + ` WHERE topic = {:dup}`,
			`UPDATE ` + Topics + ` SET metoo_count = (SELECT COUNT(*) FROM ` + MeToos + ` WHERE topic = ` + Topics + `.id) WHERE id IN ({:dup}, {:orig})`,
		} {
			if _, err := tx.DB().NewQuery(q).Bind(p).Execute(); err != nil {
				return err
			}
		}
		return tx.DB().NewQuery("SELECT metoo_count FROM " + Topics + " WHERE id = {:orig}").Bind(p).Row(&count)
	})
	if err != nil {
		return 0, fmt.Errorf("forum: merge: %w", err)
	}
	f.publishTopic(orig, map[string]any{"metoo": count})
	f.publishTopic(dup, map[string]any{"metoo": 0, "status": "duplicate"})
	if f.events != nil {
		hooks.TriggerAfterCommit(f.app, f.events.NeedStatusChanged, &hooks.NeedEvent{App: f.app, Topic: dup, By: by, From: from, To: "duplicate", Reason: reason, Notified: len(told)})
	}
	return count, nil
}
