package plugins

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/tests"

	"github.com/canyu/canyu/hooks"
	"github.com/canyu/canyu/modules/internal/testutil"
)

func TestMain(m *testing.M) { testutil.Main(m) }

const plugin = `
onCanyuEvent("phone.binding", (e) => {
  if (e.data.phone_prefix === "+86170") {
    throw new Error("virtual operator numbers are not accepted")
  }
})

onCanyuEvent("member.signed_up", (e) => {
  const m = $app.findRecordById("users", e.data.member.id)
  m.set("bio", "welcomed by a JS plugin")
  $app.save(m)
})

onCanyuEvent("phone.bound", (e) => {
  while (true) {} // a broken plugin
})
`

func setup(t *testing.T, js string, timeout time.Duration) (*Module, *hooks.Events, *tests.TestApp) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "canyu.pb.js"), []byte(js), 0o644); err != nil {
		t.Fatal(err)
	}
	app := testutil.NewApp(t)
	ev := hooks.New()
	cfg := DefaultConfig()
	cfg.HooksDir = dir
	cfg.Timeout = timeout
	m := New(cfg, Deps{Events: ev})
	if err := m.Register(app); err != nil {
		t.Fatal(err)
	}
	return m, ev, app
}

func TestJSPluginVetoesBeforeEvent(t *testing.T) {
	_, ev, a := setup(t, plugin, time.Second)
	member := testutil.Member(t, a, "m@x.io", "M")
	ran := false
	err := ev.PhoneBinding.Trigger(&hooks.PhoneEvent{App: a, Member: member, Phone: "+8617000000000"}, func(*hooks.PhoneEvent) error {
		ran = true
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "virtual operator numbers") || ran {
		t.Fatalf("binding a +86170 number: err %v, action ran %v; want the plugin's refusal and no action", err, ran)
	}
	err = ev.PhoneBinding.Trigger(&hooks.PhoneEvent{App: a, Member: member, Phone: "+8613800138000"}, func(*hooks.PhoneEvent) error {
		ran = true
		return nil
	})
	if err != nil || !ran {
		t.Fatalf("binding a +86138 number: err %v, action ran %v; want it through", err, ran)
	}
}

func TestJSPluginReactsToAfterEvent(t *testing.T) {
	_, ev, a := setup(t, plugin, time.Second)
	member := testutil.Member(t, a, "m@x.io", "M")
	hooks.TriggerAfterCommit(a, ev.MemberSignedUp, &hooks.MemberEvent{App: a, Member: member})
	fresh, _ := a.FindRecordById("users", member.Id)
	if got := fresh.GetString("bio"); got != "welcomed by a JS plugin" {
		t.Fatalf("bio after MemberSignedUp = %q, want the plugin's welcome", got)
	}
}

func TestSlowJSPluginIsStopped(t *testing.T) {
	m, ev, a := setup(t, plugin, 200*time.Millisecond)
	member := testutil.Member(t, a, "m@x.io", "M")
	// an after-event: the broken handler is stopped and logged, the event goes on
	if err := ev.PhoneBound.Trigger(&hooks.PhoneEvent{App: a, Member: member, Phone: "+8613800138000"}); err != nil {
		t.Fatalf("PhoneBound with a looping plugin = %v, want nil (logged)", err)
	}
	m.mu.RLock()
	h := m.handlers["phone.bound"][0]
	m.mu.RUnlock()
	if err := m.run(h, map[string]any{"key": "phone.bound", "data": map[string]any{}}); !errors.Is(err, ErrTimeout) {
		t.Fatalf("run(looping handler) = %v, want ErrTimeout", err)
	}
	// the runtime is usable again afterwards
	if err := ev.PhoneBinding.Trigger(&hooks.PhoneEvent{App: a, Member: member, Phone: "+8613800138000"}, func(*hooks.PhoneEvent) error { return nil }); err != nil {
		t.Fatalf("a later event after a timeout = %v, want nil", err)
	}
}

func TestUnknownEventFailsAtLoad(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "bad.pb.js"), []byte(`onCanyuEvent("no.such.event", (e) => {})`), 0o644)
	app := testutil.NewApp(t)
	cfg := DefaultConfig()
	cfg.HooksDir = dir
	m := New(cfg, Deps{Events: hooks.New()})
	if err := m.Register(app); err == nil || !strings.Contains(err.Error(), "no.such.event") {
		t.Fatalf("Register with an unknown event = %v, want an error naming it", err)
	}
}

// TestWorkedExample loads the JS example shipped in examples/jsplugin.
func TestWorkedExample(t *testing.T) {
	app := testutil.NewApp(t)
	ev := hooks.New()
	cfg := DefaultConfig()
	cfg.HooksDir = "../../examples/jsplugin/pb_hooks"
	if err := New(cfg, Deps{Events: ev}).Register(app); err != nil {
		t.Fatal(err)
	}
	member := testutil.Member(t, app, "m@x.io", "M")
	err := ev.PhoneBinding.Trigger(&hooks.PhoneEvent{App: app, Member: member, Phone: "+8617012345678"}, func(*hooks.PhoneEvent) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "Virtual operator") {
		t.Fatalf("example plugin on a +86170 number = %v, want its refusal", err)
	}
	hooks.TriggerAfterCommit(app, ev.MemberSignedUp, &hooks.MemberEvent{App: app, Member: member})
	if fresh, _ := app.FindRecordById("users", member.Id); fresh.GetString("bio") != "New here. Say hello!" {
		t.Fatalf("bio = %q, want the example's greeting", fresh.GetString("bio"))
	}
}
