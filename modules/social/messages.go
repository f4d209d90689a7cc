package social

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"github.com/canyu/canyu/hooks"
	"github.com/canyu/canyu/modules/internal/access"
)

// The notifications of messages.
const (
	NoteMessage = "social.message" // a message unread for a while
	NoteReport  = "social.report"  // a message reported, to moderators
)

// Start opens a conversation from one member with others (a conversation of
// two is found again rather than opened twice) and sends its first message.
// It returns the conversation's id.
func (s *Social) Start(from *core.Record, to []string, title, body string) (string, error) {
	var others []string
	for _, id := range to {
		id = strings.TrimSpace(id)
		if id != "" && id != from.Id && !slices.Contains(others, id) {
			others = append(others, id)
		}
	}
	if len(others) == 0 {
		return "", ErrSelf
	}
	if len(others)+1 > s.cfg.MaxGroup {
		return "", ErrTooMany
	}
	for _, id := range others {
		if _, err := s.member(id); err != nil {
			return "", err
		}
		if s.Blocked(from.Id, id) {
			return "", ErrBlocked
		}
	}
	if err := s.checkBody(body); err != nil {
		return "", err
	}
	pair := ""
	if len(others) == 1 {
		ids := []string{from.Id, others[0]}
		slices.Sort(ids)
		pair = ids[0] + ":" + ids[1]
		var existing string
		_ = s.app.DB().NewQuery("SELECT id FROM " + Conversations + " WHERE pair = {:p}").Bind(dbx.Params{"p": pair}).Row(&existing)
		if existing != "" {
			if _, err := s.Send(from, existing, body); err != nil {
				return "", err
			}
			return existing, nil
		}
	}
	id := core.GenerateDefaultRandomId()
	now := s.now()
	var sent sentMessage
	err := s.app.RunInTransaction(func(tx core.App) error {
		// counted in the transaction that opens it: parallel requests of a new
		// account cannot slip past the cap
		if !access.HasRole(from, access.RoleStaff) && now.Sub(from.GetDateTime("created").Time()) < s.cfg.NewAccountAge {
			var n int
			if err := tx.DB().NewQuery("SELECT COUNT(*) FROM " + Conversations + " WHERE created_by = {:m} AND created >= {:since}").
				Bind(dbx.Params{"m": from.Id, "since": dbTime(now.Add(-24 * 3600e9))}).Row(&n); err != nil {
				return err
			}
			if n >= s.cfg.NewAccountConversations {
				return ErrNewAccount
			}
		}
		if _, err := tx.DB().NewQuery("INSERT INTO " + Conversations + " (id, title, pair, created_by, created, last_message, messages) VALUES ({:id}, {:t}, {:p}, {:by}, {:at}, {:at}, 0)").
			Bind(dbx.Params{"id": id, "t": strings.TrimSpace(title), "p": pair, "by": from.Id, "at": dbTime(now)}).Execute(); err != nil {
			return err
		}
		for _, m := range append([]string{from.Id}, others...) {
			if _, err := tx.DB().NewQuery("INSERT INTO " + Participants + " (id, conversation, member, unread, last_message) VALUES ({:id}, {:c}, {:m}, 0, {:at})").
				Bind(dbx.Params{"id": core.GenerateDefaultRandomId(), "c": id, "m": m, "at": dbTime(now)}).Execute(); err != nil {
				return err
			}
		}
		var err error
		sent, err = s.send(tx, from.Id, id, body)
		return err
	})
	if err != nil {
		return "", err
	}
	s.published(sent)
	return id, nil
}

// checkBody refuses an empty or too long message (the renderer makes any
// text safe to show).
func (s *Social) checkBody(body string) error {
	switch n := utf8.RuneCountInString(strings.TrimSpace(body)); {
	case n == 0:
		return ErrEmpty
	case n > 5000:
		return ErrTooLong
	}
	return nil
}

// sentMessage is what a send leaves to publish once committed.
type sentMessage struct {
	Conversation string
	Seq          int
	Readers      []string
}

