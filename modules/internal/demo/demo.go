// Package demo holds the demo community's members, shared by every module's
// SeedDemo: a module that needs demo members asks Member for them, so its
// demo works whether or not the members module (the account pages) is on.
package demo

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"github.com/canyu/canyu/modules/internal/access"
)

// Password is the password of every demo member.
const Password = "canyu-demo"

type member struct {
	email, name, city, lang, bio string
	roles                        []string
	phone                        string // bound and verified; "" for none
}

var members = []member{
	{"lei@demo.canyu", "雷军粉丝一号", "北京", "zh-CN", "从 MIUI 第一版开始刷机，每周五必升级。", nil, "+8613800000001"},
	{"hong@demo.canyu", "Hong Feng", "Beijing", "en", "Product manager for the camera app. I read every camera request.", []string{access.RoleStaff}, "+8613800000002"},
	{"li@demo.canyu", "黎万强", "北京", "zh-CN", "负责社区与营销。参与感！", []string{access.RoleStaff}, "+8613800000003"},
	{"mod@demo.canyu", "小米版主", "上海", "zh-CN", "论坛版主，欢迎反馈 bug。", []string{access.RoleModerator}, "+8613800000004"},
	{"gz@demo.canyu", "广州同城会长", "广州", "zh-CN", "广州同城会会长，每月一次线下见面。", []string{access.RolePresident}, "+8613800000005"},
	{"ana@demo.canyu", "Ana Souza", "São Paulo", "en", "Tester since build 1. Night mode was my idea.", []string{access.RoleAdvisor}, "+5511900000006"},
	{"tom@demo.canyu", "Tom", "London", "en", "", nil, ""},
	{"mei@demo.canyu", "小梅", "成都", "zh-CN", "拍照爱好者。", nil, "+8613800000008"},
}

// Members adds the demo members that are missing (idempotent: existing
// addresses are kept).
func Members(app core.App) error {
	users, err := app.FindCollectionByNameOrId("users")
	if err != nil {
		return err
	}
	for _, d := range members {
		if _, err := app.FindAuthRecordByEmail(users, d.email); err == nil {
			continue
		} else if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		r := core.NewRecord(users)
		r.SetEmail(d.email)
		r.SetPassword(Password)
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

// Member returns the demo member with email, adding the demo members first
// when they are missing.
func Member(app core.App, email string) (*core.Record, error) {
	r, err := app.FindAuthRecordByEmail("users", email)
	if errors.Is(err, sql.ErrNoRows) {
		if err := Members(app); err != nil {
			return nil, err
		}
		r, err = app.FindAuthRecordByEmail("users", email)
	}
	if err != nil {
		return nil, fmt.Errorf("demo member %s: %w", email, err)
	}
	return r, nil
}
