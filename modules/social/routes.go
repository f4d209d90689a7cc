package social

import (
	"net/http"

	"github.com/canyu/canyu/modules/internal/access"
	"github.com/canyu/canyu/ui"
)

// routes is the social module's route table.
func (mod *Module) routes() []ui.Route {
	const get, post, del = http.MethodGet, http.MethodPost, http.MethodDelete
	mods := access.RequireRole(access.RoleStaff, access.RoleModerator)
	return []ui.Route{
		{Method: get, Path: "/following", Page: mod.followingPage, Members: true},
		{Method: get, Path: "/people/{id}/followers", Page: mod.peoplePage},
		{Method: get, Path: "/people/{id}/following", Page: mod.peoplePage},
		{Method: post, Path: "/people/{id}/follow", Page: mod.followForm, Members: true, Limit: mod.follow},
		{Method: post, Path: "/people/{id}/unfollow", Page: mod.followForm, Members: true, Limit: mod.follow},
		{Method: post, Path: "/people/{id}/block", Page: mod.blockForm, Members: true, Limit: mod.follow},
		{Method: post, Path: "/people/{id}/unblock", Page: mod.blockForm, Members: true, Limit: mod.follow},
		{Method: get, Path: "/messages", Page: mod.inboxPage, Members: true},
		{Method: post, Path: "/messages/new", Page: mod.startForm, Members: true, Limit: mod.message},
		{Method: get, Path: "/messages/reports", Page: mod.reportsPage, Members: true, Guard: mods},
		{Method: post, Path: "/messages/reports/{id}/close", Page: mod.closeReportForm, Members: true, Guard: mods, Limit: mod.report},
		{Method: get, Path: "/messages/{id}", Page: mod.conversationPage, Members: true},
		{Method: post, Path: "/messages/{id}", Page: mod.sendForm, Members: true, Limit: mod.message},
		{Method: post, Path: "/messages/{id}/report", Page: mod.reportForm, Members: true, Limit: mod.report},
		{Method: get, Path: "/story", Page: mod.storyPage, Members: true},
		{Method: post, Path: "/story", Page: mod.storyForm, Members: true, Limit: mod.follow},
		{Method: post, Path: "/story/choices", Page: mod.choicesForm, Members: true, Limit: mod.follow},
		{Method: post, Path: "/story/{id}/remove", Page: mod.removeOwnedForm, Members: true, Limit: mod.follow},

		// API
		{Method: get, Path: "/api/social/feed", API: mod.apiFeed, Members: true},
		{Method: post, Path: "/api/social/follow/{id}", API: mod.apiFollow, Members: true, Limit: mod.follow},
		{Method: del, Path: "/api/social/follow/{id}", API: mod.apiFollow, Members: true, Limit: mod.follow},
		{Method: post, Path: "/api/social/block/{id}", API: mod.apiBlock, Members: true, Limit: mod.follow},
		{Method: del, Path: "/api/social/block/{id}", API: mod.apiBlock, Members: true, Limit: mod.follow},
		{Method: get, Path: "/api/messages", API: mod.apiInbox, Members: true},
		{Method: post, Path: "/api/messages", API: mod.apiStart, Members: true, Limit: mod.message},
		{Method: get, Path: "/api/messages/{id}", API: mod.apiRead, Members: true},
		{Method: post, Path: "/api/messages/{id}", API: mod.apiSend, Members: true, Limit: mod.message},
		{Method: post, Path: "/api/messages/report/{msg}", API: mod.apiReport, Members: true, Limit: mod.report},
	}
}