// Send adds a message to a conversation the sender takes part in; a member
// blocked by (or blocking) someone in it cannot.
func (s *Social) Send(from *core.Record, conversation, body string) (int, error) {
	if err := s.checkBody(body); err != nil {
		return 0, err
	}
	others, err := s.others(from.Id, conversation)
	if err != nil {
		return 0, err
	}
	for _, o := range others {
		if s.Blocked(from.Id, o) {
			return 0, ErrBlocked
		}
	}
	var sent sentMessage
	err = s.app.RunInTransaction(func(tx core.App) error {
		var err error
		sent, err = s.send(tx, from.Id, conversation, body)
		return err
	})
	if err != nil {
		return 0, err
	}
	s.published(sent)
	return sent.Seq, nil
}

// send stores a message in tx: the conversation's counter gives its number,
// every other participant's unread count moves by one.
func (s *Social) send(tx core.App, from, conversation, body string) (sentMessage, error) {
	now := dbTime(s.now())
	p := dbx.Params{"c": conversation, "m": from, "at": now}
	if _, err := tx.DB().NewQuery("UPDATE " + Conversations + " SET messages = messages + 1, last_message = {:at} WHERE id = {:c}").Bind(p).Execute(); err != nil {
		return sentMessage{}, err
	}
	out := sentMessage{Conversation: conversation}
	if err := tx.DB().NewQuery("SELECT messages FROM " + Conversations + " WHERE id = {:c}").Bind(p).Row(&out.Seq); err != nil {
		return out, err
	}
	p["id"], p["body"], p["seq"] = core.GenerateDefaultRandomId(), strings.TrimSpace(body), out.Seq
	if _, err := tx.DB().NewQuery("INSERT INTO " + Messages + " (id, conversation, author, body, seq, created) VALUES ({:id}, {:c}, {:m}, {:body}, {:seq}, {:at})").
		Bind(p).Execute(); err != nil {
		return out, err
	}
	if _, err := tx.DB().NewQuery("UPDATE " + Participants + ` SET unread = unread + 1, unread_since = CASE WHEN unread = 0 THEN {:at} ELSE unread_since END,
		last_message = {:at} WHERE conversation = {:c} AND member != {:m} AND "left" = FALSE`).Bind(p).Execute(); err != nil {
		return out, err
	}
	if _, err := tx.DB().NewQuery("UPDATE " + Participants + " SET last_message = {:at} WHERE conversation = {:c} AND member = {:m}").Bind(p).Execute(); err != nil {
		return out, err
	}
	err := tx.DB().NewQuery("SELECT member FROM " + Participants + ` WHERE conversation = {:c} AND member != {:m} AND "left" = FALSE`).Bind(p).Column(&out.Readers)
	return out, err
}

// published tells the conversation's pages a message arrived and each
// reader's top bar their unread count.
func (s *Social) published(m sentMessage) {
	s.pub.Publish("dm:"+m.Conversation, map[string]any{"seq": m.Seq})
	for _, r := range m.Readers {
		s.pub.Publish("member:"+r, map[string]any{"messages": s.Unread(r)})
	}
}

// others returns the other participants of a conversation member takes part
// in; any other conversation is ErrNoConversation (never "forbidden": its
// existence is not told).
func (s *Social) others(member, conversation string) ([]string, error) {
	var ids []string
	if err := s.app.DB().NewQuery("SELECT member FROM " + Participants + ` WHERE conversation = {:c} AND "left" = FALSE`).
		Bind(dbx.Params{"c": conversation}).Column(&ids); err != nil {
		return nil, err
	}
	if !slices.Contains(ids, member) {
		return nil, ErrNoConversation
	}
	return slices.DeleteFunc(ids, func(id string) bool { return id == member }), nil
}

// TakesPart reports whether member takes part in conversation.
func (s *Social) TakesPart(member, conversation string) bool {
	_, err := s.others(member, conversation)
	return err == nil
}

// Message is a message as its readers see it.
type Message struct {
	ID      string         `db:"id" json:"id"`
	Seq     int            `db:"seq" json:"seq"`
	Author  string         `db:"author" json:"author"`
	Name    string         `db:"name" json:"name"`
	Body    string         `db:"body" json:"body"`
	Created types.DateTime `db:"created" json:"created"`
}

