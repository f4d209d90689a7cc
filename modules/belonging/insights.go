package belonging

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Visits counts the distinct visitors and signed-in members of each week
// without storing who they were: a visitor is a hash of their address and
// browser with a salt made at random for the week and kept only in memory
// (a restart makes a new salt: that week's visitors who return after it
// are counted twice). The counts are written to the snapshots every
// minute.
type Visits struct {
	mu      sync.Mutex
	week    string
	salt    [16]byte
	seen    map[uint64]struct{}
	members map[string]struct{}
}

// weekOf names t's ISO week in loc ("2026-W49").
func weekOf(t time.Time, loc *time.Location) string {
	y, w := t.In(loc).ISOWeek()
	return fmt.Sprintf("%d-W%02d", y, w)
}

// See counts one page view.
func (v *Visits) See(now time.Time, loc *time.Location, addr, agent, member string) {
	week := weekOf(now, loc)
	v.mu.Lock()
	defer v.mu.Unlock()
	if week != v.week || v.seen == nil {
		v.week, v.seen, v.members = week, map[uint64]struct{}{}, map[string]struct{}{}
		_, _ = rand.Read(v.salt[:])
	}
	h := sha256.New()
	h.Write(v.salt[:])
	h.Write([]byte(addr + "\x00" + agent))
	v.seen[binary.BigEndian.Uint64(h.Sum(nil))] = struct{}{}
	if member != "" {
		v.members[member] = struct{}{}
	}
}

// flush writes the week's counts (never lower than what an earlier process
// stored for the week).
func (v *Visits) flush(app core.App) error {
	v.mu.Lock()
	week, visitors, members := v.week, len(v.seen), len(v.members)
	v.mu.Unlock()
	if week == "" {
		return nil
	}
	for name, n := range map[string]int{"visitors": visitors, "members": members} {
		if _, err := app.DB().NewQuery("INSERT INTO " + Snapshots + " (id, day, name, value) VALUES ({:id}, {:d}, {:n}, {:v}) " +
			"ON CONFLICT(name, day) DO UPDATE SET value = MAX(value, excluded.value)").
			Bind(dbx.Params{"id": core.GenerateDefaultRandomId(), "d": week, "n": name, "v": n}).Execute(); err != nil {
			return err
		}
	}
	return nil
}

// countable reports whether a request is a page view worth counting: a GET
// of a page (not an asset, the API or the live socket) by a browser.
func countable(r *http.Request) bool {
	if r.Method != http.MethodGet {
		return false
	}
	p := r.URL.Path
	for _, prefix := range []string{"/api/", "/static/", "/_/", "/live"} {
		if strings.HasPrefix(p, prefix) {
			return false
		}
	}
	return !strings.Contains(p[strings.LastIndex(p, "/")+1:], ".") && strings.Contains(r.Header.Get("Accept"), "text/html")
}

// Step is one step of the funnel.
type Step struct {
	Key   string // the step's catalog key suffix ("visitors")
	Count int
}

// Week is one week of the funnel, with the staff temperature beside it.
type Week struct {
	Week  string
	Start time.Time
	Steps []Step
	// Answered is the share (0..100) of the week's requests and bugs that
	// staff answered, and FirstHours the median hours to the first answer;
	// Needs is how many there were (-1: the forum is off).
	Needs, Answered int
	FirstHours      float64
}

// FunnelSteps are the funnel's steps in order.
var FunnelSteps = []string{"visitors", "members", "posters", "metoo", "reserved", "bought", "attended", "tester"}

