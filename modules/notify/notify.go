// Package notify is the one place members are told things: every module
// asks through the hooks.Notify request, inside its own transaction, and
// notify stores the notifications, keeps the bell's unread count live, shows
// the notification center, lets each member mute kinds of notification and
// choose their email (none, at once, a daily or a weekly digest), and sends
// those emails in the member's language.
package notify

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"github.com/canyu/canyu/hooks"
	"github.com/canyu/canyu/platform"
)

// Collection names.
const (
	Notifications = "notify_notifications"
	Settings      = "notify_settings"
)

// Email modes of a member's settings.
const (
	EmailOff       = "off"
	EmailImmediate = "immediate"
	EmailDaily     = "daily"
	EmailWeekly    = "weekly"
)

// EmailModes lists the modes in the order the settings page offers them.
var EmailModes = []string{EmailOff, EmailImmediate, EmailDaily, EmailWeekly}

// Errors of the notify module.
var (
	ErrNotFound = errors.New("notify: no such notification")
	ErrBadMode  = errors.New("notify: unknown email mode")
	ErrBadKind  = errors.New("notify: unknown kind of notification")
	errHour     = errors.New("notify.digest_hour must be between 0 and 23")
	errKeep     = errors.New("notify.keep must be at least 24h")
)

// Notifier stores members' notifications and their settings.
type Notifier struct {
	app    core.App
	now    func() time.Time
	pub    platform.Publisher
	events *hooks.Events
	// sent is called after a commit that stored notifications (wakes the
	// immediate-email sender).
	sent func()
}

// store handles a Notify request inside the acting module's transaction:
// one row per member told (never the actor, never a member who muted the
// kind). The unread counts go live once the transaction commits.
func (n *Notifier) store(e *hooks.NotifyEvent) error {
	if !n.known(e.Kind) {
		return fmt.Errorf("%w: %q (declare it with Events.DeclareNotification)", ErrBadKind, e.Kind)
	}
	to := make([]string, 0, len(e.To))
	for _, id := range e.To {
		if id != "" && id != e.Actor && !slices.Contains(to, id) {
			to = append(to, id)
		}
	}
	if len(to) == 0 {
		return nil
	}
	tx := e.App
	muted, err := n.muting(tx, e.Kind, to)
	if err != nil {
		return err
	}
	args, err := json.Marshal(e.Args)
	if err != nil {
		return err
	}
	now := n.now().UTC().Format(types.DefaultDateLayout)
	for _, id := range to {
		if muted[id] {
			continue
		}
		_, err := tx.DB().NewQuery("INSERT INTO " + Notifications + ` (id, member, kind, actor, subject, link, message, args, detail, read, emailed, created)
			VALUES ({:id}, {:m}, {:k}, {:a}, {:s}, {:l}, {:msg}, {:args}, {:d}, FALSE, FALSE, {:now})`).
			Bind(dbx.Params{"id": core.GenerateDefaultRandomId(), "m": id, "k": e.Kind, "a": e.Actor, "s": cut(e.Subject, 300),
				"l": cut(e.Link, 500), "msg": e.Message, "args": string(args), "d": cut(e.Detail, 1000), "now": now}).Execute()
		if err != nil {
			return fmt.Errorf("notify: store: %w", err)
		}
		e.Told = append(e.Told, id)
	}
	told := slices.Clone(e.Told)
	hooks.AfterCommit(tx, func() {
		n.publishUnread(told)
		if n.sent != nil {
			n.sent()
		}
	})
	return nil
}

// muting returns which of the members mute kind.
func (n *Notifier) muting(tx core.App, kind string, members []string) (map[string]bool, error) {
	ids := make([]any, len(members))
	for i, m := range members {
		ids[i] = m
	}
	var rows []string
	err := tx.DB().Select("member").From(Settings).
		Where(dbx.In("member", ids...)).
		AndWhere(dbx.NewExp("EXISTS (SELECT 1 FROM json_each(muted) WHERE value = {:k})", dbx.Params{"k": kind})).
		Column(&rows)
	if err != nil {
		return nil, fmt.Errorf("notify: settings: %w", err)
	}
	out := make(map[string]bool, len(rows))
	for _, r := range rows {
		out[r] = true
	}
	return out, nil
}

