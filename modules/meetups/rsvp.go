package meetups

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"github.com/canyu/canyu/hooks"
	"github.com/canyu/canyu/ui"
)

// The kinds of notification the module sends.
const (
	NoteSeat   = "meetups.seat"   // a seat offered or given, an RSVP approved or declined, an event cancelled
	NoteInvite = "meetups.invite" // an invitation
	NoteClub   = "meetups.club"   // joining a club: requests to organizers, answers to members
)

// holdsSeat is the SQL of the statuses that hold a seat.
const holdsSeat = "status IN ('going', 'offered')"

// bindCounters recounts an event when an RSVP goes without passing through
// the module (a member deleting their account takes theirs along).
func (mod *Module) bindCounters(app core.App) {
	app.OnRecordAfterDeleteSuccess(RSVPs).BindFunc(func(e *core.RecordEvent) error {
		if ev, err := e.App.FindRecordById(Events, e.Record.GetString("event")); err == nil {
			if err := mod.m.recount(e.App, ev); err != nil {
				return err
			}
		}
		return e.Next()
	})
}

// RSVPState is a member's standing at an event.
type RSVPState struct {
	Status       string
	Place        int       // in line, from 1 (waitlist)
	OfferedUntil time.Time // offered
	CheckedIn    time.Time
	Answers      map[string]string
	ID           string
}

// Counts are an event's live figures.
type Counts struct {
	Going, Waitlist, CheckedIn, Capacity int
}

// Live is what the event's channel carries.
func (c Counts) Live() map[string]any {
	left := -1
	if c.Capacity > 0 {
		left = max(c.Capacity-c.Going, 0)
	}
	return map[string]any{"going": c.Going, "waitlist": c.Waitlist, "checked_in": c.CheckedIn, "left": left}
}

func (m *Meetups) stamp() string { return m.now().UTC().Format(types.DefaultDateLayout) }

// settle brings an event's seats up to date inside tx: offers past their
// time lapse, then each free seat goes to the next in line (offered for
// OfferWindow, or given at once when it is 0), each told; the counters move
// with each change. It returns the members given or offered a seat.
func (m *Meetups) settle(tx core.App, ev *core.Record) ([]string, error) {
	id, now := ev.Id, m.stamp()
	// lapsed offers
	var lapsed []string
	if err := tx.DB().Select("member").From(RSVPs).Where(dbx.HashExp{"event": id, "status": Offered}).
		AndWhere(dbx.NewExp("offered_until <= {:now}", dbx.Params{"now": now})).Column(&lapsed); err != nil {
		return nil, err
	}
	if len(lapsed) > 0 {
		if _, err := tx.DB().NewQuery("UPDATE " + RSVPs + " SET status = 'lapsed', updated = {:now} WHERE event = {:e} AND status = 'offered' AND offered_until <= {:now}").
			Bind(dbx.Params{"e": id, "now": now}).Execute(); err != nil {
			return nil, err
		}
		if err := shift(tx, id, -len(lapsed), 0); err != nil {
			return nil, err
		}
	}
	var promoted []string
	if capacity := ev.GetInt("capacity"); capacity > 0 && ev.GetString("status") == "published" {
		taken, _, err := seats(tx, id)
		if err != nil {
			return nil, err
		}
		if free := capacity - taken; free > 0 {
			var next []struct {
				ID     string `db:"id"`
				Member string `db:"member"`
			}
			if err := tx.DB().NewQuery("SELECT id, member FROM " + RSVPs + " WHERE event = {:e} AND status = 'waitlist' ORDER BY position LIMIT {:n}").
				Bind(dbx.Params{"e": id, "n": free}).All(&next); err != nil {
				return nil, err
			}
			status, until := Going, ""
			if m.cfg.OfferWindow > 0 {
				status, until = Offered, m.now().Add(m.cfg.OfferWindow).UTC().Format(types.DefaultDateLayout)
			}
			for _, n := range next {
				if _, err := tx.DB().NewQuery("UPDATE " + RSVPs + " SET status = {:s}, offered_until = {:until}, updated = {:now} WHERE id = {:id} AND status = 'waitlist'").
					Bind(dbx.Params{"s": status, "until": until, "now": now, "id": n.ID}).Execute(); err != nil {
					return nil, err
				}
				promoted = append(promoted, n.Member)
			}
			if err := shift(tx, id, len(promoted), -len(promoted)); err != nil {
				return nil, err
			}
			if len(promoted) > 0 {
				msg := "meetups.note_seat_given"
				if status == Offered {
					msg = "meetups.note_seat_offered"
				}
				if err := m.events.Notify.Trigger(&hooks.NotifyEvent{App: tx, Kind: NoteSeat, To: promoted, Subject: ev.GetString("title"),
					Link: "/meetups/" + id, Message: msg}); err != nil {
					return nil, err
				}
			}
		}
	}
	return promoted, nil
}

