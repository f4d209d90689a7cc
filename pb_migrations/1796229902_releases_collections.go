package pb_migrations

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Orange Friday: products and their weekly releases with items that link
// back to the forum's needs; members who upgraded and their Popcorn ballots;
// the tester programme (applications, admissions in waves, reports); the
// coming month's plan; members who would rather not be named in credits.
// A release is readable once published: a stable build by anyone, a beta or
// dev build by the product's admitted testers; staff read everything.
func init() {
	m.Register(func(app core.App) error {
		users, err := app.FindCollectionByNameOrId("users")
		if err != nil {
			return err
		}
		staff := "@request.auth.roles ~ 'staff'"
		own := "member = @request.auth.id"

		p := core.NewBaseCollection("releases_products", "releases_prod01")
		p.ListRule = types.Pointer("")
		p.ViewRule = types.Pointer("")
		p.CreateRule = types.Pointer(staff)
		p.UpdateRule = types.Pointer(staff)
		p.Fields.Add(
			&core.TextField{Name: "name", Required: true, Max: 80},
			&core.TextField{Name: "name_zh", Max: 80},
			&core.TextField{Name: "slug", Required: true, Max: 40, Pattern: `^[a-z0-9-]+$`},
			&core.TextField{Name: "description", Max: 500},
			&core.NumberField{Name: "tester_cap", OnlyInt: true, Min: types.Pointer(0.0)},
			&core.NumberField{Name: "order", OnlyInt: true},
		)
		p.AddIndex("idx_releases_products_slug", true, "slug", "")
		if err := app.Save(p); err != nil {
			return err
		}

		a := core.NewBaseCollection("releases_applications", "releases_app001")
		a.ListRule = types.Pointer(own + " || " + staff)
		a.ViewRule = types.Pointer(own + " || " + staff)
		a.Fields.Add(
			&core.RelationField{Name: "product", CollectionId: p.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			&core.RelationField{Name: "member", CollectionId: users.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			&core.TextField{Name: "device", Max: 200},
			&core.TextField{Name: "usage", Max: 1000},
			&core.SelectField{Name: "status", Required: true, MaxSelect: 1, Values: []string{"applied", "admitted", "declined", "alumni"}},
			&core.NumberField{Name: "wave", OnlyInt: true},
			&core.DateField{Name: "admitted"},
			&core.DateField{Name: "warned"},
			&core.DateField{Name: "created"},
		)
		a.AddIndex("idx_releases_applications_one", true, "product, member", "")
		a.AddIndex("idx_releases_applications_status", false, "product, status, admitted", "")
		if err := app.Save(a); err != nil {
			return err
		}

		tester := "(@collection.releases_applications.member ?= @request.auth.id && @collection.releases_applications.product ?= %s && @collection.releases_applications.status ?= 'admitted')"
		visible := "(status = 'published' && (channel = 'stable' || " + fmt.Sprintf(tester, "product") + ")) || " + staff
		r := core.NewBaseCollection("releases_releases", "releases_rel0001")
		r.ListRule = types.Pointer(visible)
		r.ViewRule = types.Pointer(visible)
		r.Fields.Add(
			&core.RelationField{Name: "product", CollectionId: p.Id, MaxSelect: 1, Required: true},
			&core.TextField{Name: "version", Required: true, Max: 40},
			&core.SelectField{Name: "channel", Required: true, MaxSelect: 1, Values: []string{"stable", "beta", "dev"}},
			&core.TextField{Name: "title", Required: true, Max: 200},
			&core.TextField{Name: "summary", Max: 20000},
			&core.URLField{Name: "video_url"},
			&core.SelectField{Name: "status", Required: true, MaxSelect: 1, Values: []string{"draft", "scheduled", "published"}},
			&core.DateField{Name: "publish_at"},
			&core.DateField{Name: "published"},
			&core.DateField{Name: "votes_close"},
			&core.TextField{Name: "discussion", Max: 200},
			&core.RelationField{Name: "author", CollectionId: users.Id, MaxSelect: 1},
			&core.AutodateField{Name: "created", OnCreate: true},
			&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
		)
		r.AddIndex("idx_releases_releases_version", true, "product, channel, version", "")
		r.AddIndex("idx_releases_releases_due", false, "status, publish_at", "")
		r.AddIndex("idx_releases_releases_published", false, "product, channel, published", "")
		if err := app.Save(r); err != nil {
			return err
		}

		itemVisible := "(release.status = 'published' && (release.channel = 'stable' || " + fmt.Sprintf(tester, "release.product") + ")) || " + staff
		it := core.NewBaseCollection("releases_items", "releases_item01")
		it.ListRule = types.Pointer(itemVisible)
		it.ViewRule = types.Pointer(itemVisible)
		it.Fields.Add(
			&core.RelationField{Name: "release", CollectionId: r.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			&core.SelectField{Name: "category", Required: true, MaxSelect: 1, Values: []string{"new", "improved", "fixed", "known"}},
			&core.TextField{Name: "text", Required: true, Max: 5000},
			&core.BoolField{Name: "recommended"},
			&core.FileField{Name: "screenshots", MaxSelect: 4, MaxSize: 5 << 20, MimeTypes: []string{"image/png", "image/jpeg", "image/webp"}, Thumbs: []string{"640x0"}},
			&core.JSONField{Name: "topics", MaxSize: 4000},
			&core.NumberField{Name: "position", OnlyInt: true},
		)
		it.AddIndex("idx_releases_items_release", false, "release, position", "")
		if err := app.Save(it); err != nil {
			return err
		}

		u := core.NewBaseCollection("releases_upgrades", "releases_upg001")
		u.ListRule = types.Pointer(own)
		u.ViewRule = types.Pointer(own)
		u.Fields.Add(
			&core.RelationField{Name: "release", CollectionId: r.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			&core.RelationField{Name: "member", CollectionId: users.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			&core.DateField{Name: "created"},
		)
		u.AddIndex("idx_releases_upgrades_one", true, "release, member", "")
		if err := app.Save(u); err != nil {
			return err
		}

		b := core.NewBaseCollection("releases_ballots", "releases_bal001")
		b.ListRule = types.Pointer(own)
		b.ViewRule = types.Pointer(own)
		b.Fields.Add(
			&core.RelationField{Name: "release", CollectionId: r.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			&core.RelationField{Name: "member", CollectionId: users.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			&core.NumberField{Name: "mood", OnlyInt: true, Min: types.Pointer(0.0), Max: types.Pointer(5.0)}, // 0: no mood given
			&core.TextField{Name: "loved", Max: 15},
			&core.TextField{Name: "weakest", Max: 15},
			&core.TextField{Name: "next_text", Max: 500},
			&core.TextField{Name: "next_topic", Max: 15},
			&core.DateField{Name: "created"},
			&core.DateField{Name: "updated"},
		)
		b.AddIndex("idx_releases_ballots_one", true, "release, member", "")
		if err := app.Save(b); err != nil {
			return err
		}

		rp := core.NewBaseCollection("releases_reports", "releases_rep001")
		rp.ListRule = types.Pointer(own + " || " + staff)
		rp.ViewRule = types.Pointer(own + " || " + staff)
		rp.Fields.Add(
			&core.RelationField{Name: "release", CollectionId: r.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			&core.RelationField{Name: "member", CollectionId: users.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			&core.TextField{Name: "text", Required: true, Max: 5000},
			&core.DateField{Name: "created"},
		)
		rp.AddIndex("idx_releases_reports_release", false, "release, created", "")
		rp.AddIndex("idx_releases_reports_member", false, "member, release", "")
		if err := app.Save(rp); err != nil {
			return err
		}

		pl := core.NewBaseCollection("releases_plans", "releases_plan01")
		pl.ListRule = types.Pointer("")
		pl.ViewRule = types.Pointer("")
		pl.Fields.Add(
			&core.RelationField{Name: "product", CollectionId: p.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			&core.TextField{Name: "month", Required: true, Max: 7, Pattern: `^\d{4}-\d{2}$`},
			&core.TextField{Name: "themes", Max: 5000},
			&core.JSONField{Name: "topics", MaxSize: 4000},
			&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
		)
		pl.AddIndex("idx_releases_plans_month", true, "product, month", "")
		if err := app.Save(pl); err != nil {
			return err
		}

		o := core.NewBaseCollection("releases_optouts", "releases_opt001")
		o.ListRule = types.Pointer(own)
		o.ViewRule = types.Pointer(own)
		o.Fields.Add(&core.RelationField{Name: "member", CollectionId: users.Id, MaxSelect: 1, Required: true, CascadeDelete: true})
		o.AddIndex("idx_releases_optouts_member", true, "member", "")
		return app.Save(o)
	}, func(app core.App) error {
		return deleteCollections(app, "releases_optouts", "releases_plans", "releases_reports", "releases_ballots", "releases_upgrades",
			"releases_items", "releases_releases", "releases_applications", "releases_products")
	})
}
