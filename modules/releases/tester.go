package releases

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"github.com/canyu/canyu/hooks"
	"github.com/canyu/canyu/ui"
)

// The kinds of notification the releases module sends.
const (
	NoteAdmitted = "releases.admitted"
	NoteIdle     = "releases.idle"
)

// IsTester reports whether member is an admitted tester of product.
func (r *Release) IsTester(member, product string) bool {
	n, _ := r.app.CountRecords(Applications, dbx.HashExp{"product": product, "member": member, "status": "admitted"})
	return n > 0
}

// Application is a member's standing in a product's tester programme.
func (r *Release) Application(member, product string) (*core.Record, bool) {
	a, err := r.app.FindFirstRecordByFilter(Applications, "product = {:p} && member = {:m}", dbx.Params{"p": product, "m": member})
	return a, err == nil
}

// Apply records member's application to test product: the device they test
// on and how they use it.
func (r *Release) Apply(member *core.Record, product, device, usage string) error {
	if _, err := r.app.FindRecordById(Products, product); err != nil {
		return ErrNoProduct
	}
	device, usage = strings.TrimSpace(device), strings.TrimSpace(usage)
	fe := ui.FieldErrors{}
	switch n := utf8.RuneCountInString(device); {
	case n == 0:
		fe["device"] = "releases.err_required"
	case n > 200:
		fe["device"] = "releases.err_too_long"
	}
	switch n := utf8.RuneCountInString(usage); {
	case n == 0:
		fe["usage"] = "releases.err_required"
	case n > 1000:
		fe["usage"] = "releases.err_too_long"
	}
	if len(fe) > 0 {
		return fe
	}
	res, err := r.app.DB().NewQuery("INSERT INTO " + Applications + ` (id, product, member, device, usage, status, wave, admitted, warned, created)
		VALUES ({:id}, {:p}, {:m}, {:d}, {:u}, 'applied', 0, '', '', {:now}) ON CONFLICT DO NOTHING`).
		Bind(dbx.Params{"id": core.GenerateDefaultRandomId(), "p": product, "m": member.Id, "d": device, "u": usage,
			"now": r.now().UTC().Format(types.DefaultDateLayout)}).Execute()
	if err != nil {
		return fmt.Errorf("releases: apply: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrAlreadyApplied
	}
	return nil
}

// Admit admits the applicants (member ids, in the order given) to product's
// programme as wave, never past the product's tester cap: the count and the
// admissions share one transaction, so two staff admitting at once cannot
// exceed it. It returns the members admitted; ErrWaveFull when the cap left
// room for none of them.
func (r *Release) Admit(staff *core.Record, product string, members []string, wave int) ([]string, error) {
	p, err := r.app.FindRecordById(Products, product)
	if err != nil {
		return nil, ErrNoProduct
	}
	limit := p.GetInt("tester_cap")
	var admitted []string
	now := r.now().UTC().Format(types.DefaultDateLayout)
	err = r.app.RunInTransaction(func(tx core.App) error {
		var count int
		if err := tx.DB().NewQuery("SELECT COUNT(*) FROM " + Applications + " WHERE product = {:p} AND status = 'admitted'").
			Bind(dbx.Params{"p": product}).Row(&count); err != nil {
			return err
		}
		for _, m := range members {
			if limit > 0 && count >= limit {
				break
			}
			res, err := tx.DB().NewQuery("UPDATE " + Applications + " SET status = 'admitted', wave = {:w}, admitted = {:now}, warned = '' WHERE product = {:p} AND member = {:m} AND status = 'applied'").
				Bind(dbx.Params{"w": wave, "now": now, "p": product, "m": m}).Execute()
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 1 {
				count++
				admitted = append(admitted, m)
			}
		}
		if len(admitted) > 0 {
			n := &hooks.NotifyEvent{App: tx, Kind: NoteAdmitted, To: admitted, Actor: staff.Id, Subject: p.GetString("name"),
				Link: "/releases/testers?product=" + p.GetString("slug"), Message: "releases.note_admitted_line"}
			if err := r.events.Notify.Trigger(n); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("releases: admit: %w", err)
	}
	if len(admitted) == 0 && len(members) > 0 {
		return nil, ErrWaveFull
	}
	for _, m := range admitted {
		hooks.TriggerAfterCommit(r.app, r.events.TesterAdmitted, &hooks.TesterEvent{App: r.app, Member: m, Product: p.GetString("slug"), Wave: wave})
	}
	return admitted, nil
}

// Decline turns applications down.
func (r *Release) Decline(product string, members []string) error {
	for _, m := range members {
		if _, err := r.app.DB().NewQuery("UPDATE " + Applications + " SET status = 'declined' WHERE product = {:p} AND member = {:m} AND status = 'applied'").
			Bind(dbx.Params{"p": product, "m": m}).Execute(); err != nil {
			return fmt.Errorf("releases: decline: %w", err)
		}
	}
	return nil
}

// Report stores an admitted tester's report on a beta or dev build.
func (r *Release) Report(member *core.Record, release, text string) error {
	rec, err := r.Find(member, release)
	if err != nil || rec.GetString("status") != "published" {
		return ErrNotFound
	}
	if !r.IsTester(member.Id, rec.GetString("product")) {
		return ErrNotTester
	}
	text = strings.TrimSpace(text)
	switch n := utf8.RuneCountInString(text); {
	case n == 0:
		return ui.FieldErrors{"text": "releases.err_required"}
	case n > 5000:
		return ui.FieldErrors{"text": "releases.err_too_long"}
	}
	_, err = r.app.DB().NewQuery("INSERT INTO " + Reports + " (id, release, member, text, created) VALUES ({:id}, {:r}, {:m}, {:t}, {:now})").
		Bind(dbx.Params{"id": core.GenerateDefaultRandomId(), "r": release, "m": member.Id, "t": text, "now": r.now().UTC().Format(types.DefaultDateLayout)}).Execute()
	if err != nil {
		return fmt.Errorf("releases: report: %w", err)
	}
	// a report clears a warning: the tester is active again
	_, err = r.app.DB().NewQuery("UPDATE " + Applications + " SET warned = '' WHERE product = {:p} AND member = {:m}").
		Bind(dbx.Params{"p": rec.GetString("product"), "m": member.Id}).Execute()
	return err
}

// checkIdle looks at product's testers when a beta or dev build ships: a
// tester admitted before the last IdleBuilds builds who reported on none of
// them is told; one told before and still silent over the builds since
// becomes alumni.
func (r *Release) checkIdle(product, latest string) error {
	builds, err := r.app.FindRecordsByFilter(Releases, "product = {:p} && status = 'published' && channel != 'stable' && id != {:latest}", "-published",
		r.cfg.IdleBuilds, 0, dbx.Params{"p": product, "latest": latest})
	if err != nil || len(builds) < r.cfg.IdleBuilds {
		return err // too few builds yet to call anyone idle
	}
	oldest := builds[len(builds)-1].GetDateTime("published").Time()
	ids := make([]any, len(builds))
	for i, b := range builds {
		ids[i] = b.Id
	}
	testers, err := r.app.FindAllRecords(Applications, dbx.HashExp{"product": product, "status": "admitted"})
	if err != nil {
		return err
	}
	now := r.now().UTC()
	var warn, retire []string
	for _, a := range testers {
		if !a.GetDateTime("admitted").Time().Before(oldest) {
			continue // admitted during these builds: give them time
		}
		var n int
		if err := r.app.DB().Select("COUNT(*)").From(Reports).Where(dbx.In("release", ids...)).AndWhere(dbx.HashExp{"member": a.GetString("member")}).Row(&n); err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		warned := a.GetDateTime("warned")
		switch {
		case warned.IsZero():
			warn = append(warn, a.GetString("member"))
			a.Set("warned", now)
		case !warned.Time().After(oldest): // silent over the IdleBuilds builds since the warning
			retire = append(retire, a.GetString("member"))
			a.Set("status", "alumni")
		default:
			continue
		}
		if err := r.app.Save(a); err != nil {
			return err
		}
	}
	p, err := r.app.FindRecordById(Products, product)
	if err != nil {
		return err
	}
	return r.app.RunInTransaction(func(tx core.App) error {
		for _, group := range []struct {
			to  []string
			msg string
		}{{warn, "releases.note_idle_line"}, {retire, "releases.note_alumni_line"}} {
			if len(group.to) == 0 {
				continue
			}
			if err := r.events.Notify.Trigger(&hooks.NotifyEvent{App: tx, Kind: NoteIdle, To: group.to, Subject: p.GetString("name"),
				Link: "/releases/testers?product=" + p.GetString("slug"), Message: group.msg, Args: []hooks.Arg{{Text: fmt.Sprint(r.cfg.IdleBuilds)}}}); err != nil {
				return err
			}
		}
		return nil
	})
}

// Funnel is a product's tester programme as the playbook counts it:
// applied, admitted (ever), active (reported on one of the last IdleBuilds
// builds) and kept (admitted still).
type Funnel struct {
	Applied, Admitted, Active, Kept int
}

// FunnelOf counts product's funnel.
func (r *Release) FunnelOf(product string) (Funnel, error) {
	var f Funnel
	q := func(sql string, dst *int) error {
		return r.app.DB().NewQuery(sql).Bind(dbx.Params{"p": product, "n": r.cfg.IdleBuilds}).Row(dst)
	}
	for _, c := range []struct {
		sql string
		dst *int
	}{
		{"SELECT COUNT(*) FROM " + Applications + " WHERE product = {:p}", &f.Applied},
		{"SELECT COUNT(*) FROM " + Applications + " WHERE product = {:p} AND admitted != ''", &f.Admitted},
		{"SELECT COUNT(*) FROM " + Applications + " WHERE product = {:p} AND status = 'admitted'", &f.Kept},
		{"SELECT COUNT(DISTINCT rp.member) FROM " + Reports + " rp JOIN " + Applications + " a ON a.member = rp.member AND a.product = {:p} AND a.status = 'admitted' WHERE rp.release IN (SELECT id FROM " + Releases + " WHERE product = {:p} AND status = 'published' AND channel != 'stable' ORDER BY published DESC LIMIT {:n})", &f.Active},
	} {
		if err := q(c.sql, c.dst); err != nil {
			return f, fmt.Errorf("releases: funnel: %w", err)
		}
	}
	return f, nil
}

// Person is a member as a list names them.
type Person struct {
	ID, Name string
}

// FirstTesters are the first admitted testers of product, by admission
// (alumni stay on it): the wall that thanks them by name, for good.
func (r *Release) FirstTesters(product string, limit int) ([]Person, error) {
	var rows []Person
	err := r.app.DB().NewQuery(`SELECT u.id AS id, u.name AS name FROM ` + Applications + ` a JOIN users u ON u.id = a.member
		WHERE a.product = {:p} AND a.admitted != '' AND a.member NOT IN (SELECT member FROM ` + Optouts + `)
		ORDER BY a.admitted, a.id LIMIT {:n}`).Bind(dbx.Params{"p": product, "n": limit}).All(&rows)
	return rows, err
}

// Applicant is one line of the staff's list of applications.
type Applicant struct {
	Member, Name, Device, Usage, Status string
	Wave                                int
	// Activity is what the member did in the community: topics and replies
	// in the forum and reports on builds.
	Activity int
	Created  time.Time
}

// Applicants lists product's applications; by "activity" the most active
// first, else the oldest first.
func (r *Release) Applicants(product, sort string) ([]Applicant, error) {
	var rows []struct {
		Member   string         `db:"member"`
		Name     string         `db:"name"`
		Device   string         `db:"device"`
		Usage    string         `db:"usage"`
		Status   string         `db:"status"`
		Wave     int            `db:"wave"`
		Activity int            `db:"activity"`
		Created  types.DateTime `db:"created"`
	}
	err := r.app.DB().NewQuery(`SELECT a.member, COALESCE(u.name, '') AS name, a.device, a.usage, a.status, a.wave, a.created,
		(SELECT COUNT(*) FROM forum_topics t WHERE t.author = a.member) + (SELECT COUNT(*) FROM forum_posts p WHERE p.author = a.member)
		+ (SELECT COUNT(*) FROM ` + Reports + ` rp WHERE rp.member = a.member) AS activity
		FROM ` + Applications + ` a LEFT JOIN users u ON u.id = a.member WHERE a.product = {:p} ORDER BY a.created, a.id`).
		Bind(dbx.Params{"p": product}).All(&rows)
	if err != nil {
		return nil, fmt.Errorf("releases: applicants: %w", err)
	}
	out := make([]Applicant, len(rows))
	for i, row := range rows {
		out[i] = Applicant{Member: row.Member, Name: row.Name, Device: row.Device, Usage: row.Usage, Status: row.Status,
			Wave: row.Wave, Activity: row.Activity, Created: row.Created.Time()}
	}
	if sort == "activity" {
		slices.SortStableFunc(out, func(a, b Applicant) int { return b.Activity - a.Activity })
	}
	return out, nil
}

// Credits are the members a release thanks by name: the authors of the needs
// it answers and the testers who reported on the build; a member who opted
// out is not named.
func (r *Release) Credits(release string) (authors, testers []Person, err error) {
	topics, err := r.linkedTopics(release)
	if err != nil {
		return nil, nil, err
	}
	if len(topics) > 0 {
		vals := make([]any, len(topics))
		for i, t := range topics {
			vals[i] = t
		}
		err = r.app.DB().Select("u.id AS id", "u.name AS name").Distinct(true).From(forumTopics+" t").
			InnerJoin("users u", dbx.NewExp("u.id = t.author")).
			Where(dbx.In("t.id", vals...)).
			AndWhere(dbx.NewExp("u.id NOT IN (SELECT member FROM " + Optouts + ")")).
			OrderBy("u.name").All(&authors)
		if err != nil {
			return nil, nil, fmt.Errorf("releases: credits: %w", err)
		}
	}
	err = r.app.DB().NewQuery(`SELECT DISTINCT u.id AS id, u.name AS name FROM ` + Reports + ` rp JOIN users u ON u.id = rp.member
		WHERE rp.release = {:r} AND u.id NOT IN (SELECT member FROM ` + Optouts + `) ORDER BY u.name`).
		Bind(dbx.Params{"r": release}).All(&testers)
	if err != nil {
		return nil, nil, fmt.Errorf("releases: credits: %w", err)
	}
	return authors, testers, nil
}

// OptedOut reports whether member asked not to be named in credits.
func (r *Release) OptedOut(member string) bool {
	n, _ := r.app.CountRecords(Optouts, dbx.HashExp{"member": member})
	return n > 0
}

// SetOptOut records whether member is named in credits.
func (r *Release) SetOptOut(member string, out bool) error {
	q := "DELETE FROM " + Optouts + " WHERE member = {:m}"
	if out {
		q = "INSERT INTO " + Optouts + " (id, member) VALUES ({:id}, {:m}) ON CONFLICT DO NOTHING"
	}
	_, err := r.app.DB().NewQuery(q).Bind(dbx.Params{"id": core.GenerateDefaultRandomId(), "m": member}).Execute()
	return err
}
