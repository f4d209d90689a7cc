// Package goplugin is a worked example of a compiled-in Canyu plugin. It is
// registered like a module (add it to the list in wire.go) and binds typed
// events from hooks/:
//   - it refuses phone numbers of virtual operators (a before-event veto);
//   - it counts new members and greets them in the log (an after-event).
package goplugin

import (
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/hooks"
)

// Plugin is the example plugin.
type Plugin struct {
	events  *hooks.Events
	blocked []string
	signups atomic.Int64
}

// New returns the plugin; blocked lists refused number prefixes ("+86170").
func New(events *hooks.Events, blocked ...string) *Plugin {
	return &Plugin{events: events, blocked: blocked}
}

// Name returns "goplugin".
func (p *Plugin) Name() string { return "goplugin" }

// Signups is the number of members greeted since the start.
func (p *Plugin) Signups() int64 { return p.signups.Load() }

// Register binds the plugin's handlers.
func (p *Plugin) Register(app core.App) error {
	p.events.PhoneBinding.BindFunc(func(e *hooks.PhoneEvent) error {
		for _, prefix := range p.blocked {
			if strings.HasPrefix(e.Phone, prefix) {
				return fmt.Errorf("numbers starting with %s cannot be bound", prefix)
			}
		}
		return e.Next()
	})
	p.events.MemberSignedUp.BindFunc(func(e *hooks.MemberEvent) error {
		p.signups.Add(1)
		e.App.Logger().Info("goplugin: welcome", "member", e.Member.Id)
		return e.Next()
	})
	return nil
}
