package releases

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/modules/internal/access"
	"github.com/canyu/canyu/modules/internal/chart"
	"github.com/canyu/canyu/ui"
)

// ProductView is a product as pages show it.
type ProductView struct {
	ID, Slug, Name string
	Latest         *Card
}

// Card is a release in a list.
type Card struct {
	ID, Version, Channel, Title, Status, Product string
	// ChannelLabel is the channel in the page's language.
	ChannelLabel         string
	Published, PublishAt time.Time
}

func (m *Module) product(e *core.RequestEvent, id string) ProductView {
	p, err := e.App.FindRecordById(Products, id)
	if err != nil {
		return ProductView{}
	}
	return m.productView(e, p)
}

func (m *Module) productView(e *core.RequestEvent, p *core.Record) ProductView {
	name := p.GetString("name")
	if m.deps.UI.Lang(e) == ui.Chinese && p.GetString("name_zh") != "" {
		name = p.GetString("name_zh")
	}
	return ProductView{ID: p.Id, Slug: p.GetString("slug"), Name: name}
}

func (m *Module) cardOf(e *core.RequestEvent, rec *core.Record, product string) Card {
	return Card{ID: rec.Id, Version: rec.GetString("version"), Channel: rec.GetString("channel"), Title: rec.GetString("title"),
		ChannelLabel: m.deps.UI.T(e, "releases.chan_"+rec.GetString("channel")),
		Status:       rec.GetString("status"), Product: product, Published: rec.GetDateTime("published").Time(),
		PublishAt: rec.GetDateTime("publish_at").Time()}
}

// IndexPage is /releases.
type IndexPage struct {
	Products []ProductView
	Recent   []Card
	Pending  []Card // drafts and scheduled releases (staff)
	Staff    bool
}

func (m *Module) products(e *core.RequestEvent) ([]*core.Record, error) {
	return e.App.FindRecordsByFilter(Products, "", "order,name", 0, 0)
}

func (m *Module) index(e *core.RequestEvent) error {
	prods, err := m.products(e)
	if err != nil {
		return err
	}
	page := IndexPage{Staff: access.HasRole(e.Auth, access.RoleStaff)}
	names := map[string]string{}
	for _, p := range prods {
		pv := m.productView(e, p)
		names[p.Id] = pv.Name
		if latest, err := m.r.Published(e.Auth, p.Id, []string{"stable"}, 1); err == nil && len(latest) == 1 {
			c := m.cardOf(e, latest[0], pv.Name)
			pv.Latest = &c
		}
		page.Products = append(page.Products, pv)
	}
	recent, err := m.r.Published(e.Auth, "", nil, 20)
	if err != nil {
		return err
	}
	for _, rec := range recent {
		page.Recent = append(page.Recent, m.cardOf(e, rec, names[rec.GetString("product")]))
	}
	if page.Staff {
		pending, err := e.App.FindRecordsByFilter(Releases, "status != 'published'", "publish_at", 50, 0)
		if err != nil {
			return err
		}
		for _, rec := range pending {
			page.Pending = append(page.Pending, m.cardOf(e, rec, names[rec.GetString("product")]))
		}
	}
	return m.deps.UI.Render(e, http.StatusOK, "releases/index", page)
}

// homeLatest is the home page's block: the newest stable release.
func (m *Module) homeLatest(e *core.RequestEvent) (any, error) {
	latest, err := m.r.Published(e.Auth, "", []string{"stable"}, 1)
	if err != nil || len(latest) == 0 {
		return nil, err
	}
	v, err := m.releaseView(e, latest[0])
	if err != nil {
		return nil, err
	}
	return v, nil
}

// ItemView is one item of a release.
type ItemView struct {
	ID, Category string
	HTML         template.HTML
	Text         string // the text without its markup, for labels
	Recommended  bool
	Screenshots  []string
	Topics       []TopicInfo
}

// ItemGroup is a release's items of one category.
type ItemGroup struct {
	Category string
	Items    []ItemView
}

