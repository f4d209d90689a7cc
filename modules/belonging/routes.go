package belonging

import (
	"net/http"

	"github.com/canyu/canyu/modules/internal/access"
	"github.com/canyu/canyu/ui"
)

// routes is the belonging module's route table.
func (mod *Module) routes() []ui.Route {
	const get, post, del = http.MethodGet, http.MethodPost, http.MethodDelete
	staff := access.RequireRole(access.RoleStaff)
	return []ui.Route{
		{Method: get, Path: "/points", Page: mod.pointsPage, Members: true},
		{Method: get, Path: "/points/rules", Page: mod.rulesPage},
		{Method: get, Path: "/points/store", Page: mod.storePage},
		{Method: get, Path: "/points/store/{id}", Page: mod.giftPage},
		{Method: post, Path: "/points/store/{id}", Page: mod.redeemForm, Members: true, Limit: mod.redeem},
		{Method: post, Path: "/points/redemptions/{id}/cancel", Page: mod.cancelForm, Members: true, Limit: mod.redeem},
		{Method: get, Path: "/points/vip", Page: mod.vipPage, Members: true},
		{Method: post, Path: "/points/vip", Page: mod.claimForm, Members: true, Limit: mod.member},
		{Method: post, Path: "/points/title", Page: mod.titleForm, Members: true, Limit: mod.member},
		{Method: get, Path: "/badges", Page: mod.badgesPage},
		{Method: get, Path: "/badges/{slug}", Page: mod.badgePage},
		{Method: get, Path: "/leaderboard", Page: mod.leaderboardPage},

		{Method: get, Path: "/points/staff", Page: mod.staffPage, Members: true, Guard: staff},
		{Method: get, Path: "/points/staff/redemptions.csv", Raw: mod.redemptionsCSV, Members: true, Guard: staff},
		{Method: post, Path: "/points/staff/redemptions/{id}", Page: mod.fulfilForm, Members: true, Guard: staff, Limit: mod.staff},
		{Method: post, Path: "/points/staff/claims/{id}", Page: mod.decideForm, Members: true, Guard: staff, Limit: mod.staff},
		{Method: post, Path: "/points/staff/grant", Page: mod.grantForm, Members: true, Guard: staff, Limit: mod.staff},
		{Method: post, Path: "/points/staff/award", Page: mod.awardForm, Members: true, Guard: staff, Limit: mod.staff},
		{Method: get, Path: "/insights", Page: mod.insightsPage, Members: true, Guard: staff},
		{Method: get, Path: "/insights/funnel.csv", Raw: mod.funnelCSV, Members: true, Guard: staff},
		{Method: get, Path: "/insights/segments.csv", Raw: mod.segmentsCSV, Members: true, Guard: staff},
		{Method: get, Path: "/insights/members", Page: mod.membersPage, Members: true, Guard: staff},
		{Method: get, Path: "/insights/members.csv", Raw: mod.membersCSV, Members: true, Guard: staff},

		// API
		{Method: get, Path: "/api/points", API: mod.apiPoints, Members: true},
		{Method: get, Path: "/api/points/store", API: mod.apiStore},
		{Method: post, Path: "/api/points/store/{id}/redeem", API: mod.apiRedeem, Members: true, Limit: mod.redeem},
		{Method: get, Path: "/api/points/redemptions", API: mod.apiRedemptions, Members: true},
		{Method: del, Path: "/api/points/redemptions/{id}", API: mod.apiCancel, Members: true, Limit: mod.redeem},
		{Method: get, Path: "/api/badges", API: mod.apiBadges},
		{Method: get, Path: "/api/badges/{slug}", API: mod.apiBadge},
		{Method: get, Path: "/api/honours/{member}", API: mod.apiHonours},
		{Method: get, Path: "/api/leaderboard", API: mod.apiLeaderboard},
		{Method: post, Path: "/api/points/grant", API: mod.apiGrant, Members: true, Guard: staff, Limit: mod.staff},
	}
}