// seats reads an event's counters inside tx: seats held (going and
// offered) and members in line. Every change of an RSVP moves them in its
// own transaction (shift), so they are exact there, and reading them costs
// one row however long the line.
func seats(tx core.App, id string) (taken, waiting int, err error) {
	err = tx.DB().NewQuery("SELECT going, waitlist FROM "+Events+" WHERE id = {:e}").Bind(dbx.Params{"e": id}).Row(&taken, &waiting)
	return taken, waiting, err
}

// shift moves an event's counters.
func shift(tx core.App, id string, going, waiting int) error {
	if going == 0 && waiting == 0 {
		return nil
	}
	_, err := tx.DB().NewQuery("UPDATE " + Events + " SET going = going + {:g}, waitlist = waitlist + {:w} WHERE id = {:e}").
		Bind(dbx.Params{"e": id, "g": going, "w": waiting}).Execute()
	return err
}

// moves is what leaving status does to the counters.
func moves(status string) (going, waiting int) {
	switch status {
	case Going, Offered:
		return 1, 0
	case Waitlist:
		return 0, 1
	}
	return 0, 0
}

// nextPlace is the position after the last member in line.
func nextPlace(tx core.App, id string) (int, error) {
	var p int
	err := tx.DB().NewQuery("SELECT COALESCE(MAX(position), 0) + 1 FROM " + RSVPs + " WHERE event = {:e} AND status = 'waitlist'").Bind(dbx.Params{"e": id}).Row(&p)
	return p, err
}

// recount stores an event's counters, from its RSVPs (after a deletion the
// counters did not see, such as a member deleting their account).
func (m *Meetups) recount(tx core.App, ev *core.Record) error {
	_, err := tx.DB().NewQuery(`UPDATE ` + Events + ` SET
		going = (SELECT COUNT(*) FROM ` + RSVPs + ` WHERE event = {:e} AND ` + holdsSeat + `),
		waitlist = (SELECT COUNT(*) FROM ` + RSVPs + ` WHERE event = {:e} AND status = 'waitlist'),
		checked_in = (SELECT COUNT(*) FROM ` + RSVPs + ` WHERE event = {:e} AND checked_in != '')
		WHERE id = {:e}`).Bind(dbx.Params{"e": ev.Id}).Execute()
	return err
}

// CountsOf reads an event's counters.
func (m *Meetups) CountsOf(id string) (Counts, error) {
	var c Counts
	err := m.app.DB().NewQuery("SELECT going, waitlist, checked_in, capacity FROM "+Events+" WHERE id = {:e}").
		Bind(dbx.Params{"e": id}).Row(&c.Going, &c.Waitlist, &c.CheckedIn, &c.Capacity)
	return c, err
}

// publish sends an event's counters to its live channel.
func (m *Meetups) publish(id string) {
	m.fresh.Do(func() {
		if c, err := m.CountsOf(id); err == nil {
			m.pub.Publish("meetup:"+id, c.Live())
		}
	})
}

