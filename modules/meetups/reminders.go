package meetups

import (
	"bytes"
	"fmt"
	"html/template"
	"net/mail"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/tools/mailer"
	"github.com/pocketbase/pocketbase/tools/types"

	"github.com/canyu/canyu/ui"
)

var reminderBody = template.Must(template.New("reminder").Parse(`<p>{{.Hello}}</p>
<p><strong>{{.Title}}</strong><br>{{.When}}<br>{{.Where}}</p>
<p><a href="{{.Ticket}}">{{.TicketLabel}}</a> · <a href="{{.Page}}">{{.PageLabel}}</a></p>
<p>{{.Cancel}}</p>
<p>{{.App}}</p>`))

// SendReminders emails every member going to an event that starts within
// ReminderBefore, once, in their language, with the time in the event's
// zone and a link to their ticket. It returns how many were sent.
func (m *Meetups) SendReminders(catalog *ui.Catalog, fallback ui.Lang, appName, base string) (int, error) {
	now := m.now()
	evs, err := m.app.FindRecordsByFilter(Events, "status = 'published' && starts > {:now} && starts <= {:until}", "starts", 200, 0,
		dbx.Params{"now": now.UTC().Format(types.DefaultDateLayout), "until": now.Add(m.cfg.ReminderBefore).UTC().Format(types.DefaultDateLayout)})
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, ev := range evs {
		var due []struct {
			ID     string `db:"id"`
			Member string `db:"member"`
		}
		if err := m.app.DB().NewQuery("SELECT id, member FROM " + RSVPs + " WHERE event = {:e} AND status = 'going' AND reminded = FALSE").
			Bind(dbx.Params{"e": ev.Id}).All(&due); err != nil {
			return sent, err
		}
		loc := m.location(ev)
		for _, d := range due {
			// marked first: a reminder goes out at most once, even if the mail fails
			res, err := m.app.DB().NewQuery("UPDATE " + RSVPs + " SET reminded = TRUE WHERE id = {:id} AND reminded = FALSE").Bind(dbx.Params{"id": d.ID}).Execute()
			if err != nil {
				return sent, err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				continue
			}
			member, err := m.app.FindRecordById("users", d.Member)
			if err != nil || member.Email() == "" {
				continue
			}
			lang := ui.Lang(member.GetString("language"))
			if lang != ui.English && lang != ui.Chinese {
				lang = fallback
			}
			t := func(key string, args ...any) string { return catalog.T(lang, key, args...) }
			starts := ev.GetDateTime("starts").Time().In(loc)
			when := starts.Format("Mon 2 Jan 2006, 15:04") + " (" + loc.String() + ")"
			if lang == ui.Chinese {
				when = starts.Format("2006年1月2日 15:04") + "（" + loc.String() + "）"
			}
			where := ev.GetString("venue")
			if a := ev.GetString("address"); a != "" {
				where += ", " + a
			}
			if where == "" {
				where = ev.GetString("online_url")
			}
			var body bytes.Buffer
			if err := reminderBody.Execute(&body, map[string]string{"Hello": t("meetups.mail_hello", member.GetString("name")), "Title": ev.GetString("title"),
				"When": when, "Where": where, "Ticket": base + "/meetups/" + ev.Id + "/ticket", "TicketLabel": t("meetups.mail_ticket"),
				"Page": base + "/meetups/" + ev.Id, "PageLabel": t("meetups.mail_page"), "Cancel": t("meetups.mail_cancel"), "App": appName}); err != nil {
				return sent, err
			}
			s := m.app.Settings().Meta
			err = m.app.NewMailClient().Send(&mailer.Message{
				From:    mail.Address{Name: s.SenderName, Address: s.SenderAddress},
				To:      []mail.Address{{Address: member.Email(), Name: member.GetString("name")}},
				Subject: t("meetups.mail_subject", ev.GetString("title")),
				HTML:    body.String(),
			})
			if err != nil {
				m.app.Logger().Error("meetups: reminder", "member", member.Id, "event", ev.Id, "error", fmt.Sprint(err))
				continue
			}
			sent++
		}
	}
	return sent, nil
}
