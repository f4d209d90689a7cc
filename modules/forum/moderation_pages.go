package forum

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/ui"
)

func (m *Module) report(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	if err := m.forum.Report(e.Auth, id, e.Request.FormValue("post"), e.Request.FormValue("reason")); err != nil {
		if errors.Is(err, ErrAlreadyReported) {
			m.deps.UI.Flash(e, "forum.err_reported")
			return e.Redirect(http.StatusSeeOther, "/forum/t/"+id)
		}
		return problems.Show(err)
	}
	m.deps.UI.Flash(e, "forum.reported")
	return e.Redirect(http.StatusSeeOther, "/forum/t/"+id)
}

func (m *Module) moderate(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	if err := m.forum.Moderate(e.Auth, e.Request.FormValue("action"), id, e.Request.FormValue("post"), e.Request.FormValue("note")); err != nil {
		return problems.Show(err)
	}
	m.deps.UI.Flash(e, "forum.moderated")
	if e.Request.FormValue("back") == "queue" {
		return e.Redirect(http.StatusSeeOther, "/forum/moderation")
	}
	return e.Redirect(http.StatusSeeOther, "/forum/t/"+id)
}

// QueuePage is the data of the moderation queue.
type QueuePage struct {
	Reports []ReportView
	Audit   []AuditView
}

// ReportView is an open report.
type ReportView struct {
	TopicID, TopicTitle, PostID, Reason, Reporter string
	Created                                       time.Time
}

// AuditView is one line of the audit log.
type AuditView struct {
	Actor, Action, TopicID, Note string
	Created                      time.Time
}

func (m *Module) moderationQueue(e *core.RequestEvent) error {
	reports, err := e.App.FindRecordsByFilter(Reports, "status = 'open'", "created", 200, 0)
	if err != nil {
		return err
	}
	audit, err := e.App.FindRecordsByFilter(Audit, "", "-created", 30, 0)
	if err != nil {
		return err
	}
	var topicIDs, userIDs []string
	for _, r := range reports {
		topicIDs = append(topicIDs, r.GetString("topic"))
		userIDs = append(userIDs, r.GetString("reporter"))
	}
	for _, a := range audit {
		userIDs = append(userIDs, a.GetString("actor"))
	}
	titles, names := map[string]string{}, map[string]string{}
	if ts, err := e.App.FindRecordsByIds(Topics, topicIDs); err == nil {
		for _, t := range ts {
			titles[t.Id] = t.GetString("title")
		}
	}
	if us, err := e.App.FindRecordsByIds("users", userIDs); err == nil {
		for _, u := range us {
			names[u.Id] = u.GetString("name")
		}
	}
	v := QueuePage{}
	for _, r := range reports {
		v.Reports = append(v.Reports, ReportView{TopicID: r.GetString("topic"), TopicTitle: titles[r.GetString("topic")], PostID: r.GetString("post"),
			Reason: r.GetString("reason"), Reporter: names[r.GetString("reporter")], Created: r.GetDateTime("created").Time()})
	}
	for _, a := range audit {
		v.Audit = append(v.Audit, AuditView{Actor: names[a.GetString("actor")], Action: a.GetString("action"), TopicID: a.GetString("topic"),
			Note: a.GetString("note"), Created: a.GetDateTime("created").Time()})
	}
	return m.deps.UI.Render(e, http.StatusOK, "forum/moderation", v)
}

// apiReport: POST /api/forum/topics/{id}/report {"post", "reason"}.
func (m *Module) apiReport(e *core.RequestEvent) error {
	var req struct {
		Post   string `json:"post"`
		Reason string `json:"reason"`
	}
	if err := e.BindBody(&req); err != nil {
		return ui.BadBody(err)
	}
	if err := m.forum.Report(e.Auth, e.Request.PathValue("id"), req.Post, req.Reason); err != nil {
		return problems.Show(err)
	}
	return e.NoContent(http.StatusCreated)
}

// apiModerate: POST /api/forum/topics/{id}/moderate {"action", "post", "note"}.
func (m *Module) apiModerate(e *core.RequestEvent) error {
	var req struct {
		Action string `json:"action"`
		Post   string `json:"post"`
		Note   string `json:"note"`
	}
	if err := e.BindBody(&req); err != nil {
		return ui.BadBody(err)
	}
	if err := m.forum.Moderate(e.Auth, req.Action, e.Request.PathValue("id"), req.Post, req.Note); err != nil {
		return problems.Show(err)
	}
	return e.NoContent(http.StatusNoContent)
}

// mergeTarget accepts a topic id or a topic's URL.
func mergeTarget(v string) string {
	v = strings.TrimSpace(strings.TrimRight(v, "/"))
	if i := strings.LastIndex(v, "/forum/t/"); i >= 0 {
		v = v[i+len("/forum/t/"):]
	}
	v, _, _ = strings.Cut(v, "#")
	return v
}

func (m *Module) merge(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	if _, err := m.forum.Merge(e.Auth, id, mergeTarget(e.Request.FormValue("into"))); err != nil {
		return problems.Show(err)
	}
	m.deps.UI.Flash(e, "forum.merged")
	return e.Redirect(http.StatusSeeOther, "/forum/t/"+id)
}

// apiMerge: POST /api/forum/topics/{id}/merge {"into": "<original id>"}
// answers the original's new count.
func (m *Module) apiMerge(e *core.RequestEvent) error {
	var req struct {
		Into string `json:"into"`
	}
	if err := e.BindBody(&req); err != nil {
		return ui.BadBody(err)
	}
	n, err := m.forum.Merge(e.Auth, e.Request.PathValue("id"), mergeTarget(req.Into))
	if err != nil {
		return problems.Show(err)
	}
	return e.JSON(http.StatusOK, map[string]any{"into": mergeTarget(req.Into), "count": n})
}
