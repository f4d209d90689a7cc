package forum

import (
	"errors"
	"net/http"
	"strconv"

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
