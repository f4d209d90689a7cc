package forum

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/mail"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/mailer"
	"github.com/pocketbase/pocketbase/tools/types"

	"github.com/canyu/canyu/ui"
)

// Digest is the collection of members subscribed to the weekly email.
const Digest = "forum_digest"

// Subscribed reports whether member gets the weekly digest.
func (f *Forum) Subscribed(memberID string) bool {
	_, err := f.app.FindFirstRecordByData(Digest, "member", memberID)
	return err == nil
}

// SetDigest subscribes member to the weekly digest, or unsubscribes them.
func (f *Forum) SetDigest(memberID string, on bool) error {
	if !on {
		_, err := f.app.DB().NewQuery("DELETE FROM " + Digest + " WHERE member = {:m}").Bind(dbx.Params{"m": memberID}).Execute()
		return err
	}
	_, err := f.app.DB().NewQuery("INSERT INTO " + Digest + " (id, member, last_sent, created) VALUES ({:id}, {:m}, '', {:now}) ON CONFLICT DO NOTHING").
		Bind(dbx.Params{"id": core.GenerateDefaultRandomId(), "m": memberID, "now": f.now().UTC().Format(types.DefaultDateLayout)}).Execute()
	return err
}

// digestMail is the text of one digest, rendered by html/template (member
// text is escaped; nothing in it is trusted HTML).
var digestMail = template.Must(template.New("digest").Parse(`<p>{{.Hello}}</p>
{{if .Unread}}<p><strong>{{.UnreadLine}}</strong> <a href="{{.Base}}/forum/notifications">{{.Open}}</a></p>{{end}}
<p><strong>{{.HotTitle}}</strong></p>
<ol>{{range .Hot}}<li><a href="{{$.Base}}/forum/t/{{.ID}}">{{.Title}}</a> (+{{.MeToo}})</li>{{end}}</ol>
<p style="color:#888">{{.Footer}} <a href="{{.Base}}/forum/notifications">{{.Manage}}</a></p>`))

// SendDigests emails every subscriber the week's hot needs and their unread
// count, at most once per 6 days each, in their language. The cron runs it on
// Mondays; tests call it directly. It returns how many were sent.
func (f *Forum) SendDigests(catalog *ui.Catalog, appName, baseURL string) (int, error) {
	subs, err := f.app.FindAllRecords(Digest)
	if err != nil {
		return 0, err
	}
	hot, err := f.Hot([]string{KindRequest, KindBug}, 5)
	if err != nil {
		return 0, err
	}
	type row struct {
		ID, Title string
		MeToo     int
	}
	rows := make([]row, len(hot))
	for i, h := range hot {
		rows[i] = row{h.Topic.Id, h.Topic.GetString("title"), h.Topic.GetInt("metoo_count")}
	}
	s := f.app.Settings().Meta
	sent := 0
	for _, sub := range subs {
		if last := sub.GetDateTime("last_sent"); !last.IsZero() && f.now().Sub(last.Time()) < 6*24*time.Hour {
			continue
		}
		member, err := f.app.FindRecordById("users", sub.GetString("member"))
		if errors.Is(err, sql.ErrNoRows) || err == nil && member.Email() == "" {
			continue
		} else if err != nil {
			return sent, err
		}
		lang, ok := ui.ParseLang(member.GetString("language"))
		if !ok {
			lang = ui.English
		}
		t := func(key string, args ...any) string { return catalog.T(lang, key, args...) }
		unread := f.Unread(member.Id)
		var body bytes.Buffer
		err = digestMail.Execute(&body, map[string]any{
			"Hello": t("forum.digest_hello", member.GetString("name")), "Unread": unread, "UnreadLine": t("forum.digest_unread", unread),
			"Open": t("forum.notifications"), "HotTitle": t("forum.hot_title"), "Hot": rows, "Base": strings.TrimRight(baseURL, "/"),
			"Footer": t("forum.digest_footer"), "Manage": t("forum.digest_manage"),
		})
		if err != nil {
			return sent, err
		}
		msg := &mailer.Message{
			From:    mail.Address{Name: s.SenderName, Address: s.SenderAddress},
			To:      []mail.Address{{Address: member.Email(), Name: member.GetString("name")}},
			Subject: t("forum.digest_subject", appName),
			HTML:    body.String(),
		}
		if err := f.app.NewMailClient().Send(msg); err != nil {
			f.app.Logger().Error("forum: digest", "member", member.Id, "error", err)
			continue
		}
		sub.Set("last_sent", f.now().UTC())
		if err := f.app.Save(sub); err != nil {
			return sent, fmt.Errorf("forum: digest: %w", err)
		}
		sent++
	}
	return sent, nil
}

func (m *Module) digestToggle(e *core.RequestEvent) error {
	on := e.Request.FormValue("on") == "1"
	if err := m.forum.SetDigest(e.Auth.Id, on); err != nil {
		return err
	}
	if on {
		m.deps.UI.Flash(e, "forum.digest_on")
	} else {
		m.deps.UI.Flash(e, "forum.digest_off")
	}
	return e.Redirect(http.StatusSeeOther, "/forum/notifications")
}
