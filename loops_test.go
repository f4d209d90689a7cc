package main

import (
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/modules/forum"
	"github.com/canyu/canyu/modules/releases"
)

// The loops the modules close through hooks/ events, tested in the wired
// process (no module imports another; only this test sees both).

func newMember(t *testing.T, app core.App, email, name string, roles ...string) *core.Record {
	t.Helper()
	users, err := app.FindCollectionByNameOrId("users")
	if err != nil {
		t.Fatal(err)
	}
	r := core.NewRecord(users)
	r.SetEmail(email)
	r.SetPassword("password123")
	r.SetVerified(true)
	r.Set("name", name)
	r.Set("roles", roles)
	if err := app.Save(r); err != nil {
		t.Fatal(err)
	}
	return r
}

func moduleOf[M any](t *testing.T, mods *Modules) M {
	t.Helper()
	for _, m := range mods.List {
		if found, ok := m.(M); ok {
			return found
		}
	}
	var zero M
	t.Fatalf("module %T is not wired", zero)
	return zero
}

// TestReleaseShipsTheNeeds: publishing a release marks each forum need it
// answers shipped in it, with a link; the author and every "me too" of a
// need are told once, even when the release links the need twice; a need
// shipped already is left alone; the release gets its discussion topic. A
// beta build does neither.
func TestReleaseShipsTheNeeds(t *testing.T) {
	app, mods, _ := newSite(t)
	f := moduleOf[*forum.Module](t, mods).Forum()
	r := moduleOf[*releases.Module](t, mods).Releases()

	staff := newMember(t, app, "staff@x.io", "Staff", "staff")
	ana := newMember(t, app, "ana@x.io", "Ana")
	bo := newMember(t, app, "bo@x.io", "Bo")
	cy := newMember(t, app, "cy@x.io", "Cy")
	boards, _ := app.FindCollectionByNameOrId(forum.Boards)
	board := core.NewRecord(boards)
	board.Set("name", "System")
	board.Set("slug", "system")
	board.Set("kinds", []string{forum.KindRequest, forum.KindBug, forum.KindDiscussion})
	board.Set("who_may_post", "members")
	if err := app.Save(board); err != nil {
		t.Fatal(err)
	}
	need := func(author *core.Record, title string, metoo ...*core.Record) *core.Record {
		t.Helper()
		topic, err := f.CreateTopic(author, forum.NewTopic{Board: "system", Kind: forum.KindRequest, Title: title,
			Fields: map[string]string{"problem": "p", "proposal": "q"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range metoo {
			if _, err := f.MeToo(m, topic.Id, true); err != nil {
				t.Fatal(err)
			}
		}
		return topic
	}
	night := need(ana, "Night mode for the gallery", bo, cy)
	clock := need(bo, "A dual clock", ana)
	done := need(cy, "Bigger icons")
	if err := f.ChangeStatus(staff, done.Id, forum.StatusChange{Status: "shipped", Release: "2.3.0"}); err != nil {
		t.Fatal(err)
	}
	notes := func(member *core.Record) int {
		n, _ := app.CountRecords("notify_notifications", dbx.HashExp{"member": member.Id, "kind": forum.KindStatusNote})
		return int(n)
	}
	before := map[string]int{ana.Id: notes(ana), bo.Id: notes(bo), cy.Id: notes(cy)}

	products, _ := app.FindCollectionByNameOrId(releases.Products)
	product := core.NewRecord(products)
	product.Set("name", "Orange OS")
	product.Set("slug", "os")
	if err := app.Save(product); err != nil {
		t.Fatal(err)
	}
	// a beta build carrying the need ships it to its testers only: the need stays open
	if _, err := r.Save(staff, "", releases.Draft{Product: product.Id, Version: "2.4.0-beta.1", Channel: "beta", Title: "Beta",
		Items: []releases.ItemDraft{{Category: "new", Text: "Night mode", Topics: []string{night.Id}}}}, "publish"); err != nil {
		t.Fatal(err)
	}
	if topic, _ := app.FindRecordById(forum.Topics, night.Id); topic.GetString("status") == "shipped" || notes(ana) != before[ana.Id] {
		t.Fatal("a beta build marked the need shipped")
	}
	rel, err := r.Save(staff, "", releases.Draft{Product: product.Id, Version: "2.4.0", Channel: "stable", Title: "Quiet nights",
		Summary: "Night mode arrives.", Items: []releases.ItemDraft{
			{Category: "new", Text: "Night mode", Topics: []string{night.Id}},
			{Category: "new", Text: "Dual clock", Topics: []string{clock.Id, night.Id}},
			{Category: "improved", Text: "Icons", Topics: []string{done.Id}},
		}}, "publish")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{night.Id, clock.Id} {
		topic, _ := app.FindRecordById(forum.Topics, id)
		if topic.GetString("status") != "shipped" || topic.GetString("shipped_in") != "Orange OS 2.4.0" || topic.GetString("shipped_url") != "/releases/"+rel.Id {
			t.Errorf("need %q: %s in %q at %q, want shipped in Orange OS 2.4.0 with the release's link", topic.GetString("title"),
				topic.GetString("status"), topic.GetString("shipped_in"), topic.GetString("shipped_url"))
		}
	}
	if topic, _ := app.FindRecordById(forum.Topics, done.Id); topic.GetString("shipped_in") != "2.3.0" {
		t.Errorf("a need shipped before was moved to %q", topic.GetString("shipped_in"))
	}
	// ana: author of night, me too on clock; bo: me too on night, author of clock; cy: me too on night
	for member, want := range map[*core.Record]int{ana: 2, bo: 2, cy: 1} {
		if got := notes(member) - before[member.Id]; got != want {
			t.Errorf("%s was told %d times, want %d (once per need)", member.GetString("name"), got, want)
		}
	}
	rel, _ = app.FindRecordById(releases.Releases, rel.Id)
	discussion := rel.GetString("discussion")
	if discussion == "" {
		t.Fatal("the release has no discussion topic")
	}
	topic, err := app.FindRecordById(forum.Topics, discussion[len("/forum/t/"):])
	if err != nil || topic.GetString("kind") != forum.KindDiscussion || topic.GetString("author") != staff.Id {
		t.Errorf("discussion %s: %v %v", discussion, topic, err)
	}
}
