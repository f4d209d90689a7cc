package belonging

import (
	"net/http"
	"strconv"

	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/modules/internal/access"
	"github.com/canyu/canyu/ui"
)

// apiPoints: GET /api/points?page= the caller's balance and ledger; staff
// read a member's with ?member=.
func (mod *Module) apiPoints(e *core.RequestEvent) error {
	member := e.Auth.Id
	if m := e.Request.URL.Query().Get("member"); m != "" && m != member {
		if !access.HasRole(e.Auth, access.RoleStaff) {
			return e.ForbiddenError("", nil)
		}
		member = m
	}
	page, _ := strconv.Atoi(e.Request.URL.Query().Get("page"))
	page = max(page, 1)
	entries, err := mod.b.History(member, 50, (page-1)*50)
	if err != nil {
		return err
	}
	if entries == nil {
		entries = []Entry{}
	}
	points, earned := mod.b.Balance(member)
	return e.JSON(http.StatusOK, map[string]any{"member": member, "points": points, "earned": earned, "page": page, "entries": entries})
}

// apiStore: GET /api/points/store, the gifts on the shelf.
func (mod *Module) apiStore(e *core.RequestEvent) error {
	gifts, err := mod.b.GiftsOnShelf()
	if err != nil {
		return err
	}
	if gifts == nil {
		gifts = []Gift{}
	}
	return e.JSON(http.StatusOK, map[string]any{"gifts": gifts})
}

// apiRedeem: POST /api/points/store/{id}/redeem {"recipient", "address",
// "phone"}: 201 with the redemption and the balance left.
func (mod *Module) apiRedeem(e *core.RequestEvent) error {
	var body struct {
		Recipient string `json:"recipient"`
		Address   string `json:"address"`
		Phone     string `json:"phone"`
	}
	if err := e.BindBody(&body); err != nil {
		return ui.BadBody(err)
	}
	id, err := mod.b.Redeem(e.Auth, e.Request.PathValue("id"), Shipping{Recipient: body.Recipient, Address: body.Address, Phone: body.Phone})
	if err != nil {
		return problems.Show(err)
	}
	points, _ := mod.b.Balance(e.Auth.Id)
	return e.JSON(http.StatusCreated, map[string]any{"id": id, "status": "pending", "points": points})
}

// apiRedemptions: GET /api/points/redemptions, the caller's.
func (mod *Module) apiRedemptions(e *core.RequestEvent) error {
	rs, err := mod.b.RedemptionsOf(e.Auth.Id)
	if err != nil {
		return err
	}
	if rs == nil {
		rs = []Redemption{}
	}
	return e.JSON(http.StatusOK, map[string]any{"redemptions": rs})
}

// apiCancel: DELETE /api/points/redemptions/{id}: a pending redemption of
// the caller's is cancelled and refunded.
func (mod *Module) apiCancel(e *core.RequestEvent) error {
	if err := mod.b.Cancel(e.Auth, e.Request.PathValue("id"), false, ""); err != nil {
		return problems.Show(err)
	}
	points, _ := mod.b.Balance(e.Auth.Id)
	return e.JSON(http.StatusOK, map[string]any{"status": "cancelled", "points": points})
}

// apiBadges: GET /api/badges.
func (mod *Module) apiBadges(e *core.RequestEvent) error {
	all, err := mod.b.AllBadges()
	if err != nil {
		return err
	}
	if all == nil {
		all = []Badge{}
	}
	return e.JSON(http.StatusOK, map[string]any{"badges": all})
}

// apiBadge: GET /api/badges/{slug}, the badge and its first holders.
func (mod *Module) apiBadge(e *core.RequestEvent) error {
	bd, err := mod.b.FindBadge(e.Request.PathValue("slug"))
	if err != nil {
		return problems.Show(err)
	}
	hs, err := mod.b.Holders(bd.ID, 500)
	if err != nil {
		return err
	}
	if hs == nil {
		hs = []Holder{}
	}
	return e.JSON(http.StatusOK, map[string]any{"badge": bd, "holders": hs})
}

// apiHonours: GET /api/honours/{member}: a member's title, VIP and badges
// (public, like the profile).
func (mod *Module) apiHonours(e *core.RequestEvent) error {
	id := e.Request.PathValue("member")
	st, err := mod.b.Standings(mod.lang(e), id)
	if err != nil {
		return err
	}
	s, ok := st[id]
	if !ok {
		return problems.Show(ErrNoMember)
	}
	held, err := mod.b.BadgesOf(id)
	if err != nil {
		return err
	}
	badges := []map[string]any{}
	for _, h := range held {
		name, _ := h.In(mod.lang(e))
		b := map[string]any{"slug": h.Slug, "name": name, "icon": h.Icon, "kind": h.Kind, "awarded": h.Awarded}
		if h.Year > 0 {
			b["year"] = h.Year
		}
		badges = append(badges, b)
	}
	_, earned := mod.b.Balance(id)
	return e.JSON(http.StatusOK, map[string]any{"member": id, "title": s.Title, "title_badge": s.TitleBadge, "vip": s.VIP, "earned": earned, "badges": badges})
}

// apiLeaderboard: GET /api/leaderboard?period=week|month|all.
func (mod *Module) apiLeaderboard(e *core.RequestEvent) error {
	p := period(e)
	ls, err := mod.b.Leaders(mod.since(p), 50)
	if err != nil {
		return err
	}
	if ls == nil {
		ls = []Leader{}
	}
	return e.JSON(http.StatusOK, map[string]any{"period": p, "leaders": ls})
}

// apiGrant: POST /api/points/grant {"member", "amount", "note"} (staff).
func (mod *Module) apiGrant(e *core.RequestEvent) error {
	var body struct {
		Member string `json:"member"`
		Amount int    `json:"amount"`
		Note   string `json:"note"`
	}
	if err := e.BindBody(&body); err != nil {
		return ui.BadBody(err)
	}
	if err := mod.b.Grant(e.Auth, body.Member, body.Amount, body.Note); err != nil {
		return problems.Show(err)
	}
	points, _ := mod.b.Balance(body.Member)
	return e.JSON(http.StatusOK, map[string]any{"member": body.Member, "points": points})
}
