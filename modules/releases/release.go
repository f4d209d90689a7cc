// Package releases is Orange Friday: every week a build ships with a
// complete post whose items link back to the members' needs that caused
// them; publishing marks those needs shipped and credits their authors by
// name; members who upgraded vote the Popcorn awards; testers apply, are
// admitted in waves and report on beta and dev builds.
package releases

import (
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/filesystem"
	"github.com/pocketbase/pocketbase/tools/types"

	"github.com/canyu/canyu/hooks"
	"github.com/canyu/canyu/modules/internal/access"
	"github.com/canyu/canyu/platform"
	"github.com/canyu/canyu/ui"
)

// Collection names.
const (
	Products     = "releases_products"
	Releases     = "releases_releases"
	Items        = "releases_items"
	Upgrades     = "releases_upgrades"
	Ballots      = "releases_ballots"
	Applications = "releases_applications"
	Reports      = "releases_reports"
	Plans        = "releases_plans"
	Optouts      = "releases_optouts"
	Tallies      = "releases_tallies"
	// forumTopics is the forum's collection, read for the needs an item
	// links (the forum itself is never imported).
	forumTopics = "forum_topics"
)

// Item categories and release channels, in display order.
var (
	Categories = []string{"new", "improved", "fixed", "known"}
	Channels   = []string{"stable", "beta", "dev"}
)

// Errors of releases.
var (
	ErrNotFound       = errors.New("releases: no such release")
	ErrNoProduct      = errors.New("releases: no such product")
	ErrPublished      = errors.New("releases: the release is published already")
	ErrNotUpgraded    = errors.New("releases: vote after marking that you upgraded")
	ErrVotingClosed   = errors.New("releases: voting is closed")
	ErrBadItem        = errors.New("releases: not an item of this release")
	ErrSameItem       = errors.New("releases: one item cannot be the most loved and the weakest")
	ErrBadMood        = errors.New("releases: mood is 1 to 5")
	ErrEmptyBallot    = errors.New("releases: the ballot says nothing")
	ErrBadTopic       = errors.New("releases: no such forum topic")
	ErrNotTester      = errors.New("releases: only the product's testers do that")
	ErrAlreadyApplied = errors.New("releases: already applied")
	ErrWaveFull       = errors.New("releases: the tester programme is full")
	ErrBadSince       = errors.New("releases: since is not a time")
)

// Release is the domain of the module over its collections.
type Release struct {
	app    core.App
	cfg    Config
	now    func() time.Time
	events *hooks.Events
	pub    platform.Publisher
	loc    *time.Location // where releases are scheduled
	fresh  platform.Fresh
}

// Draft is what staff compose.
type Draft struct {
	Product, Version, Channel, Title, Summary, VideoURL string
	// PublishAt is when a scheduled release goes out (zero: the next slot).
	PublishAt time.Time
	Items     []ItemDraft
}

// ItemDraft is one line of a release.
type ItemDraft struct {
	ID          string // an existing item, kept (and its screenshots)
	Category    string
	Text        string
	Recommended bool
	Topics      []string // forum topic ids or links
	Screenshots []*filesystem.File
}

