package forum

import (
	"slices"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Temperature is how warm the team keeps the forum over a period: the share
// of requests and bugs with a staff reply, and the median time to the first
// one, overall, per board (the product areas) and per staff member.
type Temperature struct {
	Days    int
	Overall TempFigures
	Boards  []TempLine
	Areas   []TempLine // product areas (topics without an area are left out)
	Staff   []TempLine
}

// TempFigures are the figures of one line.
type TempFigures struct {
	Topics   int
	Answered int
	Rate     int           // percent answered
	Median   time.Duration // to the first staff reply, over answered topics
}

// TempLine is a board or a staff member with its figures. For a staff
// member, Topics and Answered both count the topics they answered first.
type TempLine struct {
	ID, Name string
	TempFigures
}

// Temperature measures the last days days.
func (f *Forum) Temperature(days int) (Temperature, error) {
	since := f.now().UTC().AddDate(0, 0, -days).Format(types.DefaultDateLayout)
	var rows []struct {
		Topic   string         `db:"id"`
		Board   string         `db:"board"`
		Area    string         `db:"area"`
		Created types.DateTime `db:"created"`
		First   types.DateTime `db:"first"`
		FirstBy string         `db:"first_by"`
	}
	first := `FROM ` + Posts + ` p WHERE p.topic = t.id AND p.staff = TRUE AND p.hidden = FALSE ORDER BY p.created LIMIT 1`
	err := f.app.DB().NewQuery(`SELECT t.id, t.board, COALESCE(t.area, '') AS area, t.created,
			COALESCE((SELECT p.created ` + first + `), '') AS first,
			COALESCE((SELECT p.author ` + first + `), '') AS first_by
		FROM ` + Topics + ` t
		WHERE t.kind IN ('request', 'bug') AND t.hidden = FALSE AND t.created >= {:since}`).
		Bind(dbx.Params{"since": since}).All(&rows)
	if err != nil {
		return Temperature{}, err
	}
	type acc struct {
		topics, answered int
		waits            []time.Duration
	}
	add := func(a *acc, answered bool, wait time.Duration) {
		a.topics++
		if answered {
			a.answered++
			a.waits = append(a.waits, wait)
		}
	}
	overall := &acc{}
	boards, areas, staff := map[string]*acc{}, map[string]*acc{}, map[string]*acc{}
	for _, r := range rows {
		answered := !r.First.IsZero()
		wait := max(0, r.First.Time().Sub(r.Created.Time()))
		add(overall, answered, wait)
		if boards[r.Board] == nil {
			boards[r.Board] = &acc{}
		}
		add(boards[r.Board], answered, wait)
		if r.Area != "" {
			if areas[r.Area] == nil {
				areas[r.Area] = &acc{}
			}
			add(areas[r.Area], answered, wait)
		}
		if answered {
			if staff[r.FirstBy] == nil {
				staff[r.FirstBy] = &acc{}
			}
			add(staff[r.FirstBy], true, wait)
		}
	}
	figures := func(a *acc) TempFigures {
		f := TempFigures{Topics: a.topics, Answered: a.answered}
		if a.topics > 0 {
			f.Rate = a.answered * 100 / a.topics
		}
		if n := len(a.waits); n > 0 {
			slices.Sort(a.waits)
			if n%2 == 1 {
				f.Median = a.waits[n/2]
			} else {
				f.Median = (a.waits[n/2-1] + a.waits[n/2]) / 2
			}
		}
		return f
	}
	t := Temperature{Days: days, Overall: figures(overall)}
	lines := func(m map[string]*acc, collection, field string) []TempLine {
		ids := make([]string, 0, len(m))
		for id := range m {
			ids = append(ids, id)
		}
		names := map[string]string{}
		if recs, err := f.app.FindRecordsByIds(collection, ids); err == nil {
			for _, r := range recs {
				names[r.Id] = r.GetString(field)
			}
		}
		out := make([]TempLine, 0, len(m))
		for id, a := range m {
			out = append(out, TempLine{ID: id, Name: names[id], TempFigures: figures(a)})
		}
		slices.SortFunc(out, func(a, b TempLine) int { return b.Topics - a.Topics })
		return out
	}
	t.Boards = lines(boards, Boards, "name")
	t.Areas = lines(areas, Areas, "name")
	t.Staff = lines(staff, "users", "name")
	return t, nil
}
