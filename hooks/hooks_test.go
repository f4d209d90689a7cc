package hooks

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
)

func newApp(t *testing.T) *tests.TestApp {
	t.Helper()
	app, err := tests.NewTestApp()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(app.Cleanup)
	return app
}

func TestTriggerAfterCommit(t *testing.T) {
	app := newApp(t)
	ev := New()
	fired := 0
	ev.MemberSignedUp.BindFunc(func(e *MemberEvent) error { fired++; return e.Next() })

	TriggerAfterCommit(app, ev.MemberSignedUp, &MemberEvent{App: app})
	if fired != 1 {
		t.Fatalf("outside a transaction: fired %d, want 1 at once", fired)
	}

	err := app.RunInTransaction(func(tx core.App) error {
		TriggerAfterCommit(tx, ev.MemberSignedUp, &MemberEvent{App: app})
		if fired != 1 {
			t.Errorf("inside the transaction: fired %d before commit, want 1", fired)
		}
		return nil
	})
	if err != nil || fired != 2 {
		t.Fatalf("after commit: fired %d (err %v), want 2", fired, err)
	}

	err = app.RunInTransaction(func(tx core.App) error {
		TriggerAfterCommit(tx, ev.MemberSignedUp, &MemberEvent{App: app})
		return errors.New("roll back")
	})
	if err == nil || fired != 2 {
		t.Fatalf("after rollback: fired %d (err %v), want still 2", fired, err)
	}
}

func TestAfterEventErrorDoesNotUndo(t *testing.T) {
	app := newApp(t)
	ev := New()
	ev.PhoneBound.BindFunc(func(e *PhoneEvent) error { return errors.New("plugin broke") })
	err := app.RunInTransaction(func(tx core.App) error {
		TriggerAfterCommit(tx, ev.PhoneBound, &PhoneEvent{App: app})
		return nil
	})
	if err != nil {
		t.Fatalf("a failing after-event handler made the transaction report %v, want nil", err)
	}
}

func TestBeforeEventVeto(t *testing.T) {
	ev := New()
	ev.PhoneBinding.BindFunc(func(e *PhoneEvent) error { return errors.New("no") })
	ran := false
	err := ev.PhoneBinding.Trigger(&PhoneEvent{}, func(e *PhoneEvent) error { ran = true; return nil })
	if err == nil || ran {
		t.Fatalf("vetoed before-event: err %v, action ran %v; want an error and no action", err, ran)
	}
}

func TestCatalogueIsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/hooks.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, info := range New().Catalogue() {
		if !strings.Contains(string(doc), "`"+info.Name+"`") {
			t.Errorf("docs/hooks.md does not document %s", info.Name)
		}
	}
}

// TestListenCoversTheCatalogue: webhooks and JS plugins see events only
// through Listen, so every event of the catalogue must reach it, by its key.
func TestListenCoversTheCatalogue(t *testing.T) {
	app := newApp(t)
	ev := New()
	var got []string
	ev.Listen(func(key string, p Payload) error {
		got = append(got, key)
		return nil
	})
	users, _ := app.FindCollectionByNameOrId("users")
	m := core.NewRecord(users)
	ev.MemberSignedUp.Trigger(&MemberEvent{App: app, Member: m})
	ev.MemberSignedOut.Trigger(&SignOutEvent{App: app, Member: m, Token: "secret-token"})
	ev.PhoneBinding.Trigger(&PhoneEvent{App: app, Member: m, Phone: "+8613800138000"})
	ev.PhoneBound.Trigger(&PhoneEvent{App: app, Member: m, Phone: "+8613800138000"})
	ev.NeedStatusChanged.Trigger(&NeedEvent{App: app, Topic: m, To: "planned"})
	ev.SaleReserved.Trigger(&SaleEvent{App: app, Sale: "s", Member: "m", Number: 1})
	ev.SaleOrdered.Trigger(&SaleEvent{App: app, Sale: "s", Member: "m", Order: "o", Quantity: 1})
	ev.ReleasePublished.Trigger(&ReleaseEvent{App: app, Release: "r", Version: "2.4.0", Topics: []string{"t"}})
	ev.ReleaseVoted.Trigger(&ReleaseEvent{App: app, Release: "r", Member: "m"})
	ev.TesterAdmitted.Trigger(&TesterEvent{App: app, Member: "m", Product: "p"})
	ev.MeetupAttended.Trigger(&MeetupEvent{App: app, ID: "e", Member: "m"})
	ev.TopicCreated.Trigger(&TopicEvent{App: app, Topic: "t", Author: "m", Member: "m"})
	ev.MeTooPressed.Trigger(&TopicEvent{App: app, Topic: "t", Author: "a", Member: "m"})
	ev.SalePaid.Trigger(&SaleEvent{App: app, Sale: "s", Product: "p", Member: "m", Order: "o", Quantity: 1})
	ev.BadgeAwarded.Trigger(&BadgeEvent{App: app, Badge: "first-post", Member: "m"})
	var want []string
	for _, info := range ev.Catalogue() {
		want = append(want, info.Key)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("Listen saw %v, want every catalogue key %v", got, want)
	}
}

