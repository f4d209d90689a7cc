package social

import (
	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/modules/internal/demo"
)

// SeedDemo has the demo members follow each other, talk in a conversation
// of two and in a group, and tell their stories (some open to
// introductions). What they did in the other modules' demos is already in
// the feed. Idempotent: it does nothing once a follow exists.
func (mod *Module) SeedDemo(app core.App) error {
	if n, _ := app.CountRecords(Follows); n > 0 {
		return nil
	}
	s := mod.s
	who := func(email string) *core.Record {
		r, err := demo.Member(app, email)
		if err != nil {
			return nil
		}
		return r
	}
	ana, mei, lei, tom, gz := who("ana@demo.canyu"), who("mei@demo.canyu"), who("lei@demo.canyu"), who("tom@demo.canyu"), who("gz@demo.canyu")
	if ana == nil || mei == nil || lei == nil || tom == nil || gz == nil {
		return nil
	}
	for _, f := range [][2]*core.Record{{ana, mei}, {ana, lei}, {mei, ana}, {tom, ana}, {tom, mei}, {lei, gz}, {gz, mei}} {
		if err := s.Follow(f[0], f[1].Id); err != nil {
			return err
		}
	}
	conv, err := s.Start(mei, []string{ana.Id}, "", "Your night-mode shots from the hutong walk are great. Which settings did you use?")
	if err != nil {
		return err
	}
	for _, m := range []struct {
		from *core.Record
		body string
	}{
		{ana, "Thanks! Pro mode, **ISO 800**, 1/4 s, on a little tripod."},
		{mei, "Trying that at the tea meetup on Saturday 📷"},
	} {
		if _, err := s.Send(m.from, conv, m.body); err != nil {
			return err
		}
	}
	group, err := s.Start(lei, []string{ana.Id, tom.Id}, "Beijing photo walks", "Next walk: the Drum Tower at dusk. Who is in?")
	if err != nil {
		return err
	}
	if _, err := s.Send(tom, group, "Me! Can I bring a friend who just joined?"); err != nil {
		return err
	}
	for _, o := range []struct {
		m       *core.Record
		product string
		year    int
		note    string
	}{
		{ana, "Mi 1", 2011, "My first phone with an unlocked bootloader."},
		{ana, "Mi 3", 2013, ""},
		{mei, "Mi 1", 2012, "Bought on the second Red Tuesday."},
		{lei, "Mi 1", 2011, "Still boots."},
		{lei, "Mi Note", 2015, ""},
		{tom, "Mi 3", 2014, ""},
	} {
		if err := s.AddOwned(o.m, o.product, o.year, o.note); err != nil {
			return err
		}
	}
	for _, m := range []*core.Record{ana, mei, lei} {
		if err := s.Choose(m.Id, Choices{StoryPublic: true, Introductions: true}); err != nil {
			return err
		}
	}
	return nil
}
