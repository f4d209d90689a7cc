package main

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/pocketbase/dbx"
)

// TestBrowserReleases walks Orange Friday as a member: the releases, the
// newest build, "I upgraded", a Popcorn ballot, the results chart; then the
// awards wall, the testers' page and the plan; then staff's compose form;
// both languages.
func TestBrowserReleases(t *testing.T) {
	ctx := newBrowser(t)
	app, mods, base := newSite(t)
	if err := seedDemo(app, mods); err != nil {
		t.Fatal(err)
	}
	var latest string
	if err := app.DB().Select("id").From("releases_releases").Where(dbx.HashExp{"version": "2.4.2"}).Row(&latest); err != nil {
		t.Fatal(err)
	}

	signIn(t, ctx, base, "mod@demo.canyu")
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/releases?lang=en"),
		chromedp.WaitVisible(`.product-card`),
	); err != nil {
		t.Fatalf("open the releases: %v", err)
	}
	shot(t, ctx, "releases")
	if err := chromedp.Do(ctx,
		chromedp.Click(`.product-card .latest a`, chromedp.NodeVisible),
		chromedp.WaitVisible(`.release-head h1`),
	); err != nil {
		t.Fatalf("open the newest release: %v", err)
	}
	if h1 := text(t, ctx, `.release-head h1`); !strings.Contains(h1, "2.4.2") {
		t.Fatalf("release page heading %q, want 2.4.2", h1)
	}
	if asked := text(t, ctx, `.item.recommended .asked`); !strings.Contains(asked, "Night mode for the gallery") {
		t.Errorf("the recommended change links %q, want the forum need it answers", asked)
	}
	shot(t, ctx, "release")

	if err := chromedp.Do(ctx,
		chromedp.Click(`form[action$="/upgraded"] button`, chromedp.NodeVisible),
		chromedp.WaitVisible(`.share-invite`),
		chromedp.Click(`.mood:nth-child(5) span`, chromedp.NodeVisible),
	); err != nil {
		t.Fatalf("mark upgraded: %v", err)
	}
	loved, err := chromedp.Run(ctx, chromedp.AttributeValue(`#loved option:nth-child(2)`, "value"))
	if err != nil {
		t.Fatal(err)
	}
	shot(t, ctx, "release-ballot")
	if err := chromedp.Do(ctx,
		chromedp.SetValue(`#loved`, loved.Value),
		chromedp.SendKeys(`#next_text`, "A dark keyboard"),
		chromedp.Submit(`#next_text`),
		chromedp.WaitVisible(`.charts svg.chart`),
	); err != nil {
		t.Fatalf("vote: %v", err)
	}
	if voters := text(t, ctx, `.big-figures div:first-child strong`); voters != "6" {
		t.Errorf("voters on the results page = %q, want 6 (five from the demo, and this ballot)", voters)
	}
	if bars := svgText(t, ctx, `.charts section:first-child svg`); !strings.Contains(bars, "Love it") {
		t.Errorf("the mood chart reads %q, want its labels", bars)
	}
	shot(t, ctx, "release-results")

	for _, page := range []struct{ path, wait, name string }{
		{"/releases/awards?lang=en", `.awards-table`, "release-awards"},
		{"/releases/testers?product=orange-os&lang=en", `.first-testers`, "release-testers"},
		{"/releases/plan?product=orange-os&lang=en", `.plan-month`, "release-plan"},
		{"/releases/" + latest + "?lang=zh-CN", `html[lang="zh-CN"] .release-head`, "release-zh"},
		{"/releases/awards?lang=zh-CN", `.awards-table`, "release-awards-zh"},
	} {
		if err := chromedp.Do(ctx, chromedp.Navigate(base+page.path), chromedp.WaitVisible(page.wait)); err != nil {
			t.Fatalf("open %s: %v", page.path, err)
		}
		shot(t, ctx, page.name)
	}

	// staff write the next release; the forum's search links a need
	signOut(t, ctx)
	signIn(t, ctx, base, "hong@demo.canyu")
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/releases/new?lang=en"),
		chromedp.WaitVisible(`#version`),
		chromedp.SendKeys(`#version`, "2.4.4"),
		chromedp.SendKeys(`#title`, "Small things"),
		chromedp.SendKeys(`#item_0_text`, "Call recordings sort by contact"),
		chromedp.Focus(`#item_0_topics`),
		chromedp.SendKeys(`#topic-q`, "录音"),
		chromedp.WaitVisible(`.topic-hits button`),
		chromedp.Click(`.topic-hits button`, chromedp.NodeVisible),
	); err != nil {
		t.Fatalf("compose: %v", err)
	}
	topics, err := chromedp.Run(ctx, chromedp.Value(`#item_0_topics`))
	if err != nil || strings.TrimSpace(topics) == "" {
		t.Fatalf("the search linked no topic (%q, %v)", topics, err)
	}
	shot(t, ctx, "release-compose")
	if err := chromedp.Do(ctx,
		chromedp.Click(`button[value="draft"]`, chromedp.NodeVisible),
		chromedp.WaitVisible(`.alert-warn`),
	); err != nil {
		t.Fatalf("save the draft: %v", err)
	}
	if banner := text(t, ctx, `.alert-warn`); !strings.Contains(banner, "draft") {
		t.Errorf("after saving: banner %q, want the draft notice", banner)
	}
	for _, page := range []struct{ path, wait, name string }{
		{"/releases/testers/admin?product=orange-os&lang=en", `.applicants`, "release-testers-admin"},
		{"/releases/plan/edit?product=orange-os&lang=zh-CN", `#themes`, "release-plan-edit-zh"},
		{"/releases/new?lang=zh-CN", `#version`, "release-compose-zh"},
		{"/?lang=zh-CN", `.release-home`, "release-home-zh"},
	} {
		if err := chromedp.Do(ctx, chromedp.Navigate(base+page.path), chromedp.WaitVisible(page.wait)); err != nil {
			t.Fatalf("open %s: %v", page.path, err)
		}
		shot(t, ctx, page.name)
	}
}

// svgText reads the text of an SVG element (it has no innerText).
func svgText(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.TextContent(sel, chromedp.NodeVisible))
	if err != nil {
		t.Fatalf("read %s: %v", sel, err)
	}
	return s
}
