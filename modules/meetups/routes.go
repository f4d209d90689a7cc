package meetups

import (
	"net/http"

	"github.com/canyu/canyu/modules/internal/access"
	"github.com/canyu/canyu/ui"
)

// routes is the meetups module's route table.
func (mod *Module) routes() []ui.Route {
	const get, post, del = http.MethodGet, http.MethodPost, http.MethodDelete
	staff := access.RequireRole(access.RoleStaff)
	return []ui.Route{
		{Method: get, Path: "/meetups", Page: mod.index, Quiet: true},
		{Method: get, Path: "/meetups/my", Page: mod.my, Members: true},
		{Method: post, Path: "/meetups/my/calendar", Page: mod.renewFeed, Members: true, Limit: mod.join},
		{Method: get, Path: "/meetups/my/calendar/{token}", Raw: mod.myICS},
		{Method: get, Path: "/meetups/new", Page: mod.eventForm, Members: true},
		{Method: post, Path: "/meetups/new", Page: mod.eventSave, Members: true, Limit: mod.organize},

		{Method: get, Path: "/clubs", Page: mod.clubs},
		{Method: get, Path: "/clubs/new", Page: mod.clubForm, Members: true, Guard: staff},
		{Method: post, Path: "/clubs/new", Page: mod.clubSave, Members: true, Guard: staff, Limit: mod.organize},
		{Method: get, Path: "/clubs/{slug}", Page: mod.club, Quiet: true},
		{Method: get, Path: "/clubs/{slug}/edit", Page: mod.clubForm, Members: true, Guard: staff},
		{Method: post, Path: "/clubs/{slug}/edit", Page: mod.clubSave, Members: true, Guard: staff, Limit: mod.organize},
		{Method: get, Path: "/clubs/{slug}/manage", Page: mod.clubManage, Members: true},
		{Method: post, Path: "/clubs/{slug}/join", Page: mod.clubJoin, Members: true, Limit: mod.join},
		{Method: post, Path: "/clubs/{slug}/leave", Page: mod.clubLeave, Members: true, Limit: mod.join},
		{Method: post, Path: "/clubs/{slug}/decide", Page: mod.clubDecide, Members: true, Limit: mod.organize},
		{Method: post, Path: "/clubs/{slug}/officers", Page: mod.clubOfficers, Members: true, Limit: mod.organize},
		{Method: post, Path: "/clubs/{slug}/photos", Page: mod.clubPhoto, Members: true, Limit: mod.join},

		{Method: get, Path: "/meetups/{id}", Page: mod.event, Quiet: true}, // and /meetups/{id}.ics
		{Method: get, Path: "/meetups/{id}/edit", Page: mod.eventForm, Members: true},
		{Method: post, Path: "/meetups/{id}/edit", Page: mod.eventSave, Members: true, Limit: mod.organize},
		{Method: post, Path: "/meetups/{id}/rsvp", Page: mod.rsvpForm, Members: true, Limit: mod.rsvp},
		{Method: post, Path: "/meetups/{id}/cancel", Page: mod.cancelForm, Members: true, Limit: mod.rsvp},
		{Method: post, Path: "/meetups/{id}/confirm", Page: mod.confirmForm, Members: true, Limit: mod.rsvp},
		{Method: get, Path: "/meetups/{id}/ticket", Page: mod.ticket, Members: true},
		{Method: get, Path: "/meetups/{id}/ticket.png", Raw: mod.ticketPNG, Members: true},
		{Method: get, Path: "/meetups/{id}/checkin", Page: mod.checkinPage, Members: true},
		{Method: get, Path: "/meetups/{id}/manage", Page: mod.manage, Members: true},
		{Method: post, Path: "/meetups/{id}/decide", Page: mod.decideForm, Members: true, Limit: mod.organize},
		{Method: post, Path: "/meetups/{id}/invite", Page: mod.inviteForm, Members: true, Limit: mod.organize},
		{Method: post, Path: "/meetups/{id}/recap", Page: mod.recapForm, Members: true, Limit: mod.organize},
		{Method: post, Path: "/meetups/{id}/call-off", Page: mod.callOffForm, Members: true, Limit: mod.organize},
		{Method: post, Path: "/meetups/{id}/photos", Page: mod.eventPhoto, Members: true, Limit: mod.join},

		// API
		{Method: get, Path: "/api/meetups/{id}", API: mod.apiEvent},
		{Method: post, Path: "/api/meetups/{id}/rsvp", API: mod.apiRSVP, Members: true, Limit: mod.rsvp},
		{Method: del, Path: "/api/meetups/{id}/rsvp", API: mod.apiCancel, Members: true, Limit: mod.rsvp},
		{Method: post, Path: "/api/meetups/{id}/confirm", API: mod.apiConfirm, Members: true, Limit: mod.rsvp},
		{Method: get, Path: "/api/meetups/{id}/ticket", API: mod.apiTicket, Members: true},
		{Method: post, Path: "/api/meetups/{id}/checkin", API: mod.apiCheckin, Members: true, Limit: mod.checkin},
	}
}
