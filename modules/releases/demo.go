package releases

import (
	"fmt"
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"github.com/canyu/canyu/modules/internal/demo"
)

// demoRelease is one build of the demo: its items name forum needs by title.
type demoRelease struct {
	version, channel, title, summary string
	weeksAgo                         int // 0: scheduled for the next slot
	items                            []demoItem
	moods                            []int // one per voter, in voter order
}

type demoItem struct {
	category, text string
	recommended    bool
	need           string // the title of a forum need it answers
}

var demoVoters = []string{"lei@demo.canyu", "ana@demo.canyu", "tom@demo.canyu", "mei@demo.canyu", "gz@demo.canyu", "mod@demo.canyu", "li@demo.canyu"}

var demoReleases = []demoRelease{
	{"2.4.0", "stable", "Quieter nights", "A calmer phone after dark, and a faster camera start.", 3, []demoItem{
		{"new", "**Bedtime mode**: the screen warms and notifications wait from the hour you choose.", true, ""},
		{"improved", "The camera opens 30% faster from the lock screen.", false, ""},
		{"fixed", "Alarms ring again after a restart on some phones.", false, ""},
	}, []int{4, 5, 3, 4, 4, 3}},
	{"2.4.1", "stable", "Calls you can find", "通话录音按联系人整理，以及一批修复。", 2, []demoItem{
		{"improved", "通话录音按联系人分组，可以搜索。", true, "通话录音自动按联系人分类"},
		{"fixed", "Bluetooth earbuds reconnect after a call.", false, ""},
		{"known", "The weather widget may show yesterday's high until it refreshes.", false, ""},
	}, []int{5, 4, 4, 5, 3, 4, 5}},
	{"2.4.2", "stable", "The gallery goes dark", "Night mode arrives in the gallery, as you asked in the forum.", 1, []demoItem{
		{"new", "**Night mode for the gallery**: it follows the system's dark mode, or has its own switch.", true, "Night mode for the gallery"},
		{"fixed", "Switching to 4K video no longer freezes the preview.", false, "Camera freezes when switching to video at 4K"},
		{"improved", "Battery: the screen-off drain is down by a fifth.", true, ""},
		{"known", "A few third-party launchers ignore the dark gallery icon.", false, ""},
	}, []int{5, 5, 4, 5, 4}}, // mod@ has not voted: the browser test votes as them
	{"2.5.0-beta.1", "beta", "Beta: the new lock screen", "For testers: a redesigned lock screen. Tell us what breaks.", 1, []demoItem{
		{"new", "A lock screen you can arrange: clock, widgets, shortcuts.", true, ""},
		{"known", "Widgets may jump after rotating the phone.", false, ""},
	}, nil},
	{"2.4.3", "stable", "Next Friday", "Scheduled for the next Orange Friday.", 0, []demoItem{
		{"improved", "Faster fingerprint unlock with wet fingers.", true, ""},
	}, nil},
}

