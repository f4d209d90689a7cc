// Package hooks is Canyu's catalogue of typed cross-module events, built on
// PocketBase's hook.Hook[T]. Modules never import each other: one module
// triggers an event here and any other module (or a compiled-in plugin) binds
// a handler to it.
//
// Two kinds of events exist:
//   - Before-events ("...ing") run inside the action, before anything is
//     stored. A handler may veto the action by returning an error; that error
//     reaches the member. Every handler must call e.Next().
//   - After-events ("...ed") run once the action's transaction has committed
//     (see TriggerAfterCommit). Their errors are logged, never undo the action.
//
// Each event is declared once, in New: its key, kind, documentation and
// outside payload. Listen (webhooks, JS plugins), the webhooks' choice of
// events and the check of docs/hooks.md all derive from that table.
package hooks

import (
	"reflect"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
)

// Event is one event of the catalogue: a typed PocketBase hook (bind with
// BindFunc, fire with Trigger) and what the outside world knows of it.
type Event[T hook.Resolver] struct {
	*hook.Hook[T]
	Info
	payload func(T) Payload
}

// Info describes one event of the catalogue. Name is its field in Events;
// Key is its name outside Go: in webhooks ("member.signed_up") and in JS
// plugins.
type Info struct {
	Name   string
	Key    string
	Before bool
	Doc    string
}

// entry is an Event of any payload type, as the catalogue lists them.
type entry interface {
	info() *Info
	listen(fn Listener)
}

func (ev *Event[T]) info() *Info { return &ev.Info }

func (ev *Event[T]) listen(fn Listener) {
	ev.BindFunc(func(e T) error {
		if err := fn(ev.Key, ev.payload(e)); err != nil {
			return err
		}
		return e.Next()
	})
}

// Events is the catalogue. One value is created in wire.go and handed to
// every module through its dependencies.
type Events struct {
	// MemberSignedUp fires after a new member account is committed.
	MemberSignedUp *Event[*MemberEvent]
	// MemberSignedOut fires after a member ended a web session (the token
	// of that session is in the Go event, never in the payload).
	MemberSignedOut *Event[*SignOutEvent]
	// PhoneBinding fires before a verified phone number is bound to an
	// account; a handler may veto the binding.
	PhoneBinding *Event[*PhoneEvent]
	// PhoneBound fires after a phone number binding is committed.
	PhoneBound *Event[*PhoneEvent]
	// NeedStatusChanged fires after staff moved a request or bug to another
	// status (planned, shipped, declined ...).
	NeedStatusChanged *Event[*NeedEvent]
	// SaleReserved fires after a member's reservation for a sale is stored.
	SaleReserved *Event[*SaleEvent]
	// SaleOrdered fires after a purchase in a sale is stored.
	SaleOrdered *Event[*SaleEvent]
	// ReleasePublished fires after a release was published. Handlers may set
	// Discussion (the forum opens the release's discussion topic).
	ReleasePublished *Event[*ReleaseEvent]
	// ReleaseVoted fires after a member cast their first Popcorn ballot on a
	// release (a changed ballot does not fire it again).
	ReleaseVoted *Event[*ReleaseEvent]
	// TesterAdmitted fires after staff admitted a member to a product's
	// tester programme.
	TesterAdmitted *Event[*TesterEvent]
	// MeetupAttended fires after a member's ticket was checked in at an
	// event's door.
	MeetupAttended *Event[*MeetupEvent]
	// TopicCreated fires after a member's new topic is stored.
	TopicCreated *Event[*TopicEvent]
	// MeTooPressed fires after a member pressed "me too" on a request or
	// bug for the first time (pressing again after taking it back does not
	// fire it twice for the same pair: Source is stable).
	MeTooPressed *Event[*TopicEvent]
	// SalePaid fires after an order was paid: the verified purchase.
	SalePaid *Event[*SaleEvent]
	// BadgeAwarded fires after a member received a badge.
	BadgeAwarded *Event[*BadgeEvent]

	// Notify and Digest are requests between modules, not events of the
	// catalogue (plugins and webhooks do not see them).
	//
	// Notify asks the notifications module to tell members something. The
	// module that acts triggers it inside its own transaction (App), so the
	// notifications are stored with the action or not at all; with
	// notifications switched off nobody handles it.
	Notify *hook.Hook[*NotifyEvent]
	// Digest gathers what modules add to a member's digest email.
	Digest *hook.Hook[*DigestEvent]
	// Perks asks whether a member holds a perk ("veteran_sessions": may buy in
	// a veteran session before the account is old enough). The belonging
	// module answers; with it off nobody does and the perk is refused.
	Perks *hook.Hook[*PerkQuestion]
	// Titles asks for the titles shown beside members' names; the
	// belonging module answers (account age, or a badge a member chose).
	Titles *hook.Hook[*TitlesQuestion]

	all   []entry
	kinds []NotificationKind
}

