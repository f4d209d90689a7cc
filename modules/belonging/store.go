package belonging

import (
	"strings"
	"unicode/utf8"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"github.com/canyu/canyu/hooks"
	"github.com/canyu/canyu/ui"
)

// NoteRedemption is the notification a member gets when staff ship or
// cancel their redemption.
const NoteRedemption = "belonging.redemption"

// Gift is a gift of the rewards store.
type Gift struct {
	ID            string `db:"id" json:"id"`
	Name          string `db:"name" json:"name"`
	NameZH        string `db:"name_zh" json:"name_zh"`
	Description   string `db:"description" json:"description"`
	DescriptionZH string `db:"description_zh" json:"description_zh"`
	Icon          string `db:"icon" json:"icon"`
	Image         string `db:"image" json:"-"`
	Price         int    `db:"price" json:"price"`
	Stock         int    `db:"stock" json:"stock"`
	ReservedTo    string `db:"reserved_to" json:"reserved_to"`
	Active        bool   `db:"active" json:"active"`
}

// In returns the gift's name and description in lang.
func (g Gift) In(lang string) (name, description string) {
	return Badge{Name: g.Name, NameZH: g.NameZH, Description: g.Description, DescriptionZH: g.DescriptionZH}.In(lang)
}

const giftColumns = "id, name, name_zh, description, description_zh, icon, image, price, stock, reserved_to, active"

// GiftsOnShelf lists the active gifts, cheapest first.
func (b *Belonging) GiftsOnShelf() ([]Gift, error) {
	var out []Gift
	err := b.app.DB().NewQuery("SELECT " + giftColumns + " FROM " + Gifts + " WHERE active = TRUE ORDER BY sort, price").All(&out)
	return out, err
}

// FindGift returns an active gift.
func (b *Belonging) FindGift(id string) (Gift, error) {
	var g Gift
	if err := b.app.DB().NewQuery("SELECT " + giftColumns + " FROM " + Gifts + " WHERE id = {:id} AND active = TRUE").Bind(dbx.Params{"id": id}).One(&g); err != nil {
		return g, ErrNoGift
	}
	return g, nil
}

// Shipping is where a gift goes.
type Shipping struct {
	Recipient, Address, Phone string
}

// check returns the form's errors.
func (s Shipping) check() ui.FieldErrors {
	fe := ui.FieldErrors{}
	for field, v := range map[string]struct {
		val string
		max int
	}{"recipient": {s.Recipient, 80}, "address": {s.Address, 400}, "phone": {s.Phone, 30}} {
		switch n := utf8.RuneCountInString(strings.TrimSpace(v.val)); {
		case n == 0:
			fe[field] = "belonging.err_required"
		case n > v.max:
			fe[field] = "belonging.err_too_long"
		}
	}
	if len(fe) == 0 {
		return nil
	}
	return fe
}

// Redeem spends member's points on a gift, in one transaction: the stock
// goes down by one only while some is left, the points only while the
// balance covers them, and the redemption is stored; any refusal leaves all
// three as they were. It returns the redemption's id.
func (b *Belonging) Redeem(member *core.Record, giftID string, ship Shipping) (string, error) {
	if fe := ship.check(); fe != nil {
		return "", fe
	}
	g, err := b.FindGift(giftID)
	if err != nil {
		return "", err
	}
	if !b.Qualifies(member.Id, g.ReservedTo) {
		return "", ErrReserved
	}
	id := core.GenerateDefaultRandomId()
	at := b.now()
	err = b.app.RunInTransaction(func(tx core.App) error {
		res, err := tx.DB().NewQuery("UPDATE " + Gifts + " SET stock = stock - 1 WHERE id = {:g} AND active = TRUE AND stock > 0").Bind(dbx.Params{"g": g.ID}).Execute()
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrSoldOut
		}
		if err := b.move(tx, member.Id, -g.Price, reasonRedeem, "redeem:"+id, g.Name, "", at); err != nil {
			return err
		}
		_, err = tx.DB().NewQuery("INSERT INTO " + Redemptions + " (id, member, gift, price, status, recipient, address, phone, created, updated) " +
			"VALUES ({:id}, {:m}, {:g}, {:p}, 'pending', {:r}, {:a}, {:ph}, {:at}, {:at})").
			Bind(dbx.Params{"id": id, "m": member.Id, "g": g.ID, "p": g.Price, "r": strings.TrimSpace(ship.Recipient), "a": strings.TrimSpace(ship.Address),
				"ph": strings.TrimSpace(ship.Phone), "at": dbTime(at)}).Execute()
		return err
	})
	if err != nil {
		return "", err
	}
	b.publishBalance(member.Id)
	return id, nil
}

