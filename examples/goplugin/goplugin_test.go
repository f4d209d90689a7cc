package goplugin

import (
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"github.com/canyu/canyu/hooks"
)

func TestPlugin(t *testing.T) {
	app, err := tests.NewTestApp()
	if err != nil {
		t.Fatal(err)
	}
	defer app.Cleanup()
	ev := hooks.New()
	p := New(ev, "+86170", "+86171")
	if err := p.Register(app); err != nil {
		t.Fatal(err)
	}
	users, _ := app.FindCollectionByNameOrId("users")
	m := core.NewRecord(users)

	stored := false
	store := func(*hooks.PhoneEvent) error { stored = true; return nil }
	err = ev.PhoneBinding.Trigger(&hooks.PhoneEvent{App: app, Member: m, Phone: "+8617100000000"}, store)
	if err == nil || !strings.Contains(err.Error(), "+86171") || stored {
		t.Fatalf("binding +86171...: err %v, stored %v; want a refusal", err, stored)
	}
	if err := ev.PhoneBinding.Trigger(&hooks.PhoneEvent{App: app, Member: m, Phone: "+8613800138000"}, store); err != nil || !stored {
		t.Fatalf("binding +86138...: err %v, stored %v; want it stored", err, stored)
	}

	hooks.TriggerAfterCommit(app, ev.MemberSignedUp, &hooks.MemberEvent{App: app, Member: m})
	if p.Signups() != 1 {
		t.Errorf("Signups() = %d, want 1", p.Signups())
	}
}
