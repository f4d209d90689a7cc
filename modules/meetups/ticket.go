package meetups

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"image/png"
	"strings"
	"time"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"github.com/canyu/canyu/hooks"
)

// A ticket is an RSVP's id and a signature over it with the site's ticket
// key: "<rsvp id>-<10 letters>". Anyone may read it; only this site can
// make one, and a door checks it without a list.

var sigEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

const sigLen = 10

// ticketKey loads the site's ticket key, making it on first use.
func (m *Meetups) ticketKey() ([]byte, error) {
	m.keyOnce.Do(func() {
		var secret string
		err := m.app.DB().Select("secret").From(Keys).Limit(1).Row(&secret)
		if errors.Is(err, sql.ErrNoRows) {
			b := make([]byte, 32)
			if _, err = rand.Read(b); err == nil {
				secret = hex.EncodeToString(b)
				_, err = m.app.DB().NewQuery("INSERT INTO " + Keys + " (id, secret) VALUES ({:id}, {:s})").
					Bind(dbx.Params{"id": core.GenerateDefaultRandomId(), "s": secret}).Execute()
			}
		}
		if err != nil {
			m.keyErr = err
			return
		}
		m.key, m.keyErr = hex.DecodeString(secret)
	})
	return m.key, m.keyErr
}

func (m *Meetups) sign(rsvp string) (string, error) {
	key, err := m.ticketKey()
	if err != nil {
		return "", err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("canyu-ticket\x00" + rsvp))
	return strings.ToLower(sigEncoding.EncodeToString(mac.Sum(nil))[:sigLen]), nil
}

// Ticket returns member's ticket code for an event, when they hold a seat.
func (m *Meetups) Ticket(member, id string) (string, error) {
	s, err := m.State(member, id)
	if err != nil {
		return "", err
	}
	if s.Status != Going {
		return "", ErrNotGoing
	}
	sig, err := m.sign(s.ID)
	if err != nil {
		return "", err
	}
	return s.ID + "-" + sig, nil
}

// QR draws a code as a PNG, size pixels wide.
func QR(code string, size int) ([]byte, error) {
	b, err := qr.Encode(strings.ToUpper(code), qr.M, qr.AlphaNumeric)
	if err != nil {
		return nil, err
	}
	if b, err = barcode.Scale(b, size, size); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	err = png.Encode(&buf, b)
	return buf.Bytes(), err
}

// CheckIn is the result of a scan at the door.
type CheckIn struct {
	Member, Name string
	At           time.Time // when this ticket was checked in (now, or before for a used one)
	Answers      map[string]string
}

// CheckInTicket checks a typed or scanned code in at an event's door: the
// code must carry this site's signature, belong to this event and to a
// member holding a seat, and not have been used; the check-in is one
// conditional update, so two doors scanning one ticket at once let it in
// once. meetup.attended follows.
func (m *Meetups) CheckInTicket(by *core.Record, id, code string) (CheckIn, error) {
	ev, err := m.Find(by, id)
	if err != nil {
		return CheckIn{}, err
	}
	if !m.CanManage(by, ev) {
		return CheckIn{}, ErrNotOrganizer
	}
	code = strings.ToLower(strings.Join(strings.Fields(code), ""))
	rsvp, sig, ok := strings.Cut(code, "-")
	if !ok || len(rsvp) != 15 || len(sig) != sigLen {
		return CheckIn{}, ErrBadTicket
	}
	want, err := m.sign(rsvp)
	if err != nil {
		return CheckIn{}, err
	}
	if !hmac.Equal([]byte(sig), []byte(want)) {
		return CheckIn{}, ErrBadTicket
	}
	r, err := m.app.FindRecordById(RSVPs, rsvp)
	if err != nil {
		return CheckIn{}, ErrBadTicket // signed by this site, since deleted
	}
	out := CheckIn{Member: r.GetString("member")}
	if member, err := m.app.FindRecordById("users", out.Member); err == nil {
		out.Name = member.GetString("name")
	}
	_ = r.UnmarshalJSONField("answers", &out.Answers)
	if r.GetString("event") != id {
		return out, ErrOtherEvent
	}
	if r.GetString("status") != Going {
		return out, ErrNotGoing
	}
	now := m.now()
	err = m.app.RunInTransaction(func(tx core.App) error {
		res, err := tx.DB().NewQuery("UPDATE " + RSVPs + " SET checked_in = {:now}, updated = {:now} WHERE id = {:id} AND checked_in = ''").
			Bind(dbx.Params{"id": rsvp, "now": now.UTC().Format(types.DefaultDateLayout)}).Execute()
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrTicketUsed
		}
		if _, err := tx.DB().NewQuery("UPDATE " + Events + " SET checked_in = checked_in + 1 WHERE id = {:e}").Bind(dbx.Params{"e": id}).Execute(); err != nil {
			return err
		}
		slug := ""
		if club, err := tx.FindRecordById(Clubs, ev.GetString("club")); err == nil {
			slug = club.GetString("slug")
		}
		hooks.TriggerAfterCommit(tx, m.events.MeetupAttended, &hooks.MeetupEvent{App: m.app, ID: id, Title: ev.GetString("title"),
			Kind: ev.GetString("kind"), Club: slug, Member: out.Member, Starts: ev.GetDateTime("starts").Time()})
		return nil
	})
	if errors.Is(err, ErrTicketUsed) {
		if fresh, ferr := m.app.FindRecordById(RSVPs, rsvp); ferr == nil {
			out.At = fresh.GetDateTime("checked_in").Time()
		}
		return out, ErrTicketUsed
	}
	if err != nil {
		return out, err
	}
	out.At = now
	m.publish(id)
	return out, nil
}

// Attendee is a member who was there.
type Attendee struct {
	ID, Name string
}

// Attendees lists who checked in at an event, in order of arrival.
func (m *Meetups) Attendees(id string) ([]Attendee, error) {
	var out []Attendee
	err := m.app.DB().NewQuery(`SELECT u.id AS id, u.name AS name FROM ` + RSVPs + ` r JOIN users u ON u.id = r.member
		WHERE r.event = {:e} AND r.checked_in != '' ORDER BY r.checked_in`).Bind(dbx.Params{"e": id}).All(&out)
	return out, err
}

// Attended reports whether member checked in at an event.
func (m *Meetups) Attended(member, id string) bool {
	s, err := m.State(member, id)
	return err == nil && !s.CheckedIn.IsZero()
}

// errNoRows reports a missing row.
func errNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
