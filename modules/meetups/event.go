package meetups

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/filesystem"
	"github.com/pocketbase/pocketbase/tools/types"

	"github.com/canyu/canyu/hooks"
	"github.com/canyu/canyu/modules/internal/access"
	"github.com/canyu/canyu/ui"
)

// Question is asked at RSVP ("T-shirt size", choices S, M, L, XL; no
// choices: a few words).
type Question struct {
	Label   string   `json:"label"`
	Choices []string `json:"choices,omitempty"`
}

// EventDraft is what organizers write.
type EventDraft struct {
	Club, Kind, Title, Description string
	Starts, Ends                   time.Time
	TimeZone                       string
	Venue, Address, MapURL         string
	OnlineURL                      string
	Capacity                       int
	RSVPOpens, RSVPCloses          time.Time // zero: open now, close at the start
	Approval, InviteOnly           bool
	Questions                      []Question
	Publish                        bool // published (members see it) or a draft
	Cover                          *filesystem.File
}

// ParseQuestions reads one question per line, "Label: choice, choice".
func ParseQuestions(text string) []Question {
	var out []Question
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		q := Question{Label: line}
		if label, choices, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(choices) != "" {
			q.Label = strings.TrimSpace(label)
			for _, c := range strings.Split(choices, ",") {
				if c = strings.TrimSpace(c); c != "" && !slices.Contains(q.Choices, c) {
					q.Choices = append(q.Choices, c)
				}
			}
		}
		out = append(out, q)
	}
	return out
}

// QuestionsText writes questions back as ParseQuestions reads them.
func QuestionsText(qs []Question) string {
	var lines []string
	for _, q := range qs {
		if len(q.Choices) > 0 {
			lines = append(lines, q.Label+": "+strings.Join(q.Choices, ", "))
		} else {
			lines = append(lines, q.Label)
		}
	}
	return strings.Join(lines, "\n")
}

func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// check validates a draft; it returns form errors per field.
func (m *Meetups) check(d *EventDraft) error {
	fe := ui.FieldErrors{}
	d.Title, d.Venue, d.Address = strings.TrimSpace(d.Title), strings.TrimSpace(d.Venue), strings.TrimSpace(d.Address)
	d.MapURL, d.OnlineURL, d.TimeZone = strings.TrimSpace(d.MapURL), strings.TrimSpace(d.OnlineURL), strings.TrimSpace(d.TimeZone)
	if !slices.Contains(Kinds, d.Kind) {
		fe["kind"] = "meetups.err_kind"
	}
	switch n := utf8.RuneCountInString(d.Title); {
	case n == 0:
		fe["title"] = "meetups.err_required"
	case n > 120:
		fe["title"] = "meetups.err_too_long"
	}
	if utf8.RuneCountInString(d.Description) > 20000 {
		fe["description"] = "meetups.err_too_long"
	}
	if d.Starts.IsZero() {
		fe["starts"] = "meetups.err_required"
	}
	if d.Ends.IsZero() || !d.Ends.After(d.Starts) {
		fe["ends"] = "meetups.err_ends"
	}
	if d.TimeZone != "" {
		if _, err := time.LoadLocation(d.TimeZone); err != nil {
			fe["time_zone"] = "meetups.err_time_zone"
		}
	}
	if d.Venue == "" && d.OnlineURL == "" {
		fe["venue"] = "meetups.err_where"
	}
	for field, v := range map[string]string{"map_url": d.MapURL, "online_url": d.OnlineURL} {
		if v != "" && !httpURL(v) {
			fe[field] = "meetups.err_link"
		}
	}
	if d.Capacity < 0 || d.Capacity > 100000 {
		fe["capacity"] = "meetups.err_capacity"
	}
	if !d.RSVPOpens.IsZero() && !d.RSVPCloses.IsZero() && !d.RSVPCloses.After(d.RSVPOpens) {
		fe["rsvp_closes"] = "meetups.err_window"
	}
	if len(d.Questions) > 5 {
		fe["questions"] = "meetups.err_questions"
	}
	if len(fe) > 0 {
		return fe
	}
	return nil
}

