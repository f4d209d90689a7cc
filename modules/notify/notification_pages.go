package notify

import (
	"net/http"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/hooks"
	"github.com/canyu/canyu/ui"
)

// Item is one notification as members read it.
type Item struct {
	ID      string    `json:"id"`
	Kind    string    `json:"kind"`
	Line    string    `json:"line"`
	Subject string    `json:"subject"`
	Link    string    `json:"link"`
	Detail  string    `json:"detail,omitempty"`
	Unread  bool      `json:"unread"`
	Created time.Time `json:"created"`
}

// item renders a notification's line in lang: its message with each
// argument, a catalog key translated into lang.
func (m *Module) item(lang ui.Lang, r *core.Record) Item {
	var args []hooks.Arg
	_ = r.UnmarshalJSONField("args", &args)
	vals := make([]any, len(args))
	for i, a := range args {
		vals[i] = a.Text
		if a.Key != "" {
			vals[i] = m.deps.UI.Catalog.T(lang, a.Key)
		}
	}
	return Item{ID: r.Id, Kind: r.GetString("kind"), Line: m.deps.UI.Catalog.T(lang, r.GetString("message"), vals...),
		Subject: r.GetString("subject"), Link: r.GetString("link"), Detail: r.GetString("detail"),
		Unread: !r.GetBool("read"), Created: r.GetDateTime("created").Time()}
}

// CenterPage is the data of the notification center.
type CenterPage struct {
	Items  []Item
	Unread int
	Email  string // the member's email mode
}

func (m *Module) items(e *core.RequestEvent) ([]Item, int, error) {
	recs, err := m.n.List(e.Auth.Id, 50)
	if err != nil {
		return nil, 0, err
	}
	lang := m.deps.UI.Lang(e)
	items := make([]Item, len(recs))
	unread := 0
	for i, r := range recs {
		items[i] = m.item(lang, r)
		if items[i].Unread {
			unread++
		}
	}
	return items, unread, nil
}

// center: GET /notifications. Looking is not reading: a GET marks nothing
// (an image pointing here must not read a member's notifications); opening
// one, or "mark all as read", does, by POST.
func (m *Module) center(e *core.RequestEvent) error {
	items, unread, err := m.items(e)
	if err != nil {
		return err
	}
	prefs, err := m.n.Prefs(e.Auth.Id)
	if err != nil {
		return err
	}
	return m.deps.UI.Render(e, http.StatusOK, "notify/center", CenterPage{Items: items, Unread: unread, Email: prefs.Email})
}

// readAll: POST /notifications/read.
func (m *Module) readAll(e *core.RequestEvent) error {
	if err := m.n.MarkRead(e.Auth.Id, ""); err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/notifications")
}

// open: POST /notifications/{id}/open marks one read and opens it.
func (m *Module) open(e *core.RequestEvent) error {
	r, err := m.n.Find(e.Auth.Id, e.Request.PathValue("id"))
	if err != nil {
		return problems.Show(err)
	}
	if err := m.n.MarkRead(e.Auth.Id, r.Id); err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, ui.SafeNext(r.GetString("link")))
}

func (m *Module) moved(e *core.RequestEvent) error {
	return e.Redirect(http.StatusMovedPermanently, "/notifications")
}

// SettingsPage is the data of the notification settings.
type SettingsPage struct {
	Kinds []KindView
	Email string
	Modes []string
	Error string
}

// KindView is one kind of notification with whether it is on.
type KindView struct {
	Key, Label string
	On         bool
}

func (m *Module) settingsPage(prefs Preferences) SettingsPage {
	v := SettingsPage{Email: prefs.Email, Modes: EmailModes}
	for _, k := range m.deps.Events.NotificationKinds() {
		on := true
		for _, muted := range prefs.Muted {
			if muted == k.Key {
				on = false
			}
		}
		v.Kinds = append(v.Kinds, KindView{Key: k.Key, Label: k.Label, On: on})
	}
	return v
}

