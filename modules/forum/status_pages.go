package forum

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/modules/internal/access"
	"github.com/canyu/canyu/ui"
)

// RoadmapPage is the data of /forum/roadmap.
type RoadmapPage struct {
	Planned, Progress, Shipped []TopicRow
}

func (m *Module) roadmap(e *core.RequestEvent) error {
	planned, progress, shipped, err := m.forum.Roadmap()
	if err != nil {
		return err
	}
	all := append(append(append([]*core.Record{}, planned...), progress...), shipped...)
	authors := authorsOf(e.App, all)
	rows := func(recs []*core.Record) []TopicRow {
		out := make([]TopicRow, len(recs))
		for i, r := range recs {
			out[i] = m.row(e, r, authors)
		}
		return out
	}
	return m.deps.UI.Render(e, http.StatusOK, "forum/roadmap", RoadmapPage{Planned: rows(planned), Progress: rows(progress), Shipped: rows(shipped)})
}

// NotificationsPage is the data of the notification center.
type NotificationsPage struct {
	Items  []NotificationView
	Digest bool // subscribed to the weekly email
	Unread int
}

// NotificationView is one notification.
type NotificationView struct {
	ID, Kind, Actor                     string
	TopicID, Title, StatusLabel, Reason string
	Release                             string // the release a need shipped in
	Unread                              bool
	Created                             time.Time
}

func (m *Module) notifications(e *core.RequestEvent) error {
	recs, err := e.App.FindRecordsByFilter(Notifications, "member = {:m}", "-created", 50, 0, dbx.Params{"m": e.Auth.Id})
	if err != nil {
		return err
	}
	ids := make([]string, len(recs))
	var actorIDs []string
	for i, r := range recs {
		ids[i] = r.GetString("topic")
		actorIDs = append(actorIDs, r.GetString("actor"))
	}
	actors := map[string]string{}
	if us, err := e.App.FindRecordsByIds("users", actorIDs); err == nil {
		for _, u := range us {
			actors[u.Id] = u.GetString("name")
		}
	}
	topics, _ := e.App.FindRecordsByIds(Topics, ids)
	titles := map[string]string{}
	for _, t := range topics {
		titles[t.Id] = t.GetString("title")
	}
	v := NotificationsPage{Digest: m.forum.Subscribed(e.Auth.Id)}
	for _, r := range recs {
		v.Items = append(v.Items, NotificationView{ID: r.Id, Kind: r.GetString("kind"), Actor: actors[r.GetString("actor")], TopicID: r.GetString("topic"), Title: titles[r.GetString("topic")],
			StatusLabel: m.deps.UI.T(e, "forum.status_"+r.GetString("status")), Reason: r.GetString("reason"), Release: r.GetString("release"),
			Unread: !r.GetBool("read"), Created: r.GetDateTime("created").Time()})
		if !r.GetBool("read") {
			v.Unread++
		}
	}
	// a GET never marks them read (an image pointing here would read every
	// viewer's notifications): opening one or "mark all read" does, by POST
	return m.deps.UI.Render(e, http.StatusOK, "forum/notifications", v)
}

// notificationsRead: POST /forum/notifications/read marks them all read.
func (m *Module) notificationsRead(e *core.RequestEvent) error {
	if err := m.forum.MarkRead(e.Auth.Id, ""); err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/forum/notifications")
}

// notificationOpen: POST /forum/notifications/{id}/open marks one read and
// opens its topic.
func (m *Module) notificationOpen(e *core.RequestEvent) error {
	n, err := e.App.FindFirstRecordByFilter(Notifications, "id = {:id} && member = {:m}", dbx.Params{"id": e.Request.PathValue("id"), "m": e.Auth.Id})
	if err != nil {
		return m.deps.UI.Error(e, http.StatusNotFound, "ui.err_not_found")
	}
	if err := m.forum.MarkRead(e.Auth.Id, n.Id); err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/forum/t/"+n.GetString("topic"))
}

func (m *Module) statusChange(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	c := StatusChange{Status: e.Request.FormValue("status"), Reason: e.Request.FormValue("reason"),
		Release: e.Request.FormValue("release"), ReleaseURL: e.Request.FormValue("release_url")}
	if err := m.forum.ChangeStatus(e.Auth, id, c); err != nil {
		p, ok := problems.Explain(err)
		if !ok {
			return err
		}
		v, verr := m.topicPage(e, id)
		if verr != nil {
			return problems.Show(verr)
		}
		v.StatusError = p.Key
		var fe FieldErrors
		if errors.As(err, &fe) {
			for _, f := range []string{"release_url", "release", "reason"} {
				if k, ok := fe[f]; ok {
					v.StatusError = k
				}
			}
		}
		v.StatusForm = c // what was typed stays in the form
		return m.deps.UI.Render(e, p.Status, "forum/topic", v)
	}
	return e.Redirect(http.StatusSeeOther, "/forum/t/"+id)
}

// apiStatus: POST /api/forum/topics/{id}/status {"status", "reason",
// "release", "release_url"} (staff and moderators).
func (m *Module) apiStatus(e *core.RequestEvent) error {
	var req struct {
		Status     string `json:"status"`
		Reason     string `json:"reason"`
		Release    string `json:"release"`
		ReleaseURL string `json:"release_url"`
	}
	if err := e.BindBody(&req); err != nil {
		return ui.BadBody(err)
	}
	c := StatusChange{Status: req.Status, Reason: req.Reason, Release: req.Release, ReleaseURL: req.ReleaseURL}
	if err := m.forum.ChangeStatus(e.Auth, e.Request.PathValue("id"), c); err != nil {
		return problems.Show(err)
	}
	t, err := m.forum.FindTopic(e.Request.PathValue("id"))
	if err != nil {
		return problems.Show(err)
	}
	return e.JSON(http.StatusOK, t)
}

// canModerate says whether the page's member may change statuses.
func canModerate(member *core.Record) bool {
	return access.HasRole(member, access.RoleStaff) || access.HasRole(member, access.RoleModerator)
}

// TemperaturePage is the data of /forum/temperature.
type TemperaturePage struct {
	Periods []Temperature
}

func (m *Module) temperature(e *core.RequestEvent) error {
	v := TemperaturePage{}
	for _, d := range []int{7, 30} {
		t, err := m.forum.Temperature(d)
		if err != nil {
			return err
		}
		v.Periods = append(v.Periods, t)
	}
	return m.deps.UI.Render(e, http.StatusOK, "forum/temperature", v)
}

// apiTemperature: GET /api/forum/temperature?days=7 (1 to 365).
func (m *Module) apiTemperature(e *core.RequestEvent) error {
	days, _ := strconv.Atoi(e.Request.URL.Query().Get("days"))
	if days < 1 || days > 365 {
		days = 7
	}
	t, err := m.forum.Temperature(days)
	if err != nil {
		return problems.Show(err)
	}
	return e.JSON(http.StatusOK, t)
}