var versionPattern = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z.+\-]{0,39}$`)

// topicID reads a forum topic id out of a link (".../forum/t/<id>") or
// returns the id itself.
func topicID(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, "/forum/t/"); i >= 0 {
		s = s[i+len("/forum/t/"):]
	}
	s, _, _ = strings.Cut(s, "?")
	s, _, _ = strings.Cut(s, "#")
	return strings.Trim(s, "/ ")
}

// TopicIDs splits what staff type (links or ids, separated by spaces,
// commas or new lines) into distinct topic ids.
func TopicIDs(typed string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(typed, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' }) {
		if id := topicID(f); id != "" && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// existingTopics returns which of ids are visible forum topics.
func existingTopics(app core.App, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	vals := make([]any, len(ids))
	for i, id := range ids {
		vals[i] = id
	}
	var found []string
	err := app.DB().Select("id").From(forumTopics).Where(dbx.In("id", vals...)).AndWhere(dbx.HashExp{"hidden": false}).Column(&found)
	if err != nil {
		return nil, fmt.Errorf("releases: topics: %w", err)
	}
	for _, id := range found {
		out[id] = true
	}
	return out, nil
}

// check validates a draft; it returns form errors per field ("item3_text").
func (r *Release) check(d *Draft) error {
	fe := ui.FieldErrors{}
	d.Version, d.Title, d.VideoURL = strings.TrimSpace(d.Version), strings.TrimSpace(d.Title), strings.TrimSpace(d.VideoURL)
	if !versionPattern.MatchString(d.Version) {
		fe["version"] = "releases.err_version"
	}
	if !slices.Contains(Channels, d.Channel) {
		fe["channel"] = "releases.err_channel"
	}
	switch n := utf8.RuneCountInString(d.Title); {
	case n == 0:
		fe["title"] = "releases.err_required"
	case n > 200:
		fe["title"] = "releases.err_too_long"
	}
	if utf8.RuneCountInString(d.Summary) > 20000 {
		fe["summary"] = "releases.err_too_long"
	}
	if d.VideoURL != "" {
		if u, err := url.Parse(d.VideoURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			fe["video_url"] = "releases.err_link"
		}
	}
	var all []string
	for _, it := range d.Items {
		all = append(all, it.Topics...)
	}
	known, err := existingTopics(r.app, all)
	if err != nil {
		return err
	}
	for i := range d.Items {
		it := &d.Items[i]
		it.Text = strings.TrimSpace(it.Text)
		key := fmt.Sprintf("item%d_", i)
		if !slices.Contains(Categories, it.Category) {
			fe[key+"category"] = "releases.err_category"
		}
		switch n := utf8.RuneCountInString(it.Text); {
		case n == 0:
			fe[key+"text"] = "releases.err_required"
		case n > 5000:
			fe[key+"text"] = "releases.err_too_long"
		}
		for _, t := range it.Topics {
			if !known[t] {
				fe[key+"topics"] = "releases.err_topic"
			}
		}
		if len(it.Screenshots) > 4 {
			fe[key+"screenshots"] = "releases.err_screenshots"
		}
	}
	if len(d.Items) == 0 {
		fe["items"] = "releases.err_no_items"
	}
	if len(fe) > 0 {
		return fe
	}
	return nil
}

// Save stores a draft as a new release (id empty) or over an existing one
// that is not published. action is "draft" (members do not see it),
// "schedule" (it goes out at PublishAt, by default the next Friday 17:00 in
// the brand's time zone) or "publish" (now). It returns the release.
func (r *Release) Save(author *core.Record, id string, d Draft, action string) (*core.Record, error) {
	product, err := r.app.FindRecordById(Products, d.Product)
	if err != nil {
		product, err = r.app.FindFirstRecordByData(Products, "slug", d.Product)
		if err != nil {
			return nil, ui.FieldErrors{"product": "releases.err_product"}
		}
	}
	d.Product = product.Id
	if err := r.check(&d); err != nil {
		return nil, err
	}
	var rec *core.Record
	err = r.app.RunInTransaction(func(tx core.App) error {
		if id != "" {
			rec, err = tx.FindRecordById(Releases, id)
			if err != nil {
				return ErrNotFound
			}
			if rec.GetString("status") == "published" {
				return ErrPublished
			}
		} else {
			col, err := tx.FindCachedCollectionByNameOrId(Releases)
			if err != nil {
				return err
			}
			rec = core.NewRecord(col)
			rec.Set("author", author.Id)
		}
		rec.Set("product", d.Product)
		rec.Set("version", d.Version)
		rec.Set("channel", d.Channel)
		rec.Set("title", d.Title)
		rec.Set("summary", d.Summary)
		rec.Set("video_url", d.VideoURL)
		switch action {
		case "schedule":
			at := d.PublishAt
			if at.IsZero() {
				at = r.cfg.NextSlot(r.now(), r.loc)
			}
			rec.Set("status", "scheduled")
			rec.Set("publish_at", at.UTC())
		case "publish":
			rec.Set("status", "scheduled")
			rec.Set("publish_at", r.now().UTC())
		default:
			rec.Set("status", "draft")
		}
		if err := tx.Save(rec); err != nil {
			if isUnique(err) {
				return ui.FieldErrors{"version": "releases.err_version_taken"}
			}
			return err
		}
		return r.saveItems(tx, rec.Id, d.Items)
	})
	if err != nil {
		return nil, err
	}
	if action == "publish" {
		if _, err := r.PublishDue(); err != nil {
			return rec, err
		}
		return r.app.FindRecordById(Releases, rec.Id)
	}
	return rec, nil
}

// saveItems replaces a release's items by those of the draft, keeping the
// ones it names by id (with their screenshots).
func (r *Release) saveItems(tx core.App, release string, items []ItemDraft) error {
	existing, err := tx.FindAllRecords(Items, dbx.HashExp{"release": release})
	if err != nil {
		return err
	}
	keep := map[string]*core.Record{}
	for _, e := range existing {
		keep[e.Id] = e
	}
	col, err := tx.FindCachedCollectionByNameOrId(Items)
	if err != nil {
		return err
	}
	for i, it := range items {
		rec, ok := keep[it.ID]
		if ok {
			delete(keep, it.ID)
		} else {
			rec = core.NewRecord(col)
			rec.Set("release", release)
		}
		rec.Set("category", it.Category)
		rec.Set("text", it.Text)
		rec.Set("recommended", it.Recommended)
		rec.Set("topics", it.Topics)
		rec.Set("position", i)
		if len(it.Screenshots) > 0 {
			rec.Set("screenshots+", it.Screenshots)
		}
		if err := tx.Save(rec); err != nil {
			return err
		}
	}
	for _, gone := range keep {
		if err := tx.Delete(gone); err != nil {
			return err
		}
	}
	return nil
}

// isUnique reports a unique index refusing a save (PocketBase names it on
// each field of the index).
func isUnique(err error) bool {
	var fields validation.Errors
	if errors.As(err, &fields) {
		for _, fe := range fields {
			var ve validation.Error
			if errors.As(fe, &ve) && ve.Code() == "validation_not_unique" {
				return true
			}
		}
	}
	return strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// PublishDue publishes every scheduled release whose time has come (the
// cron runs it every minute; tests call it). For each: the release and its
// voting window are stored, then release.published tells the other modules
// (the forum marks the linked needs shipped and opens the discussion), and
// for a beta or dev build the idle testers are told or retired. It returns
// how many were published.
func (r *Release) PublishDue() (int, error) {
	now := r.now().UTC()
	due, err := r.app.FindRecordsByFilter(Releases, "status = 'scheduled' && publish_at <= {:now}", "publish_at", 100, 0,
		dbx.Params{"now": now.Format(types.DefaultDateLayout)})
	if err != nil {
		return 0, err
	}
	done := 0
	for _, rec := range due {
		published := false
		// a transaction re-reads the release (the single writer serialises
		// two runs, so it goes out once) and saves it as a record, so the
		// realtime API tells subscribers it is now visible
		err := r.app.RunInTransaction(func(tx core.App) error {
			fresh, err := tx.FindRecordById(Releases, rec.Id)
			if err != nil || fresh.GetString("status") != "scheduled" {
				return err
			}
			fresh.Set("status", "published")
			fresh.Set("published", now)
			fresh.Set("votes_close", now.AddDate(0, 0, r.cfg.VoteDays))
			published = true
			return tx.Save(fresh)
		})
		if err != nil {
			return done, err
		}
		if !published {
			continue // another run published it
		}
		done++
		if err := r.announce(rec.Id); err != nil {
			r.app.Logger().Error("releases: announce", "release", rec.Id, "error", err)
		}
	}
	return done, nil
}

// announce fires release.published and keeps the discussion a handler
// opened; for a beta or dev build it looks at the testers' activity.
func (r *Release) announce(id string) error {
	rec, err := r.app.FindRecordById(Releases, id)
	if err != nil {
		return err
	}
	product, err := r.app.FindRecordById(Products, rec.GetString("product"))
	if err != nil {
		return err
	}
	topics, err := r.linkedTopics(id)
	if err != nil {
		return err
	}
	e := &hooks.ReleaseEvent{App: r.app, Release: id, Product: product.GetString("slug"), ProductName: product.GetString("name"),
		Version: rec.GetString("version"), Channel: rec.GetString("channel"), Title: rec.GetString("title"),
		Summary: rec.GetString("summary"), URL: "/releases/" + id, Topics: topics, By: rec.GetString("author")}
	if err := r.events.ReleasePublished.Trigger(e); err != nil {
		r.app.Logger().Error("releases: release.published handler failed", "release", id, "error", err)
	}
	if e.Discussion != "" {
		if _, err := r.app.DB().NewQuery("UPDATE " + Releases + " SET discussion = {:d} WHERE id = {:id}").
			Bind(dbx.Params{"d": ui.SafeNext(e.Discussion), "id": id}).Execute(); err != nil {
			return err
		}
	}
	if rec.GetString("channel") != "stable" {
		return r.checkIdle(product.Id, id)
	}
	return nil
}

// linkedTopics are the distinct forum topics a release's items name.
func (r *Release) linkedTopics(release string) ([]string, error) {
	items, err := r.app.FindAllRecords(Items, dbx.HashExp{"release": release})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, it := range items {
		var ids []string
		_ = it.UnmarshalJSONField("topics", &ids)
		for _, id := range ids {
			if !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	return out, nil
}

// Find returns a release member may see: a published one (a beta or dev
// build only for the product's admitted testers); staff see drafts too.
func (r *Release) Find(member *core.Record, id string) (*core.Record, error) {
	rec, err := r.app.FindRecordById(Releases, id)
	if err != nil {
		return nil, ErrNotFound
	}
	if !r.visible(member, rec) {
		return nil, ErrNotFound
	}
	return rec, nil
}

func (r *Release) visible(member *core.Record, rec *core.Record) bool {
	if access.HasRole(member, access.RoleStaff) {
		return true
	}
	if rec.GetString("status") != "published" {
		return false
	}
	return rec.GetString("channel") == "stable" || member != nil && r.IsTester(member.Id, rec.GetString("product"))
}

// Published lists the newest published releases of a product (any product
// when empty) in the channels member may see, newest first, at most limit
// (0: all).
func (r *Release) Published(member *core.Record, product string, channels []string, limit int) ([]*core.Record, error) {
	if len(channels) == 0 {
		channels = Channels
	}
	// a product's beta and dev builds are its testers'; without a product
	// each record decides below
	if product != "" && !access.HasRole(member, access.RoleStaff) && (member == nil || !r.IsTester(member.Id, product)) {
		channels = slices.DeleteFunc(slices.Clone(channels), func(c string) bool { return c != "stable" })
		if len(channels) == 0 {
			return nil, nil
		}
	}
	q := r.app.RecordQuery(Releases).AndWhere(dbx.HashExp{"status": "published"}).AndWhere(dbx.In("channel", anys(channels)...)).
		OrderBy("published DESC")
	if product != "" {
		q = q.AndWhere(dbx.HashExp{"product": product})
	}
	var out []*core.Record
	for offset := 0; ; offset += 100 {
		var page []*core.Record
		if err := q.Offset(int64(offset)).Limit(100).All(&page); err != nil {
			return nil, err
		}
		for _, rec := range page {
			if r.visible(member, rec) {
				out = append(out, rec)
			}
			if limit > 0 && len(out) == limit {
				return out, nil
			}
		}
		if len(page) < 100 {
			return out, nil
		}
	}
}

// anys converts for dbx.In.
func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// Upgraded reports whether member marked that they upgraded to release.
func (r *Release) Upgraded(member, release string) bool {
	n, _ := r.app.CountRecords(Upgrades, dbx.HashExp{"release": release, "member": member})
	return n > 0
}

// Upgrade marks that member upgraded to release and returns how many did.
func (r *Release) Upgrade(member *core.Record, release string) (int, error) {
	rec, err := r.Find(member, release)
	if err != nil {
		return 0, err
	}
	if rec.GetString("status") != "published" {
		return 0, ErrNotFound
	}
	err = r.app.RunInTransaction(func(tx core.App) error {
		res, err := tx.DB().NewQuery("INSERT INTO " + Upgrades + " (id, release, member, created) VALUES ({:id}, {:r}, {:m}, {:now}) ON CONFLICT DO NOTHING").
			Bind(dbx.Params{"id": core.GenerateDefaultRandomId(), "r": release, "m": member.Id, "now": r.now().UTC().Format(types.DefaultDateLayout)}).Execute()
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return bump(tx, release, map[string]int{"upgraded": 1})
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("releases: upgrade: %w", err)
	}
	var t Tally
	r.fresh.Do(func() {
		if t, err = r.Tally(release); err == nil {
			r.pub.Publish("release:"+release, t.Live())
		}
	})
	return t.Upgraded, err
}

// ItemsOf returns a release's items in order.
func (r *Release) ItemsOf(release string) ([]*core.Record, error) {
	return r.app.FindRecordsByFilter(Items, "release = {:r}", "position", 0, 0, dbx.Params{"r": release})
}

// errNoRows reports a missing row.
func errNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
