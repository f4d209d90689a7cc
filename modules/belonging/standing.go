package belonging

import (
	"strconv"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// TitleFor returns the title of an account created at created, at now, in
// lang: the highest rung of the ladder whose days the account has lived
// (whole days in the site's time zone: a member becomes a veteran at the
// midnight that ends their 365th day).
func (b *Belonging) TitleFor(created, now time.Time, lang string) string {
	return b.titleAt(b.ageDays(created, now), lang)
}

// titleAt returns the title of an account days old in lang.
func (b *Belonging) titleAt(days int, lang string) string {
	t := b.cfg.Titles[0]
	for _, rung := range b.cfg.Titles {
		if days >= rung.Days {
			t = rung
		}
	}
	if lang == "zh-CN" {
		return t.ZH
	}
	return t.EN
}

// ageDays counts the midnights (site's zone) between created and now.
func (b *Belonging) ageDays(created, now time.Time) int {
	c, n := created.In(b.loc), now.In(b.loc)
	c0 := time.Date(c.Year(), c.Month(), c.Day(), 0, 0, 0, 0, time.UTC)
	n0 := time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, time.UTC)
	return int(n0.Sub(c0).Hours() / 24)
}

// Standing is what the site says of a member: their title, whether it is a
// badge they chose, VIP and segment.
type Standing struct {
	Title      string
	TitleIcon  string
	TitleBadge string // the slug of the badge shown as title, if any
	VIP        bool
	VIPSince   time.Time
	Segment    string
}

type standingRow struct {
	ID        string         `db:"id"`
	Created   types.DateTime `db:"created"`
	Badge     string         `db:"badge"`
	BadgeName string         `db:"bname"`
	BadgeZH   string         `db:"bzh"`
	BadgeIcon string         `db:"bicon"`
	VIP       types.DateTime `db:"vip"`
	Segment   string         `db:"segment"`
}

// Standings returns the standing of each of members in lang (unknown ids
// are left out).
func (b *Belonging) Standings(lang string, members ...string) (map[string]Standing, error) {
	out := map[string]Standing{}
	if len(members) == 0 {
		return out, nil
	}
	ids := make([]any, len(members))
	for i, m := range members {
		ids[i] = m
	}
	var rows []standingRow
	err := b.app.DB().Select("u.id AS id", "u.created AS created", "COALESCE(bd.slug, '') AS badge", "COALESCE(bd.name, '') AS bname",
		"COALESCE(bd.name_zh, '') AS bzh", "COALESCE(bd.icon, '') AS bicon", "COALESCE(s.vip, '') AS vip", "COALESCE(s.segment, '') AS segment").
		From("users u").
		LeftJoin(Standings+" s", dbx.NewExp("s.member = u.id")).
		LeftJoin(Badges+" bd", dbx.NewExp("bd.id = s.title_badge")).
		Where(dbx.In("u.id", ids...)).All(&rows)
	if err != nil {
		return nil, err
	}
	now := b.now()
	for _, r := range rows {
		s := Standing{Title: b.TitleFor(r.Created.Time(), now, lang), VIP: !r.VIP.IsZero(), VIPSince: r.VIP.Time(), Segment: r.Segment}
		if r.Badge != "" {
			s.TitleBadge, s.TitleIcon, s.Title = r.Badge, r.BadgeIcon, r.BadgeName
			if lang == "zh-CN" && r.BadgeZH != "" {
				s.Title = r.BadgeZH
			}
		}
		out[r.ID] = s
	}
	return out, nil
}

// NoteVIP is the notification a member gets on becoming VIP.
const NoteVIP = "belonging.vip"

// MakeVIP makes member VIP (via says how: "order:<id>", "claim:<id>",
// "staff"); a member already VIP stays as they were. It reports whether
// the member is newly VIP.
func (b *Belonging) MakeVIP(tx core.App, member, via string) (bool, error) {
	res, err := tx.DB().NewQuery("INSERT INTO " + Standings + " (id, member, vip, vip_via) VALUES ({:id}, {:m}, {:at}, {:via}) " +
		"ON CONFLICT(member) DO UPDATE SET vip = excluded.vip, vip_via = excluded.vip_via WHERE vip = ''").
		Bind(dbx.Params{"id": core.GenerateDefaultRandomId(), "m": member, "at": dbTime(b.now()), "via": via}).Execute()
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// HasPerk answers the site's perks question from the configured perks.
func (b *Belonging) HasPerk(member, perk string) bool {
	return b.holds(member, b.cfg.Perks.Who(perk))
}

// holds reports whether member is one of who (vip, segment:<name>,
// badge:<slug>, title:<days>).
func (b *Belonging) holds(member string, who []string) bool {
	if len(who) == 0 || member == "" {
		return false
	}
	st, err := b.Standings("en", member)
	if err != nil {
		return false
	}
	s, ok := st[member]
	if !ok {
		return false
	}
	for _, w := range who {
		kind, arg, _ := strings.Cut(w, ":")
		switch kind {
		case "vip":
			if s.VIP {
				return true
			}
		case "segment":
			if s.Segment == arg {
				return true
			}
		case "badge":
			var n int
			_ = b.app.DB().NewQuery("SELECT COUNT(*) FROM " + Awards + " a JOIN " + Badges + " bd ON bd.id = a.badge WHERE a.member = {:m} AND bd.slug = {:s}").
				Bind(dbx.Params{"m": member, "s": arg}).Row(&n)
			if n > 0 {
				return true
			}
		case "title":
			days, _ := strconv.Atoi(arg)
			var created types.DateTime
			_ = b.app.DB().NewQuery("SELECT created FROM users WHERE id = {:m}").Bind(dbx.Params{"m": member}).Row(&created)
			if !created.IsZero() && b.ageDays(created.Time(), b.now()) >= days {
				return true
			}
		}
	}
	return false
}

// Qualifies reports whether member may take a gift reserved to who ("" for
// everyone, or one of the perks' forms: vip, segment:, badge:, title:).
func (b *Belonging) Qualifies(member, who string) bool {
	if who == "" {
		return true
	}
	return b.holds(member, []string{who})
}
