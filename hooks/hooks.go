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
// docs/hooks.md lists every event with its payload.
package hooks

import (
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
)

// Events is the catalogue. One value is created in main.go and handed to every
// module through its dependencies.
type Events struct {
	// MemberSignedUp fires after a new member account is committed.
	MemberSignedUp *hook.Hook[*MemberEvent]
	// PhoneBinding fires before a verified phone number is bound to an
	// account; a handler may veto the binding.
	PhoneBinding *hook.Hook[*PhoneEvent]
	// PhoneBound fires after a phone number binding is committed.
	PhoneBound *hook.Hook[*PhoneEvent]
	// NeedStatusChanged fires after staff moved a request or bug to another
	// status (planned, shipped, declined ...).
	NeedStatusChanged *hook.Hook[*NeedEvent]
	// SaleReserved fires after a member's reservation for a sale is stored.
	SaleReserved *hook.Hook[*SaleEvent]
	// SaleOrdered fires after a purchase in a sale is stored.
	SaleOrdered *hook.Hook[*SaleEvent]
}

// New returns a catalogue with every hook ready to bind.
func New() *Events {
	return &Events{
		MemberSignedUp: &hook.Hook[*MemberEvent]{},
		PhoneBinding:   &hook.Hook[*PhoneEvent]{},
		PhoneBound:     &hook.Hook[*PhoneEvent]{},

		NeedStatusChanged: &hook.Hook[*NeedEvent]{},
		SaleReserved:      &hook.Hook[*SaleEvent]{},
		SaleOrdered:       &hook.Hook[*SaleEvent]{},
	}
}

// Info describes one event of the catalogue. Key is the event's name
// outside Go: in webhooks ("member.signed_up") and in JS plugins.
type Info struct {
	Name   string
	Key    string
	Before bool
	Doc    string
}

// Catalogue lists every event with its documentation, in a stable order.
// A test checks that docs/hooks.md names each of them.
func (ev *Events) Catalogue() []Info {
	return []Info{
		{Name: "MemberSignedUp", Key: "member.signed_up", Doc: "a member account was created (form, API or OAuth2)"},
		{Name: "PhoneBinding", Key: "phone.binding", Before: true, Doc: "a verified phone number is about to be bound; may veto"},
		{Name: "PhoneBound", Key: "phone.bound", Doc: "a phone number was bound to a member"},
		{Name: "NeedStatusChanged", Key: "need.status_changed", Doc: "staff moved a request or bug to another status"},
		{Name: "SaleReserved", Key: "sale.reserved", Doc: "a member reserved a place in a sale"},
		{Name: "SaleOrdered", Key: "sale.ordered", Doc: "a purchase in a sale was stored (the order awaits payment)"},
	}
}

// Payload is the outside view of an event: plain JSON-able values, never a
// secret (no email, no full phone number).
type Payload map[string]any

// Listener receives every event of the catalogue by its Key. For a
// before-event, an error vetoes the action.
type Listener func(key string, p Payload) error

// Listen binds fn to every event of the catalogue (webhooks and JS plugins
// use it); typed handlers stay the way for Go code.
func (ev *Events) Listen(fn Listener) {
	ev.MemberSignedUp.BindFunc(func(e *MemberEvent) error {
		if err := fn("member.signed_up", memberPayload(e.Member)); err != nil {
			return err
		}
		return e.Next()
	})
	ev.PhoneBinding.BindFunc(func(e *PhoneEvent) error {
		if err := fn("phone.binding", phonePayload(e)); err != nil {
			return err
		}
		return e.Next()
	})
	ev.PhoneBound.BindFunc(func(e *PhoneEvent) error {
		if err := fn("phone.bound", phonePayload(e)); err != nil {
			return err
		}
		return e.Next()
	})
	ev.NeedStatusChanged.BindFunc(func(e *NeedEvent) error {
		p := Payload{"topic": Payload{"id": e.Topic.Id, "title": e.Topic.GetString("title"), "kind": e.Topic.GetString("kind")},
			"from": e.From, "to": e.To, "reason": e.Reason, "notified": e.Notified}
		if e.Release != "" {
			p["release"] = Payload{"version": e.Release, "url": e.ReleaseURL}
		}
		if e.By != nil {
			p["by"] = Payload{"id": e.By.Id, "name": e.By.GetString("name")}
		}
		if err := fn("need.status_changed", p); err != nil {
			return err
		}
		return e.Next()
	})
	ev.SaleReserved.BindFunc(func(e *SaleEvent) error {
		if err := fn("sale.reserved", salePayload(e)); err != nil {
			return err
		}
		return e.Next()
	})
	ev.SaleOrdered.BindFunc(func(e *SaleEvent) error {
		if err := fn("sale.ordered", salePayload(e)); err != nil {
			return err
		}
		return e.Next()
	})
}

// SaleEvent carries a reservation (Number) or an order (Order, Quantity,
// AmountCents, FCode: whether an F-code paid for the right to buy).
type SaleEvent struct {
	hook.Event
	App         core.App
	Sale        string
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

// PhoneEvent carries a member and the phone number (E.164) being bound.
type PhoneEvent struct {
	hook.Event
	App    core.App
	Member *core.Record
	Phone  string
}

// TriggerAfterCommit fires h with e once app's current transaction commits,
// or at once when app is not inside a transaction. A rolled back transaction
// fires nothing. Handler errors are logged: the action has already happened.
func TriggerAfterCommit[T hook.Resolver](app core.App, h *hook.Hook[T], e T) {
	fire := func() {
		if err := h.Trigger(e); err != nil {
			app.Logger().Error("hooks: after-event handler failed", "error", err)
		}
	}
	if info := app.TxInfo(); info != nil {
		info.OnComplete(func(txErr error) error {
			if txErr == nil {
				fire()
			}
			return nil
		})
		return
	}
	fire()
}
