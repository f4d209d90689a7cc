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
	if f.events != nil {
		hooks.TriggerAfterCommit(f.app, f.events.NeedStatusChanged, &hooks.NeedEvent{App: f.app, Topic: t, By: by, From: from, To: c.Status,
			Reason: c.Reason, Release: c.Release, ReleaseURL: c.ReleaseURL, Notified: len(told)})
	}
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

// setStatus stores a status change inside tx and asks (in the same
// transaction) for the author and every "me too" to be told, never the
// staff member who made the change; it returns those members.
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
	for _, mem := range members {
		if by == nil || mem != by.Id {
			told = append(told, mem)
		}
	}
	n := &hooks.NotifyEvent{App: tx, Kind: KindStatusNote, To: told, Subject: t.GetString("title"), Link: "/forum/t/" + t.Id,
		Message: "forum.notif_status", Args: []hooks.Arg{{Key: "forum.status_" + c.Status}}, Detail: c.Reason}
	if by != nil {
		n.Actor = by.Id
	}
	if c.Release != "" {
		n.Message, n.Args = "forum.notif_shipped", []hooks.Arg{{Text: c.Release}}
	}
	if err := f.events.Notify.Trigger(n); err != nil {
		return nil, err
	}
	return told, nil
}
