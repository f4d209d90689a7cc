package forum

import (
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// Weekly is the collection of the weekly snapshots of hot needs.
const Weekly = "forum_weekly"

// WeeklyItem is one need of a weekly snapshot, frozen as it was.
type WeeklyItem struct {
	Topic string  `json:"topic"`
	Title string  `json:"title"`
	Kind  string  `json:"kind"`
	MeToo int     `json:"metoo"`
	Score float64 `json:"score"`
}

// weekOf is the ISO week label of t ("2026-W48").
func weekOf(t time.Time) string {
	y, w := t.ISOWeek()
	return fmt.Sprintf("%d-W%02d", y, w)
}

// SnapshotWeek keeps the top 20 needs of the week that just ended (the cron
// runs it on Mondays just after midnight UTC; tests call it directly). It is
// idempotent: a week is kept once.
func (f *Forum) SnapshotWeek() (string, error) {
	week := weekOf(f.now().UTC().Add(-time.Hour))
	if _, err := f.app.FindFirstRecordByData(Weekly, "week", week); err == nil {
		return week, nil
	} else if !errors.Is(err, sql.ErrNoRows) {
		return "", err
	}
	hot, err := f.Hot([]string{KindRequest, KindBug}, 20)
	if err != nil {
		return "", err
	}
	items := make([]WeeklyItem, len(hot))
	for i, h := range hot {
		items[i] = WeeklyItem{Topic: h.Topic.Id, Title: h.Topic.GetString("title"), Kind: h.Topic.GetString("kind"), MeToo: h.Topic.GetInt("metoo_count"), Score: h.Score}
	}
	col, err := f.app.FindCachedCollectionByNameOrId(Weekly)
	if err != nil {
		return "", err
	}
	r := core.NewRecord(col)
	r.Set("week", week)
	r.Set("items", items)
	if err := f.app.Save(r); err != nil {
		return "", fmt.Errorf("forum: weekly snapshot: %w", err)
	}
	return week, nil
}

// WeeklyPage is the data of /forum/weekly.
type WeeklyPage struct {
	Week  string
	Weeks []string
	Items []WeeklyItem
}

func (m *Module) weekly(e *core.RequestEvent) error {
	recs, err := e.App.FindRecordsByFilter(Weekly, "", "-week", 104, 0)
	if err != nil {
		return err
	}
	v := WeeklyPage{Week: e.Request.PathValue("week")}
	for _, r := range recs {
		v.Weeks = append(v.Weeks, r.GetString("week"))
	}
	if v.Week == "" && len(v.Weeks) > 0 {
		v.Week = v.Weeks[0]
	}
	if v.Week != "" {
		r, err := e.App.FindFirstRecordByFilter(Weekly, "week = {:w}", dbx.Params{"w": v.Week})
		if errors.Is(err, sql.ErrNoRows) {
			return m.deps.UI.Error(e, http.StatusNotFound, "forum.err_week")
		} else if err != nil {
			return err
		}
		if err := r.UnmarshalJSONField("items", &v.Items); err != nil {
			return err
		}
	}
	return m.deps.UI.Render(e, http.StatusOK, "forum/weekly", v)
}
