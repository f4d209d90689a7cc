package belonging

import (
	"fmt"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"github.com/canyu/canyu/hooks"
)

// NoteBadge is the notification a member gets with a badge.
const NoteBadge = "belonging.badge"

// Badge is a badge as pages show it.
type Badge struct {
	ID            string `db:"id" json:"-"`
	Slug          string `db:"slug" json:"slug"`
	Name          string `db:"name" json:"name"`
	NameZH        string `db:"name_zh" json:"name_zh"`
	Description   string `db:"description" json:"description"`
	DescriptionZH string `db:"description_zh" json:"description_zh"`
	Icon          string `db:"icon" json:"icon"`
	Kind          string `db:"kind" json:"kind"`
	Rule          string `db:"rule" json:"rule,omitempty"`
	Threshold     int    `db:"threshold" json:"threshold,omitempty"`
	Year          int    `db:"year" json:"year,omitempty"`
	Holders       int    `db:"holders" json:"holders"`
}

// In returns the badge's name and description in lang ("zh-CN" takes the
// Chinese ones where staff wrote them).
func (bd Badge) In(lang string) (name, description string) {
	name, description = bd.Name, bd.Description
	if lang == "zh-CN" {
		if bd.NameZH != "" {
			name = bd.NameZH
		}
		if bd.DescriptionZH != "" {
			description = bd.DescriptionZH
		}
	}
	return name, description
}

const badgeColumns = "id, slug, name, name_zh, description, description_zh, icon, kind, rule, threshold, year, holders"

// AllBadges lists the badges in their order.
func (b *Belonging) AllBadges() ([]Badge, error) {
	var out []Badge
	err := b.app.DB().NewQuery("SELECT " + badgeColumns + " FROM " + Badges + " ORDER BY kind = 'medal', year DESC, sort, slug").All(&out)
	return out, err
}

// FindBadge returns the badge of slug.
func (b *Belonging) FindBadge(slug string) (Badge, error) {
	var bd Badge
	err := b.app.DB().NewQuery("SELECT " + badgeColumns + " FROM " + Badges + " WHERE slug = {:s}").Bind(dbx.Params{"s": slug}).One(&bd)
	if err != nil {
		return bd, ErrNoBadge
	}
	return bd, nil
}

// Held is a badge a member holds.
type Held struct {
	Badge
	Awarded string `db:"awarded" json:"awarded"`
}

// BadgesOf lists member's badges, newest first.
func (b *Belonging) BadgesOf(member string) ([]Held, error) {
	var out []Held
	err := b.app.DB().NewQuery("SELECT b.id, b.slug, b.name, b.name_zh, b.description, b.description_zh, b.icon, b.kind, b.rule, b.threshold, b.year, b.holders, a.created AS awarded FROM " +
		Awards + " a JOIN " + Badges + " b ON b.id = a.badge WHERE a.member = {:m} ORDER BY a.created DESC").Bind(dbx.Params{"m": member}).All(&out)
	return out, err
}

// Holder is a member holding a badge.
type Holder struct {
	Member  string         `db:"member" json:"member"`
	Name    string         `db:"name" json:"name"`
	Awarded types.DateTime `db:"created" json:"awarded"`
}

// Holders lists the members holding badge, first holders first.
func (b *Belonging) Holders(badgeID string, limit int) ([]Holder, error) {
	var out []Holder
	err := b.app.DB().NewQuery("SELECT a.member AS member, u.name AS name, a.created AS created FROM " + Awards +
		" a JOIN users u ON u.id = a.member WHERE a.badge = {:b} ORDER BY a.created, a.rowid LIMIT {:l}").Bind(dbx.Params{"b": badgeID, "l": limit}).All(&out)
	return out, err
}

// checkBadges awards, in tx, the automatic badges member now meets for
// action (medals wait for their year to end: see AwardMedals).
func (b *Belonging) checkBadges(tx core.App, member, action string) ([]string, error) {
	var due []Badge
	if err := tx.DB().NewQuery("SELECT " + badgeColumns + " FROM " + Badges + " WHERE kind = 'auto' AND rule = {:a}").
		Bind(dbx.Params{"a": action}).All(&due); err != nil {
		return nil, err
	}
	if len(due) == 0 {
		return nil, nil
	}
	var n int
	if err := tx.DB().NewQuery("SELECT COUNT(*) FROM " + Acts + " WHERE member = {:m} AND action = {:a}").
		Bind(dbx.Params{"m": member, "a": action}).Row(&n); err != nil {
		return nil, err
	}
	var got []string
	for _, bd := range due {
		if n < max(bd.Threshold, 1) {
			continue
		}
		ok, err := b.award(tx, bd, member, "", "", true)
		if err != nil {
			return nil, err
		}
		if ok {
			got = append(got, bd.Slug)
		}
	}
	return got, nil
}

