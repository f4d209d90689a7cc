package members

import (
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
)

// routes binds the module's pages (HTML) and API (JSON).
func (m *Module) routes(se *core.ServeEvent) {
	h := m.deps.UI.Handler
	r := se.Router

	r.GET("/signin", h(m.signinForm))
	r.POST("/signin", h(m.signin))
	r.POST("/signout", h(m.signout))
	r.GET("/signup", h(m.signupForm))
	r.POST("/signup", h(m.signup))
	r.GET("/reset", h(m.resetForm))
	r.POST("/reset", h(m.resetRequest))
	r.GET("/reset/confirm", h(m.resetConfirmForm))
	r.POST("/reset/confirm", h(m.resetConfirm))
	r.GET("/verify", h(m.verifyEmail))
	r.GET("/signin/oauth2/callback", h(m.oauth2Callback))
	r.GET("/signin/oauth2/{provider}", h(m.oauth2Start))

	members := r.Group("")
	members.Bind(m.deps.UI.RequireMember())
	members.GET("/profile", h(m.profileForm))
	members.POST("/profile", h(m.profileSave))
	members.POST("/verify/resend", h(m.verifyResend))
	members.GET("/members/phone", h(m.phoneForm))
	members.POST("/members/phone/code", h(m.phoneSendCode))
	members.POST("/members/phone/verify", h(m.phoneVerify))

	r.GET("/members", h(m.directory))
	r.GET("/members/{id}", h(m.profileView))
	r.GET("/members/by-name/{name}", h(m.profileByName))

	api := r.Group("/api/members")
	api.Bind(apis.RequireAuth("users"))
	api.POST("/phone/code", m.apiPhoneCode)
	api.POST("/phone/verify", m.apiPhoneVerify)
	api.GET("/me", m.apiMe)
}
