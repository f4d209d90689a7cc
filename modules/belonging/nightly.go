package belonging

import (
	"fmt"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// history are the acts the backfill finds in other modules' collections
// (read only, by name; a collection that is not there is skipped): the
// same actions and sources the live events give, so an act is never
// counted twice whichever way it arrived.
var history = []struct{ needs, action, query string }{
	{"forum_topics", ActTopic, `SELECT author AS m, 'topic:' || id AS s, created AS at FROM forum_topics WHERE hidden = FALSE`},
	{"forum_metoos", ActMeToo, `SELECT x.member AS m, 'metoo:' || x.topic || ':' || x.member AS s, x.created AS at FROM forum_metoos x
		JOIN forum_topics t ON t.id = x.topic WHERE t.author != x.member`},
	{"forum_metoos", ActMeTooGot, `SELECT t.author AS m, 'metoo:' || x.topic || ':' || x.member AS s, x.created AS at FROM forum_metoos x
		JOIN forum_topics t ON t.id = x.topic WHERE t.author != x.member`},
	{"forum_topics", ActShipped, `SELECT author AS m, 'shipped:' || id AS s, updated AS at FROM forum_topics WHERE status = 'shipped'`},
	{"releases_ballots", ActBallot, `SELECT member AS m, 'ballot:' || release || ':' || member AS s, created AS at FROM releases_ballots`},
	{"releases_applications", ActTester, `SELECT a.member AS m, 'tester:' || p.slug || ':' || a.member AS s, a.admitted AS at FROM releases_applications a
		JOIN releases_products p ON p.id = a.product WHERE a.status IN ('admitted', 'alumni') AND a.admitted != ''`},
	{"meetups_rsvps", ActAttended, `SELECT member AS m, 'attended:' || event || ':' || member AS s, checked_in AS at FROM meetups_rsvps WHERE checked_in != ''`},
	{"sales_reservations", ActReserved, `SELECT member AS m, 'reserved:' || sale || ':' || member AS s, created AS at FROM sales_reservations`},
	{"sales_orders", ActPurchase, `SELECT member AS m, 'order:' || id AS s, paid AS at FROM sales_orders WHERE status = 'paid' AND paid != ''`},
}

// Backfill counts the acts of the past that no event brought (a site
// switching belonging on, an event lost in a crash), without paying points
// for them, then gives every automatic badge its rule now earns, silently,
// and each year's medals. Safe to repeat: it adds only what is missing.
func (b *Belonging) Backfill() (acts, badges int, err error) {
	for _, h := range history {
		if _, err := b.app.FindCachedCollectionByNameOrId(h.needs); err != nil {
			continue
		}
		res, err := b.app.DB().NewQuery(`INSERT INTO ` + Acts + ` (id, member, action, source, created)
			SELECT substr(lower(hex(randomblob(8))), 1, 15), m, {:a}, s, at FROM (` + h.query + `) WHERE m != '' AND at != '' ON CONFLICT DO NOTHING`).
			Bind(dbx.Params{"a": h.action}).Execute()
		if err != nil {
			return acts, badges, fmt.Errorf("belonging: backfill %s: %w", h.action, err)
		}
		n, _ := res.RowsAffected()
		acts += int(n)
	}
	var auto []Badge
	if err := b.app.DB().NewQuery("SELECT " + badgeColumns + " FROM " + Badges + " WHERE kind = 'auto' AND rule != ''").All(&auto); err != nil {
		return acts, badges, err
	}
	for _, bd := range auto {
		var members []string
		if err := b.app.DB().NewQuery("SELECT a.member FROM " + Acts + " a WHERE a.action = {:a} AND NOT EXISTS (SELECT 1 FROM " + Awards +
			" w WHERE w.badge = {:b} AND w.member = a.member) GROUP BY a.member HAVING COUNT(*) >= {:n}").
			Bind(dbx.Params{"a": bd.Rule, "b": bd.ID, "n": max(bd.Threshold, 1)}).Column(&members); err != nil {
			return acts, badges, err
		}
		err := b.app.RunInTransaction(func(tx core.App) error {
			for _, m := range members {
				ok, err := b.award(tx, bd, m, "", "", false)
				if err != nil {
					return err
				}
				if ok {
					badges++
				}
			}
			return nil
		})
		if err != nil {
			return acts, badges, err
		}
	}
	medals, err := b.AwardMedals()
	return acts, badges + medals, err
}

// ComputeSegments places each member with acts in the window in one of the
// playbook's four groups, first match wins:
//   - testers (enthusiasts): admitted to a tester programme, or 3 Popcorn
//     ballots;
//   - leaders (opinion leaders): 10 "me too" received, or a need shipped;
//   - fans: a meetup attended, 2 topics or 5 "me too" pressed;
//   - followers: reserved or bought, and little else.
//
// Members with no such acts lose their segment. The sizes are kept for the
// day (the insights page draws them over time).
func (b *Belonging) ComputeSegments() (map[string]int, error) {
	now := b.now()
	since := dbTime(now.AddDate(0, 0, -b.cfg.SegmentDays))
	var rows []struct {
		Member   string `db:"member"`
		Tester   int    `db:"tester"`
		Ballot   int    `db:"ballot"`
		Got      int    `db:"got"`
		Shipped  int    `db:"shipped"`
		Attended int    `db:"attended"`
		Topic    int    `db:"topic"`
		MeToo    int    `db:"metoo"`
		Buy      int    `db:"buy"`
	}
	err := b.app.DB().NewQuery(`SELECT member,
			SUM(action = 'tester') AS tester, SUM(action = 'ballot') AS ballot, SUM(action = 'metoo_received') AS got,
			SUM(action = 'shipped') AS shipped, SUM(action = 'attended') AS attended, SUM(action = 'topic') AS topic,
			SUM(action = 'metoo') AS metoo, SUM(action IN ('reserved', 'purchase')) AS buy
		FROM ` + Acts + ` WHERE (created >= {:since} OR action = 'tester') AND created <= {:now} GROUP BY member`).
		Bind(dbx.Params{"since": since, "now": dbTime(now)}).All(&rows)
	if err != nil {
		return nil, err
	}
	sizes := map[string]int{}
	for _, s := range Segments {
		sizes[s] = 0
	}
	day := now.In(b.loc).Format(time.DateOnly)
	err = b.app.RunInTransaction(func(tx core.App) error {
		if _, err := tx.DB().NewQuery("UPDATE " + Standings + " SET segment = '', segment_at = {:at} WHERE segment != ''").Bind(dbx.Params{"at": dbTime(now)}).Execute(); err != nil {
			return err
		}
		for _, r := range rows {
			seg := ""
			switch {
			case r.Tester > 0 || r.Ballot >= 3:
				seg = "testers"
			case r.Got >= 10 || r.Shipped > 0:
				seg = "leaders"
			case r.Attended > 0 || r.Topic >= 2 || r.MeToo >= 5:
				seg = "fans"
			case r.Buy > 0:
				seg = "followers"
			}
			if seg == "" {
				continue
			}
			sizes[seg]++
			if _, err := tx.DB().NewQuery("INSERT INTO " + Standings + " (id, member, segment, segment_at) VALUES ({:id}, {:m}, {:s}, {:at}) " +
				"ON CONFLICT(member) DO UPDATE SET segment = excluded.segment, segment_at = excluded.segment_at").
				Bind(dbx.Params{"id": core.GenerateDefaultRandomId(), "m": r.Member, "s": seg, "at": dbTime(now)}).Execute(); err != nil {
				return err
			}
		}
		for seg, n := range sizes {
			if err := snapshot(tx, day, "segment:"+seg, n); err != nil {
				return err
			}
		}
		return nil
	})
	return sizes, err
}

// snapshot keeps a figure of a day (or a week: "2026-W49").
func snapshot(app core.App, day, name string, value int) error {
	_, err := app.DB().NewQuery("INSERT INTO " + Snapshots + " (id, day, name, value) VALUES ({:id}, {:d}, {:n}, {:v}) " +
		"ON CONFLICT(name, day) DO UPDATE SET value = excluded.value").
		Bind(dbx.Params{"id": core.GenerateDefaultRandomId(), "d": day, "n": name, "v": value}).Execute()
	return err
}

// Nightly runs the backfill, the medals and the segments (the cron calls it
// at 03:30; it is safe to run again).
func (b *Belonging) Nightly() error {
	if _, _, err := b.Backfill(); err != nil {
		return err
	}
	_, err := b.ComputeSegments()
	return err
}