// SeedDemo adds two products with three weekly stable releases (ballots,
// upgrades, needs marked shipped, their discussions), a beta build for the
// testers, a release scheduled for the next Friday, the tester programme
// and the coming month's plan. Idempotent: it does nothing once a product
// exists.
func (m *Module) SeedDemo(app core.App) error {
	if n, _ := app.CountRecords(Products); n > 0 {
		return nil
	}
	col, err := app.FindCollectionByNameOrId(Products)
	if err != nil {
		return err
	}
	var os *core.Record
	for i, p := range []struct{ slug, name, nameZh, desc string }{
		{"orange-os", "Orange OS", "橙子 OS", "The phone's system: launcher, camera, settings."},
		{"band", "Orange Band", "橙子手环", "The fitness band and its app."},
	} {
		r := core.NewRecord(col)
		r.Set("slug", p.slug)
		r.Set("name", p.name)
		r.Set("name_zh", p.nameZh)
		r.Set("description", p.desc)
		r.Set("tester_cap", 100)
		r.Set("order", i)
		if err := app.Save(r); err != nil {
			return err
		}
		if i == 0 {
			os = r
		}
	}
	staff, err := demo.Member(app, "hong@demo.canyu")
	if err != nil {
		return err
	}
	// the tester programme: admitted before the builds, so they report on them
	testers := []string{"ana@demo.canyu", "lei@demo.canyu", "mei@demo.canyu"}
	for _, email := range append(testers, "tom@demo.canyu", "gz@demo.canyu") {
		mem, err := demo.Member(app, email)
		if err != nil {
			return err
		}
		if err := m.r.Apply(mem, os.Id, "Orange 14 Pro", "Daily phone; photos of my kids; the odd game."); err != nil {
			return err
		}
	}
	var admit []string
	for _, email := range testers {
		mem, _ := demo.Member(app, email)
		admit = append(admit, mem.Id)
	}
	if _, err := m.r.Admit(staff, os.Id, admit, 1); err != nil {
		return err
	}
	now := m.deps.Now()
	for _, d := range demoReleases {
		draft := Draft{Product: os.Id, Version: d.version, Channel: d.channel, Title: d.title, Summary: d.summary}
		for _, it := range d.items {
			item := ItemDraft{Category: it.category, Text: it.text, Recommended: it.recommended}
			if it.need != "" {
				var id string
				if err := app.DB().Select("id").From(forumTopics).Where(dbx.HashExp{"title": it.need}).Limit(1).Row(&id); err == nil {
					item.Topics = []string{id}
				}
			}
			draft.Items = append(draft.Items, item)
		}
		if d.weeksAgo == 0 {
			if _, err := m.r.Save(staff, "", draft, "schedule"); err != nil {
				return fmt.Errorf("%s: %w", d.version, err)
			}
			continue
		}
		rec, err := m.r.Save(staff, "", draft, "publish")
		if err != nil {
			return fmt.Errorf("%s: %w", d.version, err)
		}
		// back-date the build to its Friday, voting open for a week from it
		friday := m.cfg.NextSlot(now, m.r.loc).AddDate(0, 0, -7*d.weeksAgo)
		if _, err := app.DB().NewQuery("UPDATE " + Releases + " SET published = {:p}, publish_at = {:p}, votes_close = {:c} WHERE id = {:id}").
			Bind(dbx.Params{"p": friday.UTC().Format(types.DefaultDateLayout), "c": friday.AddDate(0, 0, m.cfg.VoteDays).UTC().Format(types.DefaultDateLayout), "id": rec.Id}).Execute(); err != nil {
			return err
		}
		if err := m.demoVotes(app, rec.Id, d); err != nil {
			return fmt.Errorf("%s: %w", d.version, err)
		}
		if d.channel != "stable" {
			for i, email := range testers[:2] {
				mem, _ := demo.Member(app, email)
				text := []string{"Lock screen feels great. Widgets jumped once after rotating, as the notes say.", "锁屏很好看，但是夜间模式下时钟字体有点暗。"}[i]
				if err := m.r.Report(mem, rec.Id, text); err != nil {
					return err
				}
			}
		}
	}
	return m.demoPlan(app, os)
}

// demoVotes marks the voters upgraded and casts their ballots; the voting
// window is reopened for the vote (a past build's may have closed) and put
// back after.
func (m *Module) demoVotes(app core.App, release string, d demoRelease) error {
	rec, err := app.FindRecordById(Releases, release)
	if err != nil {
		return err
	}
	closes := rec.GetString("votes_close")
	if _, err := app.DB().NewQuery("UPDATE " + Releases + " SET votes_close = {:c} WHERE id = {:id}").
		Bind(dbx.Params{"c": m.deps.Now().AddDate(0, 0, 1).UTC().Format(types.DefaultDateLayout), "id": release}).Execute(); err != nil {
		return err
	}
	items, err := m.r.ItemsOf(release)
	if err != nil {
		return err
	}
	wishes := []string{"Dual clock on the lock screen", "长截图", "", "Per-app volume", "", "更多主题"}
	for i, mood := range d.moods {
		mem, err := demo.Member(app, demoVoters[i])
		if err != nil {
			return err
		}
		if _, err := m.r.Upgrade(mem, release); err != nil {
			return err
		}
		in := BallotIn{Mood: mood, Loved: items[i%2].Id, NextText: wishes[i%len(wishes)]}
		if len(items) > 2 && mood < 5 {
			in.Weakest = items[len(items)-1].Id
		}
		if in.Loved == in.Weakest {
			in.Weakest = ""
		}
		if _, err := m.r.Vote(mem, release, in); err != nil {
			return err
		}
	}
	// a few more upgraded without voting
	for _, email := range []string{"hong@demo.canyu"} {
		mem, _ := demo.Member(app, email)
		if _, err := m.r.Upgrade(mem, release); err != nil {
			return err
		}
	}
	_, err = app.DB().NewQuery("UPDATE " + Releases + " SET votes_close = {:c} WHERE id = {:id}").
		Bind(dbx.Params{"c": closes, "id": release}).Execute()
	return err
}

// demoPlan writes this month's plan and next month's themes.
func (m *Module) demoPlan(app core.App, os *core.Record) error {
	var planned []string
	_ = app.DB().Select("id").From(forumTopics).Where(dbx.HashExp{"kind": "request", "status": "new"}).Limit(3).Column(&planned)
	now := m.deps.Now()
	if err := m.r.SavePlan(os.Id, m.r.Month(now), "## Quiet and fast\n\n- Bedtime mode for every app\n- A faster camera in the dark\n- 更省电的息屏显示",
		strings.Join(planned, " ")); err != nil {
		return err
	}
	return m.r.SavePlan(os.Id, m.r.Month(now.AddDate(0, 1, 0)), "## Your lock screen\n\nThe beta's lock screen, finished with the testers' reports.", "")
}
