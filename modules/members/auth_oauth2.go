package members

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/security"
	"golang.org/x/oauth2"

	"github.com/canyu/canyu/ui"
)

// OAuth2 sign-in from the web UI. The providers are the ones an admin
// enabled on the users collection in the dashboard; nothing is configured
// here. The flow keeps its state and PKCE verifier in a short-lived HttpOnly
// cookie, so it needs no server-side session.

const oauth2Cookie = "canyu_oauth2"

// ProviderLink is a "continue with ..." button.
type ProviderLink struct {
	Name        string
	DisplayName string
}

// providers lists the enabled OAuth2 providers of the users collection.
func providers(app core.App) []ProviderLink {
	users, err := app.FindCachedCollectionByNameOrId("users")
	if err != nil || !users.OAuth2.Enabled {
		return nil
	}
	out := make([]ProviderLink, 0, len(users.OAuth2.Providers))
	for _, p := range users.OAuth2.Providers {
		name := p.DisplayName
		if name == "" {
			if prov, err := p.InitProvider(); err == nil {
				name = prov.DisplayName()
			}
		}
		out = append(out, ProviderLink{Name: p.Name, DisplayName: name})
	}
	return out
}

func (m *Module) callbackURL() string {
	return strings.TrimRight(m.deps.PublicURL, "/") + "/signin/oauth2/callback"
}

// oauth2Start: GET /signin/oauth2/{provider} sends the member to the provider.
func (m *Module) oauth2Start(e *core.RequestEvent) error {
	name := e.Request.PathValue("provider")
	users, err := e.App.FindCachedCollectionByNameOrId("users")
	if err != nil {
		return err
	}
	cfg, ok := users.OAuth2.GetProviderConfig(name)
	if !ok || !users.OAuth2.Enabled {
		return m.deps.UI.Error(e, http.StatusNotFound, "members.err_oauth2_provider")
	}
	provider, err := cfg.InitProvider()
	if err != nil {
		return err
	}
	provider.SetRedirectURL(m.callbackURL())
	state := security.RandomString(30)
	verifier := security.RandomString(64)
	var opts []oauth2.AuthCodeOption
	if provider.PKCE() {
		sum := sha256.Sum256([]byte(verifier))
		opts = append(opts,
			oauth2.SetAuthURLParam("code_challenge", base64.RawURLEncoding.EncodeToString(sum[:])),
			oauth2.SetAuthURLParam("code_challenge_method", "S256"))
	}
	next := ui.SafeNext(e.Request.URL.Query().Get("next"))
	e.SetCookie(&http.Cookie{
		Name:     oauth2Cookie,
		Value:    strings.Join([]string{name, state, verifier, base64.RawURLEncoding.EncodeToString([]byte(next))}, "."),
		Path:     "/signin/oauth2/",
		MaxAge:   600,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode, // the provider's redirect back is a top-level GET
		Secure:   strings.HasPrefix(m.deps.PublicURL, "https://"),
	})
	return e.Redirect(http.StatusSeeOther, provider.BuildAuthURL(state, opts...))
}

