package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pocketbase/dbx"
)

// TestBrowserMeetups walks Popcorn: a member opens the events, RSVPs to the
// official meetup answering its question, sees the ticket with its QR code;
// staff check the ticket in at the door by typing its code, and a second
// scan is refused; then the clubs, in both languages.
func TestBrowserMeetups(t *testing.T) {
	ctx := newBrowser(t)
	app, mods, base := newSite(t)
	if err := seedDemo(app, mods); err != nil {
		t.Fatal(err)
	}
	var official string
	if err := app.DB().Select("id").From("meetups_events").Where(dbx.HashExp{"kind": "official"}).Row(&official); err != nil {
		t.Fatal(err)
	}

	signIn(t, ctx, base, "tom@demo.canyu")
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/meetups?lang=en"), chromedp.WaitVisible(`.event-card`)); err != nil {
		t.Fatalf("open the meetups: %v", err)
	}
	shot(t, ctx, "meetups")
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/meetups/"+official),
		chromedp.WaitVisible(`#q0`),
	); err != nil {
		t.Fatalf("open the official meetup: %v", err)
	}
	shot(t, ctx, "meetup")
	if err := chromedp.Do(ctx,
		chromedp.SetValue(`#q0`, "L"),
		chromedp.Click(`.rsvp-form button`, chromedp.NodeVisible),
		chromedp.WaitVisible(`.rsvp-state.ok`),
		chromedp.Click(`a[href$="/ticket"]`, chromedp.NodeVisible),
		chromedp.WaitVisible(`.ticket-code`),
	); err != nil {
		t.Fatalf("RSVP and open the ticket: %v", err)
	}
	code := text(t, ctx, `.ticket-code`)
	if len(code) != 26 {
		t.Fatalf("ticket code %q", code)
	}
	// the QR code is an image the server draws: wait for it to arrive
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`(() => { const i = document.querySelector(".ticket-qr"); return i.complete && i.naturalWidth > 200 })()`,
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Errorf("the QR image did not load: %v", err)
	}
	shot(t, ctx, "meetup-ticket")

	signOut(t, ctx)
	signIn(t, ctx, base, "hong@demo.canyu")
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/meetups/"+official+"/checkin?lang=en"),
		chromedp.WaitVisible(`#code`),
		chromedp.SendKeys(`#code`, strings.ToLower(code)),
		chromedp.Click(`.checkin-form button`, chromedp.NodeVisible),
		chromedp.WaitVisible(`.checkin-result.ok`),
	); err != nil {
		t.Fatalf("check in: %v", err)
	}
	if got := text(t, ctx, `.checkin-result`); !strings.Contains(got, "Tom") {
		t.Errorf("the door says %q, want Tom's name", got)
	}
	shot(t, ctx, "meetup-checkin")
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(`#code`, code+"\r"), // a scanner that types the code and Enter

		chromedp.WaitVisible(`.checkin-result.bad`),
	); err != nil {
		t.Fatalf("scan the ticket again: %v", err)
	}
	if got := text(t, ctx, `.checkin-result`); !strings.Contains(got, "already") {
		t.Errorf("a second scan says %q, want it refused as used", got)
	}
	for _, page := range []struct{ path, wait, name string }{
		{"/meetups/" + official + "/manage?lang=en", `.big-figures`, "meetup-manage"},
		{"/clubs?lang=en", `.club-card`, "clubs"},
		{"/clubs/guangzhou?lang=zh-CN", `.club-head`, "club-zh"},
		{"/meetups/" + official + "?lang=zh-CN", `.event-head`, "meetup-zh"},
		{"/meetups/new?lang=en", `#title`, "meetup-new"},
	} {
		if err := chromedp.Do(ctx, chromedp.Navigate(base+page.path), chromedp.WaitVisible(page.wait)); err != nil {
			t.Fatalf("open %s: %v", page.path, err)
		}
		shot(t, ctx, page.name)
	}
}
