package notify

import (
	"net/http"

	"github.com/canyu/canyu/ui"
)

// routes is the notify module's route table.
func (m *Module) routes() []ui.Route {
	const get, post = http.MethodGet, http.MethodPost
	return []ui.Route{
		{Method: get, Path: "/notifications", Page: m.center, Members: true},
		{Method: post, Path: "/notifications/read", Page: m.readAll, Members: true},
		{Method: post, Path: "/notifications/{id}/open", Page: m.open, Members: true},
		{Method: get, Path: "/notifications/settings", Page: m.settingsForm, Members: true},
		{Method: post, Path: "/notifications/settings", Page: m.settingsSave, Members: true, Limit: m.settings},
		// the center's address before notifications had a module of their own
		{Method: get, Path: "/forum/notifications", Raw: m.moved},

		{Method: get, Path: "/api/notify/notifications", API: m.apiList, Members: true},
		{Method: post, Path: "/api/notify/read", API: m.apiRead, Members: true},
		{Method: get, Path: "/api/notify/settings", API: m.apiSettings, Members: true},
		{Method: post, Path: "/api/notify/settings", API: m.apiSettingsSave, Members: true, Limit: m.settings},
	}
}
