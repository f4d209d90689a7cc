package members

import (
	"database/sql"
	"errors"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"github.com/canyu/canyu/modules/internal/access"
)

// DemoPassword is the password of every demo member.
const DemoPassword = "canyu-demo"

type demoMember struct {
	email, name, city, lang, bio string
	roles                        []string
	phone                        string // bound and verified; "" for none
}

var demoMembers = []demoMember{
	{"lei@demo.canyu", "雷军粉丝一号", "北京", "zh-CN", "从 MIUI 第一版开始刷机，每周五必升级。", nil, "+8613800000001"},
	{"hong@demo.canyu", "Hong Feng", "Beijing", "en", "Product manager for the camera app. I read every camera request.", []string{access.RoleStaff}, "+8613800000002"},
	{"li@demo.canyu", "黎万强", "北京", "zh-CN", "负责社区与营销。参与感！", []string{access.RoleStaff}, "+8613800000003"},
	{"mod@demo.canyu", "小米版主", "上海", "zh-CN", "论坛版主，欢迎反馈 bug。", []string{access.RoleModerator}, "+8613800000004"},
	{"gz@demo.canyu", "广州同城会长", "广州", "zh-CN", "广州同城会会长，每月一次线下见面。", []string{access.RolePresident}, "+8613800000005"},
	{"ana@demo.canyu", "Ana Souza", "São Paulo", "en", "Tester since build 1. Night mode was my idea.", []string{access.RoleAdvisor}, "+5511900000006"},
	{"tom@demo.canyu", "Tom", "London", "en", "", nil, ""},
	{"mei@demo.canyu", "小梅", "成都", "zh-CN", "拍照爱好者。", nil, "+8613800000008"},
}

// SeedDemo adds the demo members (idempotent: existing addresses are kept).
func (m *Module) SeedDemo(app core.App) error {
	users, err := app.FindCollectionByNameOrId("users")
	if err != nil {
		return err
	}
	for _, d := range demoMembers {
		if _, err := app.FindAuthRecordByEmail(users, d.email); err == nil {
			continue
		} else if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		r := core.NewRecord(users)
		r.SetEmail(d.email)
		r.SetPassword(DemoPassword)
		r.SetVerified(true)
		r.Set("name", d.name)
		r.Set("city", d.city)
		r.Set("language", d.lang)
		r.Set("bio", d.bio)
		r.Set("roles", d.roles)
		if d.phone != "" {
			r.Set("phone", d.phone)
			r.Set("phone_verified", types.NowDateTime())
		}
		if err := app.Save(r); err != nil {
			return err
		}
	}
	return nil
}