// SaveEvent stores a new event (id empty) or changes one by, who must
// organize it: staff any event; a club's president or officers only their
// own club's meetups (kind "club"). It returns the event.
func (m *Meetups) SaveEvent(by *core.Record, id string, d EventDraft) (*core.Record, error) {
	var ev *core.Record
	if id != "" {
		var err error
		if ev, err = m.app.FindRecordById(Events, id); err != nil {
			return nil, ErrNotFound
		}
		if !m.CanManage(by, ev) {
			return nil, ErrNotOrganizer
		}
		if !access.HasRole(by, access.RoleStaff) { // an organizer's club and kind stay
			d.Club, d.Kind = ev.GetString("club"), ev.GetString("kind")
		}
	} else {
		col, err := m.app.FindCachedCollectionByNameOrId(Events)
		if err != nil {
			return nil, err
		}
		ev = core.NewRecord(col)
		ev.Set("created_by", by.Id)
	}
	if d.Kind == KindClub || d.Club != "" {
		club, err := m.app.FindRecordById(Clubs, d.Club)
		if err != nil {
			return nil, ui.FieldErrors{"club": "meetups.err_club"}
		}
		if d.Kind == KindClub && !canManageClub(by, club) {
			return nil, ErrNotOrganizer
		}
	}
	if d.Kind != KindClub && !access.HasRole(by, access.RoleStaff) {
		return nil, ErrNotStaff
	}
	if err := m.check(&d); err != nil {
		return nil, err
	}
	questions := d.Questions
	if questions == nil {
		questions = []Question{}
	}
	for k, v := range map[string]any{"club": d.Club, "kind": d.Kind, "title": d.Title, "description": d.Description,
		"starts": d.Starts.UTC(), "ends": d.Ends.UTC(), "time_zone": d.TimeZone, "venue": d.Venue, "address": d.Address,
		"map_url": d.MapURL, "online_url": d.OnlineURL, "capacity": d.Capacity, "approval": d.Approval, "invite_only": d.InviteOnly,
		"questions": questions} {
		ev.Set(k, v)
	}
	for k, t := range map[string]time.Time{"rsvp_opens": d.RSVPOpens, "rsvp_closes": d.RSVPCloses} {
		if t.IsZero() {
			ev.Set(k, "")
		} else {
			ev.Set(k, t.UTC())
		}
	}
	if status := ev.GetString("status"); status == "" || status == "draft" {
		ev.Set("status", map[bool]string{true: "published", false: "draft"}[d.Publish])
	}
	if d.Cover != nil {
		ev.Set("cover", d.Cover)
	}
	err := m.app.RunInTransaction(func(tx core.App) error {
		if err := tx.Save(ev); err != nil {
			return err
		}
		// a larger room seats the first in line
		_, err := m.settle(tx, ev)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("meetups: save event: %w", err)
	}
	m.publish(ev.Id)
	return ev, nil
}

// CancelEvent calls an event off; the members going are told.
func (m *Meetups) CancelEvent(by *core.Record, id string) error {
	ev, err := m.Find(by, id)
	if err != nil {
		return err
	}
	if !m.CanManage(by, ev) {
		return ErrNotOrganizer
	}
	return m.app.RunInTransaction(func(tx core.App) error {
		if _, err := tx.DB().NewQuery("UPDATE " + Events + " SET status = 'cancelled' WHERE id = {:id}").Bind(dbx.Params{"id": id}).Execute(); err != nil {
			return err
		}
		var told []string
		if err := tx.DB().Select("member").From(RSVPs).Where(dbx.HashExp{"event": id}).
			AndWhere(dbx.In("status", Going, Offered, Waitlist, Pending)).Column(&told); err != nil {
			return err
		}
		return m.events.Notify.Trigger(&hooks.NotifyEvent{App: tx, Kind: NoteSeat, To: told, Actor: by.Id, Subject: ev.GetString("title"),
			Link: "/meetups/" + id, Message: "meetups.note_cancelled"})
	})
}

// Invite invites members to an event (an invitation-only one needs one to
// RSVP); each is told, and the invitation shows on their profile.
func (m *Meetups) Invite(by *core.Record, id string, members []string) (int, error) {
	ev, err := m.Find(by, id)
	if err != nil {
		return 0, err
	}
	if !m.CanManage(by, ev) {
		return 0, ErrNotOrganizer
	}
	added := 0
	err = m.app.RunInTransaction(func(tx core.App) error {
		var told []string
		for _, member := range members {
			if _, err := tx.FindRecordById("users", member); err != nil {
				continue
			}
			res, err := tx.DB().NewQuery("INSERT INTO " + Invites + " (id, event, member, by, created) VALUES ({:id}, {:e}, {:m}, {:by}, {:now}) ON CONFLICT DO NOTHING").
				Bind(dbx.Params{"id": core.GenerateDefaultRandomId(), "e": id, "m": member, "by": by.Id, "now": m.now().UTC().Format(types.DefaultDateLayout)}).Execute()
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 1 {
				added++
				told = append(told, member)
			}
		}
		if len(told) == 0 {
			return nil
		}
		return m.events.Notify.Trigger(&hooks.NotifyEvent{App: tx, Kind: NoteInvite, To: told, Actor: by.Id, Subject: ev.GetString("title"),
			Link: "/meetups/" + id, Message: "meetups.note_invited"})
	})
	return added, err
}

// Invited reports whether member holds an invitation to event.
func (m *Meetups) Invited(member, event string) bool {
	n, _ := m.app.CountRecords(Invites, dbx.HashExp{"event": event, "member": member})
	return n > 0
}

// Upcoming lists published events that have not ended (of one club when
// club is set), soonest first.
func (m *Meetups) Upcoming(club string, limit int) ([]*core.Record, error) {
	q := m.app.RecordQuery(Events).AndWhere(dbx.HashExp{"status": "published"}).
		AndWhere(dbx.NewExp("ends > {:now}", dbx.Params{"now": m.now().UTC().Format(types.DefaultDateLayout)})).OrderBy("starts").Limit(int64(limit))
	if club != "" {
		q = q.AndWhere(dbx.HashExp{"club": club})
	}
	var out []*core.Record
	return out, q.All(&out)
}

// Past lists published events that ended, newest first.
func (m *Meetups) Past(club string, limit int) ([]*core.Record, error) {
	q := m.app.RecordQuery(Events).AndWhere(dbx.HashExp{"status": "published"}).
		AndWhere(dbx.NewExp("ends <= {:now}", dbx.Params{"now": m.now().UTC().Format(types.DefaultDateLayout)})).OrderBy("starts DESC").Limit(int64(limit))
	if club != "" {
		q = q.AndWhere(dbx.HashExp{"club": club})
	}
	var out []*core.Record
	return out, q.All(&out)
}

// SaveRecap stores the organizers' recap of an event (markdown).
func (m *Meetups) SaveRecap(by *core.Record, id, recap string) error {
	ev, err := m.Find(by, id)
	if err != nil {
		return err
	}
	if !m.CanManage(by, ev) {
		return ErrNotOrganizer
	}
	if utf8.RuneCountInString(recap) > 20000 {
		return ui.FieldErrors{"recap": "meetups.err_too_long"}
	}
	ev.Set("recap", strings.TrimSpace(recap))
	return m.app.Save(ev)
}