// Read returns the messages after seq (0: from the start, the latest 200)
// of a conversation member takes part in, and marks it read.
func (s *Social) Read(member, conversation string, after int) ([]Message, error) {
	if !s.TakesPart(member, conversation) {
		return nil, ErrNoConversation
	}
	var out []Message
	err := s.app.DB().NewQuery("SELECT * FROM (SELECT m.id, m.seq, m.author, u.name, m.body, m.created FROM " + Messages +
		" m JOIN users u ON u.id = m.author WHERE m.conversation = {:c} AND m.seq > {:after} ORDER BY m.seq DESC LIMIT 200) ORDER BY seq").
		Bind(dbx.Params{"c": conversation, "after": after}).All(&out)
	if err != nil {
		return nil, err
	}
	res, err := s.app.DB().NewQuery("UPDATE " + Participants + " SET unread = 0, unread_since = '', emailed = '' WHERE conversation = {:c} AND member = {:m} AND unread > 0").
		Bind(dbx.Params{"c": conversation, "m": member}).Execute()
	if err != nil {
		return nil, err
	}
	if n, _ := res.RowsAffected(); n > 0 {
		s.pub.Publish("member:"+member, map[string]any{"messages": s.Unread(member)})
	}
	return out, nil
}

// Unread is member's count of unread messages, over every conversation.
func (s *Social) Unread(member string) int {
	var n int
	_ = s.app.DB().NewQuery("SELECT COALESCE(SUM(unread), 0) FROM " + Participants + " WHERE member = {:m}").Bind(dbx.Params{"m": member}).Row(&n)
	return n
}

// Thread is a conversation in a member's inbox.
type Thread struct {
	ID      string         `db:"id" json:"id"`
	Title   string         `db:"title" json:"title"`
	With    string         `db:"with" json:"with"` // the other members' names
	Last    string         `db:"last" json:"last"` // the last message, plain
	Unread  int            `db:"unread" json:"unread"`
	Updated types.DateTime `db:"last_message" json:"updated"`
}

// Inbox lists member's conversations, the latest first.
func (s *Social) Inbox(member string, limit int) ([]Thread, error) {
	var out []Thread
	err := s.app.DB().NewQuery(`SELECT c.id, c.title, p.unread, c.last_message,
			COALESCE((SELECT group_concat(u.name, ', ') FROM ` + Participants + ` o JOIN users u ON u.id = o.member WHERE o.conversation = c.id AND o.member != {:m}), '') AS "with",
			COALESCE((SELECT body FROM ` + Messages + ` WHERE conversation = c.id ORDER BY seq DESC LIMIT 1), '') AS last
		FROM ` + Participants + ` p JOIN ` + Conversations + ` c ON c.id = p.conversation
		WHERE p.member = {:m} AND p."left" = FALSE ORDER BY p.last_message DESC LIMIT {:l}`).Bind(dbx.Params{"m": member, "l": limit}).All(&out)
	return out, err
}

// Report sends a message of a conversation the reporter takes part in to
// the moderators, once; from then on they (and staff) can read that message,
// and only that one.
func (s *Social) Report(reporter *core.Record, messageID, reason string) error {
	var m struct {
		Conversation string `db:"conversation"`
		Author       string `db:"author"`
	}
	if err := s.app.DB().NewQuery("SELECT conversation, author FROM " + Messages + " WHERE id = {:id}").Bind(dbx.Params{"id": messageID}).One(&m); err != nil {
		return ErrNoMessage
	}
	if !s.TakesPart(reporter.Id, m.Conversation) {
		return ErrNoMessage
	}
	if m.Author == reporter.Id {
		return ErrSelf
	}
	var mods []string
	_ = s.app.DB().NewQuery(`SELECT id FROM users WHERE roles LIKE '%"moderator"%' OR roles LIKE '%"staff"%'`).Column(&mods)
	return s.app.RunInTransaction(func(tx core.App) error {
		res, err := tx.DB().NewQuery("INSERT INTO " + Reports + " (id, message, reporter, reason, status, created) VALUES ({:id}, {:m}, {:r}, {:why}, 'open', {:at}) ON CONFLICT DO NOTHING").
			Bind(dbx.Params{"id": core.GenerateDefaultRandomId(), "m": messageID, "r": reporter.Id, "why": strings.TrimSpace(reason), "at": dbTime(s.now())}).Execute()
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 || len(mods) == 0 {
			return nil
		}
		return s.events.Notify.Trigger(&hooks.NotifyEvent{App: tx, Kind: NoteReport, To: mods, Actor: reporter.Id, Subject: reporter.GetString("name"),
			Link: "/messages/reports", Message: "social.notif_report", Detail: reason})
	})
}

