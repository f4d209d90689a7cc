package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// The member account: PocketBase's users collection with a profile, roles and
// a bound phone number. Roles and the phone are never writable by the member:
// an admin grants roles in the dashboard, the phone is bound by code.
func init() {
	m.Register(func(app core.App) error {
		users, err := app.FindCollectionByNameOrId("users")
		if err != nil {
			return err
		}
		users.Fields.Add(
			&core.TextField{Name: "bio", Max: 500},
			&core.TextField{Name: "city", Max: 60},
			&core.SelectField{Name: "language", MaxSelect: 1, Values: []string{"en", "zh-CN"}},
			&core.SelectField{Name: "roles", MaxSelect: 4, Values: []string{"staff", "moderator", "president", "advisor"}},
			&core.TextField{Name: "phone", Max: 16, Pattern: `^\+[1-9][0-9]{6,14}$`, Hidden: true},
			&core.DateField{Name: "phone_verified", Hidden: true},
		)
		if f, ok := users.Fields.GetByName("name").(*core.TextField); ok {
			f.Max = 40
		}
		users.AddIndex("idx_users_phone", true, "phone", "phone != ''")

		locked := "@request.body.roles:isset = false && @request.body.phone:isset = false && @request.body.phone_verified:isset = false"
		users.ListRule = types.Pointer("@request.auth.id != ''")
		users.ViewRule = types.Pointer("")
		users.CreateRule = types.Pointer(locked)
		users.UpdateRule = types.Pointer("id = @request.auth.id && " + locked)
		users.DeleteRule = types.Pointer("id = @request.auth.id")

		users.VerificationTemplate.Body = `<p>Hello,</p>
<p>Thank you for joining {APP_NAME}. Please confirm your email address:</p>
<p><a class="btn" href="{APP_URL}/verify?token={TOKEN}" target="_blank" rel="noopener">Confirm my email</a></p>
<p>欢迎加入 {APP_NAME}，请点击上面的链接确认邮箱。</p>
<p>{APP_NAME}</p>`
		users.ResetPasswordTemplate.Body = `<p>Hello,</p>
<p>Someone asked to reset the password of your {APP_NAME} account. If it was you, choose a new password:</p>
<p><a class="btn" href="{APP_URL}/reset/confirm?token={TOKEN}" target="_blank" rel="noopener">Choose a new password</a></p>
<p>If it was not you, ignore this email: nothing changes.</p>
<p>如果这是你本人的操作，请点击上面的链接设置新密码；否则请忽略本邮件。</p>
<p>{APP_NAME}</p>`
		return app.Save(users)
	}, func(app core.App) error {
		users, err := app.FindCollectionByNameOrId("users")
		if err != nil {
			return err
		}
		for _, name := range []string{"bio", "city", "language", "roles", "phone", "phone_verified"} {
			users.Fields.RemoveByName(name)
		}
		users.RemoveIndex("idx_users_phone")
		// PocketBase's own users collection, as its first migration made it
		if f, ok := users.Fields.GetByName("name").(*core.TextField); ok {
			f.Max = 255
		}
		owner := "id = @request.auth.id"
		users.ListRule, users.ViewRule, users.UpdateRule = types.Pointer(owner), types.Pointer(owner), types.Pointer(owner)
		users.CreateRule = types.Pointer("")
		defaults := core.NewAuthCollection("users")
		users.VerificationTemplate = defaults.VerificationTemplate
		users.ResetPasswordTemplate = defaults.ResetPasswordTemplate
		return app.Save(users)
	})
}
