package belonging

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/modules/internal/access"
	"github.com/canyu/canyu/ui"
)

// lang is the member's language as the domain takes it.
func (mod *Module) lang(e *core.RequestEvent) string { return string(mod.deps.UI.Lang(e)) }

// BadgeView is a badge in the reader's language.
type BadgeView struct {
	Slug, Name, Description, Icon, Kind string
	Year, Holders                       int
	Awarded                             string
}

func (mod *Module) badgeView(e *core.RequestEvent, bd Badge) BadgeView {
	name, desc := bd.In(mod.lang(e))
	return BadgeView{Slug: bd.Slug, Name: name, Description: desc, Icon: bd.Icon, Kind: bd.Kind, Year: bd.Year, Holders: bd.Holders}
}

// GiftView is a gift in the reader's language, with whether they may take it.
type GiftView struct {
	Gift
	Title, Text string
	Reserved    string // who it is reserved to, as a line to read
	Affordable  bool
	Allowed     bool
}

func (mod *Module) giftView(e *core.RequestEvent, g Gift, balance int) GiftView {
	v := GiftView{Gift: g, Affordable: balance >= g.Price, Allowed: true}
	v.Title, v.Text = g.In(mod.lang(e))
	if g.ReservedTo != "" {
		v.Reserved = mod.whoLabel(e, g.ReservedTo)
		v.Allowed = e.Auth != nil && mod.b.Qualifies(e.Auth.Id, g.ReservedTo)
	}
	return v
}

// whoLabel says "vip", "segment:testers", "badge:x", "title:365" in words.
func (mod *Module) whoLabel(e *core.RequestEvent, who string) string {
	kind, arg, _ := strings.Cut(who, ":")
	switch kind {
	case "vip":
		return mod.deps.UI.T(e, "belonging.who_vip")
	case "segment":
		return mod.deps.UI.T(e, "belonging.who_segment", mod.deps.UI.T(e, "belonging.segment_"+arg))
	case "badge":
		if bd, err := mod.b.FindBadge(arg); err == nil {
			name, _ := bd.In(mod.lang(e))
			return mod.deps.UI.T(e, "belonging.who_badge", bd.Icon+" "+name)
		}
	case "title":
		days, _ := strconv.Atoi(arg)
		return mod.deps.UI.T(e, "belonging.who_title", mod.b.titleAt(days, mod.lang(e)))
	}
	return who
}

// PointsPage is /points: the member's balance, ledger and redemptions.
type PointsPage struct {
	Points, Earned int
	Entries        []Entry
	Page           int
	Prev, Next     int // the neighbouring pages of the ledger (0: none)
	Redemptions    []Redemption
	Standing       Standing
	Badges         []BadgeView
}

func (mod *Module) pointsPage(e *core.RequestEvent) error {
	page := PointsPage{}
	page.Points, page.Earned = mod.b.Balance(e.Auth.Id)
	page.Page, _ = strconv.Atoi(e.Request.URL.Query().Get("page"))
	page.Page = max(page.Page, 1)
	entries, err := mod.b.History(e.Auth.Id, 31, (page.Page-1)*30)
	if err != nil {
		return err
	}
	if len(entries) > 30 {
		page.Next = page.Page + 1
	}
	page.Prev = page.Page - 1
	page.Entries = entries[:min(len(entries), 30)]
	if page.Redemptions, err = mod.b.RedemptionsOf(e.Auth.Id); err != nil {
		return err
	}
	st, err := mod.b.Standings(mod.lang(e), e.Auth.Id)
	if err != nil {
		return err
	}
	page.Standing = st[e.Auth.Id]
	held, err := mod.b.BadgesOf(e.Auth.Id)
	if err != nil {
		return err
	}
	for _, h := range held {
		page.Badges = append(page.Badges, mod.badgeView(e, h.Badge))
	}
	return mod.deps.UI.Render(e, http.StatusOK, "belonging/points", page)
}

