package pb_migrations

import (
	"encoding/json"
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Notifications get a module of their own (notify), for every module to use:
// the notifications, and each member's settings (kinds muted, how often to
// be emailed). The forum's notifications and its weekly-digest subscribers
// move in (the forum's next migration drops its old collections); going
// down moves the forum's kinds back.
func init() {
	m.Register(func(app core.App) error {
		users, err := app.FindCollectionByNameOrId("users")
		if err != nil {
			return err
		}
		own := "member = @request.auth.id"
		n := core.NewBaseCollection("notify_notifications", "notify_notif001")
		n.ListRule = types.Pointer(own)
		n.ViewRule = types.Pointer(own)
		n.Fields.Add(
			&core.RelationField{Name: "member", CollectionId: users.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			&core.TextField{Name: "kind", Required: true, Max: 60},
			&core.RelationField{Name: "actor", CollectionId: users.Id, MaxSelect: 1},
			&core.TextField{Name: "subject", Max: 300},
			&core.TextField{Name: "link", Max: 500},
			&core.TextField{Name: "message", Required: true, Max: 100},
			&core.JSONField{Name: "args", MaxSize: 4000},
			&core.TextField{Name: "detail", Max: 1000},
			&core.BoolField{Name: "read"},
			&core.BoolField{Name: "emailed"},
			&core.DateField{Name: "created"},
		)
		n.AddIndex("idx_notify_member", false, "member, read, created", "")
		n.AddIndex("idx_notify_created", false, "created", "")
		if err := app.Save(n); err != nil {
			return err
		}
		s := core.NewBaseCollection("notify_settings", "notify_settin01")
		s.ListRule = types.Pointer(own)
		s.ViewRule = types.Pointer(own)
		s.Fields.Add(
			&core.RelationField{Name: "member", CollectionId: users.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			&core.JSONField{Name: "muted", MaxSize: 4000},
			&core.SelectField{Name: "email", MaxSelect: 1, Values: []string{"off", "immediate", "daily", "weekly"}},
			&core.DateField{Name: "last_digest"},
		)
		s.AddIndex("idx_notify_settings_member", true, "member", "")
		if err := app.Save(s); err != nil {
			return err
		}
		return moveForumNotifications(app)
	}, func(app core.App) error {
		if err := moveForumNotificationsBack(app); err != nil {
			return err
		}
		return deleteCollections(app, "notify_settings", "notify_notifications")
	})
}

type arg struct {
	Text string `json:"t,omitempty"`
	Key  string `json:"k,omitempty"`
}

// moveForumNotifications copies the forum's notifications and digest
// subscribers, when the forum's collections are there.
func moveForumNotifications(app core.App) error {
	if _, err := app.FindCollectionByNameOrId("forum_notifications"); err != nil {
		return nil
	}
	var rows []struct {
		ID      string `db:"id"`
		Member  string `db:"member"`
		Topic   string `db:"topic"`
		Title   string `db:"title"`
		Kind    string `db:"kind"`
		Status  string `db:"status"`
		Reason  string `db:"reason"`
		Release string `db:"release"`
		Actor   string `db:"actor"`
		Name    string `db:"name"`
		Read    bool   `db:"read"`
		Created string `db:"created"`
	}
	err := app.DB().NewQuery(`SELECT n.id, n.member, n.topic, COALESCE(t.title, '') AS title, n.kind, n.status, n.reason, n.release,
		n.actor, COALESCE(u.name, '') AS name, n.read, n.created
		FROM forum_notifications n LEFT JOIN forum_topics t ON t.id = n.topic LEFT JOIN users u ON u.id = n.actor`).All(&rows)
	if err != nil {
		return err
	}
	for _, r := range rows {
		kind, message, args := "forum.status", "forum.notif_status", []arg{{Key: "forum.status_" + r.Status}}
		switch {
		case r.Kind == "mention":
			kind, message, args = "forum.mention", "forum.notif_mention", []arg{{Text: r.Name}}
		case r.Kind == "new_topic":
			kind, message, args = "forum.area", "forum.notif_new_topic", []arg{{Text: r.Name}}
		case r.Release != "":
			message, args = "forum.notif_shipped", []arg{{Text: r.Release}}
		}
		raw, _ := json.Marshal(args)
		_, err := app.DB().NewQuery(`INSERT INTO notify_notifications (id, member, kind, actor, subject, link, message, args, detail, read, emailed, created)
			VALUES ({:id}, {:m}, {:k}, {:a}, {:s}, {:l}, {:msg}, {:args}, {:d}, {:r}, TRUE, {:c})`).
			Bind(dbx.Params{"id": r.ID, "m": r.Member, "k": kind, "a": r.Actor, "s": r.Title, "l": "/forum/t/" + r.Topic,
				"msg": message, "args": string(raw), "d": r.Reason, "r": r.Read, "c": r.Created}).Execute()
		if err != nil {
			return err
		}
	}
	if _, err := app.FindCollectionByNameOrId("forum_digest"); err != nil {
		return nil
	}
	_, err = app.DB().NewQuery(`INSERT INTO notify_settings (id, member, muted, email, last_digest)
		SELECT id, member, '[]', 'weekly', last_sent FROM forum_digest`).Execute()
	return err
}

// moveForumNotificationsBack copies the forum's kinds back, when the
// forum's collections are there again.
func moveForumNotificationsBack(app core.App) error {
	if _, err := app.FindCollectionByNameOrId("forum_notifications"); err != nil {
		return nil
	}
	var rows []struct {
		ID      string `db:"id"`
		Member  string `db:"member"`
		Kind    string `db:"kind"`
		Actor   string `db:"actor"`
		Link    string `db:"link"`
		Message string `db:"message"`
		Args    string `db:"args"`
		Detail  string `db:"detail"`
		Read    bool   `db:"read"`
		Created string `db:"created"`
	}
	err := app.DB().NewQuery(`SELECT id, member, kind, actor, link, message, args, detail, read, created FROM notify_notifications
		WHERE kind IN ('forum.status', 'forum.mention', 'forum.area') AND link LIKE '/forum/t/%'`).All(&rows)
	if err != nil {
		return err
	}
	for _, r := range rows {
		var args []arg
		_ = json.Unmarshal([]byte(r.Args), &args)
		kind, status, release := map[string]string{"forum.status": "status", "forum.mention": "mention", "forum.area": "new_topic"}[r.Kind], "", ""
		if len(args) > 0 {
			switch r.Message {
			case "forum.notif_status":
				status = strings.TrimPrefix(args[0].Key, "forum.status_")
			case "forum.notif_shipped":
				status, release = "shipped", args[0].Text
			}
		}
		_, err := app.DB().NewQuery(`INSERT OR IGNORE INTO forum_notifications (id, member, topic, kind, status, reason, release, actor, read, created)
			VALUES ({:id}, {:m}, {:t}, {:k}, {:s}, {:r}, {:rel}, {:a}, {:read}, {:c})`).
			Bind(dbx.Params{"id": r.ID, "m": r.Member, "t": strings.TrimPrefix(r.Link, "/forum/t/"), "k": kind, "s": status, "r": r.Detail,
				"rel": release, "a": r.Actor, "read": r.Read, "c": r.Created}).Execute()
		if err != nil {
			return err
		}
	}
	if _, err := app.FindCollectionByNameOrId("forum_digest"); err != nil {
		return nil
	}
	_, err = app.DB().NewQuery(`INSERT OR IGNORE INTO forum_digest (id, member, last_sent, created)
		SELECT id, member, last_digest, strftime('%Y-%m-%d %H:%M:%fZ', 'now') FROM notify_settings WHERE email = 'weekly'`).Execute()
	return err
}