// ReleaseView is a release with its items.
type ReleaseView struct {
	Card
	Product     ProductView
	SummaryHTML template.HTML
	VideoURL    string
	Discussion  string
	VotesClose  time.Time
	Groups      []ItemGroup
	Items       []ItemView
	Recommended []ItemView
}

func (m *Module) releaseView(e *core.RequestEvent, rec *core.Record) (ReleaseView, error) {
	pv := m.product(e, rec.GetString("product"))
	v := ReleaseView{Card: m.cardOf(e, rec, pv.Name), Product: pv, SummaryHTML: m.md.Render(rec.GetString("summary")),
		VideoURL: rec.GetString("video_url"), Discussion: rec.GetString("discussion"), VotesClose: rec.GetDateTime("votes_close").Time()}
	items, err := m.r.ItemsOf(rec.Id)
	if err != nil {
		return v, err
	}
	for _, it := range items {
		var ids []string
		_ = it.UnmarshalJSONField("topics", &ids)
		topics, err := m.r.Topics(ids)
		if err != nil {
			return v, err
		}
		iv := ItemView{ID: it.Id, Category: it.GetString("category"), HTML: m.md.Render(it.GetString("text")), Text: m.md.Plain(it.GetString("text")),
			Recommended: it.GetBool("recommended"), Topics: topics}
		for _, f := range it.GetStringSlice("screenshots") {
			iv.Screenshots = append(iv.Screenshots, "/api/files/"+it.Collection().Id+"/"+it.Id+"/"+f)
		}
		v.Items = append(v.Items, iv)
		if iv.Recommended {
			v.Recommended = append(v.Recommended, iv)
		}
	}
	for _, c := range Categories {
		g := ItemGroup{Category: c}
		for _, it := range v.Items {
			if it.Category == c {
				g.Items = append(g.Items, it)
			}
		}
		if len(g.Items) > 0 {
			v.Groups = append(v.Groups, g)
		}
	}
	return v, nil
}

// cachedRelease is what every member sees of a release: its view and its
// credits.
type cachedRelease struct {
	ReleaseView
	Authors, Testers []Person
}

// cachedView is the release's view and credits from the view cache: a
// published release does not change, so at Friday 17:00 the crowd shares one
// rendering per language (the linked needs' counters and the testers'
// credits may lag by the cache's lifetime).
func (m *Module) cachedView(e *core.RequestEvent, rec *core.Record) (cachedRelease, error) {
	key := rec.Id + "|" + rec.GetString("updated") + "|" + string(m.deps.UI.Lang(e))
	if v, ok := m.views.Get(key); ok {
		return v, nil
	}
	v, err := m.releaseView(e, rec)
	if err != nil {
		return cachedRelease{}, err
	}
	c := cachedRelease{ReleaseView: v}
	if c.Authors, c.Testers, err = m.r.Credits(rec.Id); err != nil {
		return cachedRelease{}, err
	}
	if rec.GetString("status") == "published" {
		m.views.Put(key, c)
	}
	return c, nil
}

// ReleasePage is /releases/{id}.
type ReleasePage struct {
	Release          ReleaseView
	Authors, Testers []Person
	Upgraded         bool
	Upgrades         int
	Ballot           BallotIn
	HasBallot        bool
	VotingOpen       bool
	Voters           int
	MoodAverage      string
	Staff, Tester    bool
	OptedOut         bool
	Error            string
	Fields           ui.FieldErrors
	Report           string // a tester's report being typed
	Reports          []ReportView
	Share            bool // the member just upgraded: invite them to share
	OG               OpenGraph
	Moods            []int
}

// OpenGraph are the link-preview tags of a release.
type OpenGraph struct{ Title, URL, Image, Description string }

// ReportView is a tester's report on a build.
type ReportView struct {
	Member, Name, Text, Version, Release string
	Created                              time.Time
}

