package meetups

import (
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/hooks"
	"github.com/canyu/canyu/modules/internal/access"
	"github.com/canyu/canyu/platform"
)

// Collection names.
const (
	Clubs       = "meetups_clubs"
	ClubMembers = "meetups_club_members"
	Events      = "meetups_events"
	RSVPs       = "meetups_rsvps"
	Invites     = "meetups_invites"
	Photos      = "meetups_photos"
	Feeds       = "meetups_feeds"
	Keys        = "meetups_keys"
)

// Event kinds: staff run official meetups, the gala and launch events; a
// club's president and officers run its club meetups.
const (
	KindOfficial = "official"
	KindClub     = "club"
	KindGala     = "gala"
	KindLaunch   = "launch"
)

// Kinds lists the event kinds in display order.
var Kinds = []string{KindOfficial, KindClub, KindGala, KindLaunch}

// RSVP statuses. Going and offered hold a seat.
const (
	Going     = "going"
	Pending   = "pending"  // waiting for the organizers' approval
	Waitlist  = "waitlist" // in line for a seat
	Offered   = "offered"  // a freed seat, to confirm before offered_until
	Cancelled = "cancelled"
	Declined  = "declined" // refused by the organizers
	Lapsed    = "lapsed"   // an offer not confirmed in time
)

// Errors of meetups.
var (
	ErrNotFound      = errors.New("meetups: no such event")
	ErrNoClub        = errors.New("meetups: no such club")
	ErrNotOrganizer  = errors.New("meetups: only the event's organizers do that")
	ErrNotStaff      = errors.New("meetups: only staff do that")
	ErrClosed        = errors.New("meetups: RSVPs are closed")
	ErrNotOpenYet    = errors.New("meetups: RSVPs are not open yet")
	ErrInviteOnly    = errors.New("meetups: this event is by invitation")
	ErrDeclined      = errors.New("meetups: the organizers declined this RSVP")
	ErrNoRSVP        = errors.New("meetups: no RSVP to change")
	ErrNoOffer       = errors.New("meetups: no seat is offered to you")
	ErrOfferLapsed   = errors.New("meetups: the offer lapsed")
	ErrBadTicket     = errors.New("meetups: not a ticket")
	ErrOtherEvent    = errors.New("meetups: a ticket for another event")
	ErrTicketUsed    = errors.New("meetups: the ticket was checked in already")
	ErrNotGoing      = errors.New("meetups: the ticket's holder has no seat")
	ErrNotAttendee   = errors.New("meetups: only the event's attendees do that")
	ErrNotClubMember = errors.New("meetups: only the club's members do that")
	ErrEventOver     = errors.New("meetups: the event is over")
)

// Meetups is the domain of the module over its collections.
type Meetups struct {
	app    core.App
	cfg    Config
	now    func() time.Time
	events *hooks.Events
	pub    platform.Publisher
	loc    *time.Location // the brand's time zone, for events that name none
	fresh  platform.Fresh

	keyOnce sync.Once
	key     []byte
	keyErr  error
}

// isOrganizerOf reports whether member runs club: its president or one of
// its officers.
func isOrganizerOf(member, club *core.Record) bool {
	if member == nil || club == nil {
		return false
	}
	return club.GetString("president") == member.Id || slices.Contains(club.GetStringSlice("officers"), member.Id)
}

// CanManage reports whether member organizes ev: staff organize every event;
// a club's president and officers their club's meetups.
func (m *Meetups) CanManage(member, ev *core.Record) bool {
	if access.HasRole(member, access.RoleStaff) {
		return true
	}
	if member == nil || ev.GetString("kind") != KindClub || ev.GetString("club") == "" {
		return false
	}
	club, err := m.app.FindRecordById(Clubs, ev.GetString("club"))
	return err == nil && isOrganizerOf(member, club)
}

// canManageClub reports whether member runs club (or is staff).
func canManageClub(member, club *core.Record) bool {
	return access.HasRole(member, access.RoleStaff) || isOrganizerOf(member, club)
}

// Find returns an event member may see: a published or cancelled one, or
// any to its organizers.
func (m *Meetups) Find(member *core.Record, id string) (*core.Record, error) {
	ev, err := m.app.FindRecordById(Events, id)
	if err != nil {
		return nil, ErrNotFound
	}
	if ev.GetString("status") == "draft" && !m.CanManage(member, ev) {
		return nil, ErrNotFound
	}
	return ev, nil
}

// location is ev's time zone (the brand's when it names none).
func (m *Meetups) location(ev *core.Record) *time.Location {
	if tz := ev.GetString("time_zone"); tz != "" {
		if loc, err := time.LoadLocation(tz); err == nil {
			return loc
		}
	}
	return m.loc
}
