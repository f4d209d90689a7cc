package belonging

import (
	"errors"
	"fmt"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"github.com/canyu/canyu/hooks"
	"github.com/canyu/canyu/platform"
)

// The module's collections.
const (
	Ledger      = "belonging_ledger"
	Balances    = "belonging_balances"
	Acts        = "belonging_acts"
	Badges      = "belonging_badges"
	Awards      = "belonging_awards"
	Standings   = "belonging_members"
	Claims      = "belonging_claims"
	Gifts       = "belonging_gifts"
	Redemptions = "belonging_redemptions"
	Snapshots   = "belonging_snapshots"
)

// The module's errors.
var (
	ErrNotEnoughPoints = errors.New("belonging: not enough points")
	ErrSoldOut         = errors.New("belonging: gift sold out")
	ErrNoGift          = errors.New("belonging: no such gift")
	ErrReserved        = errors.New("belonging: gift reserved to others")
	ErrNoBadge         = errors.New("belonging: no such badge")
	ErrNotHeld         = errors.New("belonging: badge not held")
	ErrNoRedemption    = errors.New("belonging: no such redemption")
	ErrNotPending      = errors.New("belonging: redemption no longer pending")
	ErrNoClaim         = errors.New("belonging: no such claim")
	ErrNoMember        = errors.New("belonging: no such member")
	ErrZeroGrant       = errors.New("belonging: a grant needs an amount")
)

// Belonging is the domain: the ledger, badges, titles, VIP, the store,
// segments and insights.
type Belonging struct {
	app    core.App
	cfg    Config
	now    func() time.Time
	loc    *time.Location
	events *hooks.Events
	pub    platform.Publisher
}

// Outcome is what one act did: whether it was new, the points it paid
// (0 past the day's cap or for an action that pays nothing) and the badges
// it earned (their slugs).
type Outcome struct {
	New    bool
	Points int
	Badges []string
}

func dbTime(t time.Time) string { return t.UTC().Format(types.DefaultDateLayout) }

// day returns the bounds of at's day in the site's time zone.
func (b *Belonging) day(at time.Time) (time.Time, time.Time) {
	l := at.In(b.loc)
	start := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, b.loc)
	return start, start.AddDate(0, 0, 1)
}

