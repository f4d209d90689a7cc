package releases

import (
	"net/http"

	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/ui"
)

// apiTally: GET /api/releases/{id}/tally, the Popcorn ballots counted.
func (m *Module) apiTally(e *core.RequestEvent) error {
	rec, err := m.r.Find(e.Auth, e.Request.PathValue("id"))
	if err != nil || rec.GetString("status") != "published" {
		return problems.Show(ErrNotFound)
	}
	t, err := m.r.Tally(rec.Id)
	if err != nil {
		return err
	}
	out := t.Live()
	out["votes_close"] = rec.GetDateTime("votes_close").Time().UTC()
	return e.JSON(http.StatusOK, out)
}

// apiUpgrade: POST /api/releases/{id}/upgraded.
func (m *Module) apiUpgrade(e *core.RequestEvent) error {
	n, err := m.r.Upgrade(e.Auth, e.Request.PathValue("id"))
	if err != nil {
		return problems.Show(err)
	}
	return e.JSON(http.StatusOK, map[string]any{"upgraded": true, "count": n})
}

// apiBallot: POST /api/releases/{id}/ballot {"mood": 1-5, "loved": item,
// "weakest": item, "next_text": "...", "next_topic": topic id or link}.
func (m *Module) apiBallot(e *core.RequestEvent) error {
	var body struct {
		Mood      int    `json:"mood"`
		Loved     string `json:"loved"`
		Weakest   string `json:"weakest"`
		NextText  string `json:"next_text"`
		NextTopic string `json:"next_topic"`
	}
	if err := e.BindBody(&body); err != nil {
		return ui.BadBody(err)
	}
	id := e.Request.PathValue("id")
	v, err := m.r.Vote(e.Auth, id, BallotIn{Mood: body.Mood, Loved: body.Loved, Weakest: body.Weakest, NextText: body.NextText, NextTopicLink: body.NextTopic})
	if err != nil {
		return problems.Show(err)
	}
	status := http.StatusOK
	if v.First {
		status = http.StatusCreated
	}
	return e.JSON(status, map[string]any{"first": v.First, "tally": v.Tally.Live()})
}

// apiReport: POST /api/releases/{id}/reports {"text"}, a tester's report.
func (m *Module) apiReport(e *core.RequestEvent) error {
	var body struct {
		Text string `json:"text"`
	}
	if err := e.BindBody(&body); err != nil {
		return ui.BadBody(err)
	}
	if err := m.r.Report(e.Auth, e.Request.PathValue("id"), body.Text); err != nil {
		return problems.Show(err)
	}
	return e.JSON(http.StatusCreated, map[string]any{"reported": true})
}

// apiApply: POST /api/releases/testers/apply {"product": slug, "device", "usage"}.
func (m *Module) apiApply(e *core.RequestEvent) error {
	var body struct {
		Product, Device, Usage string
	}
	if err := e.BindBody(&body); err != nil {
		return ui.BadBody(err)
	}
	pv, _, err := m.productBySlug(e, body.Product)
	if err != nil || body.Product == "" {
		return problems.Show(ErrNoProduct)
	}
	if err := m.r.Apply(e.Auth, pv.ID, body.Device, body.Usage); err != nil {
		return problems.Show(err)
	}
	return e.JSON(http.StatusCreated, map[string]any{"status": "applied"})
}
