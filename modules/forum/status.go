package forum

import (
	"errors"
	"fmt"
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

// ChangeStatus moves a request or bug to status and tells its author and
// every member who pressed "me too". Declining or marking a duplicate needs
// a reason. The notifications are stored in the same transaction; the live
// counters and the NeedStatusChanged event follow the commit.
func (f *Forum) ChangeStatus(by *core.Record, topicID, status, reason string) error {
	t, err := f.FindTopic(topicID)
	if err != nil {
		return err
	}
	if k := t.GetString("kind"); k != KindRequest && k != KindBug {
		return ErrNotMeTooable
	}
	from := t.GetString("status")
	if !slices.Contains(Statuses, status) || status == from {
		return ErrBadStatus
	}
	reason = strings.TrimSpace(reason)
	if (status == "declined" || status == "duplicate") && reason == "" {
		return FieldErrors{"reason": "forum.err_reason"}
	}
	if utf8.RuneCountInString(reason) > 1000 {
		return FieldErrors{"reason": "forum.err_too_long"}
	}
	var told []string
	err = f.app.RunInTransaction(func(tx core.App) error {
		var err error
		told, err = f.setStatus(tx, by, t, status, reason)
		return err
	})
	if err != nil {
		return fmt.Errorf("forum: change status: %w", err)
	}
	f.pub.Publish("topic:"+t.Id, map[string]any{"status": status})
	f.publishUnread(told)
	if f.events != nil {
		hooks.TriggerAfterCommit(f.app, f.events.NeedStatusChanged, &hooks.NeedEvent{App: f.app, Topic: t, By: by, From: from, To: status, Reason: reason, Notified: len(told)})
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

// MarkRead marks every notification of member as read.
func (f *Forum) MarkRead(memberID string) error {
	_, err := f.app.DB().NewQuery("UPDATE " + Notifications + " SET read = TRUE WHERE member = {:m} AND read = FALSE").
		Bind(dbx.Params{"m": memberID}).Execute()
	if err == nil {
		f.pub.Publish("member:"+memberID, map[string]any{"unread": 0})
	}
	return err
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
func (f *Forum) setStatus(tx core.App, by, t *core.Record, status, reason string) ([]string, error) {
	var told []string
	fresh, err := tx.FindRecordById(Topics, t.Id)
	if err != nil {
		return nil, err
	}
	fresh.Set("status", status)
	fresh.Set("status_reason", reason)
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
		n.Set("status", status)
		n.Set("reason", reason)
		if err := tx.Save(n); err != nil {
			return nil, err
		}
		told = append(told, mem)
	}
	return told, nil
}