func (m *Module) settingsForm(e *core.RequestEvent) error {
	prefs, err := m.n.Prefs(e.Auth.Id)
	if err != nil {
		return err
	}
	return m.deps.UI.Render(e, http.StatusOK, "notify/settings", m.settingsPage(prefs))
}

// settingsSave: the form sends one checkbox "on" per kind the member wants,
// and the email mode.
func (m *Module) settingsSave(e *core.RequestEvent) error {
	if err := e.Request.ParseForm(); err != nil {
		return ui.BadBody(err)
	}
	on := e.Request.Form["on"]
	prefs := Preferences{Email: e.Request.FormValue("email")}
	for _, k := range m.deps.Events.NotificationKinds() {
		wanted := false
		for _, o := range on {
			wanted = wanted || o == k.Key
		}
		if !wanted {
			prefs.Muted = append(prefs.Muted, k.Key)
		}
	}
	if err := m.n.SetPrefs(e.Auth.Id, prefs); err != nil {
		p, ok := problems.Explain(err)
		if !ok {
			return err
		}
		v := m.settingsPage(prefs)
		v.Error = p.Key
		return m.deps.UI.Render(e, p.Status, "notify/settings", v)
	}
	m.deps.UI.Flash(e, "notify.saved")
	return e.Redirect(http.StatusSeeOther, "/notifications/settings")
}

// apiList: GET /api/notify/notifications, the member's newest 50 with
// their lines in the member's language.
func (m *Module) apiList(e *core.RequestEvent) error {
	items, unread, err := m.items(e)
	if err != nil {
		return err
	}
	return e.JSON(http.StatusOK, map[string]any{"items": items, "unread": unread})
}

// apiRead: POST /api/notify/read {"id": "..."} marks one read, or all
// without an id.
func (m *Module) apiRead(e *core.RequestEvent) error {
	var body struct {
		ID string `json:"id"`
	}
	if err := e.BindBody(&body); err != nil {
		return ui.BadBody(err)
	}
	if body.ID != "" {
		if _, err := m.n.Find(e.Auth.Id, body.ID); err != nil {
			return problems.Show(err)
		}
	}
	if err := m.n.MarkRead(e.Auth.Id, body.ID); err != nil {
		return err
	}
	return e.JSON(http.StatusOK, map[string]any{"unread": m.n.Unread(e.Auth.Id)})
}

// apiSettings: GET /api/notify/settings.
func (m *Module) apiSettings(e *core.RequestEvent) error {
	prefs, err := m.n.Prefs(e.Auth.Id)
	if err != nil {
		return err
	}
	return e.JSON(http.StatusOK, settingsJSON(m.deps.Events.NotificationKinds(), prefs))
}

// apiSettingsSave: POST /api/notify/settings {"muted": [...], "email": "..."}.
func (m *Module) apiSettingsSave(e *core.RequestEvent) error {
	var body struct {
		Muted []string `json:"muted"`
		Email string   `json:"email"`
	}
	if err := e.BindBody(&body); err != nil {
		return ui.BadBody(err)
	}
	prefs := Preferences{Muted: body.Muted, Email: body.Email}
	if err := m.n.SetPrefs(e.Auth.Id, prefs); err != nil {
		return problems.Show(err)
	}
	prefs, err := m.n.Prefs(e.Auth.Id)
	if err != nil {
		return err
	}
	return e.JSON(http.StatusOK, settingsJSON(m.deps.Events.NotificationKinds(), prefs))
}

func settingsJSON(kinds []hooks.NotificationKind, p Preferences) map[string]any {
	keys := make([]string, len(kinds))
	for i, k := range kinds {
		keys[i] = k.Key
	}
	muted := p.Muted
	if muted == nil {
		muted = []string{}
	}
	return map[string]any{"kinds": keys, "muted": muted, "email": p.Email, "email_modes": EmailModes}
}
