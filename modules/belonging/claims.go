package belonging

import (
	"strings"
	"unicode/utf8"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/filesystem"
	"github.com/pocketbase/pocketbase/tools/types"

	"github.com/canyu/canyu/hooks"
	"github.com/canyu/canyu/ui"
)

// Claim is a member's request to be made VIP by a receipt or a serial
// number staff verify.
type Claim struct {
	ID      string         `db:"id" json:"id"`
	Member  string         `db:"member" json:"member"`
	Name    string         `db:"name" json:"-"`
	Kind    string         `db:"kind" json:"kind"`
	Detail  string         `db:"detail" json:"detail"`
	Proof   string         `db:"proof" json:"-"`
	Status  string         `db:"status" json:"status"`
	Reason  string         `db:"reason" json:"reason,omitempty"`
	Created types.DateTime `db:"created" json:"created"`
}

// ClaimVIP stores a claim (a member with a pending one changes nothing:
// the pending one is returned).
func (b *Belonging) ClaimVIP(member *core.Record, kind, detail string, proof *filesystem.File) (string, error) {
	detail = strings.TrimSpace(detail)
	fe := ui.FieldErrors{}
	if kind != "receipt" && kind != "serial" {
		fe["kind"] = "belonging.err_claim_kind"
	}
	switch n := utf8.RuneCountInString(detail); {
	case n == 0:
		fe["detail"] = "belonging.err_required"
	case n > 200:
		fe["detail"] = "belonging.err_too_long"
	}
	if len(fe) > 0 {
		return "", fe
	}
	var pending string
	_ = b.app.DB().NewQuery("SELECT id FROM " + Claims + " WHERE member = {:m} AND status = 'pending'").Bind(dbx.Params{"m": member.Id}).Row(&pending)
	if pending != "" {
		return pending, nil
	}
	col, err := b.app.FindCachedCollectionByNameOrId(Claims)
	if err != nil {
		return "", err
	}
	r := core.NewRecord(col)
	r.Set("member", member.Id)
	r.Set("kind", kind)
	r.Set("detail", detail)
	r.Set("status", "pending")
	r.Set("created", b.now().UTC())
	if proof != nil {
		r.Set("proof", proof)
	}
	if err := b.app.Save(r); err != nil {
		return "", err
	}
	return r.Id, nil
}

// ClaimsIn lists the claims of a status, oldest first.
func (b *Belonging) ClaimsIn(status string, limit int) ([]Claim, error) {
	var out []Claim
	err := b.app.DB().NewQuery("SELECT c.id, c.member, u.name AS name, c.kind, c.detail, c.proof, c.status, c.reason, c.created FROM " + Claims +
		" c JOIN users u ON u.id = c.member WHERE c.status = {:s} ORDER BY c.created LIMIT {:l}").Bind(dbx.Params{"s": status, "l": limit}).All(&out)
	return out, err
}

// ClaimOf returns member's latest claim.
func (b *Belonging) ClaimOf(member string) (Claim, bool) {
	var c Claim
	err := b.app.DB().NewQuery("SELECT id, member, kind, detail, status, reason, created FROM " + Claims + " WHERE member = {:m} ORDER BY created DESC LIMIT 1").
		Bind(dbx.Params{"m": member}).One(&c)
	return c, err == nil
}

// Decide approves a pending claim (the member becomes VIP) or declines it
// with a reason; the member is told either way.
func (b *Belonging) Decide(staff *core.Record, id string, approve bool, reason string) error {
	var c Claim
	if err := b.app.DB().NewQuery("SELECT id, member, kind, detail, status FROM " + Claims + " WHERE id = {:id}").Bind(dbx.Params{"id": id}).One(&c); err != nil {
		return ErrNoClaim
	}
	status, message := "declined", "belonging.notif_claim_declined"
	if approve {
		status, message = "approved", "belonging.notif_vip"
	}
	return b.app.RunInTransaction(func(tx core.App) error {
		res, err := tx.DB().NewQuery("UPDATE " + Claims + " SET status = {:s}, reason = {:r}, decided_by = {:by} WHERE id = {:id} AND status = 'pending'").
			Bind(dbx.Params{"id": id, "s": status, "r": reason, "by": staff.Id}).Execute()
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrNotPending
		}
		if approve {
			if _, err := b.MakeVIP(tx, c.Member, "claim:"+id); err != nil {
				return err
			}
		}
		return b.events.Notify.Trigger(&hooks.NotifyEvent{App: tx, Kind: NoteVIP, To: []string{c.Member}, Actor: staff.Id,
			Subject: c.Detail, Link: "/points/vip", Message: message, Detail: reason})
	})
}
