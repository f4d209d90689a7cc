package social

import (
	"net/http"
	"strconv"

	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/ui"
)

// apiFeed: GET /api/social/feed, what the members the caller follows did.
func (mod *Module) apiFeed(e *core.RequestEvent) error {
	items, err := mod.s.FeedOf(e.Auth.Id, 100)
	if err != nil {
		return err
	}
	if items == nil {
		items = []Item{}
	}
	return e.JSON(http.StatusOK, map[string]any{"items": items})
}

// apiFollow: POST (follow) or DELETE (unfollow) /api/social/follow/{id}.
func (mod *Module) apiFollow(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	var err error
	if e.Request.Method == http.MethodDelete {
		err = mod.s.Unfollow(e.Auth, id)
	} else {
		err = mod.s.Follow(e.Auth, id)
	}
	if err != nil {
		return problems.Show(err)
	}
	followers, _ := mod.s.Counts(id)
	return e.JSON(http.StatusOK, map[string]any{"following": e.Request.Method != http.MethodDelete, "followers": followers})
}

// apiBlock: POST (block) or DELETE (unblock) /api/social/block/{id}.
func (mod *Module) apiBlock(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	var err error
	if e.Request.Method == http.MethodDelete {
		err = mod.s.Unblock(e.Auth, id)
	} else {
		err = mod.s.Block(e.Auth, id)
	}
	if err != nil {
		return problems.Show(err)
	}
	return e.JSON(http.StatusOK, map[string]any{"blocked": e.Request.Method != http.MethodDelete})
}

// apiInbox: GET /api/messages, the caller's conversations and unread count.
func (mod *Module) apiInbox(e *core.RequestEvent) error {
	ts, err := mod.s.Inbox(e.Auth.Id, 200)
	if err != nil {
		return err
	}
	if ts == nil {
		ts = []Thread{}
	}
	for i := range ts {
		ts[i].Last = mod.md.Plain(ts[i].Last)
	}
	return e.JSON(http.StatusOK, map[string]any{"unread": mod.s.Unread(e.Auth.Id), "conversations": ts})
}

// apiStart: POST /api/messages {"to": [ids], "title", "body"}: 201 with the
// conversation (a conversation of two is found again).
func (mod *Module) apiStart(e *core.RequestEvent) error {
	var body struct {
		To    []string `json:"to"`
		Title string   `json:"title"`
		Body  string   `json:"body"`
	}
	if err := e.BindBody(&body); err != nil {
		return ui.BadBody(err)
	}
	id, err := mod.s.Start(e.Auth, body.To, body.Title, body.Body)
	if err != nil {
		return problems.Show(err)
	}
	return e.JSON(http.StatusCreated, map[string]any{"conversation": id})
}

// messageJSON is a message as the API gives it: the text and its HTML.
func (mod *Module) messageJSON(m Message) map[string]any {
	return map[string]any{"id": m.ID, "seq": m.Seq, "author": map[string]any{"id": m.Author, "name": m.Name}, "body": m.Body,
		"html": string(mod.md.Render(m.Body)), "created": m.Created}
}

// apiRead: GET /api/messages/{id}?after=N: the messages after N of a
// conversation the caller takes part in (404 for any other), marked read.
func (mod *Module) apiRead(e *core.RequestEvent) error {
	after, _ := strconv.Atoi(e.Request.URL.Query().Get("after"))
	msgs, err := mod.s.Read(e.Auth.Id, e.Request.PathValue("id"), after)
	if err != nil {
		return problems.Show(err)
	}
	out := make([]map[string]any, len(msgs))
	for i, m := range msgs {
		out[i] = mod.messageJSON(m)
		out[i]["mine"] = m.Author == e.Auth.Id
	}
	return e.JSON(http.StatusOK, map[string]any{"messages": out})
}

// apiSend: POST /api/messages/{id} {"body"}: 201 with the message's number.
func (mod *Module) apiSend(e *core.RequestEvent) error {
	var body struct {
		Body string `json:"body"`
	}
	if err := e.BindBody(&body); err != nil {
		return ui.BadBody(err)
	}
	seq, err := mod.s.Send(e.Auth, e.Request.PathValue("id"), body.Body)
	if err != nil {
		return problems.Show(err)
	}
	return e.JSON(http.StatusCreated, map[string]any{"seq": seq})
}

// apiReport: POST /api/messages/report/{msg} {"reason"}.
func (mod *Module) apiReport(e *core.RequestEvent) error {
	var body struct {
		Reason string `json:"reason"`
	}
	if e.Request.ContentLength != 0 {
		if err := e.BindBody(&body); err != nil {
			return ui.BadBody(err)
		}
	}
	if err := mod.s.Report(e.Auth, e.Request.PathValue("msg"), body.Reason); err != nil {
		return problems.Show(err)
	}
	return e.JSON(http.StatusOK, map[string]any{"reported": true})
}