// NotificationKind is a kind of notification a module sends; members may
// mute each kind in their settings.
type NotificationKind struct {
	// Key is "<module>.<what>" ("forum.status").
	Key string
	// Label is the catalog key of its name on the settings page.
	Label string
}

// DeclareNotification adds a kind of notification (a module calls it when
// it registers).
func (ev *Events) DeclareNotification(k NotificationKind) { ev.kinds = append(ev.kinds, k) }

// NotificationKinds lists the declared kinds, in the order declared.
func (ev *Events) NotificationKinds() []NotificationKind { return ev.kinds }

// NotifyEvent asks for members to be told something. The line members read
// is Message (a catalog key, a format with a %s per argument) with Args.
type NotifyEvent struct {
	hook.Event
	// App is the acting module's transaction.
	App core.App
	// Kind is a declared kind ("forum.status").
	Kind string
	// To are the members to tell; the actor is never told.
	To []string
	// Actor is the member who caused it, "" for the site.
	Actor string
	// Subject is what it is about as members see it (a topic's title) and
	// Link where it opens (a path on this site).
	Subject, Link string
	// Message and Args make the line; Detail is a plain text shown under it
	// (a staff member's reason).
	Message string
	Args    []Arg
	Detail  string
	// Told is set by the handler: the members told (not muting the kind).
	Told []string
}

// Arg is one argument of a notification's line: a plain Text (a version, a
// name), or a catalog Key translated into each reader's language.
type Arg struct {
	Text string `json:"t,omitempty"`
	Key  string `json:"k,omitempty"`
}

// DigestEvent gathers the sections modules add to a member's digest email,
// already in the member's language.
type DigestEvent struct {
	hook.Event
	App    core.App
	Member *core.Record
	// Lang is the member's language ("en", "zh-CN"); Weekly is set for the
	// weekly digest (a daily one gets fewer sections).
	Lang     string
	Weekly   bool
	Sections []DigestSection
}

// DigestSection is a titled list in a digest email.
type DigestSection struct {
	Title string
	Items []DigestItem
}

// DigestItem is one line of a section: Link is a path on this site.
type DigestItem struct {
	Title, Link, Note string
}

const (
	after  = false
	before = true
)