// ReportIn reports a message of conversation (the page's form names both).
func (s *Social) ReportIn(reporter *core.Record, conversation, messageID, reason string) error {
	var c string
	_ = s.app.DB().NewQuery("SELECT conversation FROM " + Messages + " WHERE id = {:id}").Bind(dbx.Params{"id": messageID}).Row(&c)
	if c != conversation {
		return ErrNoMessage
	}
	return s.Report(reporter, messageID, reason)
}

// Reported is an open report as moderators see it: the message alone.
type Reported struct {
	ID         string         `db:"id"`
	Reason     string         `db:"reason"`
	Reporter   string         `db:"reporter"`
	ReporterID string         `db:"reporter_id"`
	Author     string         `db:"author"`
	AuthorID   string         `db:"author_id"`
	Body       string         `db:"body"`
	Sent       types.DateTime `db:"sent"`
	Created    types.DateTime `db:"created"`
}

// OpenReports lists the open reports, oldest first.
func (s *Social) OpenReports(limit int) ([]Reported, error) {
	var out []Reported
	err := s.app.DB().NewQuery(`SELECT r.id, r.reason, ru.name AS reporter, ru.id AS reporter_id, au.name AS author, au.id AS author_id, m.body, m.created AS sent, r.created
		FROM ` + Reports + ` r JOIN ` + Messages + ` m ON m.id = r.message JOIN users ru ON ru.id = r.reporter JOIN users au ON au.id = m.author
		WHERE r.status = 'open' ORDER BY r.created LIMIT {:l}`).Bind(dbx.Params{"l": limit}).All(&out)
	return out, err
}

// CloseReport marks a report handled.
func (s *Social) CloseReport(id string) error {
	res, err := s.app.DB().NewQuery("UPDATE " + Reports + " SET status = 'closed' WHERE id = {:id} AND status = 'open'").Bind(dbx.Params{"id": id}).Execute()
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNoMessage
	}
	return nil
}

// TellUnread asks the notification center to tell each member whose
// messages have waited unread longer than email_after (once until they
// read): it emails them as each member chose, or not if they muted it.
func (s *Social) TellUnread() (int, error) {
	var rows []struct {
		ID           string `db:"id"`
		Member       string `db:"member"`
		Conversation string `db:"conversation"`
		Unread       int    `db:"unread"`
		From         string `db:"from_name"`
		Title        string `db:"title"`
	}
	err := s.app.DB().NewQuery(`SELECT p.id, p.member, p.conversation, p.unread, c.title,
			COALESCE((SELECT u.name FROM ` + Messages + ` m JOIN users u ON u.id = m.author WHERE m.conversation = p.conversation ORDER BY m.seq DESC LIMIT 1), '') AS from_name
		FROM ` + Participants + ` p JOIN ` + Conversations + ` c ON c.id = p.conversation
		WHERE p.unread > 0 AND p.unread_since != '' AND p.unread_since <= {:before} AND p.emailed = '' LIMIT 500`).
		Bind(dbx.Params{"before": dbTime(s.now().Add(-s.cfg.EmailAfter))}).All(&rows)
	if err != nil {
		return 0, err
	}
	for _, r := range rows {
		subject := r.From
		if r.Title != "" {
			subject = r.Title
		}
		err := s.app.RunInTransaction(func(tx core.App) error {
			if _, err := tx.DB().NewQuery("UPDATE " + Participants + " SET emailed = {:at} WHERE id = {:id}").Bind(dbx.Params{"id": r.ID, "at": dbTime(s.now())}).Execute(); err != nil {
				return err
			}
			return s.events.Notify.Trigger(&hooks.NotifyEvent{App: tx, Kind: NoteMessage, To: []string{r.Member}, Subject: subject,
				Link: "/messages/" + r.Conversation, Message: "social.notif_unread", Args: []hooks.Arg{{Text: fmt.Sprint(r.Unread)}}})
		})
		if err != nil {
			return 0, err
		}
	}
	return len(rows), nil
}
