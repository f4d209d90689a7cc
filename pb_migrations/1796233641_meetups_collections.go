package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Popcorn: city clubs with a president and officers, their members (joining
// may need approval) and photo albums; events (official meetups, club
// meetups, the yearly gala, launch events) with capacity, an RSVP window,
// approval, invitations and questions; RSVPs with the waitlist and its
// offers, signed tickets and check-ins; each member's private calendar feed
// token; the key that signs tickets.
//
// Through the REST API: clubs and published events are public; staff
// manage everything; a club's president and officers create and change
// their own club's events (of kind "club") and nothing else; the counters,
// RSVPs and check-ins change only through Canyu's endpoints.
func init() {
	m.Register(func(app core.App) error {
		users, err := app.FindCollectionByNameOrId("users")
		if err != nil {
			return err
		}
		staff := "@request.auth.roles ~ 'staff'"

		clubs := core.NewBaseCollection("meetups_clubs", "meetups_club001")
		clubs.ListRule = types.Pointer("")
		clubs.ViewRule = types.Pointer("")
		clubs.CreateRule = types.Pointer(staff)
		clubs.UpdateRule = types.Pointer(staff)
		clubs.DeleteRule = types.Pointer(staff)
		clubs.Fields.Add(
			&core.TextField{Name: "name", Required: true, Max: 80},
			&core.TextField{Name: "slug", Required: true, Max: 40, Pattern: `^[a-z0-9-]+$`},
			&core.TextField{Name: "city", Required: true, Max: 60},
			&core.TextField{Name: "description", Max: 5000},
			&core.FileField{Name: "cover", MaxSelect: 1, MaxSize: 5 << 20, MimeTypes: []string{"image/png", "image/jpeg", "image/webp"}, Thumbs: []string{"640x320"}},
			&core.RelationField{Name: "president", CollectionId: users.Id, MaxSelect: 1},
			&core.RelationField{Name: "officers", CollectionId: users.Id, MaxSelect: 20},
			&core.BoolField{Name: "approval"},
			&core.NumberField{Name: "member_count", OnlyInt: true},
			&core.AutodateField{Name: "created", OnCreate: true},
			&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
		)
		clubs.AddIndex("idx_meetups_clubs_slug", true, "slug", "")
		clubs.AddIndex("idx_meetups_clubs_city", false, "city", "")
		if err := app.Save(clubs); err != nil {
			return err
		}

		joins := core.NewBaseCollection("meetups_club_members", "meetups_cmem001")
		joins.ListRule = types.Pointer("status = 'member' || member = @request.auth.id")
		joins.ViewRule = types.Pointer("status = 'member' || member = @request.auth.id")
		joins.Fields.Add(
			&core.RelationField{Name: "club", CollectionId: clubs.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			&core.RelationField{Name: "member", CollectionId: users.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			&core.SelectField{Name: "status", Required: true, MaxSelect: 1, Values: []string{"pending", "member"}},
			&core.DateField{Name: "created"},
		)
		joins.AddIndex("idx_meetups_club_members_one", true, "club, member", "")
		joins.AddIndex("idx_meetups_club_members_member", false, "member, status", "")
		if err := app.Save(joins); err != nil {
			return err
		}

		organizer := "(club.president = @request.auth.id || club.officers ?= @request.auth.id)"
		counters := "@request.body.going:isset = false && @request.body.waitlist:isset = false && @request.body.checked_in:isset = false"
		events := core.NewBaseCollection("meetups_events", "meetups_evnt001")
		events.ListRule = types.Pointer("status = 'published' || " + staff + " || " + organizer)
		events.ViewRule = types.Pointer("status = 'published' || " + staff + " || " + organizer)
		events.CreateRule = types.Pointer(staff + " || (@request.body.kind = 'club' && (@request.body.club.president = @request.auth.id || @request.body.club.officers ?= @request.auth.id) && " + counters + ")")
		events.UpdateRule = types.Pointer(staff + " || (kind = 'club' && " + organizer + " && @request.body.club:isset = false && @request.body.kind:isset = false && " + counters + ")")
		events.DeleteRule = types.Pointer(staff)
		events.Fields.Add(
			&core.RelationField{Name: "club", CollectionId: clubs.Id, MaxSelect: 1},
			&core.SelectField{Name: "kind", Required: true, MaxSelect: 1, Values: []string{"official", "club", "gala", "launch"}},
			&core.TextField{Name: "title", Required: true, Max: 120},
			&core.TextField{Name: "description", Max: 20000},
			&core.DateField{Name: "starts", Required: true},
			&core.DateField{Name: "ends", Required: true},
			&core.TextField{Name: "time_zone", Max: 64},
			&core.TextField{Name: "venue", Max: 200},
			&core.TextField{Name: "address", Max: 300},
			&core.URLField{Name: "map_url"},
			&core.URLField{Name: "online_url"},
			&core.FileField{Name: "cover", MaxSelect: 1, MaxSize: 5 << 20, MimeTypes: []string{"image/png", "image/jpeg", "image/webp"}, Thumbs: []string{"640x320"}},
			&core.NumberField{Name: "capacity", OnlyInt: true, Min: types.Pointer(0.0)},
			&core.DateField{Name: "rsvp_opens"},
			&core.DateField{Name: "rsvp_closes"},
			&core.BoolField{Name: "approval"},
			&core.BoolField{Name: "invite_only"},
			&core.JSONField{Name: "questions", MaxSize: 4000},
			&core.SelectField{Name: "status", Required: true, MaxSelect: 1, Values: []string{"draft", "published", "cancelled"}},
			&core.TextField{Name: "recap", Max: 20000},
			&core.RelationField{Name: "created_by", CollectionId: users.Id, MaxSelect: 1},
			&core.NumberField{Name: "going", OnlyInt: true},
			&core.NumberField{Name: "waitlist", OnlyInt: true},
			&core.NumberField{Name: "checked_in", OnlyInt: true},
			&core.AutodateField{Name: "created", OnCreate: true},
			&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
		)
		events.AddIndex("idx_meetups_events_starts", false, "status, starts", "")
		events.AddIndex("idx_meetups_events_club", false, "club, starts", "")
		if err := app.Save(events); err != nil {
			return err
		}

		eventOrganizer := "(event.club.president = @request.auth.id || event.club.officers ?= @request.auth.id)"
		rsvps := core.NewBaseCollection("meetups_rsvps", "meetups_rsvp001")
		rsvps.ListRule = types.Pointer("member = @request.auth.id || " + staff + " || " + eventOrganizer)
		rsvps.ViewRule = types.Pointer("member = @request.auth.id || " + staff + " || " + eventOrganizer)
		rsvps.Fields.Add(
			&core.RelationField{Name: "event", CollectionId: events.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			&core.RelationField{Name: "member", CollectionId: users.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			&core.SelectField{Name: "status", Required: true, MaxSelect: 1,
				Values: []string{"going", "pending", "waitlist", "offered", "cancelled", "declined", "lapsed"}},
			&core.NumberField{Name: "position", OnlyInt: true},
			&core.DateField{Name: "offered_until"},
			&core.JSONField{Name: "answers", MaxSize: 4000},
			&core.DateField{Name: "checked_in"},
			&core.BoolField{Name: "reminded"},
			&core.DateField{Name: "created"},
			&core.DateField{Name: "updated"},
		)
		rsvps.AddIndex("idx_meetups_rsvps_one", true, "event, member", "")
		rsvps.AddIndex("idx_meetups_rsvps_status", false, "event, status, position", "")
		rsvps.AddIndex("idx_meetups_rsvps_member", false, "member, status", "")
		if err := app.Save(rsvps); err != nil {
			return err
		}

		invites := core.NewBaseCollection("meetups_invites", "meetups_invt001")
		invites.ListRule = types.Pointer("")
		invites.ViewRule = types.Pointer("")
		invites.Fields.Add(
			&core.RelationField{Name: "event", CollectionId: events.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			&core.RelationField{Name: "member", CollectionId: users.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			&core.RelationField{Name: "by", CollectionId: users.Id, MaxSelect: 1},
			&core.DateField{Name: "created"},
		)
		invites.AddIndex("idx_meetups_invites_one", true, "event, member", "")
		invites.AddIndex("idx_meetups_invites_member", false, "member", "")
		if err := app.Save(invites); err != nil {
			return err
		}

		photos := core.NewBaseCollection("meetups_photos", "meetups_phot001")
		photos.ListRule = types.Pointer("")
		photos.ViewRule = types.Pointer("")
		photos.DeleteRule = types.Pointer("member = @request.auth.id || " + staff)
		photos.Fields.Add(
			&core.RelationField{Name: "club", CollectionId: clubs.Id, MaxSelect: 1, CascadeDelete: true},
			&core.RelationField{Name: "event", CollectionId: events.Id, MaxSelect: 1, CascadeDelete: true},
			&core.RelationField{Name: "member", CollectionId: users.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			&core.FileField{Name: "image", Required: true, MaxSelect: 1, MaxSize: 8 << 20, MimeTypes: []string{"image/png", "image/jpeg", "image/webp"}, Thumbs: []string{"320x320", "1280x0"}},
			&core.TextField{Name: "caption", Max: 200},
			&core.AutodateField{Name: "created", OnCreate: true},
		)
		photos.AddIndex("idx_meetups_photos_club", false, "club, created", "")
		photos.AddIndex("idx_meetups_photos_event", false, "event, created", "")
		if err := app.Save(photos); err != nil {
			return err
		}

		feeds := core.NewBaseCollection("meetups_feeds", "meetups_feed001")
		feeds.Fields.Add(
			&core.RelationField{Name: "member", CollectionId: users.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			&core.TextField{Name: "token", Required: true, Max: 64, Hidden: true},
		)
		feeds.AddIndex("idx_meetups_feeds_member", true, "member", "")
		feeds.AddIndex("idx_meetups_feeds_token", true, "token", "")
		if err := app.Save(feeds); err != nil {
			return err
		}

		keys := core.NewBaseCollection("meetups_keys", "meetups_keys001")
		keys.Fields.Add(&core.TextField{Name: "secret", Required: true, Max: 128, Hidden: true})
		return app.Save(keys)
	}, func(app core.App) error {
		return deleteCollections(app, "meetups_keys", "meetups_feeds", "meetups_photos", "meetups_invites", "meetups_rsvps",
			"meetups_events", "meetups_club_members", "meetups_clubs")
	})
}