// TestCatalogueNamesEveryEvent: each event gets the name of its field, and
// every field of Events is in the catalogue (declared once, in New).
func TestCatalogueNamesEveryEvent(t *testing.T) {
	ev := New()
	names := map[string]bool{}
	for _, info := range ev.Catalogue() {
		if info.Name == "" || info.Key == "" || info.Doc == "" {
			t.Errorf("catalogue entry %+v lacks a name, key or doc", info)
		}
		names[info.Name] = true
	}
	for _, want := range []string{"MemberSignedUp", "MemberSignedOut", "PhoneBinding", "PhoneBound", "NeedStatusChanged", "SaleReserved", "SaleOrdered",
		"ReleasePublished", "ReleaseVoted", "TesterAdmitted", "MeetupAttended", "TopicCreated", "MeTooPressed", "SalePaid", "BadgeAwarded"} {
		if !names[want] {
			t.Errorf("%s is not in the catalogue", want)
		}
	}
	if !ev.Known("sale.ordered") || ev.Known("sale.exploded") {
		t.Error("Known does not follow the catalogue")
	}
}

func TestPayloadsCarryNoSecrets(t *testing.T) {
	app := newApp(t)
	ev := New()
	var payloads []Payload
	ev.Listen(func(key string, p Payload) error { payloads = append(payloads, p); return nil })
	users, _ := app.FindCollectionByNameOrId("users")
	m := core.NewRecord(users)
	m.SetEmail("secret@x.io")
	ev.PhoneBound.Trigger(&PhoneEvent{App: app, Member: m, Phone: "+8613800138000"})
	ev.MemberSignedOut.Trigger(&SignOutEvent{App: app, Member: m, Token: "session-token"})
	if s := fmt.Sprint(payloads); strings.Contains(s, "secret@x.io") || strings.Contains(s, "13800138000") || strings.Contains(s, "session-token") {
		t.Errorf("payload leaks the email or the number: %s", s)
	}
}

func TestShippedPayloadNamesTheRelease(t *testing.T) {
	app := newApp(t)
	ev := New()
	var got Payload
	ev.Listen(func(key string, p Payload) error { got = p; return nil })
	users, _ := app.FindCollectionByNameOrId("users")
	topic := core.NewRecord(users)
	ev.NeedStatusChanged.Trigger(&NeedEvent{App: app, Topic: topic, From: "progress", To: "shipped", Release: "2.4.0", ReleaseURL: "/releases/2.4.0"})
	if r, ok := got["release"].(Payload); !ok || r["version"] != "2.4.0" || r["url"] != "/releases/2.4.0" {
		t.Errorf("need.status_changed payload release = %v, want version 2.4.0 and its link", got["release"])
	}
	ev.NeedStatusChanged.Trigger(&NeedEvent{App: app, Topic: topic, From: "new", To: "planned"})
	if _, ok := got["release"]; ok {
		t.Errorf("a change to planned carries a release: %v", got)
	}
}

// TestQuestionsWithoutAnswer: with nobody answering, a perk is refused and
// no member has a title.
func TestQuestionsWithoutAnswer(t *testing.T) {
	app := newApp(t)
	ev := New()
	if ev.HasPerk(app, "m", "veteran_sessions") {
		t.Error("a perk nobody grants is granted")
	}
	if got := ev.TitlesOf(app, "en", "m"); len(got) != 0 {
		t.Errorf("titles nobody gives = %v", got)
	}
	ev.Perks.BindFunc(func(q *PerkQuestion) error {
		q.Granted = q.Member == "vip" && q.Perk == "veteran_sessions"
		return q.Next()
	})
	if !ev.HasPerk(app, "vip", "veteran_sessions") || ev.HasPerk(app, "m", "veteran_sessions") {
		t.Error("the perk's answer is not the handler's")
	}
}
