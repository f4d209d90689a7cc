package forum

import (
	"regexp"
	"slices"
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/hooks"
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

// notifyMentions asks, inside tx, for every member whose display name
// (case-insensitive, unique) is mentioned in text to be told, except the
// author. It returns those members.
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
	var told []string
	for _, name := range names {
		if ids := byName[name]; len(ids) == 1 && ids[0] != author.Id { // ambiguous names tell nobody
			told = append(told, ids[0])
		}
	}
	if len(told) == 0 {
		return nil, nil
	}
	subject := ""
	if t, err := tx.FindRecordById(Topics, topicID); err == nil {
		subject = t.GetString("title")
	}
	err := f.events.Notify.Trigger(&hooks.NotifyEvent{App: tx, Kind: KindMentionNote, To: told, Actor: author.Id, Subject: subject,
		Link: "/forum/t/" + topicID, Message: "forum.notif_mention", Args: []hooks.Arg{{Text: author.GetString("name")}}})
	if err != nil {
		return nil, err
	}
	return told, nil
}
