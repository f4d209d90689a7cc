package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Member to member: follows and blocks; direct messages (conversations of
// two or a small group, their participants with unread counts, messages,
// reports to moderators); the following feed's items; each member's story
// (the products they owned) and their choices (story public, introductions).
//
// Through the REST API: follows and public stories are public; a member
// reads their own blocks and choices; conversations, participants, messages
// and reports are reached only through Canyu's endpoints, which check that
// the reader takes part (staff read a message only once it is reported).
func init() {
	m.Register(func(app core.App) error {
		users, err := app.FindCollectionByNameOrId("users")
		if err != nil {
			return err
		}
		rel := func(name string) *core.RelationField {
			return &core.RelationField{Name: name, CollectionId: users.Id, MaxSelect: 1, Required: true, CascadeDelete: true}
		}

		follows := core.NewBaseCollection("social_follows", "social_follow01")
		follows.ListRule = types.Pointer("")
		follows.ViewRule = types.Pointer("")
		follows.Fields.Add(rel("follower"), rel("followee"), &core.DateField{Name: "created", Required: true})
		follows.AddIndex("idx_social_follows_one", true, "follower, followee", "")
		follows.AddIndex("idx_social_follows_followee", false, "followee, created", "")
		if err := app.Save(follows); err != nil {
			return err
		}

		blocks := core.NewBaseCollection("social_blocks", "social_block001")
		blocks.ListRule = types.Pointer("blocker = @request.auth.id")
		blocks.ViewRule = types.Pointer("blocker = @request.auth.id")
		blocks.Fields.Add(rel("blocker"), rel("blocked"), &core.DateField{Name: "created", Required: true})
		blocks.AddIndex("idx_social_blocks_one", true, "blocker, blocked", "")
		blocks.AddIndex("idx_social_blocks_blocked", false, "blocked", "")
		if err := app.Save(blocks); err != nil {
			return err
		}

		convs := core.NewBaseCollection("social_conversations", "social_conv0001")
		convs.Fields.Add(
			&core.TextField{Name: "title", Max: 80},
			&core.TextField{Name: "pair", Max: 40}, // "<a>:<b>" for a conversation of two, so there is one per pair
			&core.RelationField{Name: "created_by", CollectionId: users.Id, MaxSelect: 1},
			&core.DateField{Name: "created", Required: true},
			&core.DateField{Name: "last_message"},
			&core.NumberField{Name: "messages", OnlyInt: true},
		)
		convs.AddIndex("idx_social_conversations_pair", true, "pair", "pair != ''")
		if err := app.Save(convs); err != nil {
			return err
		}

		parts := core.NewBaseCollection("social_participants", "social_part0001")
		parts.Fields.Add(
			&core.RelationField{Name: "conversation", CollectionId: convs.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			rel("member"),
			&core.NumberField{Name: "unread", OnlyInt: true, Min: types.Pointer(0.0)},
			&core.DateField{Name: "unread_since"},
			&core.DateField{Name: "emailed"},
			&core.DateField{Name: "last_message"},
			&core.BoolField{Name: "left"},
		)
		parts.AddIndex("idx_social_participants_one", true, "conversation, member", "")
		parts.AddIndex("idx_social_participants_member", false, "member, last_message", "")
		parts.AddIndex("idx_social_participants_unread", false, "unread_since", "unread > 0")
		if err := app.Save(parts); err != nil {
			return err
		}

		msgs := core.NewBaseCollection("social_messages", "social_msg00001")
		msgs.Fields.Add(
			&core.RelationField{Name: "conversation", CollectionId: convs.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			rel("author"),
			&core.TextField{Name: "body", Required: true, Max: 5000},
			&core.NumberField{Name: "seq", OnlyInt: true},
			&core.DateField{Name: "created", Required: true},
		)
		msgs.AddIndex("idx_social_messages_seq", true, "conversation, seq", "")
		if err := app.Save(msgs); err != nil {
			return err
		}

		reports := core.NewBaseCollection("social_reports", "social_report01")
		reports.Fields.Add(
			&core.RelationField{Name: "message", CollectionId: msgs.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			rel("reporter"),
			&core.TextField{Name: "reason", Max: 500},
			&core.SelectField{Name: "status", Required: true, MaxSelect: 1, Values: []string{"open", "closed"}},
			&core.DateField{Name: "created", Required: true},
		)
		reports.AddIndex("idx_social_reports_one", true, "message, reporter", "")
		reports.AddIndex("idx_social_reports_status", false, "status, created", "")
		if err := app.Save(reports); err != nil {
			return err
		}

		feed := core.NewBaseCollection("social_feed", "social_feed0001")
		feed.Fields.Add(
			rel("actor"),
			&core.TextField{Name: "kind", Required: true, Max: 20},
			&core.TextField{Name: "title", Max: 200},
			&core.TextField{Name: "link", Max: 300},
			&core.TextField{Name: "source", Required: true, Max: 160},
			&core.DateField{Name: "created", Required: true},
		)
		feed.AddIndex("idx_social_feed_source", true, "source", "")
		feed.AddIndex("idx_social_feed_actor", false, "actor, created", "")
		if err := app.Save(feed); err != nil {
			return err
		}

		prefs := core.NewBaseCollection("social_prefs", "social_prefs001")
		prefs.ListRule = types.Pointer("member = @request.auth.id")
		prefs.ViewRule = types.Pointer("member = @request.auth.id")
		prefs.Fields.Add(rel("member"), &core.BoolField{Name: "story_public"}, &core.BoolField{Name: "introductions"})
		prefs.AddIndex("idx_social_prefs_member", true, "member", "")
		if err := app.Save(prefs); err != nil {
			return err
		}

		story := core.NewBaseCollection("social_story", "social_story001")
		story.ListRule = types.Pointer("member = @request.auth.id || (@collection.social_prefs:p.member ?= member && @collection.social_prefs:p.story_public ?= true)")
		story.ViewRule = story.ListRule
		story.Fields.Add(
			rel("member"),
			&core.TextField{Name: "product", Required: true, Max: 80},
			&core.TextField{Name: "product_key", Required: true, Max: 80},
			&core.NumberField{Name: "year", OnlyInt: true},
			&core.TextField{Name: "note", Max: 300},
			&core.BoolField{Name: "verified"},
			&core.DateField{Name: "created", Required: true},
		)
		story.AddIndex("idx_social_story_one", true, "member, product_key", "")
		story.AddIndex("idx_social_story_product", false, "product_key", "")
		return app.Save(story)
	}, func(app core.App) error {
		return deleteCollections(app, "social_story", "social_prefs", "social_feed", "social_reports", "social_messages",
			"social_participants", "social_conversations", "social_blocks", "social_follows")
	})
}
