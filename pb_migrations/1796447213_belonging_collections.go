package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Belonging: the points ledger (append-only, one row per source event) and
// the balances it moves in the same transaction; the acts counted for
// badges, segments and the funnel (one per source event, paid or not);
// badges, year medals and who holds them; each member's standing (VIP, the
// badge shown as a title, the segment); VIP claims by receipt or serial
// number; the rewards store's gifts and redemptions; daily snapshots (segment
// sizes, weekly visitors) for the insights page. The default badges are
// stored here; staff change them in the dashboard.
//
// Through the REST API: ledger, balances, claims and redemptions are read
// by their member and staff; badges, awards, standings and active gifts are
// public; staff edit badges and gifts. Points, awards and stock change only
// through Canyu's endpoints.
func init() {
	m.Register(func(app core.App) error {
		users, err := app.FindCollectionByNameOrId("users")
		if err != nil {
			return err
		}
		staff := "@request.auth.roles ~ 'staff'"
		own := "member = @request.auth.id || " + staff
		member := func() *core.RelationField {
			return &core.RelationField{Name: "member", CollectionId: users.Id, MaxSelect: 1, Required: true, CascadeDelete: true}
		}

		ledger := core.NewBaseCollection("belonging_ledger", "belonging_ldg01")
		ledger.ListRule = types.Pointer(own)
		ledger.ViewRule = types.Pointer(own)
		ledger.Fields.Add(
			member(),
			&core.NumberField{Name: "amount", OnlyInt: true, Required: true},
			&core.TextField{Name: "reason", Required: true, Max: 40},
			&core.TextField{Name: "source", Required: true, Max: 160},
			&core.TextField{Name: "note", Max: 200},
			&core.RelationField{Name: "by", CollectionId: users.Id, MaxSelect: 1},
			&core.DateField{Name: "created", Required: true},
		)
		ledger.AddIndex("idx_belonging_ledger_source", true, "source", "")
		ledger.AddIndex("idx_belonging_ledger_member", false, "member, reason, created", "")
		ledger.AddIndex("idx_belonging_ledger_created", false, "created", "")
		if err := app.Save(ledger); err != nil {
			return err
		}

		balances := core.NewBaseCollection("belonging_balances", "belonging_bal01")
		balances.ListRule = types.Pointer(own)
		balances.ViewRule = types.Pointer(own)
		balances.Fields.Add(
			member(),
			&core.NumberField{Name: "points", OnlyInt: true, Min: types.Pointer(0.0)},
			&core.NumberField{Name: "earned", OnlyInt: true, Min: types.Pointer(0.0)},
		)
		balances.AddIndex("idx_belonging_balances_member", true, "member", "")
		balances.AddIndex("idx_belonging_balances_earned", false, "earned", "")
		if err := app.Save(balances); err != nil {
			return err
		}

		acts := core.NewBaseCollection("belonging_acts", "belonging_act01")
		acts.Fields.Add(
			member(),
			&core.TextField{Name: "action", Required: true, Max: 40},
			&core.TextField{Name: "source", Required: true, Max: 160},
			&core.DateField{Name: "created", Required: true},
		)
		acts.AddIndex("idx_belonging_acts_source", true, "action, source", "")
		acts.AddIndex("idx_belonging_acts_member", false, "member, action, created", "")
		acts.AddIndex("idx_belonging_acts_created", false, "created, action", "")
		if err := app.Save(acts); err != nil {
			return err
		}

		badges := core.NewBaseCollection("belonging_badges", "belonging_bdg01")
		badges.ListRule = types.Pointer("")
		badges.ViewRule = types.Pointer("")
		badges.CreateRule = types.Pointer(staff)
		badges.UpdateRule = types.Pointer(staff + " && @request.body.holders:isset = false")
		badges.DeleteRule = types.Pointer(staff)
		badges.Fields.Add(
			&core.TextField{Name: "slug", Required: true, Max: 40, Pattern: `^[a-z0-9-]+$`},
			&core.TextField{Name: "name", Required: true, Max: 60},
			&core.TextField{Name: "name_zh", Max: 60},
			&core.TextField{Name: "description", Max: 300},
			&core.TextField{Name: "description_zh", Max: 300},
			&core.TextField{Name: "icon", Max: 16},
			&core.SelectField{Name: "kind", Required: true, MaxSelect: 1, Values: []string{"auto", "manual", "medal"}},
			&core.TextField{Name: "rule", Max: 40},
			&core.NumberField{Name: "threshold", OnlyInt: true, Min: types.Pointer(0.0)},
			&core.NumberField{Name: "year", OnlyInt: true},
			&core.NumberField{Name: "holders", OnlyInt: true},
			&core.NumberField{Name: "sort", OnlyInt: true},
		)
		badges.AddIndex("idx_belonging_badges_slug", true, "slug", "")
		if err := app.Save(badges); err != nil {
			return err
		}
		for i, b := range []struct {
			slug, name, zh, desc, descZh, icon, kind, rule string
			n, year                                        int
		}{
			{"first-post", "First post", "初次发帖", "Started a first topic.", "发了第一个帖子。", "✍️", "auto", "topic", 1, 0},
			{"voice", "Voice of the people", "民意代表", "Ten needs asked by this member shipped.", "提出的需求有十个已经上线。", "📣", "auto", "shipped", 10, 0},
			{"shipped", "Shipped it", "心想事成", "A need this member asked for shipped.", "提出的需求已经上线。", "🚀", "auto", "shipped", 1, 0},
			{"regular", "Regular", "线下常客", "Attended three meetups.", "参加过三次线下活动。", "🍿", "auto", "attended", 3, 0},
			{"early-tester", "Early tester", "内测先锋", "Admitted to test a product before its release.", "产品发布前入选内测。", "🧪", "auto", "tester", 1, 0},
			{"buyer", "Verified buyer", "认证用户", "Bought from the brand: a verified purchase.", "在官方购买过产品，已认证。", "🧡", "auto", "purchase", 1, 0},
			{"critic", "Popcorn critic", "爆米花评审", "Cast five Popcorn ballots on releases.", "为版本投过五次爆米花奖。", "🏆", "auto", "ballot", 5, 0},
			{"helper", "Helper", "热心米粉", "Recognised by staff for helping other members.", "因帮助其他成员获得官方认可。", "🤝", "manual", "", 0, 0},
		} {
			r := core.NewRecord(badges)
			r.Load(map[string]any{"slug": b.slug, "name": b.name, "name_zh": b.zh, "description": b.desc, "description_zh": b.descZh,
				"icon": b.icon, "kind": b.kind, "rule": b.rule, "threshold": b.n, "year": b.year, "sort": i})
			if err := app.Save(r); err != nil {
				return err
			}
		}

		awards := core.NewBaseCollection("belonging_awards", "belonging_awd01")
		awards.ListRule = types.Pointer("")
		awards.ViewRule = types.Pointer("")
		awards.Fields.Add(
			&core.RelationField{Name: "badge", CollectionId: badges.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			member(),
			&core.TextField{Name: "note", Max: 200},
			&core.RelationField{Name: "by", CollectionId: users.Id, MaxSelect: 1},
			&core.DateField{Name: "created", Required: true},
		)
		awards.AddIndex("idx_belonging_awards_one", true, "badge, member", "")
		awards.AddIndex("idx_belonging_awards_member", false, "member, created", "")
		if err := app.Save(awards); err != nil {
			return err
		}

		standing := core.NewBaseCollection("belonging_members", "belonging_mem01")
		standing.ListRule = types.Pointer("")
		standing.ViewRule = types.Pointer("")
		standing.Fields.Add(
			member(),
			&core.RelationField{Name: "title_badge", CollectionId: badges.Id, MaxSelect: 1},
			&core.DateField{Name: "vip"},
			&core.TextField{Name: "vip_via", Max: 80},
			&core.SelectField{Name: "segment", MaxSelect: 1, Values: []string{"testers", "leaders", "fans", "followers"}},
			&core.DateField{Name: "segment_at"},
		)
		standing.AddIndex("idx_belonging_members_member", true, "member", "")
		standing.AddIndex("idx_belonging_members_segment", false, "segment", "")
		if err := app.Save(standing); err != nil {
			return err
		}

		claims := core.NewBaseCollection("belonging_claims", "belonging_clm01")
		claims.ListRule = types.Pointer(own)
		claims.ViewRule = types.Pointer(own)
		claims.Fields.Add(
			member(),
			&core.SelectField{Name: "kind", Required: true, MaxSelect: 1, Values: []string{"receipt", "serial"}},
			&core.TextField{Name: "detail", Required: true, Max: 200},
			&core.FileField{Name: "proof", MaxSelect: 1, MaxSize: 5 << 20, MimeTypes: []string{"image/png", "image/jpeg", "image/webp", "application/pdf"}, Protected: true},
			&core.SelectField{Name: "status", Required: true, MaxSelect: 1, Values: []string{"pending", "approved", "declined"}},
			&core.TextField{Name: "reason", Max: 200},
			&core.RelationField{Name: "decided_by", CollectionId: users.Id, MaxSelect: 1},
			&core.DateField{Name: "created", Required: true},
		)
		claims.AddIndex("idx_belonging_claims_status", false, "status, created", "")
		claims.AddIndex("idx_belonging_claims_member", false, "member", "")
		if err := app.Save(claims); err != nil {
			return err
		}

		gifts := core.NewBaseCollection("belonging_gifts", "belonging_gft01")
		gifts.ListRule = types.Pointer("active = true || " + staff)
		gifts.ViewRule = types.Pointer("active = true || " + staff)
		gifts.CreateRule = types.Pointer(staff)
		gifts.UpdateRule = types.Pointer(staff)
		gifts.DeleteRule = types.Pointer(staff)
		gifts.Fields.Add(
			&core.TextField{Name: "name", Required: true, Max: 80},
			&core.TextField{Name: "name_zh", Max: 80},
			&core.TextField{Name: "description", Max: 1000},
			&core.TextField{Name: "description_zh", Max: 1000},
			&core.FileField{Name: "image", MaxSelect: 1, MaxSize: 5 << 20, MimeTypes: []string{"image/png", "image/jpeg", "image/webp"}, Thumbs: []string{"400x400"}},
			&core.TextField{Name: "icon", Max: 16},
			&core.NumberField{Name: "price", OnlyInt: true, Required: true, Min: types.Pointer(1.0)},
			&core.NumberField{Name: "stock", OnlyInt: true, Min: types.Pointer(0.0)},
			&core.TextField{Name: "reserved_to", Max: 60},
			&core.BoolField{Name: "active"},
			&core.NumberField{Name: "sort", OnlyInt: true},
		)
		if err := app.Save(gifts); err != nil {
			return err
		}

		redemptions := core.NewBaseCollection("belonging_redemptions", "belonging_rdm01")
		redemptions.ListRule = types.Pointer(own)
		redemptions.ViewRule = types.Pointer(own)
		redemptions.Fields.Add(
			member(),
			&core.RelationField{Name: "gift", CollectionId: gifts.Id, MaxSelect: 1, Required: true},
			&core.NumberField{Name: "price", OnlyInt: true},
			&core.SelectField{Name: "status", Required: true, MaxSelect: 1, Values: []string{"pending", "shipped", "cancelled"}},
			&core.TextField{Name: "recipient", Max: 80},
			&core.TextField{Name: "address", Max: 400},
			&core.TextField{Name: "phone", Max: 30},
			&core.TextField{Name: "note", Max: 200},
			&core.DateField{Name: "created", Required: true},
			&core.DateField{Name: "updated"},
		)
		redemptions.AddIndex("idx_belonging_redemptions_member", false, "member, created", "")
		redemptions.AddIndex("idx_belonging_redemptions_status", false, "status, created", "")
		if err := app.Save(redemptions); err != nil {
			return err
		}

		snaps := core.NewBaseCollection("belonging_snapshots", "belonging_snp01")
		snaps.Fields.Add(
			&core.TextField{Name: "day", Required: true, Max: 10},
			&core.TextField{Name: "name", Required: true, Max: 60},
			&core.NumberField{Name: "value", OnlyInt: true},
		)
		snaps.AddIndex("idx_belonging_snapshots_one", true, "name, day", "")
		return app.Save(snaps)
	}, func(app core.App) error {
		return deleteCollections(app, "belonging_snapshots", "belonging_redemptions", "belonging_gifts", "belonging_claims",
			"belonging_members", "belonging_awards", "belonging_badges", "belonging_acts", "belonging_balances", "belonging_ledger")
	})
}
