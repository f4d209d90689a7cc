package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/pocketbase/dbx"
)

// TestBrowserBelonging walks the rewards: a member opens the store, redeems
// a gift with an address (a missing one is asked for again, with what was
// typed kept), sees it in their points; a member's profile shows their
// title and badges; staff ship the gift and read the insights; the store
// and a badge in Chinese.
func TestBrowserBelonging(t *testing.T) {
	ctx := newBrowser(t)
	app, mods, base := newSite(t)
	if err := seedDemo(app, mods); err != nil {
		t.Fatal(err)
	}
	var mug, mei string
	if err := app.DB().Select("id").From("belonging_gifts").Where(dbx.HashExp{"name": "Fan club mug"}).Row(&mug); err != nil {
		t.Fatal(err)
	}
	if err := app.DB().Select("id").From("users").Where(dbx.HashExp{"email": "mei@demo.canyu"}).Row(&mei); err != nil {
		t.Fatal(err)
	}

	signIn(t, ctx, base, "ana@demo.canyu")
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/points/store?lang=en"), chromedp.WaitVisible(`.gift-card`)); err != nil {
		t.Fatalf("open the store: %v", err)
	}
	shot(t, ctx, "points-store")
	points := func() string { return text(t, ctx, `.balance-line strong`) }
	had := points()
	if err := chromedp.Do(ctx,
		chromedp.Click(`a.gift-card[href="/points/store/`+mug+`"]`, chromedp.NodeVisible),
		chromedp.WaitVisible(`#address`),
		chromedp.SendKeys(`#phone`, "+86 138 0000 0000"),
		chromedp.Click(`.redeem-form button`, chromedp.NodeVisible),
		chromedp.WaitVisible(`.field-error #address`),
	); err != nil {
		t.Fatalf("redeem without an address: %v", err)
	}
	if got, _ := chromedp.Run(ctx, chromedp.Value(`#phone`)); got != "+86 138 0000 0000" {
		t.Errorf("the refused form lost the phone: %q", got)
	}
	shot(t, ctx, "points-gift")
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(`#address`, "1 Orange Road, Haidian, Beijing"),
		chromedp.Click(`.redeem-form button`, chromedp.NodeVisible),
		chromedp.WaitVisible(`#redemptions .status-pill`),
	); err != nil {
		t.Fatalf("redeem the mug: %v", err)
	}
	if got := text(t, ctx, `#redemptions li`); !strings.Contains(got, "Fan club mug") || !strings.Contains(got, "To ship") {
		t.Errorf("my redemptions say %q", got)
	}
	if got := text(t, ctx, `.points-head .big-figures strong`); got == had {
		t.Errorf("the balance stayed at %s after spending 200", got)
	}
	shot(t, ctx, "points-mine")

	// a member's profile: title (a badge she chose) and badges
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/members/"+mei), chromedp.WaitVisible(`.profile-belonging`)); err != nil {
		t.Fatalf("open Mei's profile: %v", err)
	}
	if got := text(t, ctx, `.profile-belonging .title-pill`); !strings.Contains(got, "Helper") {
		t.Errorf("Mei's title = %q, want the Helper badge she shows", got)
	}
	if got := text(t, ctx, `.profile-belonging .badge-tiles`); !strings.Contains(got, "VIP of the year") {
		t.Errorf("Mei's badges = %q, want last year's medal", got)
	}
	shot(t, ctx, "points-profile")
	for _, page := range []struct{ path, wait, name string }{
		{"/badges?lang=en", `.badge-card`, "badges"},
		{"/leaderboard?period=all", `.leaders li`, "leaderboard"},
		{"/points/rules", `.ladder`, "points-rules"},
		{"/points/vip", `.vip-card`, "points-vip"},
		{"/points/store?lang=zh-CN", `.gift-card`, "points-store-zh"},
		{"/badges/helper", `.badge-show`, "badge-zh"},
	} {
		if err := chromedp.Do(ctx, chromedp.Navigate(base+page.path), chromedp.WaitVisible(page.wait)); err != nil {
			t.Fatalf("open %s: %v", page.path, err)
		}
		shot(t, ctx, page.name)
	}

	// staff ship it; the member is told
	signOut(t, ctx)
	signIn(t, ctx, base, "hong@demo.canyu")
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/points/staff?lang=en"),
		chromedp.WaitVisible(`.fulfil-form`),
	); err != nil {
		t.Fatalf("open the rewards desk: %v", err)
	}
	shot(t, ctx, "points-staff")
	var redemption string
	if err := app.DB().Select("id").From("belonging_redemptions").Where(dbx.HashExp{"gift": mug}).Row(&redemption); err != nil {
		t.Fatal(err)
	}
	sel := `form[action="/points/staff/redemptions/` + redemption + `"] `
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(sel+`input[name="note"]`, "SF 1234"),
		chromedp.Click(sel+`button[value="ship"]`, chromedp.NodeVisible),
		chromedp.WaitVisible(`.flash`),
	); err != nil {
		t.Fatalf("ship the mug: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/insights"), chromedp.WaitVisible(`.chart.bars`)); err != nil {
		t.Fatalf("open the insights: %v", err)
	}
	shot(t, ctx, "insights")
	signOut(t, ctx)
	signIn(t, ctx, base, "ana@demo.canyu")
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/points"), chromedp.WaitVisible(`#redemptions .st-shipped`)); err != nil {
		t.Fatalf("the redemption is not shipped on Ana's page: %v", err)
	}
}
