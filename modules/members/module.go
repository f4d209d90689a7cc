// Package members is the member accounts module: sign-up, sign-in, sign-out,
// password reset and email verification pages over PocketBase's users
// collection; profiles (own and public); staff roles; and phone binding with
// one-time codes, the anti-scalper base of the sales module.
package members

import (
	"embed"
	"net/http"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/mailer"

	"github.com/canyu/canyu/hooks"
	"github.com/canyu/canyu/platform"
	"github.com/canyu/canyu/ui"
)

//go:embed templates/*.html locales
var embedded embed.FS

// Deps are what the module needs from the process.
type Deps struct {
	platform.Deps
	// SMS overrides the sender chosen by Config.SMS (tests use it).
	SMS SMSSender
}

// Module is the members module.
type Module struct {
	cfg    Config
	deps   Deps
	phones *Phones
}

// New returns the module; Register binds it to an app.
func New(cfg Config, deps Deps) *Module {
	if deps.Now == nil {
		deps.Now = time.Now
	}
	return &Module{cfg: cfg, deps: deps}
}

// Name returns "members".
func (m *Module) Name() string { return "members" }

// Phones returns the phone binder (available after Register).
func (m *Module) Phones() *Phones { return m.phones }

// Register adds the module's pages, strings, routes and hooks to app.
func (m *Module) Register(app core.App) error {
	sms := m.deps.SMS
	if sms == nil {
		switch m.cfg.SMS.Driver {
		case "webhook":
			sms = WebhookSender{URL: m.cfg.SMS.WebhookURL, Secret: m.cfg.SMS.WebhookSecret, Client: &http.Client{Timeout: m.cfg.SMS.Timeout}, Now: m.deps.Now}
		default:
			sms = LogSender{Logger: app.Logger()}
		}
	}
	m.phones = &Phones{app: app, cfg: m.cfg.Phone, sms: sms, now: m.deps.Now, events: m.deps.Events, text: m.codeText}

	if err := m.deps.UI.AddModule("members", embedded); err != nil {
		return err
	}
	m.deps.UI.SetAccount(ui.Account{SignIn: "/signin", SignUp: "/signup", Profile: "/profile", SignOut: "/signout",
		Phone: "/members/phone", MemberPage: "/members/", MemberByName: "/members/by-name/"})
	m.deps.UI.AddNav(ui.NavItem{Path: "/members", Label: "members.title", Order: 90})
	m.deps.UI.AddHomeSection(ui.HomeSection{Page: "members/home_newest", Order: 90, Data: m.newestMembers})

	app.OnRecordAfterCreateSuccess("users").BindFunc(func(e *core.RecordEvent) error {
		hooks.TriggerAfterCommit(e.App, m.deps.Events.MemberSignedUp, &hooks.MemberEvent{App: app, Member: e.Record})
		return e.Next()
	})
	app.OnMailerSend().BindFunc(func(e *core.MailerEvent) error {
		// Without SMTP (or in dev mode) mail goes to the log: a new site can
		// sign members up before its mail server is configured.
		if _, isSendmail := e.Mailer.(*mailer.Sendmail); isSendmail && (!e.App.Settings().SMTP.Enabled || e.App.IsDev()) {
			e.Mailer = logMailer{app: e.App}
		}
		return e.Next()
	})
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		m.deps.UI.Mount(se.Router, m.routes())
		return se.Next()
	})
	return nil
}

// codeText is the text message carrying a code, in the member's language.
func (m *Module) codeText(member *core.Record, code string) string {
	lang, ok := ui.ParseLang(member.GetString("language"))
	if !ok {
		lang = ui.English
	}
	return m.deps.UI.Catalog.T(lang, "phone.sms_text", code, int(m.cfg.Phone.CodeTTL.Minutes()))
}

type logMailer struct{ app core.App }

func (l logMailer) Send(msg *mailer.Message) error {
	to := make([]string, 0, len(msg.To))
	for _, a := range msg.To {
		to = append(to, a.Address)
	}
	l.app.Logger().Info("mail (no SMTP configured, not sent)", "to", to, "subject", msg.Subject, "html", msg.HTML)
	return nil
}