// RulesPage is /points/rules: how points are earned, the titles, the perks.
type RulesPage struct {
	Rules  []RuleView
	Titles []TitleView
	Perks  []PerkView
}

// RuleView is one earning rule.
type RuleView struct {
	Action         string
	Points, PerDay int
}

// TitleView is one rung of the ladder.
type TitleView struct {
	Days  int
	Title string
}

// PerkView is one perk and who holds it.
type PerkView struct {
	Perk string
	Who  []string
}

func (mod *Module) rulesPage(e *core.RequestEvent) error {
	page := RulesPage{}
	for _, a := range earning {
		if r := mod.cfg.Earn.Rule(a); r.Points > 0 {
			page.Rules = append(page.Rules, RuleView{Action: a, Points: r.Points, PerDay: r.PerDay})
		}
	}
	for _, t := range mod.cfg.Titles {
		title := t.EN
		if mod.lang(e) == "zh-CN" {
			title = t.ZH
		}
		page.Titles = append(page.Titles, TitleView{Days: t.Days, Title: title})
	}
	for _, pk := range mod.cfg.Perks.All() {
		p := PerkView{Perk: pk.Perk}
		for _, w := range pk.Who {
			p.Who = append(p.Who, mod.whoLabel(e, w))
		}
		page.Perks = append(page.Perks, p)
	}
	return mod.deps.UI.Render(e, http.StatusOK, "belonging/rules", page)
}

// StorePage is /points/store.
type StorePage struct {
	Gifts   []GiftView
	Points  int
	Member  bool
	Staff   bool
	Leaders []Leader
}

func (mod *Module) storePage(e *core.RequestEvent) error {
	gifts, err := mod.b.GiftsOnShelf()
	if err != nil {
		return err
	}
	page := StorePage{Member: e.Auth != nil, Staff: access.HasRole(e.Auth, access.RoleStaff)}
	if e.Auth != nil {
		page.Points, _ = mod.b.Balance(e.Auth.Id)
	}
	for _, g := range gifts {
		page.Gifts = append(page.Gifts, mod.giftView(e, g, page.Points))
	}
	return mod.deps.UI.Render(e, http.StatusOK, "belonging/store", page)
}

// GiftPage is /points/store/{id}: a gift and the form that redeems it.
type GiftPage struct {
	Gift   GiftView
	Points int
	Member bool
	// NeedMore is how many points the member lacks for the gift.
	NeedMore int
	Ship     Shipping
	Errors   ui.FieldErrors
	Error    string
}

func (mod *Module) giftPageData(e *core.RequestEvent) (*GiftPage, error) {
	g, err := mod.b.FindGift(e.Request.PathValue("id"))
	if err != nil {
		return nil, problems.Show(err)
	}
	page := &GiftPage{Member: e.Auth != nil}
	if e.Auth != nil {
		page.Points, _ = mod.b.Balance(e.Auth.Id)
		page.Ship.Recipient = e.Auth.GetString("name")
	}
	page.Gift = mod.giftView(e, g, page.Points)
	page.NeedMore = max(g.Price-page.Points, 0)
	return page, nil
}

func (mod *Module) giftPage(e *core.RequestEvent) error {
	page, err := mod.giftPageData(e)
	if err != nil {
		return err
	}
	return mod.deps.UI.Render(e, http.StatusOK, "belonging/gift", page)
}

// redeemForm: POST /points/store/{id}: a refused redemption shows the
// form again with what was typed.
func (mod *Module) redeemForm(e *core.RequestEvent) error {
	if err := e.Request.ParseForm(); err != nil {
		return ui.BadBody(err)
	}
	f := e.Request.PostForm
	ship := Shipping{Recipient: f.Get("recipient"), Address: f.Get("address"), Phone: f.Get("phone")}
	if _, err := mod.b.Redeem(e.Auth, e.Request.PathValue("id"), ship); err != nil {
		p, ok := problems.Explain(err)
		if !ok || p.Status == http.StatusNotFound {
			return problems.Show(err)
		}
		page, perr := mod.giftPageData(e)
		if perr != nil {
			return perr
		}
		page.Ship, page.Errors, page.Error = ship, p.Fields, p.Key
		return mod.deps.UI.Render(e, p.Status, "belonging/gift", page)
	}
	mod.deps.UI.Flash(e, "belonging.redeemed")
	return e.Redirect(http.StatusSeeOther, "/points#redemptions")
}

