package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Full-text search over topics and replies, Chinese and English alike: an
// FTS5 table with the trigram tokenizer (any 3-character substring matches,
// no word segmentation needed), kept in sync by triggers.
func init() {
	m.Register(func(app core.App) error {
		for _, q := range []string{
			`CREATE VIRTUAL TABLE forum_search USING fts5(title, body, topic UNINDEXED, post UNINDEXED, tokenize='trigram')`,
			`CREATE TRIGGER forum_search_topic_ins AFTER INSERT ON forum_topics WHEN NEW.hidden = 0 BEGIN
				INSERT INTO forum_search (title, body, topic, post) VALUES (NEW.title, NEW.body || ' ' || COALESCE(NEW.fields, ''), NEW.id, '');
			END`,
			`CREATE TRIGGER forum_search_topic_upd AFTER UPDATE OF title, body, fields, hidden ON forum_topics BEGIN
				DELETE FROM forum_search WHERE topic = OLD.id AND post = '';
				INSERT INTO forum_search (title, body, topic, post) SELECT NEW.title, NEW.body || ' ' || COALESCE(NEW.fields, ''), NEW.id, '' WHERE NEW.hidden = 0;
			END`,
			`CREATE TRIGGER forum_search_topic_del AFTER DELETE ON forum_topics BEGIN
				DELETE FROM forum_search WHERE topic = OLD.id;
			END`,
			`CREATE TRIGGER forum_search_post_ins AFTER INSERT ON forum_posts WHEN NEW.hidden = 0 BEGIN
				INSERT INTO forum_search (title, body, topic, post) VALUES ('', NEW.body, NEW.topic, NEW.id);
			END`,
			`CREATE TRIGGER forum_search_post_upd AFTER UPDATE OF body, hidden ON forum_posts BEGIN
				DELETE FROM forum_search WHERE post = OLD.id;
				INSERT INTO forum_search (title, body, topic, post) SELECT '', NEW.body, NEW.topic, NEW.id WHERE NEW.hidden = 0;
			END`,
			`CREATE TRIGGER forum_search_post_del AFTER DELETE ON forum_posts BEGIN
				DELETE FROM forum_search WHERE post = OLD.id;
			END`,
			`INSERT INTO forum_search (title, body, topic, post) SELECT title, body || ' ' || COALESCE(fields, ''), id, '' FROM forum_topics WHERE hidden = 0`,
			`INSERT INTO forum_search (title, body, topic, post) SELECT '', body, topic, id FROM forum_posts WHERE hidden = 0`,
		} {
			if _, err := app.DB().NewQuery(q).Execute(); err != nil {
				return err
			}
		}
		return nil
	}, func(app core.App) error {
		for _, q := range []string{
			"DROP TRIGGER IF EXISTS forum_search_topic_ins", "DROP TRIGGER IF EXISTS forum_search_topic_upd",
			"DROP TRIGGER IF EXISTS forum_search_topic_del", "DROP TRIGGER IF EXISTS forum_search_post_ins",
			"DROP TRIGGER IF EXISTS forum_search_post_upd", "DROP TRIGGER IF EXISTS forum_search_post_del",
			"DROP TABLE IF EXISTS forum_search",
		} {
			if _, err := app.DB().NewQuery(q).Execute(); err != nil {
				return err
			}
		}
		return nil
	})
}
