package forum

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"github.com/canyu/canyu/hooks"
)

// Notifications is the collection of the in-app notification center.
const Notifications = "forum_notifications"

// Statuses of requests and bugs, in their usual order.
var Statuses = []string{"new", "review", "planned", "progress", "shipped", "declined", "duplicate"}

// ErrBadStatus is an unknown status, or a change to the same status.
var ErrBadStatus = errors.New("forum: invalid status")

// StatusChange is what staff say when they move a need: the new status, a
// reason (needed to decline or mark a duplicate) and, for "shipped", the
// release it shipped in: a version and, optionally, a link to its release
// notes (an http(s) URL or a path on this site).
type StatusChange struct {
	Status     string
	Reason     string
	Release    string
	ReleaseURL string
}

// check trims c and returns the field errors of a change to c.Status.
// Release fields only belong to "shipped": for any other status they are
// dropped.
func (c *StatusChange) check() error {
	c.Reason = strings.TrimSpace(c.Reason)
	c.Release = strings.TrimSpace(c.Release)
	c.ReleaseURL = strings.TrimSpace(c.ReleaseURL)
	fe := FieldErrors{}
	if (c.Status == "declined" || c.Status == "duplicate") && c.Reason == "" {
		fe["reason"] = "forum.err_reason"
	}
	if utf8.RuneCountInString(c.Reason) > 1000 {
		fe["reason"] = "forum.err_too_long"
	}
	if c.Status != "shipped" {
		c.Release, c.ReleaseURL = "", ""
	}
	switch {
	case c.Status == "shipped" && c.Release == "":
		fe["release"] = "forum.err_release"
	case utf8.RuneCountInString(c.Release) > 64:
		fe["release"] = "forum.err_too_long"
	}
	if c.ReleaseURL != "" && !releaseLink(c.ReleaseURL) {
		fe["release_url"] = "forum.err_release_url"
	}
	if len(fe) > 0 {
		return fe
	}
	return nil
}

// releaseLink accepts an absolute http(s) URL or a path on this site, at
// most 500 characters: nothing a browser would run.
func releaseLink(s string) bool {
	if len(s) > 500 || strings.ContainsAny(s, "\\\t\r\n") { // a browser reads /\host as //host
		return false
	}
	if strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "//") {
		return true
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// ChangeStatus moves a request or bug to c.Status and tells its author and
// every member who pressed "me too". Declining or marking a duplicate needs
// a reason; shipping needs the release. The notifications are stored in the
// same transaction; the live counters and the NeedStatusChanged event follow
// the commit.
func (f *Forum) ChangeStatus(by *core.Record, topicID string, c StatusChange) error {
	t, err := f.FindTopic(topicID)
	if err != nil {
		return err
	}
	if k := t.GetString("kind"); k != KindRequest && k != KindBug {
		return ErrNotMeTooable
	}
	from := t.GetString("status")
	if !slices.Contains(Statuses, c.Status) || c.Status == from {
		return ErrBadStatus
	}
	if err := c.check(); err != nil {
		return err
	}
	var told []string
	err = f.app.RunInTransaction(func(tx core.App) error {
		var err error
		told, err = f.setStatus(tx, by, t, c)
		return err
	})
	if err != nil {
		return fmt.Errorf("forum: change status: %w", err)
	}
	f.publishTopic(t, map[string]any{"status": c.Status})
	f.publishUnread(told)
	if f.events != nil {
		hooks.TriggerAfterCommit(f.app, f.events.NeedStatusChanged, &hooks.NeedEvent{App: f.app, Topic: t, By: by, From: from, To: c.Status,
			Reason: c.Reason, Release: c.Release, ReleaseURL: c.ReleaseURL, Notified: len(told)})
	}
	return nil
}

// Unread counts a member's unread notifications.
func (f *Forum) Unread(memberID string) int {
	n, _ := f.app.CountRecords(Notifications, dbx.HashExp{"member": memberID, "read": false})
	return int(n)
}

// publishUnread puts each member's unread count on their live channel.
func (f *Forum) publishUnread(members []string) {
	for _, mem := range members {
		f.pub.Publish("member:"+mem, map[string]any{"unread": f.Unread(mem)})
	}
}

// MarkRead marks one notification of member as read, or all of them when
// id is empty, and puts the new unread count on the member's channel.
func (f *Forum) MarkRead(memberID, id string) error {
	q := "UPDATE " + Notifications + " SET read = TRUE WHERE member = {:m} AND read = FALSE"
	if id != "" {
		q += " AND id = {:id}"
	}
	if _, err := f.app.DB().NewQuery(q).Bind(dbx.Params{"m": memberID, "id": id}).Execute(); err != nil {
		return err
	}
	f.publishUnread([]string{memberID})
	return nil
}

// Roadmap returns the visible requests and bugs that are planned, in
// progress, and shipped within the last 30 days.
func (f *Forum) Roadmap() (planned, progress, shipped []*core.Record, err error) {
	get := func(status, extra string, p dbx.Params) ([]*core.Record, error) {
		p["s"] = status
		return f.app.FindRecordsByFilter(Topics, "hidden = false && status = {:s}"+extra, "-metoo_count,-updated", 50, 0, p)
	}
	if planned, err = get("planned", "", dbx.Params{}); err != nil {
		return
	}
	if progress, err = get("progress", "", dbx.Params{}); err != nil {
		return
	}
	since := f.now().UTC().AddDate(0, 0, -30).Format(types.DefaultDateLayout)
	shipped, err = get("shipped", " && updated >= {:since}", dbx.Params{"since": since})
	return
}

// setStatus stores a status change and the notifications it causes inside
// tx, and returns the members told (the author and every "me too", never
// the staff member who made the change).
func (f *Forum) setStatus(tx core.App, by, t *core.Record, c StatusChange) ([]string, error) {
	var told []string
	fresh, err := tx.FindRecordById(Topics, t.Id)
	if err != nil {
		return nil, err
	}
	fresh.Set("status", c.Status)
	fresh.Set("status_reason", c.Reason)
	fresh.Set("shipped_in", c.Release)
	fresh.Set("shipped_url", c.ReleaseURL)
	if err := tx.Save(fresh); err != nil {
		return nil, err
	}
	*t = *fresh
	var members []string
	if err := tx.DB().NewQuery("SELECT member FROM " + MeToos + " WHERE topic = {:t}").Bind(dbx.Params{"t": t.Id}).Column(&members); err != nil {
		return nil, err
	}
	members = append(members, t.GetString("author"))
	slices.Sort(members)
	members = slices.Compact(members)
	col, err := tx.FindCachedCollectionByNameOrId(Notifications)
	if err != nil {
		return nil, err
	}
	for _, mem := range members {
		if by != nil && mem == by.Id {
			continue
		}
		n := core.NewRecord(col)
		n.Set("member", mem)
		n.Set("topic", t.Id)
		n.Set("kind", "status")
		n.Set("status", c.Status)
		n.Set("reason", c.Reason)
		n.Set("release", c.Release)
		if err := tx.Save(n); err != nil {
			return nil, err
		}
		told = append(told, mem)
	}
	return told, nil
}
