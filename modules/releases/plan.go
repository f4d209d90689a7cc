package releases

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/ui"
)

var monthPattern = regexp.MustCompile(`^\d{4}-(0[1-9]|1[0-2])$`)

// Month is the month of t in the brand's time zone ("2026-12").
func (r *Release) Month(t time.Time) string { return t.In(r.loc).Format("2006-01") }

// Plan returns product's plan for month (nil when staff wrote none).
func (r *Release) Plan(product, month string) (*core.Record, error) {
	p, err := r.app.FindFirstRecordByFilter(Plans, "product = {:p} && month = {:m}", dbx.Params{"p": product, "m": month})
	if err != nil {
		return nil, nil
	}
	return p, nil
}

// SavePlan stores product's plan for month: the month's themes (markdown)
// and the forum topics planned.
func (r *Release) SavePlan(product, month, themes, topics string) error {
	if _, err := r.app.FindRecordById(Products, product); err != nil {
		return ErrNoProduct
	}
	fe := ui.FieldErrors{}
	if !monthPattern.MatchString(month) {
		fe["month"] = "releases.err_month"
	}
	themes = strings.TrimSpace(themes)
	if utf8.RuneCountInString(themes) > 5000 {
		fe["themes"] = "releases.err_too_long"
	}
	ids := TopicIDs(topics)
	known, err := existingTopics(r.app, ids)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if !known[id] {
			fe["topics"] = "releases.err_topic"
		}
	}
	if len(fe) > 0 {
		return fe
	}
	plan, err := r.app.FindFirstRecordByFilter(Plans, "product = {:p} && month = {:m}", dbx.Params{"p": product, "m": month})
	if err != nil {
		col, err := r.app.FindCachedCollectionByNameOrId(Plans)
		if err != nil {
			return err
		}
		plan = core.NewRecord(col)
		plan.Set("product", product)
		plan.Set("month", month)
	}
	plan.Set("themes", themes)
	plan.Set("topics", ids)
	if err := r.app.Save(plan); err != nil {
		return fmt.Errorf("releases: plan: %w", err)
	}
	return nil
}

// TopicInfo is a forum topic as a release or a plan shows it.
type TopicInfo struct {
	ID, Title, Status, Kind string
	MeToo                   int
}

// Topics returns the visible forum topics of ids, in that order.
func (r *Release) Topics(ids []string) ([]TopicInfo, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	vals := make([]any, len(ids))
	for i, id := range ids {
		vals[i] = id
	}
	var rows []struct {
		ID     string `db:"id"`
		Title  string `db:"title"`
		Status string `db:"status"`
		Kind   string `db:"kind"`
		MeToo  int    `db:"metoo_count"`
	}
	err := r.app.DB().Select("id", "title", "status", "kind", "metoo_count").From(forumTopics).
		Where(dbx.In("id", vals...)).AndWhere(dbx.HashExp{"hidden": false}).All(&rows)
	if err != nil {
		return nil, fmt.Errorf("releases: topics: %w", err)
	}
	byID := map[string]TopicInfo{}
	for _, row := range rows {
		byID[row.ID] = TopicInfo{ID: row.ID, Title: row.Title, Status: row.Status, Kind: row.Kind, MeToo: row.MeToo}
	}
	var out []TopicInfo
	for _, id := range ids {
		if t, ok := byID[id]; ok {
			out = append(out, t)
		}
	}
	return out, nil
}