func (m *Module) releasePage(e *core.RequestEvent, id string) (*ReleasePage, error) {
	rec, err := m.r.Find(e.Auth, id)
	if err != nil {
		return nil, err
	}
	v, err := m.cachedView(e, rec)
	if err != nil {
		return nil, err
	}
	page := &ReleasePage{Release: v.ReleaseView, Authors: v.Authors, Testers: v.Testers, Staff: access.HasRole(e.Auth, access.RoleStaff),
		Moods: []int{1, 2, 3, 4, 5}}
	t, err := m.r.Tally(id)
	if err != nil {
		return nil, err
	}
	page.Upgrades, page.Voters, page.MoodAverage = t.Upgraded, t.Voters, fmt.Sprintf("%.1f", t.MoodAverage())
	page.VotingOpen = rec.GetString("status") == "published" && m.deps.Now().Before(v.VotesClose)
	if e.Auth != nil {
		page.Upgraded = m.r.Upgraded(e.Auth.Id, id)
		page.Ballot, page.HasBallot = m.r.Ballot(e.Auth.Id, id)
		page.Tester = m.r.IsTester(e.Auth.Id, rec.GetString("product"))
		page.OptedOut = m.r.OptedOut(e.Auth.Id)
	}
	if page.Tester || page.Staff {
		if page.Reports, err = m.reports(e, "rp.release = {:r}", dbx.Params{"r": id}, 50); err != nil {
			return nil, err
		}
	}
	base := strings.TrimRight(m.deps.PublicURL, "/")
	page.OG = OpenGraph{Title: v.Product.Name + " " + v.Version + " · " + v.Title, URL: base + "/releases/" + id,
		Image: base + "/releases/" + id + "/card.png"}
	for _, it := range v.Recommended {
		page.OG.Description = chart.Clip(it.Text, 150)
		break
	}
	return page, nil
}

func (m *Module) reports(e *core.RequestEvent, where string, params dbx.Params, limit int) ([]ReportView, error) {
	var rows []struct {
		Member  string `db:"member"`
		Name    string `db:"name"`
		Text    string `db:"text"`
		Version string `db:"version"`
		Release string `db:"release"`
		Created string `db:"created"`
	}
	params["n"] = limit
	err := e.App.DB().NewQuery(`SELECT rp.member, COALESCE(u.name, '') AS name, rp.text, r.version, rp.release, rp.created
		FROM ` + Reports + ` rp JOIN ` + Releases + ` r ON r.id = rp.release LEFT JOIN users u ON u.id = rp.member
		WHERE ` + where + ` ORDER BY rp.created DESC LIMIT {:n}`).Bind(params).All(&rows)
	if err != nil {
		return nil, fmt.Errorf("releases: reports: %w", err)
	}
	out := make([]ReportView, len(rows))
	for i, r := range rows {
		t, _ := time.Parse("2006-01-02 15:04:05.000Z", r.Created)
		out[i] = ReportView{Member: r.Member, Name: r.Name, Text: r.Text, Version: r.Version, Release: r.Release, Created: t}
	}
	return out, nil
}

func (m *Module) view(e *core.RequestEvent) error {
	page, err := m.releasePage(e, e.Request.PathValue("id"))
	if err != nil {
		return problems.Show(err)
	}
	page.Share = e.Request.URL.Query().Get("share") == "1" && page.Upgraded
	return m.deps.UI.Render(e, http.StatusOK, "releases/release", page)
}

// upgradeForm: POST /releases/{id}/upgraded, then the page invites the
// member to share.
func (m *Module) upgradeForm(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	if _, err := m.r.Upgrade(e.Auth, id); err != nil {
		return problems.Show(err)
	}
	m.deps.UI.Flash(e, "releases.upgraded_flash")
	return e.Redirect(http.StatusSeeOther, "/releases/"+id+"?share=1#popcorn")
}

func ballotFrom(e *core.RequestEvent) BallotIn {
	mood, _ := strconv.Atoi(e.Request.FormValue("mood"))
	return BallotIn{Mood: mood, Loved: e.Request.FormValue("loved"), Weakest: e.Request.FormValue("weakest"),
		NextText: e.Request.FormValue("next_text"), NextTopicLink: e.Request.FormValue("next_topic")}
}

