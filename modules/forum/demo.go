package forum

import (
	"time"

	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/modules/internal/demo"
)

// SeedDemo adds boards, a few needs with "me too"s and replies. It needs
// the demo members (the members module seeds them first) and is idempotent.
func (m *Module) SeedDemo(app core.App) error {
	boardsCol, err := app.FindCollectionByNameOrId(Boards)
	if err != nil {
		return err
	}
	demoBoards := []struct {
		slug, name, nameZh, desc, descZh string
		kinds                            []string
		order                            int
	}{
		{"camera", "Camera", "相机", "Photos, video and the camera app.", "拍照、视频和相机应用。", []string{KindRequest, KindBug, KindDiscussion}, 1},
		{"system", "System", "系统", "Launcher, settings, battery, updates.", "桌面、设置、电量、升级。", []string{KindRequest, KindBug, KindDiscussion}, 2},
		{"lounge", "Lounge", "茶馆", "Everything else: stories, meetups, polls, photos.", "闲聊：故事、同城会、投票、晒图。", []string{KindDiscussion, KindPoll}, 3},
	}
	for _, d := range demoBoards {
		if _, err := m.forum.FindBoard(d.slug); err == nil {
			continue
		}
		b := core.NewRecord(boardsCol)
		b.Set("slug", d.slug)
		b.Set("name", d.name)
		b.Set("name_zh", d.nameZh)
		b.Set("description", d.desc)
		b.Set("description_zh", d.descZh)
		b.Set("kinds", d.kinds)
		b.Set("order", d.order)
		b.Set("who_may_post", "members")
		if err := app.Save(b); err != nil {
			return err
		}
	}
	if n, _ := app.CountRecords(Topics); n > 0 {
		return nil
	}
	member := func(email string) (*core.Record, error) { return demo.Member(app, email) }
	fan, err := member("lei@demo.canyu")
	if err != nil {
		return err
	}
	ana, _ := member("ana@demo.canyu")
	hong, _ := member("hong@demo.canyu")
	li, _ := member("li@demo.canyu")
	areasCol, err := app.FindCollectionByNameOrId(Areas)
	if err != nil {
		return err
	}
	areaIDs := map[string]string{}
	for i, a := range []struct {
		key, name, nameZh string
		owners            []string
	}{{"camera", "Camera app", "相机应用", []string{hong.Id, li.Id}}, {"system", "System and battery", "系统与续航", []string{li.Id}}} {
		r := core.NewRecord(areasCol)
		r.Set("name", a.name)
		r.Set("name_zh", a.nameZh)
		r.Set("owners", a.owners)
		r.Set("order", i)
		if err := app.Save(r); err != nil {
			return err
		}
		areaIDs[a.key] = r.Id
	}
	needs := []struct {
		author *core.Record
		in     NewTopic
		metoos []string
		reply  string
	}{
		{ana, NewTopic{Board: "camera", Kind: KindRequest, Area: areaIDs["camera"], Title: "Night mode for the gallery", Fields: map[string]string{
			"problem": "Looking at photos in bed at night, the white gallery is blinding.", "proposal": "Follow the system dark mode, or add a switch.", "who": "Everyone who checks photos at night"}},
			[]string{"lei@demo.canyu", "tom@demo.canyu", "mei@demo.canyu", "gz@demo.canyu"}, "Good one. We are looking at this for the next builds. — Hong, camera team"},
		{fan, NewTopic{Board: "system", Kind: KindRequest, Area: areaIDs["system"], Title: "通话录音自动按联系人分类", Fields: map[string]string{
			"problem": "录音文件太多，找不到某个人的通话。", "proposal": "按联系人建文件夹，支持搜索。"}},
			[]string{"ana@demo.canyu", "mei@demo.canyu"}, ""},
		{fan, NewTopic{Board: "camera", Kind: KindBug, Area: areaIDs["camera"], Title: "Camera freezes when switching to video at 4K", Fields: map[string]string{
			"steps": "1. Open the camera\n2. Set 4K\n3. Switch to video", "expected": "Recording starts", "actual": "Preview freezes for 3 s", "version": "2.3.5", "device": "MI 1"}},
			[]string{"tom@demo.canyu"}, ""},
	}
	poll, err := m.forum.CreateTopic(ana, NewTopic{Board: "lounge", Kind: KindPoll, Title: "Which colour should the next phone come in first?",
		Poll: &PollSpec{Options: []string{"Orange", "Ceramic white", "Matte black"}, Closes: m.deps.Now().Add(7 * 24 * time.Hour)}})
	if err != nil {
		return err
	}
	for i, email := range []string{"lei@demo.canyu", "tom@demo.canyu", "mei@demo.canyu", "gz@demo.canyu"} {
		if mem, err := member(email); err == nil {
			if _, err := m.forum.Vote(mem, poll.Id, []int{i % 2}); err != nil {
				return err
			}
		}
	}
	for _, n := range needs {
		t, err := m.forum.CreateTopic(n.author, n.in)
		if err != nil {
			return err
		}
		for _, email := range n.metoos {
			if mem, err := member(email); err == nil {
				if _, err := m.forum.MeToo(mem, t.Id, true); err != nil {
					return err
				}
			}
		}
		if n.reply != "" {
			if _, err := m.forum.Reply(hong, t.Id, n.reply); err != nil {
				return err
			}
		}
	}
	return nil
}