// Act records that member did action, once per source (the event's id): the
// act is counted (badges, segments, the funnel), and pays the action's
// points unless the member reached its cap for the day. Repeating a source
// does nothing. also runs in the act's transaction when the act is new
// (the VIP a paid order brings), so an event costs one transaction.
func (b *Belonging) Act(member, action, source string, at time.Time, also ...func(tx core.App) error) (Outcome, error) {
	var out Outcome
	err := b.app.RunInTransaction(func(tx core.App) error {
		out = Outcome{}
		res, err := tx.DB().NewQuery("INSERT INTO " + Acts + " (id, member, action, source, created) VALUES ({:id}, {:m}, {:a}, {:s}, {:at}) ON CONFLICT DO NOTHING").
			Bind(dbx.Params{"id": core.GenerateDefaultRandomId(), "m": member, "a": action, "s": source, "at": dbTime(at)}).Execute()
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		out.New = true
		if rule := b.cfg.Earn.Rule(action); rule.Points > 0 {
			paid := true
			if rule.PerDay > 0 {
				from, to := b.day(at)
				var n int
				if err := tx.DB().NewQuery("SELECT COUNT(*) FROM " + Ledger + " WHERE member = {:m} AND reason = {:a} AND created >= {:from} AND created < {:to}").
					Bind(dbx.Params{"m": member, "a": action, "from": dbTime(from), "to": dbTime(to)}).Row(&n); err != nil {
					return err
				}
				paid = n < rule.PerDay
			}
			if paid {
				if err := b.move(tx, member, rule.Points, action, action+":"+source, "", "", at); err != nil {
					return err
				}
				out.Points = rule.Points
			}
		}
		if out.Badges, err = b.checkBadges(tx, member, action); err != nil {
			return err
		}
		for _, f := range also {
			if err := f(tx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Outcome{}, fmt.Errorf("belonging: %s: %w", action, err)
	}
	if out.Points != 0 {
		b.publishBalance(member)
	}
	return out, nil
}

// move writes one ledger entry and moves the member's balance in tx. The
// source is unique: an entry is never written twice. A negative amount
// that the balance cannot cover fails with ErrNotEnoughPoints.
func (b *Belonging) move(tx core.App, member string, amount int, reason, source, note, by string, at time.Time) error {
	p := dbx.Params{"id": core.GenerateDefaultRandomId(), "m": member, "n": amount, "r": reason, "s": source, "note": note, "by": by, "at": dbTime(at)}
	if amount < 0 {
		res, err := tx.DB().NewQuery("UPDATE " + Balances + " SET points = points + {:n} WHERE member = {:m} AND points + {:n} >= 0").Bind(p).Execute()
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrNotEnoughPoints
		}
	} else {
		earned := amount
		if reason == reasonRefund {
			earned = 0 // a refund gives back what was spent: nothing newly earned
		}
		p["earned"] = earned
		p["bid"] = core.GenerateDefaultRandomId()
		if _, err := tx.DB().NewQuery("INSERT INTO " + Balances + " (id, member, points, earned) VALUES ({:bid}, {:m}, {:n}, {:earned}) " +
			"ON CONFLICT(member) DO UPDATE SET points = points + excluded.points, earned = earned + excluded.earned").Bind(p).Execute(); err != nil {
			return err
		}
	}
	_, err := tx.DB().NewQuery("INSERT INTO " + Ledger + " (id, member, amount, reason, source, note, by, created) VALUES ({:id}, {:m}, {:n}, {:r}, {:s}, {:note}, {:by}, {:at})").
		Bind(p).Execute()
	return err
}

// Grant adds (or, negative, takes) points by staff's hand, with a note the
// member reads in their ledger; a balance never goes below zero.
func (b *Belonging) Grant(staff *core.Record, member string, amount int, note string) error {
	if amount == 0 {
		return ErrZeroGrant
	}
	if _, err := b.app.FindRecordById("users", member); err != nil {
		return ErrNoMember
	}
	at := b.now()
	err := b.app.RunInTransaction(func(tx core.App) error {
		return b.move(tx, member, amount, reasonGrant, "grant:"+core.GenerateDefaultRandomId(), note, staff.Id, at)
	})
	if err == nil {
		b.publishBalance(member)
	}
	return err
}

// Balance returns member's points now and their lifetime earnings.
func (b *Belonging) Balance(member string) (points, earned int) {
	_ = b.app.DB().NewQuery("SELECT points, earned FROM "+Balances+" WHERE member = {:m}").Bind(dbx.Params{"m": member}).Row(&points, &earned)
	return points, earned
}

// publishBalance tells the member's pages their new balance.
func (b *Belonging) publishBalance(member string) {
	points, _ := b.Balance(member)
	b.pub.Publish("member:"+member, map[string]any{"points": points})
}

// Entry is one line of a member's ledger.
type Entry struct {
	Amount  int            `db:"amount" json:"amount"`
	Reason  string         `db:"reason" json:"reason"`
	Note    string         `db:"note" json:"note,omitempty"`
	Created types.DateTime `db:"created" json:"created"`
}

// History returns member's latest ledger entries, newest first.
func (b *Belonging) History(member string, limit, offset int) ([]Entry, error) {
	var out []Entry
	err := b.app.DB().NewQuery("SELECT amount, reason, note, created FROM " + Ledger + " WHERE member = {:m} ORDER BY created DESC, rowid DESC LIMIT {:l} OFFSET {:o}").
		Bind(dbx.Params{"m": member, "l": limit, "o": offset}).All(&out)
	return out, err
}

// Leader is one line of a leaderboard.
type Leader struct {
	Member string `db:"member" json:"member"`
	Name   string `db:"name" json:"name"`
	Points int    `db:"points" json:"points"`
	Rank   int    `db:"-" json:"rank"`
}

// Leaders returns the members who earned the most since since (the zero
// time: all time), best first; spending does not lower a place.
func (b *Belonging) Leaders(since time.Time, limit int) ([]Leader, error) {
	var out []Leader
	var err error
	if since.IsZero() {
		err = b.app.DB().NewQuery("SELECT b.member AS member, u.name AS name, b.earned AS points FROM " + Balances + ` b
			JOIN users u ON u.id = b.member WHERE b.earned > 0 ORDER BY b.earned DESC, u.name LIMIT {:l}`).Bind(dbx.Params{"l": limit}).All(&out)
	} else {
		err = b.app.DB().NewQuery("SELECT l.member AS member, u.name AS name, SUM(l.amount) AS points FROM " + Ledger + ` l
			JOIN users u ON u.id = l.member WHERE l.created >= {:since} AND l.amount > 0 AND l.reason NOT IN ('refund')
			GROUP BY l.member ORDER BY points DESC, u.name LIMIT {:l}`).Bind(dbx.Params{"since": dbTime(since), "l": limit}).All(&out)
	}
	for i := range out {
		out[i].Rank = i + 1
		if i > 0 && out[i].Points == out[i-1].Points {
			out[i].Rank = out[i-1].Rank
		}
	}
	return out, err
}