// ballotForm: POST /releases/{id}/ballot. A refused ballot shows the page
// again with the reason and what was chosen.
func (m *Module) ballotForm(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	in := ballotFrom(e)
	if _, err := m.r.Vote(e.Auth, id, in); err != nil {
		p, ok := problems.Explain(err)
		if !ok || errors.Is(err, ErrNotFound) {
			return problems.Show(err)
		}
		page, perr := m.releasePage(e, id)
		if perr != nil {
			return problems.Show(perr)
		}
		page.Ballot, page.Error, page.Fields = in, p.Key, p.Fields
		return m.deps.UI.Render(e, p.Status, "releases/release", page)
	}
	m.deps.UI.Flash(e, "releases.voted_flash")
	return e.Redirect(http.StatusSeeOther, "/releases/"+id+"/results")
}

// reportForm: POST /releases/{id}/report, a tester's report on a build.
func (m *Module) reportForm(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	text := e.Request.FormValue("text")
	if err := m.r.Report(e.Auth, id, text); err != nil {
		p, ok := problems.Explain(err)
		if !ok || errors.Is(err, ErrNotFound) {
			return problems.Show(err)
		}
		page, perr := m.releasePage(e, id)
		if perr != nil {
			return problems.Show(perr)
		}
		page.Error, page.Fields, page.Report = p.Key, p.Fields, text
		return m.deps.UI.Render(e, p.Status, "releases/release", page)
	}
	m.deps.UI.Flash(e, "releases.reported_flash")
	return e.Redirect(http.StatusSeeOther, "/releases/"+id+"#reports")
}

// creditsForm: POST /releases/credits {named: 0|1, next} names the member
// in credits, or not.
func (m *Module) creditsForm(e *core.RequestEvent) error {
	if err := m.r.SetOptOut(e.Auth.Id, e.Request.FormValue("named") != "1"); err != nil {
		return err
	}
	m.deps.UI.Flash(e, "releases.credits_saved")
	return e.Redirect(http.StatusSeeOther, ui.SafeNext(e.Request.FormValue("next")))
}

// ResultsPage is /releases/{id}/results: the Popcorn awards of one build.
type ResultsPage struct {
	Release              ReleaseView
	Voters               int
	MoodAverage          string
	Mood, Loved, Weakest chart.BarChart
	Next                 []WishView
	VotingOpen, CanVote  bool
}

// WishView is what one member wants next.
type WishView struct {
	Text  string
	Topic *TopicInfo
}

func (m *Module) results(e *core.RequestEvent) error {
	rec, err := m.r.Find(e.Auth, e.Request.PathValue("id"))
	if err != nil || rec.GetString("status") != "published" {
		return problems.Show(ErrNotFound)
	}
	v, err := m.releaseView(e, rec)
	if err != nil {
		return err
	}
	t, err := m.r.Tally(rec.Id)
	if err != nil {
		return err
	}
	page := ResultsPage{Release: v, Voters: t.Voters, MoodAverage: fmt.Sprintf("%.1f", t.MoodAverage()),
		VotingOpen: m.deps.Now().Before(v.VotesClose)}
	if e.Auth != nil {
		page.CanVote = page.VotingOpen && m.r.Upgraded(e.Auth.Id, rec.Id)
	}
	moodLabels := make([]string, 5)
	for i := range moodLabels {
		moodLabels[i] = m.deps.UI.T(e, fmt.Sprintf("releases.mood_%d", i+1))
	}
	page.Mood = chart.Bars(m.deps.UI.T(e, "releases.chart_mood"), moodLabels, t.Mood[:], -1)
	page.Loved = m.itemBars(e, "releases.chart_loved", v.Items, t.Loved)
	page.Weakest = m.itemBars(e, "releases.chart_weakest", v.Items, t.Weakest)
	var topicIDs []string
	for _, w := range t.Next {
		if w.Topic != "" {
			topicIDs = append(topicIDs, w.Topic)
		}
	}
	topics, err := m.r.Topics(topicIDs)
	if err != nil {
		return err
	}
	byID := map[string]*TopicInfo{}
	for i := range topics {
		byID[topics[i].ID] = &topics[i]
	}
	for _, w := range t.Next {
		page.Next = append(page.Next, WishView{Text: w.Text, Topic: byID[w.Topic]})
	}
	return m.deps.UI.Render(e, http.StatusOK, "releases/results", page)
}

