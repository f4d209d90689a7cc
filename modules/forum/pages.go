package forum

import (
	"errors"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/filesystem"
)

// IndexView is the data of /forum.
type IndexView struct {
	Boards []BoardView
	Hot    []TopicRow
}

// row builds a topic row with its labels in the request's language.
func (m *Module) row(e *core.RequestEvent, t *core.Record, authors map[string]*core.Record) TopicRow {
	r := topicRow(t, authors)
	r.KindLabel = m.deps.UI.T(e, "forum.kind_"+r.Kind)
	if r.Status != "" {
		r.StatusLabel = m.deps.UI.T(e, "forum.status_"+r.Status)
	}
	r.RepliesLabel = m.deps.UI.T(e, "forum.replies", r.Replies)
	if r.Pinned {
		r.PinnedLabel = m.deps.UI.T(e, "forum.pinned")
	}
	return r
}

func (m *Module) hotRows(e *core.RequestEvent, limit int) ([]TopicRow, error) {
	hot, err := m.forum.Hot([]string{KindRequest, KindBug}, limit)
	if err != nil {
		return nil, err
	}
	recs := make([]*core.Record, len(hot))
	for i, h := range hot {
		recs[i] = h.Topic
	}
	authors := authorsOf(e.App, recs)
	rows := make([]TopicRow, len(hot))
	for i, h := range hot {
		rows[i] = m.row(e, h.Topic, authors)
		rows[i].Score = h.Score
	}
	return rows, nil
}

func (m *Module) index(e *core.RequestEvent) error {
	boards, err := e.App.FindRecordsByFilter(Boards, "", "order,name", 0, 0)
	if err != nil {
		return err
	}
	v := IndexView{}
	lang := m.deps.UI.Lang(e)
	for _, b := range boards {
		v.Boards = append(v.Boards, boardView(b, lang))
	}
	if v.Hot, err = m.hotRows(e, 10); err != nil {
		return err
	}
	return m.deps.UI.Render(e, http.StatusOK, "forum/index", v)
}

// homeHot feeds the home page's "hot needs" section.
func (m *Module) homeHot(e *core.RequestEvent) (any, error) {
	rows, err := m.hotRows(e, 5)
	return IndexView{Hot: rows}, err
}

// BoardPage is the data of a board.
type BoardPage struct {
	Board  BoardView
	Topics []TopicRow
	Page   int
	Next   int
}

func (m *Module) board(e *core.RequestEvent) error {
	b, err := m.forum.FindBoard(e.Request.PathValue("slug"))
	if err != nil {
		return problems.Show(err)
	}
	page, _ := strconv.Atoi(e.Request.URL.Query().Get("page"))
	page = max(page, 1)
	key := b.Id + "|" + strconv.Itoa(page) + "|" + string(m.deps.UI.Lang(e))
	if v, ok := m.boards.Get(key); ok {
		return m.deps.UI.Render(e, http.StatusOK, "forum/board", v)
	}
	size := m.cfg.PageSize
	topics, err := e.App.FindRecordsByFilter(Topics, "board = {:b} && hidden = false", "-pinned,-last_activity", size+1, (page-1)*size, dbx.Params{"b": b.Id})
	if err != nil {
		return err
	}
	v := BoardPage{Board: boardView(b, m.deps.UI.Lang(e)), Page: page}
	if len(topics) > size {
		topics = topics[:size]
		v.Next = page + 1
	}
	authors := authorsOf(e.App, topics)
	for _, t := range topics {
		v.Topics = append(v.Topics, m.row(e, t, authors))
	}
	m.boards.Put(key, v)
	return m.deps.UI.Render(e, http.StatusOK, "forum/board", v)
}

// TopicPage is the data of a topic.
type TopicPage struct {
	Topic      TopicRow
	Board      BoardView
	BodyHTML   template.HTML // from the markdown renderer only
	MergedInto string        // the original of a merged duplicate
	Fields     []FieldValue
	Posts      []PostView
	PostsHTML  template.HTML // Posts rendered once by html/template, cached with the view
	MeTooMine  bool
	Reply      string
	Error      string
	// a poll's tally and the member's ballot (never cached: it is per member)
	Poll      *PollView
	PollError string
	// the status form, for staff and moderators
	Reason      string
	CanModerate bool
	Statuses    []string
	StatusError string
	StatusForm  StatusChange // what staff typed, kept when it was refused
}