func (n *Notifier) known(kind string) bool {
	for _, k := range n.events.NotificationKinds() {
		if k.Key == kind {
			return true
		}
	}
	return false
}

// Unread counts a member's unread notifications.
func (n *Notifier) Unread(member string) int {
	c, _ := n.app.CountRecords(Notifications, dbx.HashExp{"member": member, "read": false})
	return int(c)
}

func (n *Notifier) publishUnread(members []string) {
	for _, m := range members {
		n.pub.Publish("member:"+m, map[string]any{"unread": n.Unread(m)})
	}
}

// MarkRead marks one of member's notifications read, or all of them when
// id is empty, and puts the new count on the member's channel.
func (n *Notifier) MarkRead(member, id string) error {
	q := "UPDATE " + Notifications + " SET read = TRUE WHERE member = {:m} AND read = FALSE"
	if id != "" {
		q += " AND id = {:id}"
	}
	if _, err := n.app.DB().NewQuery(q).Bind(dbx.Params{"m": member, "id": id}).Execute(); err != nil {
		return fmt.Errorf("notify: mark read: %w", err)
	}
	n.publishUnread([]string{member})
	return nil
}

// Find returns one of member's notifications.
func (n *Notifier) Find(member, id string) (*core.Record, error) {
	r, err := n.app.FindFirstRecordByFilter(Notifications, "id = {:id} && member = {:m}", dbx.Params{"id": id, "m": member})
	if err != nil {
		return nil, ErrNotFound
	}
	return r, nil
}

// List returns member's newest notifications.
func (n *Notifier) List(member string, limit int) ([]*core.Record, error) {
	return n.app.FindRecordsByFilter(Notifications, "member = {:m}", "-created,-id", limit, 0, dbx.Params{"m": member})
}

// Preferences are a member's notification settings.
type Preferences struct {
	Muted []string // kinds the member does not want
	Email string   // off, immediate, daily, weekly
}

// Prefs returns member's settings (the defaults when they chose none:
// nothing muted, no email).
func (n *Notifier) Prefs(member string) (Preferences, error) {
	r, err := n.app.FindFirstRecordByData(Settings, "member", member)
	if err != nil {
		return Preferences{Email: EmailOff}, nil
	}
	p := Preferences{Email: r.GetString("email")}
	_ = r.UnmarshalJSONField("muted", &p.Muted)
	if p.Email == "" {
		p.Email = EmailOff
	}
	return p, nil
}

// SetPrefs stores member's settings.
func (n *Notifier) SetPrefs(member string, p Preferences) error {
	if !slices.Contains(EmailModes, p.Email) {
		return ErrBadMode
	}
	muted := []string{}
	for _, k := range p.Muted {
		if !n.known(k) {
			return ErrBadKind
		}
		if !slices.Contains(muted, k) {
			muted = append(muted, k)
		}
	}
	raw, _ := json.Marshal(muted)
	err := n.app.RunInTransaction(func(tx core.App) error {
		before, err := n.Prefs(member)
		if err != nil {
			return err
		}
		_, err = tx.DB().NewQuery("INSERT INTO " + Settings + ` (id, member, muted, email, last_digest) VALUES ({:id}, {:m}, {:mu}, {:e}, '')
		ON CONFLICT (member) DO UPDATE SET muted = excluded.muted, email = excluded.email`).
			Bind(dbx.Params{"id": core.GenerateDefaultRandomId(), "m": member, "mu": string(raw), "e": p.Email}).Execute()
		if err != nil || before.Email == p.Email {
			return err
		}
		// a new email mode starts from now: what came before stays in the
		// center and is not mailed (switching to "immediate" must not send
		// the backlog one email each)
		_, err = tx.DB().NewQuery("UPDATE " + Notifications + " SET emailed = TRUE WHERE member = {:m} AND emailed = FALSE").
			Bind(dbx.Params{"m": member}).Execute()
		return err
	})
	if err != nil {
		return fmt.Errorf("notify: settings: %w", err)
	}
	return nil
}

// Prune deletes notifications older than keep; it returns how many.
func (n *Notifier) Prune(keep time.Duration) (int64, error) {
	res, err := n.app.DB().NewQuery("DELETE FROM " + Notifications + " WHERE created < {:t}").
		Bind(dbx.Params{"t": n.now().Add(-keep).UTC().Format(types.DefaultDateLayout)}).Execute()
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func cut(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}