// New returns the catalogue, every hook ready to bind. This table is the
// one place an event is declared.
func New() *Events {
	ev := &Events{}
	ev.MemberSignedUp = define(ev, "member.signed_up", after, "a member account was created (form, API or OAuth2)",
		func(e *MemberEvent) Payload { return memberPayload(e.Member) })
	ev.MemberSignedOut = define(ev, "member.signed_out", after, "a member signed out of the web site",
		func(e *SignOutEvent) Payload { return memberPayload(e.Member) })
	ev.PhoneBinding = define(ev, "phone.binding", before, "a verified phone number is about to be bound; may veto", phonePayload)
	ev.PhoneBound = define(ev, "phone.bound", after, "a phone number was bound to a member", phonePayload)
	ev.NeedStatusChanged = define(ev, "need.status_changed", after, "staff moved a request or bug to another status", needPayload)
	ev.SaleReserved = define(ev, "sale.reserved", after, "a member reserved a place in a sale", salePayload)
	ev.SaleOrdered = define(ev, "sale.ordered", after, "a purchase in a sale was stored (the order awaits payment)", salePayload)
	ev.ReleasePublished = define(ev, "release.published", after, "a release was published; its items name the needs it answers", releasePayload)
	ev.ReleaseVoted = define(ev, "release.voted", after, "a member who upgraded cast their Popcorn ballot on a release", releasePayload)
	ev.TesterAdmitted = define(ev, "tester.admitted", after, "staff admitted a member to a product's tester programme", testerPayload)
	ev.MeetupAttended = define(ev, "meetup.attended", after, "a member's ticket was checked in at an event's door", meetupPayload)
	ev.TopicCreated = define(ev, "topic.created", after, "a member started a topic", topicPayload)
	ev.MeTooPressed = define(ev, "need.me_too", after, "a member pressed \"me too\" on a request or bug", topicPayload)
	ev.SalePaid = define(ev, "sale.paid", after, "an order was paid: a verified purchase", salePayload)
	ev.BadgeAwarded = define(ev, "badge.awarded", after, "a member received a badge", badgePayload)
	ev.Notify = &hook.Hook[*NotifyEvent]{}
	ev.Digest = &hook.Hook[*DigestEvent]{}
	ev.Perks = &hook.Hook[*PerkQuestion]{}
	ev.Titles = &hook.Hook[*TitlesQuestion]{}
	ev.name()
	return ev
}

func define[T hook.Resolver](ev *Events, key string, isBefore bool, doc string, payload func(T) Payload) *Event[T] {
	e := &Event[T]{Hook: &hook.Hook[T]{}, Info: Info{Key: key, Before: isBefore, Doc: doc}, payload: payload}
	ev.all = append(ev.all, e)
	return e
}

// name gives each event the name of its field in Events.
func (ev *Events) name() {
	v := reflect.ValueOf(ev).Elem()
	for i := range v.NumField() {
		if !v.Type().Field(i).IsExported() {
			continue
		}
		if e, ok := v.Field(i).Interface().(entry); ok {
			e.info().Name = v.Type().Field(i).Name
		}
	}
}

// Catalogue lists every event with its documentation, in a stable order.
// A test checks that docs/hooks.md names each of them.
func (ev *Events) Catalogue() []Info {
	out := make([]Info, len(ev.all))
	for i, e := range ev.all {
		out[i] = *e.info()
	}
	return out
}

// Known reports whether key is the key of an event of the catalogue.
func (ev *Events) Known(key string) bool {
	for _, e := range ev.all {
		if e.info().Key == key {
			return true
		}
	}
	return false
}

// Payload is the outside view of an event: plain JSON-able values, never a
// secret (no email, no full phone number, no token).
type Payload map[string]any

// Listener receives every event of the catalogue by its Key. For a
// before-event, an error vetoes the action.
type Listener func(key string, p Payload) error

// Listen binds fn to every event of the catalogue (webhooks and JS plugins
// use it); typed handlers stay the way for Go code.
func (ev *Events) Listen(fn Listener) {
	for _, e := range ev.all {
		e.listen(fn)
	}
}

// SaleEvent carries a reservation (Number) or an order (Order, Quantity,
// AmountCents, FCode: whether an F-code paid for the right to buy). A paid
// order (SalePaid) also names its Product.
type SaleEvent struct {
	hook.Event
	App         core.App
	Sale        string
	Product     string
	Member      string
	Number      int64
	Answer      string
	Order       string
	Quantity    int
	AmountCents int64
	FCode       bool
}