// checkAnswers keeps the answers to the event's questions (a choice must be
// one of them; every question needs an answer).
func checkAnswers(ev *core.Record, in map[string]string) (map[string]string, error) {
	var qs []Question
	_ = ev.UnmarshalJSONField("questions", &qs)
	out := map[string]string{}
	fe := ui.FieldErrors{}
	for i, q := range qs {
		key := fmt.Sprintf("q%d", i)
		a := strings.TrimSpace(in[key])
		switch {
		case a == "":
			fe[key] = "meetups.err_required"
		case len(q.Choices) > 0 && !slices.Contains(q.Choices, a):
			fe[key] = "meetups.err_choice"
		case utf8.RuneCountInString(a) > 200:
			fe[key] = "meetups.err_too_long"
		}
		out[q.Label] = a
	}
	if len(fe) > 0 {
		return nil, fe
	}
	return out, nil
}

// RSVP puts member down for an event: going while seats are free (or
// pending the organizers' approval when the event asks for it), in line
// after the last one otherwise. A member already down keeps their place.
// Seats are counted in the transaction that takes one, so concurrent RSVPs
// never pass the capacity.
func (m *Meetups) RSVP(member *core.Record, id string, answers map[string]string) (RSVPState, error) {
	ev, err := m.Find(member, id)
	if err != nil {
		return RSVPState{}, err
	}
	now := m.now()
	switch {
	case ev.GetString("status") != "published":
		return RSVPState{}, ErrClosed
	case !ev.GetDateTime("rsvp_opens").IsZero() && now.Before(ev.GetDateTime("rsvp_opens").Time()):
		return RSVPState{}, ErrNotOpenYet
	case !now.Before(closesAt(ev)):
		return RSVPState{}, ErrClosed
	case ev.GetBool("invite_only") && !m.Invited(member.Id, id) && !m.CanManage(member, ev):
		return RSVPState{}, ErrInviteOnly
	}
	kept, err := checkAnswers(ev, answers)
	if err != nil {
		return RSVPState{}, err
	}
	raw, _ := json.Marshal(kept)
	err = m.app.RunInTransaction(func(tx core.App) error {
		if _, err := m.settle(tx, ev); err != nil {
			return err
		}
		var current string
		err := tx.DB().Select("status").From(RSVPs).Where(dbx.HashExp{"event": id, "member": member.Id}).Row(&current)
		switch {
		case errNoRows(err):
		case err != nil:
			return err
		case current == Declined:
			return ErrDeclined
		case current == Going || current == Pending || current == Waitlist || current == Offered:
			return nil // already down: the place stays
		}
		status, position := Going, 0
		if ev.GetBool("approval") && !m.CanManage(member, ev) {
			status = Pending
		} else if capacity := ev.GetInt("capacity"); capacity > 0 {
			taken, waiting, err := seats(tx, id)
			if err != nil {
				return err
			}
			if taken >= capacity || waiting > 0 { // nobody jumps the line
				status = Waitlist
				if position, err = nextPlace(tx, id); err != nil {
					return err
				}
			}
		}
		_, err = tx.DB().NewQuery("INSERT INTO " + RSVPs + ` (id, event, member, status, position, offered_until, answers, checked_in, reminded, created, updated)
			VALUES ({:id}, {:e}, {:m}, {:s}, {:p}, '', {:a}, '', FALSE, {:now}, {:now})
			ON CONFLICT (event, member) DO UPDATE SET status = excluded.status, position = excluded.position, offered_until = '',
			answers = excluded.answers, updated = excluded.updated`).
			Bind(dbx.Params{"id": core.GenerateDefaultRandomId(), "e": id, "m": member.Id, "s": status, "p": position, "a": string(raw), "now": m.stamp()}).Execute()
		if err != nil {
			return err
		}
		if status == Pending {
			if err := m.tellOrganizers(tx, ev, member, "meetups.note_pending"); err != nil {
				return err
			}
		}
		g, w := moves(status)
		return shift(tx, id, g, w)
	})
	if err != nil {
		return RSVPState{}, err
	}
	m.publish(id)
	return m.State(member.Id, id)
}

