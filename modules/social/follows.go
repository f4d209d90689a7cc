package social

import (
	"errors"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"github.com/canyu/canyu/hooks"
	"github.com/canyu/canyu/platform"
)

// The module's collections.
const (
	Follows       = "social_follows"
	Blocks        = "social_blocks"
	Conversations = "social_conversations"
	Participants  = "social_participants"
	Messages      = "social_messages"
	Reports       = "social_reports"
	Feed          = "social_feed"
	Story         = "social_story"
	Prefs         = "social_prefs"
)

// The module's errors.
var (
	ErrNoMember       = errors.New("social: no such member")
	ErrSelf           = errors.New("social: not with oneself")
	ErrBlocked        = errors.New("social: blocked")
	ErrNoConversation = errors.New("social: no such conversation")
	ErrTooMany        = errors.New("social: too many members")
	ErrEmpty          = errors.New("social: empty message")
	ErrTooLong        = errors.New("social: message too long")
	ErrNewAccount     = errors.New("social: new account limit")
	ErrNoMessage      = errors.New("social: no such message")
)

// NoteFollower is the notification of a new follower (members mute it in
// their settings: the opt-out).
const NoteFollower = "social.follower"

// Social is the domain: follows, blocks, the feed, messages, stories.
type Social struct {
	app    core.App
	cfg    Config
	now    func() time.Time
	events *hooks.Events
	pub    platform.Publisher
}

func dbTime(t time.Time) string { return t.UTC().Format(types.DefaultDateLayout) }

// member returns the account id, or ErrNoMember.
func (s *Social) member(id string) (*core.Record, error) {
	r, err := s.app.FindRecordById("users", id)
	if err != nil {
		return nil, ErrNoMember
	}
	return r, nil
}

// Blocked reports whether a and b block each other, either way.
func (s *Social) Blocked(a, b string) bool {
	var n int
	_ = s.app.DB().NewQuery("SELECT COUNT(*) FROM " + Blocks + " WHERE (blocker = {:a} AND blocked = {:b}) OR (blocker = {:b} AND blocked = {:a})").
		Bind(dbx.Params{"a": a, "b": b}).Row(&n)
	return n > 0
}

// Follow makes follower follow followee (once), and tells the followee.
func (s *Social) Follow(follower *core.Record, followee string) error {
	if follower.Id == followee {
		return ErrSelf
	}
	target, err := s.member(followee)
	if err != nil {
		return err
	}
	if s.Blocked(follower.Id, followee) {
		return ErrBlocked
	}
	return s.app.RunInTransaction(func(tx core.App) error {
		res, err := tx.DB().NewQuery("INSERT INTO " + Follows + " (id, follower, followee, created) VALUES ({:id}, {:a}, {:b}, {:at}) ON CONFLICT DO NOTHING").
			Bind(dbx.Params{"id": core.GenerateDefaultRandomId(), "a": follower.Id, "b": followee, "at": dbTime(s.now())}).Execute()
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return s.events.Notify.Trigger(&hooks.NotifyEvent{App: tx, Kind: NoteFollower, To: []string{target.Id}, Actor: follower.Id,
			Subject: follower.GetString("name"), Link: "/people/" + follower.Id, Message: "social.notif_follower"})
	})
}

// Unfollow stops following.
func (s *Social) Unfollow(follower *core.Record, followee string) error {
	_, err := s.app.DB().NewQuery("DELETE FROM " + Follows + " WHERE follower = {:a} AND followee = {:b}").Bind(dbx.Params{"a": follower.Id, "b": followee}).Execute()
	return err
}

// Follows reports whether a follows b.
func (s *Social) Follows(a, b string) bool {
	var n int
	_ = s.app.DB().NewQuery("SELECT COUNT(*) FROM " + Follows + " WHERE follower = {:a} AND followee = {:b}").Bind(dbx.Params{"a": a, "b": b}).Row(&n)
	return n > 0
}

