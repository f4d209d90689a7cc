package forum

import (
	"reflect"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
)

// The generic REST API (/api/collections/...) and the dashboard change the
// forum's records without its domain rules, so they may change only what
// needs no rule: a topic's title, area and moderation flags. Authorship,
// counters, statuses, merges and texts go through the forum's own endpoints,
// which validate them, tell the members and keep the history. Every
// moderation change is written to the audit log whatever the path.

// restWritableTopic are the topic fields a REST update may change.
var restWritableTopic = map[string]bool{"title": true, "area": true, "hidden": true, "locked": true, "pinned": true, "updated": true}

// auditedFlags are the moderation flags, with the audit action of each
// value, for topics and for replies.
var auditedFlags = map[string]map[string][2]string{
	Topics: {"hidden": {"unhide", "hide"}, "locked": {"unlock", "lock"}, "pinned": {"unpin", "pin"}},
	Posts:  {"hidden": {"unhide_post", "hide_post"}, "official": {"official", "official"}},
}

func (m *Module) bindRESTGuards(app core.App) {
	app.OnRecordUpdateRequest(Topics).BindFunc(func(e *core.RecordRequestEvent) error {
		refused := validation.Errors{}
		for _, f := range e.Collection.Fields {
			name := f.GetName()
			if !restWritableTopic[name] && !reflect.DeepEqual(e.Record.Original().Get(name), e.Record.Get(name)) {
				refused[name] = validation.NewError("forum_rest_readonly", m.deps.UI.T(e.RequestEvent, "forum.err_rest_readonly"))
			}
		}
		if len(refused) > 0 {
			return e.BadRequestError(m.deps.UI.T(e.RequestEvent, "forum.err_rest_readonly"), refused)
		}
		return m.audited(e, Topics, e.Record.Id, "")
	})
	app.OnRecordUpdateRequest(Posts).BindFunc(func(e *core.RecordRequestEvent) error {
		return m.audited(e, Posts, e.Record.GetString("topic"), e.Record.Id)
	})
}

// audited saves the update and its audit rows in one transaction.
func (m *Module) audited(e *core.RecordRequestEvent, collection, topic, post string) error {
	var actions []string
	for field, names := range auditedFlags[collection] {
		was, now := e.Record.Original().GetBool(field), e.Record.GetBool(field)
		if was != now {
			actions = append(actions, names[map[bool]int{false: 0, true: 1}[now]])
		}
	}
	if collection == Topics {
		for field, action := range map[string]string{"title": "retitle", "area": "move"} {
			if e.Record.Original().GetString(field) != e.Record.GetString(field) {
				actions = append(actions, action)
			}
		}
	}
	if len(actions) == 0 {
		return e.Next()
	}
	return e.App.RunInTransaction(func(tx core.App) error {
		e.App = tx
		if err := e.Next(); err != nil {
			return err
		}
		col, err := tx.FindCachedCollectionByNameOrId(Audit)
		if err != nil {
			return err
		}
		for _, action := range actions {
			a := core.NewRecord(col)
			if e.Auth != nil && e.Auth.IsSuperuser() {
				a.Set("admin", e.Auth.Email())
			} else if e.Auth != nil {
				a.Set("actor", e.Auth.Id)
			}
			a.Set("action", action)
			a.Set("topic", topic)
			a.Set("post", post)
			a.Set("note", "REST")
			if err := tx.Save(a); err != nil {
				return err
			}
		}
		return nil
	})
}
