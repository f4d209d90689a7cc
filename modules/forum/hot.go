package forum

import (
	"math"
	"slices"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// The "hot this week" formula (docs/forum.md). Over the last HotWindow, each
// "me too" adds 1 and each reply adds ReplyWeight, both halved every
// HotHalfLife of age:
//
//	hot(topic) = Σ_metoo 0.5^(age/48h) + 0.5 × Σ_reply 0.5^(age/48h)
//
// A need many members pressed today outranks one pressed as often last week.
const (
	HotWindow   = 7 * 24 * time.Hour
	HotHalfLife = 48 * time.Hour
	ReplyWeight = 0.5
)

// HotTopic is one line of the ranking.
type HotTopic struct {
	Topic *core.Record
	Score float64
}

// Hot ranks visible topics of the given kinds (all when empty) by the
// formula above, best first, at most limit.
func (f *Forum) Hot(kinds []string, limit int) ([]HotTopic, error) {
	now := f.now().UTC()
	since := now.Add(-HotWindow).Format(types.DefaultDateLayout)
	scores := map[string]float64{}
	add := func(q string, weight float64) error {
		var rows []struct {
			Topic   string         `db:"topic"`
			Created types.DateTime `db:"created"`
		}
		if err := f.app.DB().NewQuery(q).Bind(dbx.Params{"since": since}).All(&rows); err != nil {
			return err
		}
		for _, r := range rows {
			age := now.Sub(r.Created.Time())
			if age < 0 {
				age = 0
			}
			scores[r.Topic] += weight * math.Pow(0.5, age.Hours()/HotHalfLife.Hours())
		}
		return nil
	}
	if err := add("SELECT topic, created FROM "+MeToos+" WHERE created >= {:since}", 1); err != nil {
		return nil, err
	}
	if err := add("SELECT topic, created FROM "+Posts+" WHERE created >= {:since} AND hidden = FALSE", ReplyWeight); err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(scores))
	for id := range scores {
		ids = append(ids, id)
	}
	topics, err := f.app.FindRecordsByIds(Topics, ids)
	if err != nil {
		return nil, err
	}
	out := make([]HotTopic, 0, len(topics))
	for _, t := range topics {
		if t.GetBool("hidden") || len(kinds) > 0 && !slices.Contains(kinds, t.GetString("kind")) {
			continue
		}
		out = append(out, HotTopic{Topic: t, Score: math.Round(scores[t.Id]*1000) / 1000})
	}
	slices.SortStableFunc(out, func(a, b HotTopic) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return b.Topic.GetInt("metoo_count") - a.Topic.GetInt("metoo_count")
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}
