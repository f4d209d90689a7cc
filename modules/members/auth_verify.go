package members

import (
	"net/http"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/mails"
	"github.com/pocketbase/pocketbase/tools/security"
)

// verifyEmail confirms an email address from the link in the verification
// mail. The token must still name the member's current address.
func (m *Module) verifyEmail(e *core.RequestEvent) error {
	token := e.Request.URL.Query().Get("token")
	member, err := e.App.FindAuthRecordByToken(token, core.TokenTypeVerification)
	if err != nil {
		return m.deps.UI.Error(e, http.StatusBadRequest, "members.err_verify_token")
	}
	claims, _ := security.ParseUnverifiedJWT(token)
	if email, _ := claims["email"].(string); email != member.Email() {
		return m.deps.UI.Error(e, http.StatusBadRequest, "members.err_verify_token")
	}
	if !member.Verified() {
		member.SetVerified(true)
		if err := e.App.Save(member); err != nil {
			return err
		}
	}
	m.deps.UI.Flash(e, "auth.verified")
	return e.Redirect(http.StatusSeeOther, "/profile")
}

func (m *Module) verifyResend(e *core.RequestEvent) error {
	if !e.Auth.Verified() {
		if err := mails.SendRecordVerification(e.App, e.Auth); err != nil {
			return err
		}
	}
	m.deps.UI.Flash(e, "auth.verify_sent")
	return e.Redirect(http.StatusSeeOther, "/profile")
}