func (m *Module) topicPage(e *core.RequestEvent, id string) (*TopicPage, error) {
	t, err := m.forum.FindTopic(id)
	if err != nil {
		return nil, err
	}
	// a reply edited or hidden touches its topic's "updated" (see Register)
	// the day is in the key: titles beside names follow account age
	key := strings.Join([]string{t.Id, t.GetString("updated"), strconv.Itoa(t.GetInt("reply_count")), strconv.Itoa(t.GetInt("metoo_count")), string(m.deps.UI.Lang(e)),
		m.deps.Now().UTC().Format(time.DateOnly)}, "|")
	v, ok := m.topics.Get(key) // a copy: the member's own parts are filled below
	if !ok {
		built, err := m.buildTopicPage(e, t)
		if err != nil {
			return nil, err
		}
		m.topics.Put(key, *built)
		v = *built
	}
	v.MeTooMine = m.forum.HasMeToo(e.Auth, t.Id)
	if t.GetString("kind") == KindPoll {
		r, err := m.forum.Poll(t, e.Auth)
		if err != nil {
			return nil, err
		}
		v.Poll = pollView(r)
	}
	if canModerate(e.Auth) {
		v.CanModerate = true
		if v.Topic.MeTooable {
			v.Statuses = Statuses
		}
	}
	return &v, nil
}

// buildTopicPage renders a topic's shared view: body, fields and replies
// through the markdown renderer.
func (m *Module) buildTopicPage(e *core.RequestEvent, t *core.Record) (*TopicPage, error) {
	b, err := e.App.FindRecordById(Boards, t.GetString("board"))
	if err != nil {
		return nil, err
	}
	posts, err := e.App.FindRecordsByFilter(Posts, "topic = {:t} && hidden = false", "created", 500, 0, dbx.Params{"t": t.Id})
	if err != nil {
		return nil, err
	}
	authors := authorsOf(e.App, append([]*core.Record{t}, posts...))
	reactions, err := m.forum.reactionCounts(t.Id)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(authors))
	for id := range authors {
		ids = append(ids, id)
	}
	titles := m.deps.Events.TitlesOf(e.App, string(m.deps.UI.Lang(e)), ids...)
	v := &TopicPage{Topic: m.row(e, t, authors), Board: boardView(b, m.deps.UI.Lang(e)), BodyHTML: m.md.Render(t.GetString("body")), Reason: t.GetString("status_reason"), MergedInto: t.GetString("merged_into")}
	v.Topic.AuthorTitle = titles[v.Topic.AuthorID]
	fields := map[string]string{}
	_ = t.UnmarshalJSONField("fields", &fields)
	for _, fd := range FormFor(b, t.GetString("kind")) {
		if val := fields[fd.Name]; val != "" {
			v.Fields = append(v.Fields, FieldValue{Label: m.deps.UI.T(e, fd.Label), HTML: m.md.Render(val)})
		}
	}
	for _, p := range posts {
		pv := PostView{ID: p.Id, TopicID: t.Id, AuthorID: p.GetString("author"), Staff: p.GetBool("staff"), Official: p.GetBool("official"),
			Edited: !p.GetDateTime("edited").IsZero(), Body: m.md.Render(p.GetString("body")), Created: p.GetDateTime("created").Time(),
			Reactions: reactionViews(reactions[p.Id])}
		for _, img := range p.GetStringSlice("images") {
			pv.Images = append(pv.Images, "/api/files/"+p.Collection().Id+"/"+p.Id+"/"+img)
		}
		if a, ok := authors[pv.AuthorID]; ok {
			pv.AuthorName = a.GetString("name")
		}
		pv.AuthorTitle = titles[pv.AuthorID]
		v.Posts = append(v.Posts, pv)
	}
	if v.PostsHTML, err = m.deps.UI.Fragment(e, "forum/topic", "forum-posts", v.Posts); err != nil {
		return nil, err
	}
	return v, nil
}

func (m *Module) topic(e *core.RequestEvent) error {
	v, err := m.topicPage(e, e.Request.PathValue("id"))
	if err != nil {
		return problems.Show(err)
	}
	if q := e.Request.URL.Query().Get("quote"); q != "" && e.Auth != nil {
		if quoted, err := m.forum.Quote(q); err == nil {
			v.Reply = quoted
		}
	}
	return m.deps.UI.Render(e, http.StatusOK, "forum/topic", v)
}