// closesAt is when an event's RSVPs close: its rsvp_closes, else its start.
func closesAt(ev *core.Record) time.Time {
	if c := ev.GetDateTime("rsvp_closes"); !c.IsZero() {
		return c.Time()
	}
	return ev.GetDateTime("starts").Time()
}

// Cancel takes member off an event (their seat, their place in line, their
// request, or an offer they decline); a freed seat goes to the next in line
// at once, in the same transaction, so each seat is given exactly once.
func (m *Meetups) Cancel(member *core.Record, id string) error {
	ev, err := m.Find(member, id)
	if err != nil {
		return err
	}
	err = m.app.RunInTransaction(func(tx core.App) error {
		var was string
		err := tx.DB().Select("status").From(RSVPs).Where(dbx.HashExp{"event": id, "member": member.Id}).Row(&was)
		if errNoRows(err) || err == nil && was != Going && was != Offered && was != Waitlist && was != Pending {
			return ErrNoRSVP
		} else if err != nil {
			return err
		}
		if _, err := tx.DB().NewQuery("UPDATE " + RSVPs + " SET status = 'cancelled', offered_until = '', updated = {:now} WHERE event = {:e} AND member = {:m}").
			Bind(dbx.Params{"e": id, "m": member.Id, "now": m.stamp()}).Execute(); err != nil {
			return err
		}
		g, w := moves(was)
		if err := shift(tx, id, -g, -w); err != nil {
			return err
		}
		_, err = m.settle(tx, ev)
		return err
	})
	if err != nil {
		return err
	}
	m.publish(id)
	return nil
}

// ConfirmOffer takes the seat offered to member, before the offer lapses.
func (m *Meetups) ConfirmOffer(member *core.Record, id string) error {
	ev, err := m.Find(member, id)
	if err != nil {
		return err
	}
	// a lapsed offer lapses first, and its seat moves on, whatever the
	// confirmation says after
	err = m.app.RunInTransaction(func(tx core.App) error {
		_, err := m.settle(tx, ev)
		return err
	})
	if err != nil {
		return err
	}
	err = m.app.RunInTransaction(func(tx core.App) error {
		res, err := tx.DB().NewQuery("UPDATE " + RSVPs + " SET status = 'going', offered_until = '', updated = {:now} WHERE event = {:e} AND member = {:m} AND status = 'offered' AND offered_until > {:now}").
			Bind(dbx.Params{"e": id, "m": member.Id, "now": m.stamp()}).Execute()
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var status string
			_ = tx.DB().Select("status").From(RSVPs).Where(dbx.HashExp{"event": id, "member": member.Id}).Row(&status)
			if status == Lapsed {
				return ErrOfferLapsed
			}
			return ErrNoOffer
		}
		return nil // offered to going: a seat either way
	})
	if err != nil {
		return err
	}
	m.publish(id)
	return nil
}

// Decide is the organizers' answer to a pending RSVP: approved, the member
// is going (or in line when the room is full); refused, declined. Each is
// told.
func (m *Meetups) Decide(by *core.Record, id, member string, approve bool) error {
	ev, err := m.Find(by, id)
	if err != nil {
		return err
	}
	if !m.CanManage(by, ev) {
		return ErrNotOrganizer
	}
	err = m.app.RunInTransaction(func(tx core.App) error {
		status, msg := Declined, "meetups.note_declined"
		if approve {
			status, msg = Going, "meetups.note_approved"
			if capacity := ev.GetInt("capacity"); capacity > 0 {
				taken, waiting, err := seats(tx, id)
				if err != nil {
					return err
				}
				if taken >= capacity || waiting > 0 {
					status, msg = Waitlist, "meetups.note_approved_waitlist"
				}
			}
		}
		position, err := nextPlace(tx, id)
		if err != nil {
			return err
		}
		res, err := tx.DB().NewQuery("UPDATE " + RSVPs + " SET status = {:s}, position = {:p}, updated = {:now} WHERE event = {:e} AND member = {:m} AND status = 'pending'").
			Bind(dbx.Params{"s": status, "p": position, "e": id, "m": member, "now": m.stamp()}).Execute()
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNoRSVP
		}
		if err := m.events.Notify.Trigger(&hooks.NotifyEvent{App: tx, Kind: NoteSeat, To: []string{member}, Actor: by.Id,
			Subject: ev.GetString("title"), Link: "/meetups/" + id, Message: msg}); err != nil {
			return err
		}
		g, w := moves(status)
		return shift(tx, id, g, w)
	})
	if err != nil {
		return err
	}
	m.publish(id)
	return nil
}

