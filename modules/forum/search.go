package forum

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// SearchTable is the FTS5 (trigram) index of topics and replies; triggers
// in the migration keep it in sync.
const SearchTable = "forum_search"

// words splits member input into words.
func words(q string) []string {
	return strings.FieldsFunc(q, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsPunct(r) && r != '-' && r != '\''
	})
}

// matchExpr turns member input into an FTS5 expression: each word of at
// least 3 characters (the trigram minimum) becomes a quoted phrase, joined
// with OR. Quoting keeps FTS5 syntax in the input from doing anything.
func matchExpr(q string) string {
	var terms []string
	for _, w := range words(q) {
		if utf8.RuneCountInString(w) < 3 {
			continue
		}
		term := `"` + strings.ReplaceAll(w, `"`, `""`) + `"`
		if !slices.Contains(terms, term) {
			terms = append(terms, term)
		}
		if len(terms) == 12 {
			break
		}
	}
	return strings.Join(terms, " OR ")
}

// SearchHit is one topic found, with the text that matched.
type SearchHit struct {
	Topic   *core.Record
	Snippet string
}

// Search finds visible topics whose title, text or replies match q, best
// first. kinds limits the topics' kinds (all when empty); titleOnly searches
// topics but not replies (the "similar needs" suggestion).
func (f *Forum) Search(q string, kinds []string, titleOnly bool, limit int) ([]SearchHit, error) {
	expr := matchExpr(q)
	if expr == "" {
		return f.searchTitles(q, kinds, limit)
	}
	where := ""
	if titleOnly {
		where = " AND post = ''"
	}
	var rows []struct {
		Topic   string `db:"topic"`
		Snippet string `db:"snippet"`
	}
	err := f.app.DB().NewQuery(`SELECT topic, snippet(` + SearchTable + `, 1, '', '', '…', 12) AS snippet FROM ` + SearchTable +
		` WHERE ` + SearchTable + ` MATCH {:q}` + where + ` ORDER BY bm25(` + SearchTable + `, 10.0, 1.0) LIMIT 200`).
		Bind(dbx.Params{"q": expr}).All(&rows)
	if err != nil {
		return nil, err
	}
	var ids []string
	snippets := map[string]string{}
	for _, r := range rows {
		if _, seen := snippets[r.Topic]; !seen {
			ids = append(ids, r.Topic)
			snippets[r.Topic] = r.Snippet
		}
	}
	recs, err := f.app.FindRecordsByIds(Topics, ids)
	if err != nil {
		return nil, err
	}
	byID := map[string]*core.Record{}
	for _, r := range recs {
		byID[r.Id] = r
	}
	out := []SearchHit{}
	for _, id := range ids {
		t, ok := byID[id]
		if !ok || t.GetBool("hidden") || len(kinds) > 0 && !slices.Contains(kinds, t.GetString("kind")) {
			continue
		}
		out = append(out, SearchHit{Topic: t, Snippet: snippets[id]})
		if len(out) == limit {
			break
		}
	}
	return out, nil
}

// searchTitles finds topics by two-character words, too short for the
// trigram index but the length of most Chinese words (通话, 夜间): in titles
// only, the most "me too"s first.
func (f *Forum) searchTitles(q string, kinds []string, limit int) ([]SearchHit, error) {
	var conds []dbx.Expression
	for _, w := range words(q) {
		if utf8.RuneCountInString(w) == 2 && len(conds) < 4 {
			conds = append(conds, dbx.Like("title", w))
		}
	}
	if len(conds) == 0 {
		return nil, nil
	}
	query := f.app.RecordQuery(Topics).AndWhere(dbx.HashExp{"hidden": false}).AndWhere(dbx.Or(conds...)).
		OrderBy("metoo_count DESC", "created DESC").Limit(int64(limit))
	if len(kinds) > 0 {
		vals := make([]any, len(kinds))
		for i, k := range kinds {
			vals[i] = k
		}
		query = query.AndWhere(dbx.In("kind", vals...))
	}
	var recs []*core.Record
	if err := query.All(&recs); err != nil {
		return nil, err
	}
	out := make([]SearchHit, len(recs))
	for i, t := range recs {
		out[i] = SearchHit{Topic: t}
	}
	return out, nil
}
