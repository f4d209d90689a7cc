package forum

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/ui"
)

// apiHot: GET /api/forum/hot?kind=request,bug&limit=20.
func (m *Module) apiHot(e *core.RequestEvent) error {
	var kinds []string
	if k := e.Request.URL.Query().Get("kind"); k != "" {
		kinds = strings.Split(k, ",")
	}
	limit, _ := strconv.Atoi(e.Request.URL.Query().Get("limit"))
	if limit <= 0 || limit > 100 {
		limit = 20
	}
	hot, err := m.forum.Hot(kinds, limit)
	if err != nil {
		return problems.Show(err)
	}
	out := make([]map[string]any, len(hot))
	for i, h := range hot {
		t := h.Topic
		out[i] = map[string]any{"id": t.Id, "title": t.GetString("title"), "kind": t.GetString("kind"), "status": t.GetString("status"),
			"metoo": t.GetInt("metoo_count"), "replies": t.GetInt("reply_count"), "score": h.Score}
	}
	return e.JSON(http.StatusOK, map[string]any{"items": out, "formula": "sum over the last 7 days of 0.5^(age_hours/48) per me-too, and 0.5 times that per reply"})
}

type topicRequest struct {
	Board  string            `json:"board"`
	Kind   string            `json:"kind"`
	Title  string            `json:"title"`
	Body   string            `json:"body"`
	Fields map[string]string `json:"fields"`
	Area   string            `json:"area"`
	Poll   *struct {
		Options  []string  `json:"options"`
		Multiple bool      `json:"multiple"`
		Closes   time.Time `json:"closes"`
	} `json:"poll"`
}

// apiCreateTopic: POST /api/forum/topics.
func (m *Module) apiCreateTopic(e *core.RequestEvent) error {
	var req topicRequest
	if err := e.BindBody(&req); err != nil {
		return ui.BadBody(err)
	}
	in := NewTopic{Board: req.Board, Kind: req.Kind, Title: req.Title, Body: req.Body, Fields: req.Fields, Area: req.Area}
	if req.Poll != nil {
		in.Poll = &PollSpec{Options: req.Poll.Options, Multiple: req.Poll.Multiple, Closes: req.Poll.Closes}
	}
	t, err := m.forum.CreateTopic(e.Auth, in)
	if err != nil {
		return problems.Show(err)
	}
	return e.JSON(http.StatusCreated, t)
}

// apiReply: POST /api/forum/topics/{id}/posts {"body": "..."}.
func (m *Module) apiReply(e *core.RequestEvent) error {
	var req struct {
		Body string `json:"body" form:"body"`
	}
	if err := e.BindBody(&req); err != nil {
		return ui.BadBody(err)
	}
	images, err := uploadedImages(e) // multipart/form-data: body and up to four images
	if err != nil {
		return problems.Show(err)
	}
	p, err := m.forum.Reply(e.Auth, e.Request.PathValue("id"), req.Body, images...)
	if err != nil {
		return problems.Show(err)
	}
	return e.JSON(http.StatusCreated, p)
}

// apiMeToo: POST (on) and DELETE (off) /api/forum/topics/{id}/metoo answer
// the new count.
func (m *Module) apiMeToo(on bool) func(*core.RequestEvent) error {
	return func(e *core.RequestEvent) error {
		n, err := m.forum.MeToo(e.Auth, e.Request.PathValue("id"), on)
		if err != nil {
			return problems.Show(err)
		}
		return e.JSON(http.StatusOK, map[string]any{"count": n, "metoo": on})
	}
}

// apiSearch: GET /api/forum/search?q=...&kind=request,bug, and
// GET /api/forum/similar?q=... (requests and bugs, titles and texts only:
// the suggestions shown while a member types a new need).
func (m *Module) apiSearch(similar bool) func(*core.RequestEvent) error {
	return func(e *core.RequestEvent) error {
		q := e.Request.URL.Query().Get("q")
		if len(q) > 200 {
			q = q[:200]
		}
		var kinds []string
		if similar {
			kinds = []string{KindRequest, KindBug}
		} else if k := e.Request.URL.Query().Get("kind"); k != "" {
			kinds = strings.Split(k, ",")
		}
		limit := 20
		if similar {
			limit = 5
		}
		hits, err := m.forum.Search(q, kinds, similar, limit)
		if err != nil {
			return problems.Show(err)
		}
		out := make([]map[string]any, len(hits))
		for i, h := range hits {
			t := h.Topic
			out[i] = map[string]any{"id": t.Id, "title": t.GetString("title"), "kind": t.GetString("kind"), "status": t.GetString("status"),
				"metoo": t.GetInt("metoo_count"), "replies": t.GetInt("reply_count"), "snippet": h.Snippet, "url": "/forum/t/" + t.Id}
		}
		return e.JSON(http.StatusOK, map[string]any{"items": out})
	}
}

// apiVote: POST /api/forum/topics/{id}/ballot {"choices": [0, 2]} answers
// the tally.
func (m *Module) apiVote(e *core.RequestEvent) error {
	var req struct {
		Choices []int `json:"choices"`
	}
	if err := e.BindBody(&req); err != nil {
		return ui.BadBody(err)
	}
	r, err := m.forum.Vote(e.Auth, e.Request.PathValue("id"), req.Choices)
	if err != nil {
		return problems.Show(err)
	}
	return e.JSON(http.StatusOK, map[string]any{"options": r.Options, "counts": r.Counts, "voters": r.Voters, "mine": r.Mine})
}
