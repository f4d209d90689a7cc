package members

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/ui"
)

// PhoneView is the data of the phone binding page.
type PhoneView struct {
	Bound    string // masked number already bound
	Phone    string // number being bound (as entered)
	CodeSent bool
	Cooldown int // seconds until another code may be asked for
	Error    string
	Reason   string // a plugin's own words when it refused the number
	Notice   string
}

// pluginReason is a vetoing plugin's own words, "" for any other error.
func pluginReason(err error) string {
	var refused *RefusedError
	if errors.As(err, &refused) {
		return refused.Reason
	}
	return ""
}

// show is problems.Show, with a vetoing plugin's own words after ours.
func show(err error) error {
	p, ok := problems.Explain(err)
	if !ok {
		return err
	}
	if reason := pluginReason(err); reason != "" {
		p.Key, p.Args = "members.err_phone_refused_reason", []any{reason}
	}
	return p
}

func (m *Module) phoneForm(e *core.RequestEvent) error {
	v := PhoneView{}
	if p := e.Auth.GetString("phone"); p != "" {
		v.Bound = MaskPhone(p)
	}
	return m.deps.UI.Render(e, http.StatusOK, "members/phone", v)
}

func (m *Module) phoneSendCode(e *core.RequestEvent) error {
	v := PhoneView{Phone: strings.TrimSpace(e.Request.FormValue("phone"))}
	if p := e.Auth.GetString("phone"); p != "" {
		v.Bound = MaskPhone(p)
	}
	sent, err := m.phones.SendCode(e.Request.Context(), e.Auth, v.Phone, e.RealIP())
	if err != nil {
		p, ok := problems.Explain(err)
		if !ok {
			return err
		}
		v.Error = p.Key
		v.CodeSent = errors.Is(err, ErrResendTooSoon)
		v.Cooldown = seconds(sent.ResendIn)
		return m.deps.UI.Render(e, p.Status, "members/phone", v)
	}
	v.CodeSent = true
	v.Cooldown = seconds(sent.ResendIn)
	v.Notice = "phone.code_sent"
	return m.deps.UI.Render(e, http.StatusOK, "members/phone", v)
}

func (m *Module) phoneVerify(e *core.RequestEvent) error {
	v := PhoneView{Phone: strings.TrimSpace(e.Request.FormValue("phone")), CodeSent: true}
	if _, err := m.phones.Verify(e.Auth, v.Phone, e.Request.FormValue("code")); err != nil {
		p, ok := problems.Explain(err)
		if !ok {
			return err
		}
		v.Error = p.Key
		v.Reason = pluginReason(err)
		return m.deps.UI.Render(e, p.Status, "members/phone", v)
	}
	m.deps.UI.Flash(e, "phone.bound")
	return e.Redirect(http.StatusSeeOther, "/profile")
}

type phoneRequest struct {
	Phone string `json:"phone"`
	Code  string `json:"code"`
}

// apiError answers a domain error as JSON in the member's language.

// apiPhoneCode: POST /api/members/phone/code {"phone": "..."}.
func (m *Module) apiPhoneCode(e *core.RequestEvent) error {
	var req phoneRequest
	if err := e.BindBody(&req); err != nil {
		return ui.BadBody(err)
	}
	sent, err := m.phones.SendCode(e.Request.Context(), e.Auth, req.Phone, e.RealIP())
	if err != nil {
		if errors.Is(err, ErrResendTooSoon) {
			e.Response.Header().Set("Retry-After", strconv.Itoa(seconds(sent.ResendIn)))
		}
		return show(err)
	}
	return e.JSON(http.StatusAccepted, map[string]any{
		"phone":     MaskPhone(sent.Phone),
		"expiresIn": seconds(sent.ExpiresIn),
		"resendIn":  seconds(sent.ResendIn),
	})
}

// apiPhoneVerify: POST /api/members/phone/verify {"phone": "...", "code": "..."}.
func (m *Module) apiPhoneVerify(e *core.RequestEvent) error {
	var req phoneRequest
	if err := e.BindBody(&req); err != nil {
		return ui.BadBody(err)
	}
	phone, err := m.phones.Verify(e.Auth, req.Phone, req.Code)
	if err != nil {
		return show(err)
	}
	return e.JSON(http.StatusOK, map[string]any{"phone": MaskPhone(phone), "verified": true})
}

// apiMe: GET /api/members/me, the signed-in member's own account.
func (m *Module) apiMe(e *core.RequestEvent) error {
	c := card(e.Auth)
	out := map[string]any{
		"id": c.ID, "name": c.Name, "bio": c.Bio, "city": c.City, "avatar": c.AvatarURL,
		"roles": c.Roles, "joined": c.Joined, "email": e.Auth.Email(), "verified": e.Auth.Verified(),
		"language": e.Auth.GetString("language"), "phoneVerified": c.PhoneVerified,
	}
	if p := e.Auth.GetString("phone"); p != "" {
		out["phone"] = MaskPhone(p)
	}
	return e.JSON(http.StatusOK, out)
}

func seconds(d time.Duration) int { return int((d + time.Second - 1) / time.Second) }
