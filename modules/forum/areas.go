package forum

import (
	"errors"
	"net/http"
	"slices"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/hooks"
	"github.com/canyu/canyu/ui"
)

// Areas is the collection of product areas.
const Areas = "forum_areas"

// ErrUnknownArea is an area id that does not exist.
var ErrUnknownArea = errors.New("forum: unknown product area")

// AreaView is a product area as pages show it.
type AreaView struct {
	ID, Name string
}

func (f *Forum) areas(lang ui.Lang) ([]AreaView, error) {
	recs, err := f.app.FindRecordsByFilter(Areas, "", "order,name", 0, 0)
	if err != nil {
		return nil, err
	}
	out := make([]AreaView, len(recs))
	for i, r := range recs {
		out[i] = AreaView{ID: r.Id, Name: r.GetString("name")}
		if lang == ui.Chinese && r.GetString("name_zh") != "" {
			out[i].Name = r.GetString("name_zh")
		}
	}
	return out, nil
}

// notifyOwners asks, inside tx, for each owner of the topic's area (never
// its author) to be told of the new topic, and returns those members.
func (f *Forum) notifyOwners(tx core.App, t *core.Record) ([]string, error) {
	areaID := t.GetString("area")
	if areaID == "" {
		return nil, nil
	}
	area, err := tx.FindRecordById(Areas, areaID)
	if err != nil {
		return nil, ErrUnknownArea
	}
	var told []string
	for _, owner := range area.GetStringSlice("owners") {
		if owner != t.GetString("author") {
			told = append(told, owner)
		}
	}
	if len(told) == 0 {
		return nil, nil
	}
	name := ""
	if a, err := tx.FindRecordById("users", t.GetString("author")); err == nil {
		name = a.GetString("name")
	}
	err = f.events.Notify.Trigger(&hooks.NotifyEvent{App: tx, Kind: KindAreaNote, To: told, Actor: t.GetString("author"),
		Subject: t.GetString("title"), Link: "/forum/t/" + t.Id, Message: "forum.notif_new_topic", Args: []hooks.Arg{{Text: name}}})
	if err != nil {
		return nil, err
	}
	return told, nil
}

// BugArea is one line of the bug view: an area (or "no area") with its bugs
// per version, hottest versions first.
type BugArea struct {
	Area     string
	Total    int
	Versions []BugVersion
}

// BugVersion counts the open bugs reported against one version and the
// members they hit (each reporter plus each "me too").
type BugVersion struct {
	Version string
	Bugs    int
	MeToo   int
}

// BugView counts open bugs (not shipped, declined or duplicate) per area and
// version, areas and versions with the most "me too"s first.
func (f *Forum) BugView(lang ui.Lang) ([]BugArea, []*core.Record, error) {
	var rows []struct {
		Area    string `db:"area"`
		Version string `db:"version"`
		Bugs    int    `db:"bugs"`
		MeToo   int    `db:"metoo"`
	}
	err := f.app.DB().NewQuery(`SELECT COALESCE(area, '') AS area,
			COALESCE(json_extract(fields, '$.version'), '') AS version,
			COUNT(*) AS bugs, SUM(metoo_count) + COUNT(*) AS metoo
		FROM ` + Topics + ` WHERE kind = 'bug' AND hidden = FALSE AND status NOT IN ('shipped', 'declined', 'duplicate')
		GROUP BY 1, 2`).All(&rows)
	if err != nil {
		return nil, nil, err
	}
	areas, err := f.areas(lang)
	if err != nil {
		return nil, nil, err
	}
	names := map[string]string{}
	for _, a := range areas {
		names[a.ID] = a.Name
	}
	byArea := map[string]*BugArea{}
	heat := map[string]int{}
	for _, r := range rows {
		a, ok := byArea[r.Area]
		if !ok {
			a = &BugArea{Area: names[r.Area]}
			byArea[r.Area] = a
		}
		a.Total += r.Bugs
		heat[r.Area] += r.MeToo
		a.Versions = append(a.Versions, BugVersion{Version: r.Version, Bugs: r.Bugs, MeToo: r.MeToo})
	}
	keys := make([]string, 0, len(byArea))
	for k := range byArea {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return heat[b] - heat[a] })
	out := make([]BugArea, 0, len(keys))
	for _, k := range keys {
		a := byArea[k]
		slices.SortFunc(a.Versions, func(x, y BugVersion) int { return y.MeToo - x.MeToo })
		out = append(out, *a)
	}
	hottest, err := f.app.FindRecordsByFilter(Topics, "kind = 'bug' && hidden = false && status != 'shipped' && status != 'declined' && status != 'duplicate'",
		"-metoo_count,-last_activity", 20, 0, dbx.Params{})
	return out, hottest, err
}

// BugPage is the data of /forum/bugs.
type BugPage struct {
	Areas   []BugArea
	Hottest []TopicRow
}

func (m *Module) bugs(e *core.RequestEvent) error {
	areas, hottest, err := m.forum.BugView(m.deps.UI.Lang(e))
	if err != nil {
		return err
	}
	authors := authorsOf(e.App, hottest)
	v := BugPage{Areas: areas}
	for _, t := range hottest {
		v.Hottest = append(v.Hottest, m.row(e, t, authors))
	}
	return m.deps.UI.Render(e, http.StatusOK, "forum/bugs", v)
}