func salePayload(e *SaleEvent) Payload {
	p := Payload{"sale": e.Sale, "member": Payload{"id": e.Member}}
	if e.Product != "" {
		p["product"] = e.Product
	}
	if e.Order != "" {
		p["order"] = Payload{"id": e.Order, "quantity": e.Quantity, "amount_cents": e.AmountCents, "fcode": e.FCode}
	} else {
		p["number"] = e.Number
		if e.Answer != "" {
			p["answer"] = e.Answer
		}
	}
	return p
}

// ReleaseEvent carries a release: the published one (Topics are the forum
// topics its items answer, By the staff member who wrote it) or the one a
// member voted on (Member, Ballot).
type ReleaseEvent struct {
	hook.Event
	App                                core.App
	Release, Product, Version, Channel string
	Title                              string
	// ProductName is the product as members know it; Summary is the
	// release's summary (markdown), for a handler that posts about it.
	ProductName, Summary string
	// URL is the release's page, a path on this site.
	URL    string
	Topics []string
	By     string
	// Member and Ballot are the voter and their ballot (ReleaseVoted).
	Member, Ballot string
	// Discussion is set by a handler of ReleasePublished: the path of the
	// release's discussion.
	Discussion string
}

func releasePayload(e *ReleaseEvent) Payload {
	p := Payload{"release": Payload{"id": e.Release, "product": e.Product, "product_name": e.ProductName, "version": e.Version,
		"channel": e.Channel, "title": e.Title, "url": e.URL}}
	if e.Member != "" {
		p["member"] = Payload{"id": e.Member}
	} else {
		topics := e.Topics
		if topics == nil {
			topics = []string{}
		}
		p["topics"] = topics
	}
	return p
}

// TesterEvent carries a member admitted to test a product.
type TesterEvent struct {
	hook.Event
	App     core.App
	Member  string
	Product string
	Wave    int
}

func testerPayload(e *TesterEvent) Payload {
	return Payload{"member": Payload{"id": e.Member}, "product": e.Product, "wave": e.Wave}
}

// MeetupEvent carries a member at an event: Kind is official, club, gala or
// launch; Club is the club's slug for a club meetup.
type MeetupEvent struct {
	hook.Event
	App                   core.App
	ID, Title, Kind, Club string // the event
	Member                string
	Starts                time.Time
}

func meetupPayload(e *MeetupEvent) Payload {
	return Payload{"event": Payload{"id": e.ID, "title": e.Title, "kind": e.Kind, "club": e.Club, "starts": e.Starts.UTC()},
		"member": Payload{"id": e.Member}}
}

// TopicEvent carries a forum topic: a new one (Member is its author) or one
// a member pressed "me too" on (Member pressed it; Source is the same for a
// member and a topic however often it is pressed).
type TopicEvent struct {
	hook.Event
	App                       core.App
	Topic, Board, Kind, Title string
	// Author wrote the topic; Member acted (the author for a new topic).
	Author, Member string
	Source         string
}

func topicPayload(e *TopicEvent) Payload {
	return Payload{"topic": Payload{"id": e.Topic, "board": e.Board, "kind": e.Kind, "title": e.Title, "author": e.Author},
		"member": Payload{"id": e.Member}}
}

// BadgeEvent carries a badge a member received (Year for a year's medal).
type BadgeEvent struct {
	hook.Event
	App               core.App
	Badge, Name, Kind string
	Year              int
	Member            string
}

func badgePayload(e *BadgeEvent) Payload {
	b := Payload{"slug": e.Badge, "name": e.Name, "kind": e.Kind}
	if e.Year > 0 {
		b["year"] = e.Year
	}
	return Payload{"badge": b, "member": Payload{"id": e.Member}}
}

// PerkQuestion asks whether Member holds Perk; a handler sets Granted.
type PerkQuestion struct {
	hook.Event
	App     core.App
	Member  string
	Perk    string
	Granted bool
}