// itemBars charts the ballots per item, the most named first (items no
// ballot named are left out).
func (m *Module) itemBars(e *core.RequestEvent, title string, items []ItemView, counts map[string]int) chart.BarChart {
	type row struct {
		label string
		n     int
	}
	var rows []row
	for _, it := range items {
		if n := counts[it.ID]; n > 0 {
			rows = append(rows, row{it.Text, n})
		}
	}
	for i := 1; i < len(rows); i++ { // few rows: an insertion sort keeps ties in release order
		for j := i; j > 0 && rows[j].n > rows[j-1].n; j-- {
			rows[j], rows[j-1] = rows[j-1], rows[j]
		}
	}
	if len(rows) > 6 {
		rows = rows[:6]
	}
	labels, values := make([]string, len(rows)), make([]int, len(rows))
	for i, r := range rows {
		labels[i], values[i] = r.label, r.n
	}
	return chart.Bars(m.deps.UI.T(e, title), labels, values, 0)
}

// AwardsPage is /releases/awards: each build's winners and the mood over
// time.
type AwardsPage struct {
	Product  ProductView
	Products []ProductView
	Rows     []AwardRow
	Mood     chart.LineChart
}

// AwardRow is one build's Popcorn awards.
type AwardRow struct {
	Card
	Voters         int
	MoodAverage    string
	Loved, Weakest string
}

func (m *Module) awards(e *core.RequestEvent) error {
	prods, err := m.products(e)
	if err != nil {
		return err
	}
	page := AwardsPage{}
	slug := e.Request.URL.Query().Get("product")
	for _, p := range prods {
		pv := m.productView(e, p)
		page.Products = append(page.Products, pv)
		if p.GetString("slug") == slug || slug == "" && page.Product.ID == "" {
			page.Product = pv
		}
	}
	if page.Product.ID == "" {
		return m.deps.UI.Render(e, http.StatusOK, "releases/awards", page)
	}
	recs, err := m.r.Published(e.Auth, page.Product.ID, nil, 52)
	if err != nil {
		return err
	}
	var labels []string
	var moods []float64
	for i := len(recs) - 1; i >= 0; i-- { // oldest first for the line
		rec := recs[i]
		t, err := m.r.Tally(rec.Id)
		if err != nil {
			return err
		}
		row := AwardRow{Card: m.cardOf(e, rec, page.Product.Name), Voters: t.Voters, MoodAverage: fmt.Sprintf("%.1f", t.MoodAverage()),
			Loved: m.topItem(rec.Id, t.Loved), Weakest: m.topItem(rec.Id, t.Weakest)}
		page.Rows = append([]AwardRow{row}, page.Rows...)
		if t.Voters > 0 {
			labels = append(labels, rec.GetString("version"))
			moods = append(moods, t.MoodAverage())
		}
	}
	if len(moods) > 0 {
		page.Mood = chart.Line(m.deps.UI.T(e, "releases.chart_mood_time"), labels, moods, 1, 5)
	}
	return m.deps.UI.Render(e, http.StatusOK, "releases/awards", page)
}

// topItem is the text of the item most often named (ties: the earlier).
func (m *Module) topItem(release string, counts map[string]int) string {
	items, err := m.r.ItemsOf(release)
	if err != nil {
		return ""
	}
	best, text := 0, ""
	for _, it := range items {
		if n := counts[it.Id]; n > best {
			best, text = n, m.md.Plain(it.GetString("text"))
		}
	}
	return chart.Clip(text, 80)
}