// award gives bd to member in tx, once; it tells the member (tell) and
// fires BadgeAwarded after commit. It reports whether the badge is new.
func (b *Belonging) award(tx core.App, bd Badge, member, note, by string, tell bool) (bool, error) {
	res, err := tx.DB().NewQuery("INSERT INTO " + Awards + " (id, badge, member, note, by, created) VALUES ({:id}, {:b}, {:m}, {:note}, {:by}, {:at}) ON CONFLICT DO NOTHING").
		Bind(dbx.Params{"id": core.GenerateDefaultRandomId(), "b": bd.ID, "m": member, "note": note, "by": by, "at": dbTime(b.now())}).Execute()
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	if _, err := tx.DB().NewQuery("UPDATE " + Badges + " SET holders = holders + 1 WHERE id = {:b}").Bind(dbx.Params{"b": bd.ID}).Execute(); err != nil {
		return false, err
	}
	if tell {
		name := bd.Name
		if bd.Year > 0 {
			name = fmt.Sprintf("%s %d", bd.Name, bd.Year)
		}
		if err := b.events.Notify.Trigger(&hooks.NotifyEvent{App: tx, Kind: NoteBadge, To: []string{member}, Actor: by, Subject: bd.Icon + " " + name,
			Link: "/badges/" + bd.Slug, Message: "belonging.notif_badge"}); err != nil {
			return false, err
		}
	}
	hooks.TriggerAfterCommit(tx, b.events.BadgeAwarded, &hooks.BadgeEvent{App: b.app, Badge: bd.Slug, Name: bd.Name, Kind: bd.Kind, Year: bd.Year, Member: member})
	return true, nil
}

// Award gives a manual badge or a medal to members by staff's hand (a
// badge already held is left as it is). It returns how many were new.
func (b *Belonging) Award(staff *core.Record, slug string, members []string, note string) (int, error) {
	bd, err := b.FindBadge(slug)
	if err != nil {
		return 0, err
	}
	n := 0
	err = b.app.RunInTransaction(func(tx core.App) error {
		n = 0
		for _, m := range members {
			if _, err := tx.FindRecordById("users", m); err != nil {
				return fmt.Errorf("%w: %s", ErrNoMember, m)
			}
			ok, err := b.award(tx, bd, m, note, staff.Id, true)
			if err != nil {
				return err
			}
			if ok {
				n++
			}
		}
		return nil
	})
	return n, err
}

// Revoke takes a badge back (a mistake): the holder count follows.
func (b *Belonging) Revoke(slug, member string) error {
	bd, err := b.FindBadge(slug)
	if err != nil {
		return err
	}
	return b.app.RunInTransaction(func(tx core.App) error {
		res, err := tx.DB().NewQuery("DELETE FROM " + Awards + " WHERE badge = {:b} AND member = {:m}").Bind(dbx.Params{"b": bd.ID, "m": member}).Execute()
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotHeld
		}
		_, err = tx.DB().NewQuery("UPDATE " + Badges + " SET holders = holders - 1 WHERE id = {:b}").Bind(dbx.Params{"b": bd.ID}).Execute()
		return err
	})
}

// AwardMedals gives each medal of a year that has ended (in the site's
// time zone) to the members whose acts of that year meet its rule. Safe
// to repeat: a medal held is not given again.
func (b *Belonging) AwardMedals() (int, error) {
	var medals []Badge
	year := b.now().In(b.loc).Year()
	if err := b.app.DB().NewQuery("SELECT " + badgeColumns + " FROM " + Badges + " WHERE kind = 'medal' AND rule != '' AND year > 0 AND year < {:y}").
		Bind(dbx.Params{"y": year}).All(&medals); err != nil {
		return 0, err
	}
	total := 0
	for _, md := range medals {
		from := time.Date(md.Year, 1, 1, 0, 0, 0, 0, b.loc)
		var members []string
		if err := b.app.DB().NewQuery("SELECT a.member FROM " + Acts + " a WHERE a.action = {:a} AND a.created >= {:from} AND a.created < {:to}" +
			" AND NOT EXISTS (SELECT 1 FROM " + Awards + " w WHERE w.badge = {:b} AND w.member = a.member) GROUP BY a.member HAVING COUNT(*) >= {:n}").
			Bind(dbx.Params{"a": md.Rule, "from": dbTime(from), "to": dbTime(from.AddDate(1, 0, 0)), "b": md.ID, "n": max(md.Threshold, 1)}).Column(&members); err != nil {
			return total, err
		}
		if len(members) == 0 {
			continue
		}
		err := b.app.RunInTransaction(func(tx core.App) error {
			for _, m := range members {
				ok, err := b.award(tx, md, m, "", "", true)
				if err != nil {
					return err
				}
				if ok {
					total++
				}
			}
			return nil
		})
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// ShowAsTitle makes member's title the badge of slug (which they must
// hold), or, with slug "", their title by account age again.
func (b *Belonging) ShowAsTitle(member, slug string) error {
	badge := ""
	if slug != "" {
		bd, err := b.FindBadge(slug)
		if err != nil {
			return err
		}
		var n int
		_ = b.app.DB().NewQuery("SELECT COUNT(*) FROM " + Awards + " WHERE badge = {:b} AND member = {:m}").Bind(dbx.Params{"b": bd.ID, "m": member}).Row(&n)
		if n == 0 {
			return ErrNotHeld
		}
		badge = bd.ID
	}
	return b.standing(b.app, member, "title_badge", badge)
}

// standing sets one field of member's standing row, creating the row.
func (b *Belonging) standing(app core.App, member, field string, value any) error {
	_, err := app.DB().NewQuery("INSERT INTO " + Standings + " (id, member, " + field + ") VALUES ({:id}, {:m}, {:v}) ON CONFLICT(member) DO UPDATE SET " +
		field + " = excluded." + field).Bind(dbx.Params{"id": core.GenerateDefaultRandomId(), "m": member, "v": value}).Execute()
	return err
}
