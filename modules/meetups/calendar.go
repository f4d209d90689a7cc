package meetups

import (
	"crypto/rand"
	"encoding/hex"
	"strings"

	ics "github.com/arran4/golang-ical"
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// ICS writes events as an iCalendar file named name: one VEVENT each, in
// UTC, with the venue, the link to the event's page and, for a cancelled
// one, STATUS:CANCELLED (so calendars that subscribed drop it).
func (m *Meetups) ICS(name, base string, events []*core.Record) string {
	cal := ics.NewCalendar()
	cal.SetProductId("-//Canyu//Meetups//EN")
	cal.SetMethod(ics.MethodPublish)
	cal.SetName(name)
	cal.SetXWRCalName(name)
	cal.SetRefreshInterval("PT1H")
	for _, ev := range events {
		v := cal.AddEvent(ev.Id + "@canyu-meetups")
		v.SetDtStampTime(ev.GetDateTime("updated").Time())
		v.SetCreatedTime(ev.GetDateTime("created").Time())
		v.SetModifiedAt(ev.GetDateTime("updated").Time())
		v.SetStartAt(ev.GetDateTime("starts").Time())
		v.SetEndAt(ev.GetDateTime("ends").Time())
		v.SetSummary(ev.GetString("title"))
		v.SetURL(base + "/meetups/" + ev.Id)
		where := strings.TrimSpace(strings.Trim(ev.GetString("venue")+", "+ev.GetString("address"), ", "))
		if where == "" {
			where = ev.GetString("online_url")
		}
		if where != "" {
			v.SetLocation(where)
		}
		desc := ev.GetString("description")
		if online := ev.GetString("online_url"); online != "" {
			desc = strings.TrimSpace(desc + "\n\n" + online)
		}
		v.SetDescription(strings.TrimSpace(desc + "\n\n" + base + "/meetups/" + ev.Id))
		if ev.GetString("status") == "cancelled" {
			v.SetStatus(ics.ObjectStatusCancelled)
		} else {
			v.SetStatus(ics.ObjectStatusConfirmed)
		}
	}
	return cal.Serialize()
}

// FeedToken returns member's private calendar token, making one on first
// use (fresh: a new one, so an old link stops working).
func (m *Meetups) FeedToken(member string, fresh bool) (string, error) {
	var token string
	err := m.app.DB().Select("token").From(Feeds).Where(dbx.HashExp{"member": member}).Row(&token)
	if err == nil && !fresh {
		return token, nil
	}
	if err != nil && !errNoRows(err) {
		return "", err
	}
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	token = hex.EncodeToString(b)
	_, err = m.app.DB().NewQuery("INSERT INTO " + Feeds + " (id, member, token) VALUES ({:id}, {:m}, {:t}) ON CONFLICT (member) DO UPDATE SET token = excluded.token").
		Bind(dbx.Params{"id": core.GenerateDefaultRandomId(), "m": member, "t": token}).Execute()
	return token, err
}

// FeedOwner returns the member whose calendar token this is.
func (m *Meetups) FeedOwner(token string) (string, bool) {
	if len(token) != 48 {
		return "", false
	}
	var member string
	err := m.app.DB().Select("member").From(Feeds).Where(dbx.HashExp{"token": token}).Row(&member)
	return member, err == nil
}

// MyEvents lists the events member is down for (going, offered, pending or
// in line), soonest first, the last 90 days included.
func (m *Meetups) MyEvents(member string) ([]*core.Record, map[string]string, error) {
	var rows []struct {
		Event  string `db:"event"`
		Status string `db:"status"`
	}
	err := m.app.DB().NewQuery("SELECT event, status FROM " + RSVPs + " WHERE member = {:m} AND status IN ('going', 'offered', 'pending', 'waitlist')").
		Bind(dbx.Params{"m": member}).All(&rows)
	if err != nil || len(rows) == 0 {
		return nil, nil, err
	}
	status := map[string]string{}
	var ids []any
	for _, r := range rows {
		status[r.Event] = r.Status
		ids = append(ids, r.Event)
	}
	var out []*core.Record
	err = m.app.RecordQuery(Events).AndWhere(dbx.In("id", ids...)).AndWhere(dbx.In("status", "published", "cancelled")).
		AndWhere(dbx.NewExp("ends > {:since}", dbx.Params{"since": m.now().AddDate(0, 0, -90).UTC().Format("2006-01-02 15:04:05.000Z")})).
		OrderBy("starts").All(&out)
	return out, status, err
}
