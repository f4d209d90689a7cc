package forum

import (
	"regexp"
	"slices"
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// A mention is @ followed by a member's display name without spaces
// ("@HongFeng", "@小米版主"). At most maxMentions names count per text.
var mentionPattern = regexp.MustCompile(`(?:^|[^\p{L}\p{N}_@])@([\p{L}\p{N}_.\-]{2,40})`)

const maxMentions = 10

// mentioned returns the distinct names mentioned in text, lower-cased.
func mentioned(text string) []string {
	var out []string
	for _, m := range mentionPattern.FindAllStringSubmatch(text, -1) {
		name := strings.ToLower(strings.TrimRight(m[1], ".-"))
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
		if len(out) == maxMentions {
			break
		}
	}
	return out
}

// notifyMentions stores, inside tx, a notification for every member whose
// display name (case-insensitive, unique) is mentioned in text, except the
// author. It returns the members told.
func (f *Forum) notifyMentions(tx core.App, author *core.Record, topicID, text string) ([]string, error) {
	names := mentioned(text)
	if len(names) == 0 {
		return nil, nil
	}
	vals := make([]any, len(names))
	for i, n := range names {
		vals[i] = n
	}
	var rows []struct {
		ID   string `db:"id"`
		Name string `db:"name"`
	}
	if err := tx.DB().Select("id", "LOWER(name) AS name").From("users").Where(dbx.In("LOWER(name)", vals...)).All(&rows); err != nil {
		return nil, err
	}
	byName := map[string][]string{}
	for _, r := range rows {
		byName[r.Name] = append(byName[r.Name], r.ID)
	}
	col, err := tx.FindCachedCollectionByNameOrId(Notifications)
	if err != nil {
		return nil, err
	}
	var told []string
	for _, name := range names {
		ids := byName[name]
		if len(ids) != 1 || ids[0] == author.Id { // ambiguous names tell nobody
			continue
		}
		n := core.NewRecord(col)
		n.Set("member", ids[0])
		n.Set("topic", topicID)
		n.Set("kind", "mention")
		n.Set("actor", author.Id)
		if err := tx.Save(n); err != nil {
			return nil, err
		}
		told = append(told, ids[0])
	}
	return told, nil
}
