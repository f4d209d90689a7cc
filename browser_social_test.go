package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pocketbase/dbx"
)

// TestBrowserSocial walks member to member: Mei follows Tom from his
// profile; Ana keeps her conversation with Mei open in a second browser
// (her own session) and Mei's new message arrives there live, without a
// reload; then the feed, the inbox and the story, in both languages.
func TestBrowserSocial(t *testing.T) {
	ctx := newBrowser(t)
	app, mods, base := newSite(t)
	if err := seedDemo(app, mods); err != nil {
		t.Fatal(err)
	}
	id := func(email string) string {
		var v string
		if err := app.DB().Select("id").From("users").Where(dbx.HashExp{"email": email}).Row(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	tom, mei, ana := id("tom@demo.canyu"), id("mei@demo.canyu"), id("ana@demo.canyu")
	var conv string
	pair := min(mei, ana) + ":" + max(mei, ana)
	if err := app.DB().Select("id").From("social_conversations").Where(dbx.HashExp{"pair": pair}).Row(&conv); err != nil {
		t.Fatal(err)
	}

	signIn(t, ctx, base, "mei@demo.canyu")
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/members/"+tom+"?lang=en"),
		chromedp.Click(`.follow-btn`, chromedp.NodeVisible),
		chromedp.WaitVisible(`form[action="/people/`+tom+`/unfollow"]`),
	); err != nil {
		t.Fatalf("follow Tom: %v", err)
	}
	if got := text(t, ctx, `.social-counts`); !strings.HasPrefix(got, "1 follower ·") {
		t.Errorf("Tom's counts after Mei follows = %q", got)
	}
	shot(t, ctx, "social-profile")

	// Ana, in her own browser session, has the conversation open
	actx, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancel()
	signIn(t, actx, base, "ana@demo.canyu")
	if err := chromedp.Do(actx, chromedp.Navigate(base+"/messages/"+conv), chromedp.WaitVisible(`.messages .message`)); err != nil {
		t.Fatalf("Ana opens the conversation: %v", err)
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/messages/"+conv),
		chromedp.WaitVisible(`.send-form textarea`),
		chromedp.SendKeys(`.send-form textarea`, "See you **Saturday** at the tea!"),
		chromedp.Click(`.send-form button`, chromedp.NodeVisible),
		chromedp.WaitVisible(`.message.mine:last-child`),
	); err != nil {
		t.Fatalf("Mei sends: %v", err)
	}
	shot(t, ctx, "social-conversation")
	arrived := `Array.from(document.querySelectorAll(".messages .message")).some(li => li.textContent.includes("Saturday at the tea") && li.querySelector("strong"))`
	if _, err := chromedp.Run(actx, chromedp.Poll[bool](arrived, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("the message did not arrive live on Ana's open page: %v", err)
	}
	shot(t, actx, "social-received")
	for _, page := range []struct{ path, wait, name string }{
		{"/following", `.feed-item`, "social-following"},
		{"/messages", `.thread`, "social-inbox"},
		{"/story", `.story-line`, "social-story"},
		{"/messages?lang=zh-CN", `.thread`, "social-inbox-zh"},
	} {
		if err := chromedp.Do(ctx, chromedp.Navigate(base+page.path), chromedp.WaitVisible(page.wait)); err != nil {
			t.Fatalf("open %s: %v", page.path, err)
		}
		shot(t, ctx, page.name)
	}
}
