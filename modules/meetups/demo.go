package meetups

import (
	"time"

	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/modules/internal/demo"
)

// SeedDemo adds two city clubs with their presidents and members, an
// official meetup with seats left, a club tea that is full with a line, a
// past meetup with its recap and who was there, and a launch event by
// invitation. Idempotent: it does nothing once a club exists.
func (mod *Module) SeedDemo(app core.App) error {
	if n, _ := app.CountRecords(Clubs); n > 0 {
		return nil
	}
	m := mod.m
	who := func(email string) *core.Record {
		r, err := demo.Member(app, email)
		if err != nil {
			return nil
		}
		return r
	}
	staff, gz, lei, ana, mei, tom, mod2 := who("hong@demo.canyu"), who("gz@demo.canyu"), who("lei@demo.canyu"), who("ana@demo.canyu"),
		who("mei@demo.canyu"), who("tom@demo.canyu"), who("mod@demo.canyu")
	if staff == nil || gz == nil {
		return nil
	}
	canton, err := m.SaveClub(staff, "", ClubDraft{Name: "广州米粉同城会", Slug: "guangzhou", City: "广州",
		Description: "每月一次线下见面：喝早茶、扫街拍照、交流刷机心得。新朋友直接来！", President: gz.Id})
	if err != nil {
		return err
	}
	beijing, err := m.SaveClub(staff, "", ClubDraft{Name: "Beijing Fan Club", Slug: "beijing", City: "北京",
		Description: "Photo walks in the hutongs, beta-testing evenings, and the gala every December.", President: lei.Id, Approval: true})
	if err != nil {
		return err
	}
	for _, p := range []*core.Record{mei, tom, ana, mod2} {
		if _, err := m.Join(p, "guangzhou"); err != nil {
			return err
		}
	}
	if _, err := m.Join(ana, "beijing"); err != nil {
		return err
	}
	if err := m.DecideJoin(lei, "beijing", ana.Id, true); err != nil {
		return err
	}
	if _, err := m.Join(tom, "beijing"); err != nil { // stays pending: Lei has a request to answer
		return err
	}
	if err := m.SetOfficers(gz, "guangzhou", []string{mei.Id}); err != nil {
		return err
	}

	now := mod.deps.Now()
	day := func(days int, hour int) time.Time {
		t := now.In(m.loc).AddDate(0, 0, days)
		return time.Date(t.Year(), t.Month(), t.Day(), hour, 0, 0, 0, m.loc)
	}
	official, err := m.SaveEvent(staff, "", EventDraft{Kind: KindOfficial, Title: "Orange OS 3 preview: meet the camera team",
		Description: "The camera team shows what is coming in Orange OS 3, **answers your questions**, and hands out stickers.\n\n- 14:00 doors\n- 14:30 demos\n- 16:00 Q&A",
		Starts:      day(10, 14), Ends: day(10, 17), Venue: "Canyu Space", Address: "1 Orange Road, Haidian, Beijing", MapURL: "https://www.openstreetmap.org/",
		Capacity: 200, Questions: []Question{{Label: "T-shirt size", Choices: []string{"S", "M", "L", "XL"}}}, Publish: true})
	if err != nil {
		return err
	}
	for _, p := range []*core.Record{lei, ana, mei, mod2} {
		if _, err := m.RSVP(p, official.Id, map[string]string{"q0": "M"}); err != nil {
			return err
		}
	}
	tea, err := m.SaveEvent(gz, "", EventDraft{Club: canton.Id, Kind: KindClub, Title: "早茶 + 扫街拍照", Description: "在陶陶居喝早茶，然后去永庆坊扫街。带上手机，拍完现场修图。",
		Starts: day(4, 9), Ends: day(4, 13), Venue: "陶陶居", Address: "广州市荔湾区第十甫路", Capacity: 3, Publish: true})
	if err != nil {
		return err
	}
	for _, p := range []*core.Record{gz, mei, ana, mod2, tom} { // three seats, two in line
		if _, err := m.RSVP(p, tea.Id, nil); err != nil {
			return err
		}
	}
	past, err := m.SaveEvent(lei, "", EventDraft{Club: beijing.Id, Kind: KindClub, Title: "Hutong photo walk",
		Description: "Night mode tests in the hutongs around Nanluoguxiang.", Starts: day(-1, 20), Ends: day(-1, 22), Venue: "Nanluoguxiang",
		Capacity: 30, Publish: true, RSVPCloses: day(-1, 19)})
	if err != nil {
		return err
	}
	// the walk happened yesterday: RSVPs and check-ins as they were then
	clock := mod.deps.Now
	m.now = func() time.Time { return day(-2, 12) }
	for _, p := range []*core.Record{lei, ana, tom} {
		if _, err := m.RSVP(p, past.Id, nil); err != nil {
			m.now = clock
			return err
		}
	}
	m.now = func() time.Time { return day(-1, 20) }
	for _, p := range []*core.Record{lei, ana} {
		code, err := m.Ticket(p.Id, past.Id)
		if err == nil {
			_, err = m.CheckInTicket(lei, past.Id, code)
		}
		if err != nil {
			m.now = clock
			return err
		}
	}
	m.now = clock
	if err := m.SaveRecap(lei, past.Id, "Twelve of us, two tripods, one very patient cat. The night mode held up under the lanterns; the photos are below."); err != nil {
		return err
	}
	launch, err := m.SaveEvent(staff, "", EventDraft{Kind: KindLaunch, Title: "Orange 15 launch", Description: "The launch of the Orange 15, with the first testers in the front row.",
		Starts: day(30, 19), Ends: day(30, 21), Venue: "National Convention Center", Address: "Beijing", Capacity: 500, InviteOnly: true, Publish: true})
	if err != nil {
		return err
	}
	if _, err := m.Invite(staff, launch.Id, []string{ana.Id, lei.Id}); err != nil {
		return err
	}
	return nil
}
