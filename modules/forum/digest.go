package forum

import (
	"github.com/canyu/canyu/hooks"
	"github.com/canyu/canyu/ui"
)

// The kinds of notification the forum sends (members mute each in their
// notification settings).
const (
	KindStatusNote  = "forum.status"
	KindMentionNote = "forum.mention"
	KindAreaNote    = "forum.area"
)

func (m *Module) declareNotifications() {
	ev := m.deps.Events
	ev.DeclareNotification(hooks.NotificationKind{Key: KindStatusNote, Label: "forum.note_status"})
	ev.DeclareNotification(hooks.NotificationKind{Key: KindMentionNote, Label: "forum.note_mention"})
	ev.DeclareNotification(hooks.NotificationKind{Key: KindAreaNote, Label: "forum.note_area"})
}

// digestSection adds the week's five hottest needs to a member's weekly
// digest email.
func (m *Module) digestSection(e *hooks.DigestEvent) error {
	if !e.Weekly {
		return e.Next()
	}
	hot, err := m.forum.Hot([]string{KindRequest, KindBug}, 5)
	if err != nil {
		return err
	}
	if len(hot) > 0 {
		lang, _ := ui.ParseLang(e.Lang)
		sec := hooks.DigestSection{Title: m.deps.UI.Catalog.T(lang, "forum.hot_title")}
		for _, h := range hot {
			sec.Items = append(sec.Items, hooks.DigestItem{Title: h.Topic.GetString("title"), Link: "/forum/t/" + h.Topic.Id,
				Note: m.deps.UI.Catalog.T(lang, "forum.digest_metoo", h.Topic.GetInt("metoo_count"))})
		}
		e.Sections = append(e.Sections, sec)
	}
	return e.Next()
}