func (m *Module) reply(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	body := e.Request.FormValue("body")
	images, err := uploadedImages(e)
	if err == nil {
		_, err = m.forum.Reply(e.Auth, id, body, images...)
	}
	if err != nil {
		p, ok := problems.Explain(err)
		if !ok {
			return err
		}
		v, verr := m.topicPage(e, id)
		if verr != nil {
			return problems.Show(verr)
		}
		v.Reply = body // nothing typed is lost
		v.Error = p.Key
		var fe FieldErrors
		if errors.As(err, &fe) {
			v.Error = fe["body"]
			if v.Error == "" {
				v.Error = fe["images"]
			}
		}
		return m.deps.UI.Render(e, p.Status, "forum/topic", v)
	}
	return e.Redirect(http.StatusSeeOther, "/forum/t/"+id+"#latest")
}

// uploadedImages reads the reply's images from a multipart form (none is
// fine).
func uploadedImages(e *core.RequestEvent) ([]*filesystem.File, error) {
	if !strings.HasPrefix(e.Request.Header.Get("Content-Type"), "multipart/form-data") {
		return nil, nil
	}
	files, err := e.FindUploadedFiles("images")
	if errors.Is(err, http.ErrMissingFile) {
		return nil, nil
	}
	if err != nil {
		return nil, FieldErrors{"images": "forum.err_image_type"}
	}
	var out []*filesystem.File
	for _, f := range files {
		if f.Size > 0 { // a form sends an empty part when no file was chosen
			out = append(out, f)
		}
	}
	return out, nil
}

func (m *Module) metooToggle(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	on := e.Request.FormValue("on") == "1"
	if _, err := m.forum.MeToo(e.Auth, id, on); err != nil {
		return problems.Show(err)
	}
	return e.Redirect(http.StatusSeeOther, "/forum/t/"+id)
}

// NewTopicView is the data of the new-topic form.
type NewTopicView struct {
	Board   BoardView
	Kind    string
	Title   string
	Body    string
	Form    []FormField
	Errors  map[string]string
	Error   string
	Similar []SearchRow // needs that may already exist
	// a poll
	PollOptions    string // one per line
	PollMultiple   bool
	PollDays       int
	PollDayChoices []int
	// product areas to pick from, and the one picked
	Areas []AreaView
	Area  string
}

func (m *Module) newTopicView(e *core.RequestEvent, b *core.Record, kind string) NewTopicView {
	bv := boardView(b, m.deps.UI.Lang(e))
	if kind == "" || !slices.Contains(bv.Kinds, kind) {
		kind = bv.Kinds[0]
	}
	v := NewTopicView{Board: bv, Kind: kind, Errors: map[string]string{}, PollDays: 7, PollDayChoices: []int{1, 3, 7, 14, 30}}
	v.Areas, _ = m.forum.areas(m.deps.UI.Lang(e))
	for _, fd := range FormFor(b, kind) {
		v.Form = append(v.Form, FormField{Field: fd})
	}
	return v
}

func (m *Module) newTopicForm(e *core.RequestEvent) error {
	b, err := m.forum.FindBoard(e.Request.PathValue("slug"))
	if err != nil {
		return problems.Show(err)
	}
	return m.deps.UI.Render(e, http.StatusOK, "forum/new", m.newTopicView(e, b, e.Request.URL.Query().Get("kind")))
}

