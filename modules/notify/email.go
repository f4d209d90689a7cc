package notify

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"html/template"
	"net/mail"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/mailer"
	"github.com/pocketbase/pocketbase/tools/types"

	"github.com/canyu/canyu/hooks"
	"github.com/canyu/canyu/ui"
)

// mailBody is every email of the module, rendered by html/template (member
// text is escaped; nothing in it is trusted HTML): a greeting, the
// notifications, the sections other modules add, and where to change it.
var mailBody = template.Must(template.New("mail").Parse(`<p>{{.Hello}}</p>
{{if .Items}}<p><strong>{{.ItemsTitle}}</strong></p>
<ul>{{range .Items}}<li>{{.Line}} <a href="{{$.Base}}{{.Link}}">{{.Subject}}</a>{{with .Detail}}<br><span style="color:#666">{{.}}</span>{{end}}</li>{{end}}</ul>{{end}}
{{range .Sections}}<p><strong>{{.Title}}</strong></p>
<ol>{{range .Items}}<li><a href="{{$.Base}}{{.Link}}">{{.Title}}</a>{{with .Note}} ({{.}}){{end}}</li>{{end}}</ol>{{end}}
<p style="color:#888">{{.Footer}} <a href="{{.Base}}/notifications/settings">{{.Manage}}</a></p>`))

type mailData struct {
	Hello, ItemsTitle, Footer, Manage, Base string
	Items                                   []Item
	Sections                                []hooks.DigestSection
}

// memberLang is the language a member reads email in.
func (m *Module) memberLang(member *core.Record) ui.Lang {
	if l, ok := ui.ParseLang(member.GetString("language")); ok {
		return l
	}
	return m.deps.UI.DefaultLang()
}

// send emails member one message in their language.
func (m *Module) send(member *core.Record, lang ui.Lang, subject string, data mailData) error {
	t := func(key string, args ...any) string { return m.deps.UI.Catalog.T(lang, key, args...) }
	data.Hello = t("notify.mail_hello", member.GetString("name"))
	data.ItemsTitle = t("notify.title")
	data.Footer = t("notify.mail_footer")
	data.Manage = t("notify.mail_manage")
	data.Base = strings.TrimRight(m.deps.PublicURL, "/")
	var body bytes.Buffer
	if err := mailBody.Execute(&body, data); err != nil {
		return err
	}
	s := m.n.app.Settings().Meta
	return m.n.app.NewMailClient().Send(&mailer.Message{
		From:    mail.Address{Name: s.SenderName, Address: s.SenderAddress},
		To:      []mail.Address{{Address: member.Email(), Name: member.GetString("name")}},
		Subject: subject,
		HTML:    body.String(),
	})
}

// SendImmediate emails every unread, not yet emailed notification of the
// members who want them at once, each in its own email. A notification is
// emailed once: a failure is logged, not retried. It returns how many were
// sent.
func (m *Module) SendImmediate() (int, error) {
	var rows []struct {
		ID     string `db:"id"`
		Member string `db:"member"`
	}
	// from the members who want emails at once (few, by their index) to
	// their unread notifications: the sender wakes on every notification,
	// and must not scan them all each time
	err := m.n.app.DB().NewQuery(`SELECT n.id, n.member FROM ` + Settings + ` s CROSS JOIN ` + Notifications + ` n ON n.member = s.member
		AND n.read = FALSE AND n.emailed = FALSE WHERE s.email = 'immediate' ORDER BY n.created LIMIT 500`).All(&rows)
	if err != nil {
		return 0, fmt.Errorf("notify: immediate: %w", err)
	}
	sent := 0
	for _, row := range rows {
		if _, err := m.n.app.DB().NewQuery("UPDATE " + Notifications + " SET emailed = TRUE WHERE id = {:id}").
			Bind(dbx.Params{"id": row.ID}).Execute(); err != nil {
			return sent, err
		}
		member, err := m.n.app.FindRecordById("users", row.Member)
		if errors.Is(err, sql.ErrNoRows) || err == nil && member.Email() == "" {
			continue
		} else if err != nil {
			return sent, err
		}
		rec, err := m.n.app.FindRecordById(Notifications, row.ID)
		if err != nil {
			continue
		}
		lang := m.memberLang(member)
		it := m.item(lang, rec)
		subject := m.deps.UI.Catalog.T(lang, "notify.mail_subject", m.deps.AppName, it.Line+" "+it.Subject)
		if err := m.send(member, lang, subject, mailData{Items: []Item{it}}); err != nil {
			m.n.app.Logger().Error("notify: immediate email", "member", member.Id, "error", err)
			continue
		}
		sent++
	}
	return sent, nil
}

// digestLimit is how many notifications a digest lists.
const digestLimit = 20

// SendDigests emails each member who asked for a daily (or, with weekly,
// a weekly) digest their unread notifications not yet emailed and what the
// modules add (hooks.Digest), in their language; a digest with nothing in
// it is not sent. A member gets at most one digest of each kind per period,
// however often it runs. It returns how many were sent.
func (m *Module) SendDigests(weekly bool) (int, error) {
	mode, period := EmailDaily, 20*time.Hour
	if weekly {
		mode, period = EmailWeekly, 6*24*time.Hour
	}
	subs, err := m.n.app.FindAllRecords(Settings, dbx.HashExp{"email": mode})
	if err != nil {
		return 0, err
	}
	now := m.deps.Now()
	sent := 0
	for _, sub := range subs {
		if last := sub.GetDateTime("last_digest"); !last.IsZero() && now.Sub(last.Time()) < period {
			continue
		}
		member, err := m.n.app.FindRecordById("users", sub.GetString("member"))
		if errors.Is(err, sql.ErrNoRows) || err == nil && member.Email() == "" {
			continue
		} else if err != nil {
			return sent, err
		}
		lang := m.memberLang(member)
		recs, err := m.n.app.FindRecordsByFilter(Notifications, "member = {:m} && read = false && emailed = false", "-created", digestLimit, 0,
			dbx.Params{"m": member.Id})
		if err != nil {
			return sent, err
		}
		data := mailData{}
		for _, r := range recs {
			data.Items = append(data.Items, m.item(lang, r))
		}
		de := &hooks.DigestEvent{App: m.n.app, Member: member, Lang: string(lang), Weekly: weekly}
		if err := m.deps.Events.Digest.Trigger(de); err != nil {
			return sent, err
		}
		data.Sections = de.Sections
		if len(data.Items) == 0 && len(data.Sections) == 0 {
			continue
		}
		subject := m.deps.UI.Catalog.T(lang, "notify.digest_subject_"+mode, m.deps.AppName)
		if err := m.send(member, lang, subject, data); err != nil {
			m.n.app.Logger().Error("notify: digest", "member", member.Id, "error", err)
			continue
		}
		// the digest shows the newest digestLimit; the older ones it
		// summarised away are done too, or they would come back next time
		if len(recs) > 0 {
			if _, err := m.n.app.DB().NewQuery("UPDATE " + Notifications + ` SET emailed = TRUE
				WHERE member = {:m} AND emailed = FALSE AND created <= {:newest}`).
				Bind(dbx.Params{"m": member.Id, "newest": recs[0].GetString("created")}).Execute(); err != nil {
				return sent, err
			}
		}
		if _, err := m.n.app.DB().NewQuery("UPDATE " + Settings + " SET last_digest = {:t} WHERE id = {:id}").
			Bind(dbx.Params{"t": now.UTC().Format(types.DefaultDateLayout), "id": sub.Id}).Execute(); err != nil {
			return sent, err
		}
		sent++
	}
	return sent, nil
}
