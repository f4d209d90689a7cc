package forum

import (
	"net/http"

	"github.com/canyu/canyu/modules/internal/access"
	"github.com/canyu/canyu/ui"
)

// routes is the forum's route table: its pages under /forum, its API under
// /api/forum.
func (m *Module) routes() []ui.Route {
	staff := access.RequireRole(access.RoleStaff, access.RoleModerator)
	lim := m.cfg.Limits
	topic, reply, react := lim.Topic.MustBudget(), lim.Reply.MustBudget(), lim.React.MustBudget()
	report, moderate := lim.Report.MustBudget(), lim.Moderate.MustBudget()
	const get, post, del = http.MethodGet, http.MethodPost, http.MethodDelete
	return []ui.Route{
		// pages; busy read pages keep no activity-log row per view
		{Method: get, Path: "/forum", Page: m.index, Quiet: true},
		{Method: get, Path: "/forum/b/{slug}", Page: m.board, Quiet: true},
		{Method: get, Path: "/forum/t/{id}", Page: m.topic, Quiet: true},
		{Method: get, Path: "/forum/search", Page: m.search},
		{Method: get, Path: "/forum/roadmap", Page: m.roadmap, Quiet: true},
		{Method: get, Path: "/forum/temperature", Page: m.temperature},
		{Method: get, Path: "/forum/bugs", Page: m.bugs},
		{Method: get, Path: "/forum/weekly", Page: m.weekly, Quiet: true},
		{Method: get, Path: "/forum/weekly/{week}", Page: m.weekly, Quiet: true},
		{Method: get, Path: "/forum/p/{id}/history", Page: m.history},
		{Method: get, Path: "/forum/b/{slug}/new", Page: m.newTopicForm, Members: true},
		{Method: post, Path: "/forum/b/{slug}/new", Page: m.newTopic, Members: true, Limit: topic},
		{Method: post, Path: "/forum/t/{id}/reply", Page: m.reply, Members: true, Limit: reply},
		{Method: post, Path: "/forum/t/{id}/metoo", Page: m.metooToggle, Members: true, Limit: react},
		{Method: post, Path: "/forum/t/{id}/ballot", Page: m.vote, Members: true, Limit: react},
		{Method: post, Path: "/forum/t/{id}/report", Page: m.report, Members: true, Limit: report},
		{Method: get, Path: "/forum/p/{id}/edit", Page: m.editForm, Members: true},
		{Method: post, Path: "/forum/p/{id}/edit", Page: m.edit, Members: true, Limit: reply},
		{Method: post, Path: "/forum/p/{id}/react", Page: m.reactForm, Members: true, Limit: react},
		{Method: get, Path: "/forum/moderation", Page: m.moderationQueue, Members: true, Guard: staff},
		{Method: post, Path: "/forum/t/{id}/moderate", Page: m.moderate, Members: true, Guard: staff, Limit: moderate},
		{Method: post, Path: "/forum/t/{id}/merge", Page: m.merge, Members: true, Guard: staff, Limit: moderate},
		{Method: post, Path: "/forum/t/{id}/status", Page: m.statusChange, Members: true, Guard: staff, Limit: moderate},

		// API
		{Method: get, Path: "/api/forum/hot", API: m.apiHot},
		{Method: get, Path: "/api/forum/temperature", API: m.apiTemperature},
		{Method: get, Path: "/api/forum/search", API: m.apiSearch(false)},
		{Method: get, Path: "/api/forum/similar", API: m.apiSearch(true)},
		{Method: post, Path: "/api/forum/topics", API: m.apiCreateTopic, Members: true, Limit: topic},
		{Method: post, Path: "/api/forum/topics/{id}/posts", API: m.apiReply, Members: true, Limit: reply},
		{Method: post, Path: "/api/forum/topics/{id}/metoo", API: m.apiMeToo(true), Members: true, Limit: react},
		{Method: del, Path: "/api/forum/topics/{id}/metoo", API: m.apiMeToo(false), Members: true, Limit: react},
		{Method: post, Path: "/api/forum/topics/{id}/ballot", API: m.apiVote, Members: true, Limit: react},
		{Method: post, Path: "/api/forum/topics/{id}/report", API: m.apiReport, Members: true, Limit: report},
		{Method: post, Path: "/api/forum/posts/{id}/reactions/{emoji}", API: m.apiReact(true), Members: true, Limit: react},
		{Method: del, Path: "/api/forum/posts/{id}/reactions/{emoji}", API: m.apiReact(false), Members: true, Limit: react},
		{Method: post, Path: "/api/forum/topics/{id}/merge", API: m.apiMerge, Members: true, Guard: staff, Limit: moderate},
		{Method: post, Path: "/api/forum/topics/{id}/moderate", API: m.apiModerate, Members: true, Guard: staff, Limit: moderate},
		{Method: post, Path: "/api/forum/topics/{id}/status", API: m.apiStatus, Members: true, Guard: staff, Limit: moderate},
	}
}