func (m *Module) newTopic(e *core.RequestEvent) error {
	b, err := m.forum.FindBoard(e.Request.PathValue("slug"))
	if err != nil {
		return problems.Show(err)
	}
	in := NewTopic{Board: b.Id, Kind: e.Request.FormValue("kind"), Title: e.Request.FormValue("title"), Body: e.Request.FormValue("body"),
		Fields: map[string]string{}, Area: e.Request.FormValue("area")}
	v := m.newTopicView(e, b, in.Kind)
	v.Area = in.Area
	if in.Kind == KindPoll {
		v.PollOptions = e.Request.FormValue("poll_options")
		v.PollMultiple = e.Request.FormValue("poll_multiple") == "1"
		v.PollDays, _ = strconv.Atoi(e.Request.FormValue("poll_days"))
		spec := &PollSpec{Options: strings.Split(v.PollOptions, "\n"), Multiple: v.PollMultiple}
		if v.PollDays > 0 && v.PollDays <= 90 {
			spec.Closes = m.deps.Now().Add(time.Duration(v.PollDays) * 24 * time.Hour)
		}
		in.Poll = spec
	}
	for i := range v.Form {
		val := e.Request.FormValue("f_" + v.Form[i].Name)
		in.Fields[v.Form[i].Name] = val
		v.Form[i].Value = val
	}
	t, err := m.forum.CreateTopic(e.Auth, in)
	if err != nil {
		p, ok := problems.Explain(err)
		if !ok {
			return err
		}
		v.Title, v.Body, v.Error = in.Title, in.Body, p.Key
		if hits, err := m.forum.Search(in.Title, []string{KindRequest, KindBug}, true, 5); err == nil {
			v.Similar = m.searchRows(e, hits)
		}
		var fe FieldErrors
		if errors.As(err, &fe) {
			v.Errors = fe
			for i := range v.Form {
				v.Form[i].Error = fe["f_"+v.Form[i].Name]
			}
		}
		return m.deps.UI.Render(e, p.Status, "forum/new", v)
	}
	return e.Redirect(http.StatusSeeOther, "/forum/t/"+t.Id)
}

// SearchPage is the data of /forum/search.
type SearchPage struct {
	Query string
	Hits  []SearchRow
}

// SearchRow is a found topic with the matching text.
type SearchRow struct {
	TopicRow
	Snippet string
}

func (m *Module) searchRows(e *core.RequestEvent, hits []SearchHit) []SearchRow {
	recs := make([]*core.Record, len(hits))
	for i, h := range hits {
		recs[i] = h.Topic
	}
	authors := authorsOf(e.App, recs)
	out := make([]SearchRow, len(hits))
	for i, h := range hits {
		out[i] = SearchRow{TopicRow: m.row(e, h.Topic, authors), Snippet: h.Snippet}
	}
	return out
}

func (m *Module) search(e *core.RequestEvent) error {
	q := strings.TrimSpace(e.Request.URL.Query().Get("q"))
	if len(q) > 200 {
		q = q[:200]
	}
	hits, err := m.forum.Search(q, nil, false, 50)
	if err != nil {
		return err
	}
	return m.deps.UI.Render(e, http.StatusOK, "forum/search", SearchPage{Query: q, Hits: m.searchRows(e, hits)})
}

// PollView is a poll as the topic page shows it.
type PollView struct {
	Options     []PollOption
	Voters      int
	Multiple    bool
	Closed      bool
	Closes      time.Time
	Voted       bool
	ShowResults bool // after voting or after the close
}

// PollOption is one option with its tally.
type PollOption struct {
	Index   int
	Label   string
	Count   int
	Percent int
	Mine    bool
}

func pollView(r PollResult) *PollView {
	v := &PollView{Voters: r.Voters, Multiple: r.Multiple, Closed: r.Closed, Closes: r.Closes, Voted: r.Mine != nil}
	v.ShowResults = v.Voted || v.Closed
	for i, o := range r.Options {
		po := PollOption{Index: i, Label: o, Count: r.Counts[i], Mine: slices.Contains(r.Mine, i)}
		if r.Voters > 0 {
			po.Percent = r.Counts[i] * 100 / r.Voters
		}
		v.Options = append(v.Options, po)
	}
	return v
}

func (m *Module) vote(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	if err := e.Request.ParseForm(); err != nil {
		return m.deps.UI.Error(e, http.StatusBadRequest, "ui.err_bad_request")
	}
	var choices []int
	for _, c := range e.Request.PostForm["choice"] {
		n, err := strconv.Atoi(c)
		if err != nil {
			choices = append(choices, -1)
			continue
		}
		choices = append(choices, n)
	}
	if _, err := m.forum.Vote(e.Auth, id, choices); err != nil {
		p, ok := problems.Explain(err)
		if !ok {
			return err
		}
		v, verr := m.topicPage(e, id)
		if verr != nil {
			return problems.Show(verr)
		}
		v.PollError = p.Key
		return m.deps.UI.Render(e, p.Status, "forum/topic", v)
	}
	return e.Redirect(http.StatusSeeOther, "/forum/t/"+id)
}
