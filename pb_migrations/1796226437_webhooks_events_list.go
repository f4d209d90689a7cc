package pb_migrations

import (
	"encoding/json"
	"slices"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// A webhook endpoint's events become a JSON list of event keys that the
// webhooks module checks against the event catalogue, so a module adding an
// event needs no migration of the webhooks' collection. The keys already
// chosen are kept.
func init() {
	m.Register(func(app core.App) error {
		return rewriteEvents(app, func(ep *core.Collection) {
			ep.Fields.Add(&core.JSONField{Name: "events", Required: true, MaxSize: 4000})
		}, nil)
	}, func(app core.App) error {
		// back to the select of the earlier migrations: the keys they gave,
		// and any other key an endpoint took meanwhile (so none is lost)
		var used []string
		if err := app.DB().NewQuery("SELECT DISTINCT j.value FROM webhooks_endpoints, json_each(webhooks_endpoints.events) j").Column(&used); err != nil {
			return err
		}
		values := []string{"*", "member.signed_up", "phone.bound", "sale.reserved", "sale.ordered"}
		for _, k := range used {
			if !slices.Contains(values, k) {
				values = append(values, k)
			}
		}
		return rewriteEvents(app, func(ep *core.Collection) {
			ep.Fields.Add(&core.SelectField{Name: "events", Required: true, MaxSelect: len(values), Values: values})
		}, nil)
	})
}

// rewriteEvents replaces the events field of webhooks_endpoints by the one
// add puts in, keeping each endpoint's keys (filtered by keep, if given).
func rewriteEvents(app core.App, add func(*core.Collection), keep func([]string) []string) error {
	var rows []struct {
		ID     string `db:"id"`
		Events string `db:"events"`
	}
	if err := app.DB().NewQuery("SELECT id, events FROM webhooks_endpoints").All(&rows); err != nil {
		return err
	}
	ep, err := app.FindCollectionByNameOrId("webhooks_endpoints")
	if err != nil {
		return err
	}
	ep.Fields.RemoveByName("events")
	add(ep)
	if err := app.Save(ep); err != nil {
		return err
	}
	for _, r := range rows {
		var keys []string
		if err := json.Unmarshal([]byte(r.Events), &keys); err != nil {
			keys = []string{r.Events} // a single select value is stored bare
		}
		if keep != nil {
			keys = keep(keys)
		}
		raw, _ := json.Marshal(keys)
		if _, err := app.DB().NewQuery("UPDATE webhooks_endpoints SET events = {:e} WHERE id = {:id}").
			Bind(dbx.Params{"e": string(raw), "id": r.ID}).Execute(); err != nil {
			return err
		}
	}
	return nil
}