// Redemption is a redemption as its member and staff see it.
type Redemption struct {
	ID        string         `db:"id" json:"id"`
	Member    string         `db:"member" json:"member"`
	Name      string         `db:"name" json:"-"`
	Email     string         `db:"email" json:"-"`
	Gift      string         `db:"gift" json:"gift"`
	GiftName  string         `db:"gift_name" json:"gift_name"`
	Icon      string         `db:"icon" json:"icon"`
	Price     int            `db:"price" json:"price"`
	Status    string         `db:"status" json:"status"`
	Recipient string         `db:"recipient" json:"recipient"`
	Address   string         `db:"address" json:"address"`
	Phone     string         `db:"phone" json:"phone"`
	Note      string         `db:"note" json:"note,omitempty"`
	Created   types.DateTime `db:"created" json:"created"`
}

const redemptionQuery = `SELECT r.id, r.member, u.name AS name, u.email AS email, r.gift, g.name AS gift_name, g.icon AS icon, r.price, r.status,
	r.recipient, r.address, r.phone, r.note, r.created FROM ` + Redemptions + ` r JOIN ` + Gifts + ` g ON g.id = r.gift JOIN users u ON u.id = r.member`

// RedemptionsOf lists member's redemptions, newest first.
func (b *Belonging) RedemptionsOf(member string) ([]Redemption, error) {
	var out []Redemption
	err := b.app.DB().NewQuery(redemptionQuery + " WHERE r.member = {:m} ORDER BY r.created DESC").Bind(dbx.Params{"m": member}).All(&out)
	return out, err
}

// RedemptionsIn lists the redemptions of a status ("" for all), oldest
// first: the order staff fulfil them in.
func (b *Belonging) RedemptionsIn(status string, limit int) ([]Redemption, error) {
	var out []Redemption
	q := redemptionQuery + " WHERE {:s} = '' OR r.status = {:s} ORDER BY r.created LIMIT {:l}"
	err := b.app.DB().NewQuery(q).Bind(dbx.Params{"s": status, "l": limit}).All(&out)
	return out, err
}

// Cancel cancels a pending redemption: the member (their own) or staff
// (any, with a note). The gift goes back on the shelf and the points back
// to the member, through the ledger, in the same transaction.
func (b *Belonging) Cancel(actor *core.Record, id string, staff bool, note string) error {
	var r Redemption
	if err := b.app.DB().NewQuery(redemptionQuery + " WHERE r.id = {:id}").Bind(dbx.Params{"id": id}).One(&r); err != nil || !staff && r.Member != actor.Id {
		return ErrNoRedemption
	}
	at := b.now()
	err := b.app.RunInTransaction(func(tx core.App) error {
		res, err := tx.DB().NewQuery("UPDATE " + Redemptions + " SET status = 'cancelled', note = {:note}, updated = {:at} WHERE id = {:id} AND status = 'pending'").
			Bind(dbx.Params{"id": id, "note": note, "at": dbTime(at)}).Execute()
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrNotPending
		}
		if _, err := tx.DB().NewQuery("UPDATE " + Gifts + " SET stock = stock + 1 WHERE id = {:g}").Bind(dbx.Params{"g": r.Gift}).Execute(); err != nil {
			return err
		}
		if err := b.move(tx, r.Member, r.Price, reasonRefund, "refund:"+id, r.GiftName, actor.Id, at); err != nil {
			return err
		}
		if staff && actor.Id != r.Member {
			return b.tellRedemption(tx, r, actor.Id, "belonging.notif_cancelled", note)
		}
		return nil
	})
	if err == nil {
		b.publishBalance(r.Member)
	}
	return err
}

// Ship marks a pending redemption shipped (staff) with a note the member
// reads (a tracking number).
func (b *Belonging) Ship(staff *core.Record, id, note string) error {
	var r Redemption
	if err := b.app.DB().NewQuery(redemptionQuery + " WHERE r.id = {:id}").Bind(dbx.Params{"id": id}).One(&r); err != nil {
		return ErrNoRedemption
	}
	return b.app.RunInTransaction(func(tx core.App) error {
		res, err := tx.DB().NewQuery("UPDATE " + Redemptions + " SET status = 'shipped', note = {:note}, updated = {:at} WHERE id = {:id} AND status = 'pending'").
			Bind(dbx.Params{"id": id, "note": note, "at": dbTime(b.now())}).Execute()
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrNotPending
		}
		return b.tellRedemption(tx, r, staff.Id, "belonging.notif_shipped", note)
	})
}

func (b *Belonging) tellRedemption(tx core.App, r Redemption, actor, message, note string) error {
	return b.events.Notify.Trigger(&hooks.NotifyEvent{App: tx, Kind: NoteRedemption, To: []string{r.Member}, Actor: actor,
		Subject: r.Icon + " " + r.GiftName, Link: "/points/store", Message: message, Detail: note})
}
