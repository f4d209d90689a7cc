package forum

import (
	"errors"
	"html/template"
	"net/http"
	"time"

	"github.com/pocketbase/pocketbase/core"
)

// ReactionView is one reaction under a reply.
type ReactionView struct {
	Key, Emoji string
	Count      int
}

// EditPage is the form to edit a reply.
type EditPage struct {
	PostID, TopicID, TopicTitle, Body, Error string
}

// HistoryPage shows a reply's earlier versions.
type HistoryPage struct {
	PostID, TopicID, TopicTitle string
	Current                     template.HTML
	Versions                    []HistoryVersion
}

// HistoryVersion is an earlier version, rendered.
type HistoryVersion struct {
	Body   template.HTML
	Editor string
	When   time.Time
}

func reactionViews(counts map[string]int) []ReactionView {
	out := make([]ReactionView, len(ReactionKeys))
	for i, k := range ReactionKeys {
		out[i] = ReactionView{Key: k, Emoji: ReactionEmoji[k], Count: counts[k]}
	}
	return out
}

func (m *Module) editForm(e *core.RequestEvent) error {
	p, err := m.forum.FindPost(e.Request.PathValue("id"))
	if err != nil {
		return problems.Show(err)
	}
	if p.GetString("author") != e.Auth.Id && !canModerate(e.Auth) {
		return problems.Show(ErrNotYours)
	}
	return m.renderEdit(e, http.StatusOK, p, p.GetString("body"), "")
}

func (m *Module) renderEdit(e *core.RequestEvent, status int, p *core.Record, body, errKey string) error {
	page := EditPage{PostID: p.Id, TopicID: p.GetString("topic"), Body: body, Error: errKey}
	if t, err := m.forum.FindTopic(page.TopicID); err == nil {
		page.TopicTitle = t.GetString("title")
	}
	return m.deps.UI.Render(e, status, "forum/edit", page)
}

func (m *Module) edit(e *core.RequestEvent) error {
	body := e.Request.FormValue("body")
	p, err := m.forum.EditPost(e.Auth, e.Request.PathValue("id"), body)
	if err != nil {
		var fe FieldErrors
		if errors.As(err, &fe) {
			post, ferr := m.forum.FindPost(e.Request.PathValue("id"))
			if ferr != nil {
				return problems.Show(ferr)
			}
			return m.renderEdit(e, http.StatusBadRequest, post, body, fe["body"]) // nothing typed is lost
		}
		return problems.Show(err)
	}
	return e.Redirect(http.StatusSeeOther, "/forum/t/"+p.GetString("topic")+"#p-"+p.Id)
}

func (m *Module) history(e *core.RequestEvent) error {
	p, err := m.forum.FindPost(e.Request.PathValue("id"))
	if err != nil {
		return problems.Show(err)
	}
	versions, err := m.forum.History(p.Id)
	if err != nil {
		return err
	}
	page := HistoryPage{PostID: p.Id, TopicID: p.GetString("topic"), Current: m.md.Render(p.GetString("body"))}
	if t, err := m.forum.FindTopic(page.TopicID); err == nil {
		page.TopicTitle = t.GetString("title")
	}
	for _, v := range versions {
		page.Versions = append(page.Versions, HistoryVersion{Body: m.md.Render(v.Body), Editor: v.Editor, When: v.When})
	}
	return m.deps.UI.Render(e, http.StatusOK, "forum/history", page)
}

// reactForm toggles the member's reaction (the buttons under a reply).
func (m *Module) reactForm(e *core.RequestEvent) error {
	id, key := e.Request.PathValue("id"), e.Request.FormValue("emoji")
	p, err := m.forum.FindPost(id)
	if err != nil {
		return problems.Show(err)
	}
	if _, err := m.forum.React(e.Auth, id, key, !m.forum.HasReacted(e.Auth, id, key)); err != nil {
		return problems.Show(err)
	}
	return e.Redirect(http.StatusSeeOther, "/forum/t/"+p.GetString("topic")+"#p-"+id)
}

func (m *Module) apiReact(on bool) func(e *core.RequestEvent) error {
	return func(e *core.RequestEvent) error {
		counts, err := m.forum.React(e.Auth, e.Request.PathValue("id"), e.Request.PathValue("emoji"), on)
		if err != nil {
			return problems.Show(err)
		}
		return e.JSON(http.StatusOK, map[string]any{"reactions": counts})
	}
}