// Block blocks target: follows between them end both ways, and neither can
// follow or message the other until it is lifted.
func (s *Social) Block(blocker *core.Record, target string) error {
	if blocker.Id == target {
		return ErrSelf
	}
	if _, err := s.member(target); err != nil {
		return err
	}
	return s.app.RunInTransaction(func(tx core.App) error {
		if _, err := tx.DB().NewQuery("INSERT INTO " + Blocks + " (id, blocker, blocked, created) VALUES ({:id}, {:a}, {:b}, {:at}) ON CONFLICT DO NOTHING").
			Bind(dbx.Params{"id": core.GenerateDefaultRandomId(), "a": blocker.Id, "b": target, "at": dbTime(s.now())}).Execute(); err != nil {
			return err
		}
		_, err := tx.DB().NewQuery("DELETE FROM " + Follows + " WHERE (follower = {:a} AND followee = {:b}) OR (follower = {:b} AND followee = {:a})").
			Bind(dbx.Params{"a": blocker.Id, "b": target}).Execute()
		return err
	})
}

// Unblock lifts a block.
func (s *Social) Unblock(blocker *core.Record, target string) error {
	_, err := s.app.DB().NewQuery("DELETE FROM " + Blocks + " WHERE blocker = {:a} AND blocked = {:b}").Bind(dbx.Params{"a": blocker.Id, "b": target}).Execute()
	return err
}

// HasBlocked reports whether a blocked b.
func (s *Social) HasBlocked(a, b string) bool {
	var n int
	_ = s.app.DB().NewQuery("SELECT COUNT(*) FROM " + Blocks + " WHERE blocker = {:a} AND blocked = {:b}").Bind(dbx.Params{"a": a, "b": b}).Row(&n)
	return n > 0
}

// Person is a member in a list.
type Person struct {
	ID   string `db:"id" json:"id"`
	Name string `db:"name" json:"name"`
	City string `db:"city" json:"city"`
}

// Counts returns how many follow member and how many member follows.
func (s *Social) Counts(member string) (followers, following int) {
	_ = s.app.DB().NewQuery("SELECT (SELECT COUNT(*) FROM "+Follows+" WHERE followee = {:m}), (SELECT COUNT(*) FROM "+Follows+" WHERE follower = {:m})").
		Bind(dbx.Params{"m": member}).Row(&followers, &following)
	return followers, following
}

// Followers lists who follows member (followers) or whom member follows.
func (s *Social) People(member string, followers bool, limit int) ([]Person, error) {
	join, where := "f.follower", "f.followee"
	if !followers {
		join, where = "f.followee", "f.follower"
	}
	var out []Person
	err := s.app.DB().NewQuery("SELECT u.id, u.name, u.city FROM " + Follows + " f JOIN users u ON u.id = " + join + " WHERE " + where + " = {:m} ORDER BY f.created DESC LIMIT {:l}").
		Bind(dbx.Params{"m": member, "l": limit}).All(&out)
	return out, err
}

// Item is one line of the following feed.
type Item struct {
	Actor   string         `db:"actor" json:"actor"`
	Name    string         `db:"name" json:"name"`
	Kind    string         `db:"kind" json:"kind"`
	Title   string         `db:"title" json:"title"`
	Link    string         `db:"link" json:"link"`
	Created types.DateTime `db:"created" json:"created"`
}

// record adds what actor did to the feed (once per source).
func (s *Social) record(actor, kind, title, link, source string) error {
	_, err := s.app.DB().NewQuery("INSERT INTO " + Feed + " (id, actor, kind, title, link, source, created) VALUES ({:id}, {:a}, {:k}, {:t}, {:l}, {:s}, {:at}) ON CONFLICT DO NOTHING").
		Bind(dbx.Params{"id": core.GenerateDefaultRandomId(), "a": actor, "k": kind, "t": title, "l": link, "s": source, "at": dbTime(s.now())}).Execute()
	return err
}

// FeedOf is what the members member follows did, newest first.
func (s *Social) FeedOf(member string, limit int) ([]Item, error) {
	var out []Item
	err := s.app.DB().NewQuery("SELECT i.actor, u.name, i.kind, i.title, i.link, i.created FROM " + Feed + " i JOIN " + Follows +
		" f ON f.followee = i.actor AND f.follower = {:m} JOIN users u ON u.id = i.actor ORDER BY i.created DESC LIMIT {:l}").
		Bind(dbx.Params{"m": member, "l": limit}).All(&out)
	return out, err
}
