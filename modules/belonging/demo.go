package belonging

import (
	"strconv"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/modules/internal/demo"
)

// SeedDemo stocks the rewards store, gives the helper badge and last
// year's VIP medal, thanks a member with points, leaves redemptions to
// ship and a VIP request to decide, and computes the segments as they stood
// each week of the demo's history. The points and badges the other modules'
// demos earned came through their events. Idempotent: it does nothing once
// a gift exists.
func (mod *Module) SeedDemo(app core.App) error {
	if n, _ := app.CountRecords(Gifts); n > 0 {
		return nil
	}
	b := mod.b
	who := func(email string) *core.Record {
		r, err := demo.Member(app, email)
		if err != nil {
			return nil
		}
		return r
	}
	staff, ana, mei, lei, tom := who("hong@demo.canyu"), who("ana@demo.canyu"), who("mei@demo.canyu"), who("lei@demo.canyu"), who("tom@demo.canyu")
	if staff == nil || ana == nil || mei == nil || lei == nil || tom == nil {
		return nil
	}
	col, err := app.FindCollectionByNameOrId(Gifts)
	if err != nil {
		return err
	}
	gifts := map[string]string{}
	for i, g := range []struct {
		key, name, zh, desc, descZh, icon string
		price, stock                      int
		reserved                          string
	}{
		{"stickers", "Orange sticker pack", "橙色贴纸套装", "Twelve die-cut stickers: the logo, the mascot and the release names.", "十二张异形贴纸：Logo、吉祥物和历代版本名。", "🧡", 50, 500, ""},
		{"pin", "Enamel pin: Popcorn", "爆米花珐琅徽章", "The Popcorn award's pin, for your bag or jacket.", "爆米花奖同款珐琅徽章，别在包上或外套上。", "🍿", 120, 0, ""},
		{"mug", "Fan club mug", "同城会马克杯", "A 350 ml mug with your city club's name on it.", "350 毫升马克杯，印有同城会名称。", "☕", 200, 60, ""},
		{"tee", "Community T-shirt", "社区纪念 T 恤", "The community's T-shirt, in S to XL: tell us your size in the address note.", "社区纪念 T 恤，S 到 XL，尺码请写在地址备注里。", "👕", 300, 40, ""},
		{"launch", "Front-row seat at the next launch", "新品发布会前排座位", "Two seats in the front row of the next launch event, travel not included.", "下一场发布会前排座位两张，不含差旅。", "🎟️", 800, 10, "vip"},
		{"loaner", "A month with the next phone before launch", "新机抢先体验一个月", "Use the next phone for a month before it launches, and write about it.", "发布前抢先使用新机一个月，并分享体验。", "📱", 1500, 3, "segment:testers"},
	} {
		r := core.NewRecord(col)
		r.Load(map[string]any{"name": g.name, "name_zh": g.zh, "description": g.desc, "description_zh": g.descZh, "icon": g.icon,
			"price": g.price, "stock": g.stock, "reserved_to": g.reserved, "active": true, "sort": i})
		if err := app.Save(r); err != nil {
			return err
		}
		gifts[g.key] = r.Id
	}

	// last year's medal and a badge staff give by hand
	badges, err := app.FindCollectionByNameOrId(Badges)
	if err != nil {
		return err
	}
	year := mod.deps.Now().In(b.loc).Year() - 1
	medal := core.NewRecord(badges)
	medal.Load(map[string]any{"slug": "vip-" + strconv.Itoa(year), "name": "VIP of the year", "name_zh": "年度 VIP", "description": "Bought from the brand during the year.",
		"description_zh": "这一年在官方购买过产品。", "icon": "🏅", "kind": "medal", "rule": ActPurchase, "threshold": 1, "year": year, "sort": 100})
	if err := app.Save(medal); err != nil {
		return err
	}
	if _, err := b.Award(staff, medal.GetString("slug"), []string{lei.Id, mei.Id}, "Thank you for a year of support"); err != nil {
		return err
	}
	if _, err := b.Award(staff, "helper", []string{mei.Id}, "Answers newcomers every day in the camera board"); err != nil {
		return err
	}
	if _, _, err := b.Backfill(); err != nil {
		return err
	}
	if err := b.ShowAsTitle(mei.Id, "helper"); err != nil {
		return err
	}

	// thanks, spending, and work for the staff
	for _, g := range []struct {
		m      *core.Record
		amount int
		note   string
	}{{ana, 600, "Thank you for the camera bug reports"}, {lei, 400, "Beijing club photo walk host"}, {mei, 300, "Helper of the month"}, {tom, 60, "Welcome gift"}} {
		if err := b.Grant(staff, g.m.Id, g.amount, g.note); err != nil {
			return err
		}
	}
	if _, err := b.Redeem(lei, gifts["tee"], Shipping{Recipient: "Lei Wang", Address: "12 Wudaokou Road, Haidian, Beijing (size L)", Phone: "+86 138 0013 8000"}); err != nil {
		return err
	}
	shipped, err := b.Redeem(mei, gifts["stickers"], Shipping{Recipient: "陈美", Address: "广州市天河区体育西路 100 号", Phone: "+86 139 0013 9000"})
	if err != nil {
		return err
	}
	if err := b.Ship(staff, shipped, "SF Express SF1234567890"); err != nil {
		return err
	}
	if _, err := b.ClaimVIP(tom, "serial", "OR15-8H2K-4471", nil); err != nil {
		return err
	}
	if _, err := b.MakeVIP(app, lei.Id, "staff"); err != nil { // as staff verifying a receipt would
		return err
	}

	// the segments as they stood each week, then today
	clock := b.now
	defer func() { b.now = clock }()
	for w := 6; w >= 0; w-- {
		at := clock().AddDate(0, 0, -7*w)
		b.now = func() time.Time { return at }
		if _, err := b.ComputeSegments(); err != nil {
			return err
		}
	}
	return nil
}