// ExpireOffers lapses the offers past their time and passes their seats on,
// for every event (the cron runs it every minute; each RSVP, cancellation
// and confirmation settles its own event first too). It returns how many
// members were given or offered a seat.
func (m *Meetups) ExpireOffers() (int, error) {
	var ids []string
	if err := m.app.DB().Select("event").Distinct(true).From(RSVPs).Where(dbx.HashExp{"status": Offered}).
		AndWhere(dbx.NewExp("offered_until <= {:now}", dbx.Params{"now": m.stamp()})).Column(&ids); err != nil {
		return 0, err
	}
	total := 0
	for _, id := range ids {
		ev, err := m.app.FindRecordById(Events, id)
		if err != nil {
			continue
		}
		err = m.app.RunInTransaction(func(tx core.App) error {
			promoted, err := m.settle(tx, ev)
			total += len(promoted)
			return err
		})
		if err != nil {
			return total, err
		}
		m.publish(id)
	}
	return total, nil
}

// State returns member's standing at an event (Status "" when none).
func (m *Meetups) State(member, id string) (RSVPState, error) {
	var row struct {
		ID        string         `db:"id"`
		Status    string         `db:"status"`
		Position  int            `db:"position"`
		Until     types.DateTime `db:"offered_until"`
		CheckedIn types.DateTime `db:"checked_in"`
		Answers   string         `db:"answers"`
	}
	err := m.app.DB().NewQuery("SELECT id, status, position, offered_until, checked_in, answers FROM " + RSVPs + " WHERE event = {:e} AND member = {:m}").
		Bind(dbx.Params{"e": id, "m": member}).One(&row)
	if errNoRows(err) {
		return RSVPState{}, nil
	} else if err != nil {
		return RSVPState{}, err
	}
	s := RSVPState{ID: row.ID, Status: row.Status, OfferedUntil: row.Until.Time(), CheckedIn: row.CheckedIn.Time()}
	_ = json.Unmarshal([]byte(row.Answers), &s.Answers)
	if s.Status == Offered && !m.now().Before(s.OfferedUntil) {
		s.Status = Lapsed // the cron has not passed yet: the member sees the truth
	}
	if s.Status == Waitlist {
		if err := m.app.DB().NewQuery("SELECT COUNT(*) + 1 FROM " + RSVPs + " WHERE event = {:e} AND status = 'waitlist' AND position < {:p}").
			Bind(dbx.Params{"e": id, "p": row.Position}).Row(&s.Place); err != nil {
			return s, err
		}
	}
	return s, nil
}

// tellOrganizers notifies an event's organizers (its club's president and
// officers, or its author) inside tx.
func (m *Meetups) tellOrganizers(tx core.App, ev, member *core.Record, msg string) error {
	var to []string
	if club, err := tx.FindRecordById(Clubs, ev.GetString("club")); err == nil {
		to = append(club.GetStringSlice("officers"), club.GetString("president"))
	}
	if len(to) == 0 || ev.GetString("kind") != KindClub {
		to = []string{ev.GetString("created_by")}
	}
	to = slices.DeleteFunc(slices.Compact(to), func(s string) bool { return s == "" })
	if len(to) == 0 {
		return nil
	}
	return m.events.Notify.Trigger(&hooks.NotifyEvent{App: tx, Kind: NoteSeat, To: to, Actor: member.Id, Subject: ev.GetString("title"),
		Link: "/meetups/" + ev.Id + "/manage", Message: msg, Args: []hooks.Arg{{Text: member.GetString("name")}}})
}