func (mod *Module) cancelForm(e *core.RequestEvent) error {
	if err := mod.b.Cancel(e.Auth, e.Request.PathValue("id"), false, ""); err != nil {
		return problems.Show(err)
	}
	mod.deps.UI.Flash(e, "belonging.cancelled")
	return e.Redirect(http.StatusSeeOther, "/points#redemptions")
}

// VIPPage is /points/vip: the member's VIP standing and the claim form.
type VIPPage struct {
	Standing Standing
	Claim    Claim
	HasClaim bool
	Perks    []PerkView
	Kind     string
	Detail   string
	Errors   ui.FieldErrors
}

func (mod *Module) vipPageData(e *core.RequestEvent) (*VIPPage, error) {
	st, err := mod.b.Standings(mod.lang(e), e.Auth.Id)
	if err != nil {
		return nil, err
	}
	page := &VIPPage{Standing: st[e.Auth.Id], Kind: "receipt"}
	page.Claim, page.HasClaim = mod.b.ClaimOf(e.Auth.Id)
	for _, pk := range mod.cfg.Perks.All() {
		for _, w := range pk.Who {
			if w == "vip" {
				page.Perks = append(page.Perks, PerkView{Perk: pk.Perk})
			}
		}
	}
	return page, nil
}

func (mod *Module) vipPage(e *core.RequestEvent) error {
	page, err := mod.vipPageData(e)
	if err != nil {
		return err
	}
	return mod.deps.UI.Render(e, http.StatusOK, "belonging/vip", page)
}

func (mod *Module) claimForm(e *core.RequestEvent) error {
	if err := e.Request.ParseMultipartForm(6 << 20); err != nil && err != http.ErrNotMultipart {
		return ui.BadBody(err)
	}
	kind, detail := e.Request.FormValue("kind"), e.Request.FormValue("detail")
	files, _ := e.FindUploadedFiles("proof")
	var proof = firstFile(files)
	if _, err := mod.b.ClaimVIP(e.Auth, kind, detail, proof); err != nil {
		p, ok := problems.Explain(err)
		if !ok {
			return err
		}
		page, perr := mod.vipPageData(e)
		if perr != nil {
			return perr
		}
		page.Kind, page.Detail, page.Errors = kind, detail, p.Fields
		return mod.deps.UI.Render(e, p.Status, "belonging/vip", page)
	}
	mod.deps.UI.Flash(e, "belonging.claim_sent")
	return e.Redirect(http.StatusSeeOther, "/points/vip")
}

func (mod *Module) titleForm(e *core.RequestEvent) error {
	if err := mod.b.ShowAsTitle(e.Auth.Id, e.Request.FormValue("badge")); err != nil {
		return problems.Show(err)
	}
	mod.deps.UI.Flash(e, "belonging.title_saved")
	return e.Redirect(http.StatusSeeOther, "/points")
}

// BadgesPage is /badges.
type BadgesPage struct {
	Badges, Medals []BadgeView
	Mine           map[string]bool
}

func (mod *Module) badgesPage(e *core.RequestEvent) error {
	all, err := mod.b.AllBadges()
	if err != nil {
		return err
	}
	page := BadgesPage{Mine: map[string]bool{}}
	for _, bd := range all {
		if bd.Kind == "medal" {
			page.Medals = append(page.Medals, mod.badgeView(e, bd))
		} else {
			page.Badges = append(page.Badges, mod.badgeView(e, bd))
		}
	}
	if e.Auth != nil {
		held, err := mod.b.BadgesOf(e.Auth.Id)
		if err != nil {
			return err
		}
		for _, h := range held {
			page.Mine[h.Slug] = true
		}
	}
	return mod.deps.UI.Render(e, http.StatusOK, "belonging/badges", page)
}

