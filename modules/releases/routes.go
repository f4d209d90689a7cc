package releases

import (
	"net/http"

	"github.com/canyu/canyu/modules/internal/access"
	"github.com/canyu/canyu/ui"
)

// routes is the releases module's route table.
func (m *Module) routes() []ui.Route {
	staff := access.RequireRole(access.RoleStaff)
	const get, post = http.MethodGet, http.MethodPost
	return []ui.Route{
		{Method: get, Path: "/releases", Page: m.index, Quiet: true},
		{Method: get, Path: "/releases/awards", Page: m.awards},
		{Method: get, Path: "/releases/plan", Page: m.plan},
		{Method: get, Path: "/releases/feed.atom", Raw: m.atom},
		{Method: get, Path: "/releases/widget.js", Raw: m.widget},
		{Method: get, Path: "/releases/testers", Page: m.testers},
		{Method: post, Path: "/releases/testers/apply", Page: m.applyForm, Members: true, Limit: m.apply},
		{Method: post, Path: "/releases/credits", Page: m.creditsForm, Members: true, Limit: m.vote},
		{Method: get, Path: "/releases/{id}", Page: m.view, Quiet: true},
		{Method: get, Path: "/releases/{id}/results", Page: m.results},
		{Method: get, Path: "/releases/{id}/card.png", Raw: m.card},
		{Method: post, Path: "/releases/{id}/upgraded", Page: m.upgradeForm, Members: true, Limit: m.vote},
		{Method: post, Path: "/releases/{id}/ballot", Page: m.ballotForm, Members: true, Limit: m.vote},
		{Method: post, Path: "/releases/{id}/report", Page: m.reportForm, Members: true, Limit: m.apply},

		// staff
		{Method: get, Path: "/releases/new", Page: m.composeForm, Members: true, Guard: staff},
		{Method: post, Path: "/releases/new", Page: m.compose, Members: true, Guard: staff, Limit: m.staff},
		{Method: get, Path: "/releases/{id}/edit", Page: m.composeForm, Members: true, Guard: staff},
		{Method: post, Path: "/releases/{id}/edit", Page: m.compose, Members: true, Guard: staff, Limit: m.staff},
		{Method: get, Path: "/releases/plan/edit", Page: m.planForm, Members: true, Guard: staff},
		{Method: post, Path: "/releases/plan/edit", Page: m.planSave, Members: true, Guard: staff, Limit: m.staff},
		{Method: get, Path: "/releases/testers/admin", Page: m.testersAdmin, Members: true, Guard: staff},
		{Method: post, Path: "/releases/testers/admit", Page: m.admitForm, Members: true, Guard: staff, Limit: m.staff},
		{Method: post, Path: "/releases/testers/decline", Page: m.declineForm, Members: true, Guard: staff, Limit: m.staff},

		// API
		{Method: get, Path: "/api/releases/whats-new", API: m.whatsNew},
		{Method: get, Path: "/api/releases/{id}/tally", API: m.apiTally},
		{Method: post, Path: "/api/releases/{id}/upgraded", API: m.apiUpgrade, Members: true, Limit: m.vote},
		{Method: post, Path: "/api/releases/{id}/ballot", API: m.apiBallot, Members: true, Limit: m.vote},
		{Method: post, Path: "/api/releases/{id}/reports", API: m.apiReport, Members: true, Limit: m.apply},
		{Method: post, Path: "/api/releases/testers/apply", API: m.apiApply, Members: true, Limit: m.apply},
	}
}