// Funnel returns the last weeks of the funnel, oldest first: visitors and
// members seen (the visits counter), then the distinct members who posted,
// pressed "me too", reserved, bought, attended and were admitted as
// testers that week (the acts).
func (b *Belonging) Funnel(weeks int) ([]Week, error) {
	now := b.now().In(b.loc)
	// Monday of this week
	monday := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, b.loc)
	monday = monday.AddDate(0, 0, -((int(monday.Weekday()) + 6) % 7))
	first := monday.AddDate(0, 0, -7*(weeks-1))
	var acts []struct {
		Action  string         `db:"action"`
		Member  string         `db:"member"`
		Created types.DateTime `db:"created"`
	}
	if err := b.app.DB().NewQuery("SELECT action, member, created FROM " + Acts + " WHERE created >= {:since} AND action IN ('topic', 'metoo', 'reserved', 'purchase', 'attended', 'tester')").
		Bind(dbx.Params{"since": dbTime(first)}).All(&acts); err != nil {
		return nil, err
	}
	step := map[string]string{ActTopic: "posters", ActMeToo: "metoo", ActReserved: "reserved", ActPurchase: "bought", ActAttended: "attended", ActTester: "tester"}
	distinct := map[string]map[string]map[string]bool{} // week -> step -> member
	for _, a := range acts {
		w := weekOf(a.Created.Time(), b.loc)
		if distinct[w] == nil {
			distinct[w] = map[string]map[string]bool{}
		}
		s := step[a.Action]
		if distinct[w][s] == nil {
			distinct[w][s] = map[string]bool{}
		}
		distinct[w][s][a.Member] = true
	}
	// replies count as posts where the forum is on
	if _, err := b.app.FindCachedCollectionByNameOrId("forum_posts"); err == nil {
		var posts []struct {
			Author  string         `db:"author"`
			Created types.DateTime `db:"created"`
		}
		if err := b.app.DB().NewQuery("SELECT author, created FROM forum_posts WHERE created >= {:since} AND hidden = FALSE").
			Bind(dbx.Params{"since": dbTime(first)}).All(&posts); err != nil {
			return nil, err
		}
		for _, p := range posts {
			w := weekOf(p.Created.Time(), b.loc)
			if distinct[w] == nil {
				distinct[w] = map[string]map[string]bool{}
			}
			if distinct[w]["posters"] == nil {
				distinct[w]["posters"] = map[string]bool{}
			}
			distinct[w]["posters"][p.Author] = true
		}
	}
	// reservations come from the sales module's own rows (read only): they
	// are not events here (see bindEvents)
	if _, err := b.app.FindCachedCollectionByNameOrId("sales_reservations"); err == nil {
		for i := range weeks {
			start := first.AddDate(0, 0, 7*i)
			var members []string
			if err := b.app.DB().NewQuery("SELECT DISTINCT member FROM sales_reservations WHERE created >= {:from} AND created < {:to}").
				Bind(dbx.Params{"from": dbTime(start), "to": dbTime(start.AddDate(0, 0, 7))}).Column(&members); err != nil {
				return nil, err
			}
			w := weekOf(start, b.loc)
			if distinct[w] == nil {
				distinct[w] = map[string]map[string]bool{}
			}
			if distinct[w]["reserved"] == nil {
				distinct[w]["reserved"] = map[string]bool{}
			}
			for _, m := range members {
				distinct[w]["reserved"][m] = true
			}
		}
	}
	visits := map[string]int{}
	var snaps []struct {
		Day   string `db:"day"`
		Name  string `db:"name"`
		Value int    `db:"value"`
	}
	if err := b.app.DB().NewQuery("SELECT day, name, value FROM " + Snapshots + " WHERE name IN ('visitors', 'members')").All(&snaps); err != nil {
		return nil, err
	}
	for _, s := range snaps {
		visits[s.Day+"/"+s.Name] = s.Value
	}
	temp, err := b.temperature(first)
	if err != nil {
		return nil, err
	}
	var out []Week
	for i := range weeks {
		start := first.AddDate(0, 0, 7*i)
		w := weekOf(start, b.loc)
		wk := Week{Week: w, Start: start, Needs: -1}
		for _, s := range FunnelSteps {
			n := len(distinct[w][s])
			if s == "visitors" || s == "members" {
				n = visits[w+"/"+s]
			}
			wk.Steps = append(wk.Steps, Step{Key: s, Count: n})
		}
		if t, ok := temp[w]; ok {
			wk.Needs, wk.Answered, wk.FirstHours = t.Needs, t.Answered, t.FirstHours
		}
		out = append(out, wk)
	}
	return out, nil
}