// HasPerk asks the Perks question (false when nobody answers).
func (ev *Events) HasPerk(app core.App, member, perk string) bool {
	q := &PerkQuestion{App: app, Member: member, Perk: perk}
	if err := ev.Perks.Trigger(q); err != nil {
		app.Logger().Error("hooks: perks", "perk", perk, "error", err)
		return false
	}
	return q.Granted
}

// TitlesQuestion asks for the titles of Members in Lang; a handler fills
// Titles (member id -> title).
type TitlesQuestion struct {
	hook.Event
	App     core.App
	Members []string
	Lang    string
	Titles  map[string]string
}

// TitlesOf asks the Titles question; the map is empty when nobody answers.
func (ev *Events) TitlesOf(app core.App, lang string, members ...string) map[string]string {
	q := &TitlesQuestion{App: app, Members: members, Lang: lang, Titles: map[string]string{}}
	if len(members) == 0 {
		return q.Titles
	}
	if err := ev.Titles.Trigger(q); err != nil {
		app.Logger().Error("hooks: titles", "error", err)
	}
	return q.Titles
}

// NeedEvent carries a request or bug whose status changed.
type NeedEvent struct {
	hook.Event
	App      core.App
	Topic    *core.Record
	By       *core.Record // the staff member
	From, To string
	Reason   string
	// Release and ReleaseURL name the release a need shipped in (To is
	// "shipped"); empty otherwise.
	Release, ReleaseURL string
	Notified            int // members told: the author and everyone who pressed "me too"
}

func needPayload(e *NeedEvent) Payload {
	p := Payload{"topic": Payload{"id": e.Topic.Id, "title": e.Topic.GetString("title"), "kind": e.Topic.GetString("kind")},
		"from": e.From, "to": e.To, "reason": e.Reason, "notified": e.Notified}
	if e.Release != "" {
		p["release"] = Payload{"version": e.Release, "url": e.ReleaseURL}
	}
	if e.By != nil {
		p["by"] = Payload{"id": e.By.Id, "name": e.By.GetString("name")}
	}
	return p
}

func memberPayload(m *core.Record) Payload {
	if m == nil {
		return Payload{}
	}
	return Payload{"member": Payload{"id": m.Id, "name": m.GetString("name"), "city": m.GetString("city")}}
}

func phonePayload(e *PhoneEvent) Payload {
	p := memberPayload(e.Member)
	// the first digits only (country and operator: "+86170"): a payload may
	// leave the site, the number must not
	prefix := e.Phone
	if len(prefix) > 6 {
		prefix = prefix[:6]
	}
	p["phone_prefix"] = prefix
	return p
}

// MemberEvent carries a member account.
type MemberEvent struct {
	hook.Event
	App    core.App
	Member *core.Record
}

// SignOutEvent carries a member who signed out and the auth token of the
// session that ended (for the live hub to close that session's
// connections; never part of a payload).
type SignOutEvent struct {
	hook.Event
	App    core.App
	Member *core.Record
	Token  string
}

// PhoneEvent carries a member and the phone number (E.164) being bound.
type PhoneEvent struct {
	hook.Event
	App    core.App
	Member *core.Record
	Phone  string
}

// TriggerAfterCommit fires ev with e once app's current transaction
// commits, or at once when app is not inside a transaction. A rolled back
// transaction fires nothing. Handler errors are logged: the action has
// already happened.
func TriggerAfterCommit[T hook.Resolver](app core.App, ev *Event[T], e T) {
	AfterCommit(app, func() {
		if err := ev.Trigger(e); err != nil {
			app.Logger().Error("hooks: after-event handler failed", "event", ev.Key, "error", err)
		}
	})
}

// AfterCommit runs fn once app's current transaction commits, or at once
// when app is not inside a transaction; a rolled back transaction runs
// nothing.
func AfterCommit(app core.App, fn func()) {
	if info := app.TxInfo(); info != nil {
		info.OnComplete(func(txErr error) error {
			if txErr == nil {
				fn()
			}
			return nil
		})
		return
	}
	fn()
}