// BadgePage is /badges/{slug}: a badge and its holders.
type BadgePage struct {
	Badge   BadgeView
	Holders []Holder
	Mine    bool
	Staff   bool
}

func (mod *Module) badgePage(e *core.RequestEvent) error {
	bd, err := mod.b.FindBadge(e.Request.PathValue("slug"))
	if err != nil {
		return problems.Show(err)
	}
	page := BadgePage{Badge: mod.badgeView(e, bd), Staff: access.HasRole(e.Auth, access.RoleStaff)}
	if page.Holders, err = mod.b.Holders(bd.ID, 200); err != nil {
		return err
	}
	if e.Auth != nil {
		for _, h := range page.Holders {
			page.Mine = page.Mine || h.Member == e.Auth.Id
		}
	}
	return mod.deps.UI.Render(e, http.StatusOK, "belonging/badge", page)
}

// LeaderboardPage is /leaderboard?period=week|month|all.
type LeaderboardPage struct {
	Period  string
	Periods []string
	Leaders []LeaderView
}

// LeaderView is a leader with their title.
type LeaderView struct {
	Leader
	Title string
	Me    bool
}

// since returns the start of period (week: since Monday, month: since the
// 1st, in the site's zone; all: the zero time).
func (mod *Module) since(period string) time.Time {
	now := mod.deps.Now().In(mod.b.loc)
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, mod.b.loc)
	switch period {
	case "week":
		return day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
	case "month":
		return time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, mod.b.loc)
	}
	return time.Time{}
}

func period(e *core.RequestEvent) string {
	switch p := e.Request.URL.Query().Get("period"); p {
	case "month", "all":
		return p
	}
	return "week"
}

func (mod *Module) leaders(e *core.RequestEvent, p string, n int) ([]LeaderView, error) {
	ls, err := mod.b.Leaders(mod.since(p), n)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(ls))
	for i, l := range ls {
		ids[i] = l.Member
	}
	st, err := mod.b.Standings(mod.lang(e), ids...)
	if err != nil {
		return nil, err
	}
	out := make([]LeaderView, len(ls))
	for i, l := range ls {
		out[i] = LeaderView{Leader: l, Title: strings.TrimSpace(st[l.Member].TitleIcon + " " + st[l.Member].Title), Me: e.Auth != nil && e.Auth.Id == l.Member}
	}
	return out, nil
}

func (mod *Module) leaderboardPage(e *core.RequestEvent) error {
	page := LeaderboardPage{Period: period(e), Periods: []string{"week", "month", "all"}}
	var err error
	if page.Leaders, err = mod.leaders(e, page.Period, 50); err != nil {
		return err
	}
	return mod.deps.UI.Render(e, http.StatusOK, "belonging/leaderboard", page)
}

// homeLeaders is the home page's block: the week's most active members.
func (mod *Module) homeLeaders(e *core.RequestEvent) (any, error) {
	ls, err := mod.leaders(e, "week", 5)
	if err != nil || len(ls) == 0 {
		return nil, err
	}
	return ls, nil
}

// ProfileSection is the block on a member's profile: title, VIP, badges
// and the points they earned.
type ProfileSection struct {
	Standing Standing
	Badges   []BadgeView
	Earned   int
	Mine     bool
}

func (mod *Module) profileSection(e *core.RequestEvent, member *core.Record) (any, error) {
	st, err := mod.b.Standings(mod.lang(e), member.Id)
	if err != nil {
		return nil, err
	}
	held, err := mod.b.BadgesOf(member.Id)
	if err != nil {
		return nil, err
	}
	out := &ProfileSection{Standing: st[member.Id], Mine: e.Auth != nil && e.Auth.Id == member.Id}
	_, out.Earned = mod.b.Balance(member.Id)
	for _, h := range held {
		out.Badges = append(out.Badges, mod.badgeView(e, h.Badge))
	}
	return out, nil
}