// oauth2Callback: GET /signin/oauth2/callback?state=...&code=... signs the
// member in, linking or creating the account.
func (m *Module) oauth2Callback(e *core.RequestEvent) error {
	c, err := e.Request.Cookie(oauth2Cookie)
	e.SetCookie(&http.Cookie{Name: oauth2Cookie, Path: "/signin/oauth2/", MaxAge: -1})
	if err != nil {
		return m.deps.UI.Error(e, http.StatusBadRequest, "members.err_oauth2_expired")
	}
	parts := strings.Split(c.Value, ".")
	q := e.Request.URL.Query()
	if len(parts) != 4 || q.Get("state") == "" || !security.Equal(parts[1], q.Get("state")) {
		return m.deps.UI.Error(e, http.StatusBadRequest, "members.err_oauth2_expired")
	}
	if q.Get("error") != "" || q.Get("code") == "" {
		return m.deps.UI.Error(e, http.StatusBadRequest, "members.err_oauth2_denied")
	}
	nextRaw, _ := base64.RawURLEncoding.DecodeString(parts[3])
	next := ui.SafeNext(string(nextRaw))

	users, err := e.App.FindCachedCollectionByNameOrId("users")
	if err != nil {
		return err
	}
	cfg, ok := users.OAuth2.GetProviderConfig(parts[0])
	if !ok || !users.OAuth2.Enabled {
		return m.deps.UI.Error(e, http.StatusNotFound, "members.err_oauth2_provider")
	}
	provider, err := cfg.InitProvider()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(e.Request.Context(), 30*time.Second)
	defer cancel()
	provider.SetContext(ctx)
	provider.SetRedirectURL(m.callbackURL())
	var opts []oauth2.AuthCodeOption
	if provider.PKCE() {
		opts = append(opts, oauth2.SetAuthURLParam("code_verifier", parts[2]))
	}
	token, err := provider.FetchToken(q.Get("code"), opts...)
	if err != nil {
		e.App.Logger().Warn("members: oauth2 token", "provider", parts[0], "error", err)
		return m.deps.UI.Error(e, http.StatusBadGateway, "members.err_oauth2_failed")
	}
	who, err := provider.FetchAuthUser(token)
	if err != nil || who.Id == "" {
		e.App.Logger().Warn("members: oauth2 user", "provider", parts[0], "error", err)
		return m.deps.UI.Error(e, http.StatusBadGateway, "members.err_oauth2_failed")
	}
	member, err := m.oauth2Member(e, users, parts[0], who.Id, who.Email, who.Name)
	switch {
	case errors.Is(err, errNoVerifiedEmail):
		return m.deps.UI.Error(e, http.StatusBadRequest, "members.err_oauth2_no_email")
	case errors.Is(err, errSignupClosed), errors.Is(err, errSignupRefused):
		return m.deps.UI.Error(e, http.StatusForbidden, "members.err_signup_refused")
	case err != nil:
		return err
	}
	return m.finishSignIn(e, member, "oauth2", next)
}

// errNoVerifiedEmail: the provider vouches for no email, so no account can be
// made or matched (an unverified address could take over someone's account).
var errNoVerifiedEmail = errors.New("members: oauth2 provider gave no verified email")

// oauth2Member finds the member linked to the provider account, or the
// member with the provider's verified email (then links it), or creates one.
// An account with that email that never verified it is taken over for the
// provider's identity, as PocketBase's own OAuth2 endpoint does.
func (m *Module) oauth2Member(e *core.RequestEvent, users *core.Collection, provider, providerID, email, name string) (*core.Record, error) {
	app := e.App
	link, err := app.FindFirstExternalAuthByExpr(dbx.HashExp{"collectionRef": users.Id, "provider": provider, "providerId": providerID})
	if err == nil {
		return app.FindRecordById(users, link.RecordRef())
	} else if !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	if email == "" {
		return nil, errNoVerifiedEmail
	}
	var member *core.Record
	err = app.RunInTransaction(func(tx core.App) error {
		// the provider verified this address (FetchAuthUser leaves it empty otherwise)
		member, err = tx.FindAuthRecordByEmail(users, email)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if member != nil && !member.Verified() {
			// Whoever registered this address never proved they own it: it
			// may be an attacker waiting for the owner (account
			// pre-hijacking). The provider proved the owner, so the account
			// becomes theirs alone: a new random password, every token
			// revoked (a new token key), other provider links removed.
			member.SetRandomPassword()
			member.SetVerified(true)
			if err := tx.DeleteAllExternalAuthsByRecord(member); err != nil {
				return err
			}
			if err := tx.Save(member); err != nil {
				return err
			}
		}
		if member == nil {
			member = core.NewRecord(users)
			member.SetEmail(email)
			member.SetRandomPassword()
			member.SetVerified(true)
			if len([]rune(name)) > 40 {
				name = string([]rune(name)[:40])
			}
			member.Set("name", name)
			if err := tx.Save(member); err != nil {
				return err
			}
			if err := mayCreate(tx, e, member); err != nil {
				return err // the create rule of the users collection applies to OAuth2 sign-ups too
			}
		}
		ea := core.NewExternalAuth(tx)
		ea.SetCollectionRef(users.Id)
		ea.SetRecordRef(member.Id)
		ea.SetProvider(provider)
		ea.SetProviderId(providerID)
		return tx.Save(ea)
	})
	return member, err
}