// temperature reads, per week since since, how staff answered the week's
// requests and bugs (nothing without the forum).
func (b *Belonging) temperature(since time.Time) (map[string]Week, error) {
	out := map[string]Week{}
	if _, err := b.app.FindCachedCollectionByNameOrId("forum_topics"); err != nil {
		return out, nil
	}
	var rows []struct {
		Created types.DateTime `db:"created"`
		First   types.DateTime `db:"first"`
	}
	err := b.app.DB().NewQuery(`SELECT t.created AS created, COALESCE((SELECT p.created FROM forum_posts p WHERE p.topic = t.id AND p.staff = TRUE
			AND p.hidden = FALSE ORDER BY p.created LIMIT 1), '') AS first
		FROM forum_topics t WHERE t.kind IN ('request', 'bug') AND t.hidden = FALSE AND t.created >= {:since}`).
		Bind(dbx.Params{"since": dbTime(since)}).All(&rows)
	if err != nil {
		return nil, err
	}
	waits := map[string][]float64{}
	for _, r := range rows {
		w := weekOf(r.Created.Time(), b.loc)
		wk := out[w]
		wk.Needs++
		if !r.First.IsZero() {
			wk.Answered++
			waits[w] = append(waits[w], r.First.Time().Sub(r.Created.Time()).Hours())
		}
		out[w] = wk
	}
	for w, wk := range out {
		if ws := waits[w]; len(ws) > 0 {
			sort.Float64s(ws)
			wk.FirstHours = ws[len(ws)/2]
		}
		wk.Answered = wk.Answered * 100 / max(wk.Needs, 1)
		out[w] = wk
	}
	return out, nil
}

// SegmentPoint is the sizes of the segments on a day.
type SegmentPoint struct {
	Day   string
	Sizes map[string]int
}

// SegmentHistory returns the segments' sizes of the last days, oldest first.
func (b *Belonging) SegmentHistory(days int) ([]SegmentPoint, error) {
	var rows []struct {
		Day   string `db:"day"`
		Name  string `db:"name"`
		Value int    `db:"value"`
	}
	since := b.now().In(b.loc).AddDate(0, 0, -days).Format(time.DateOnly)
	if err := b.app.DB().NewQuery("SELECT day, name, value FROM " + Snapshots + " WHERE name LIKE 'segment:%' AND day >= {:since} ORDER BY day").
		Bind(dbx.Params{"since": since}).All(&rows); err != nil {
		return nil, err
	}
	var out []SegmentPoint
	for _, r := range rows {
		if len(out) == 0 || out[len(out)-1].Day != r.Day {
			out = append(out, SegmentPoint{Day: r.Day, Sizes: map[string]int{}})
		}
		out[len(out)-1].Sizes[strings.TrimPrefix(r.Name, "segment:")] = r.Value
	}
	return out, nil
}

// SegmentMember is a member of a segment as staff list them.
type SegmentMember struct {
	ID      string         `db:"id"`
	Name    string         `db:"name"`
	Email   string         `db:"email"`
	City    string         `db:"city"`
	Segment string         `db:"segment"`
	VIP     types.DateTime `db:"vip"`
	Points  int            `db:"points"`
	Joined  types.DateTime `db:"created"`
}

// Members lists the members of a segment ("" for every member with one,
// "vip" for the VIPs), most points first.
func (b *Belonging) Members(segment string, limit int) ([]SegmentMember, error) {
	where := "s.segment != ''"
	switch {
	case segment == "vip":
		where = "s.vip != ''"
	case slices.Contains(Segments, segment):
		where = "s.segment = {:seg}"
	}
	var out []SegmentMember
	err := b.app.DB().NewQuery(`SELECT u.id, u.name, u.email, u.city, s.segment, s.vip, COALESCE(bl.points, 0) AS points, u.created FROM ` + Standings + ` s
		JOIN users u ON u.id = s.member LEFT JOIN ` + Balances + ` bl ON bl.member = s.member WHERE ` + where + `
		ORDER BY points DESC, u.name LIMIT {:l}`).Bind(dbx.Params{"seg": segment, "l": limit}).All(&out)
	return out, err
}
