package social

import (
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/ui"
)

// ProfileSection is the block on a member's profile: counts, buttons, and
// the story when its member made it public.
type ProfileSection struct {
	ID                   string
	Followers, Following int
	Mine, Member         bool
	Follows, Blocked     bool
	Story                []Owned
}

func (mod *Module) profileSection(e *core.RequestEvent, member *core.Record) (any, error) {
	out := &ProfileSection{ID: member.Id, Member: e.Auth != nil, Mine: e.Auth != nil && e.Auth.Id == member.Id}
	out.Followers, out.Following = mod.s.Counts(member.Id)
	if e.Auth != nil && !out.Mine {
		out.Follows = mod.s.Follows(e.Auth.Id, member.Id)
		out.Blocked = mod.s.HasBlocked(e.Auth.Id, member.Id)
	}
	if out.Mine || mod.s.ChoicesOf(member.Id).StoryPublic {
		var err error
		if out.Story, err = mod.s.StoryOf(member.Id); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// homeFeed is the home page's block for a member who follows others.
func (mod *Module) homeFeed(e *core.RequestEvent) (any, error) {
	if e.Auth == nil {
		return nil, nil
	}
	items, err := mod.s.FeedOf(e.Auth.Id, 5)
	if err != nil || len(items) == 0 {
		return nil, err
	}
	return items, nil
}

// FollowingPage is /following: what the members one follows did, whom one
// follows, and introductions.
type FollowingPage struct {
	Items         []Item
	Following     []Person
	Introductions []Introduction
	OptedIn       bool
}

func (mod *Module) followingPage(e *core.RequestEvent) error {
	page := FollowingPage{OptedIn: mod.s.ChoicesOf(e.Auth.Id).Introductions}
	var err error
	if page.Items, err = mod.s.FeedOf(e.Auth.Id, 50); err != nil {
		return err
	}
	if page.Following, err = mod.s.People(e.Auth.Id, false, 100); err != nil {
		return err
	}
	if page.Introductions, err = mod.s.Introductions(e.Auth); err != nil {
		return err
	}
	return mod.deps.UI.Render(e, http.StatusOK, "social/following", page)
}

// PeoplePage is /people/{id}/followers or /following.
type PeoplePage struct {
	Member    Person
	Followers bool
	People    []Person
}

func (mod *Module) peoplePage(e *core.RequestEvent) error {
	m, err := mod.s.member(e.Request.PathValue("id"))
	if err != nil {
		return problems.Show(err)
	}
	page := PeoplePage{Member: Person{ID: m.Id, Name: m.GetString("name"), City: m.GetString("city")}, Followers: strings.HasSuffix(e.Request.URL.Path, "/followers")}
	if page.People, err = mod.s.People(m.Id, page.Followers, 500); err != nil {
		return err
	}
	return mod.deps.UI.Render(e, http.StatusOK, "social/people", page)
}

// back returns where a form goes after: the page it came from on this site.
func back(e *core.RequestEvent, fallback string) string {
	if next := e.Request.FormValue("next"); next != "" {
		return ui.SafeNext(next)
	}
	return fallback
}

func (mod *Module) followForm(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	var err error
	if strings.HasSuffix(e.Request.URL.Path, "/unfollow") {
		err = mod.s.Unfollow(e.Auth, id)
	} else {
		err = mod.s.Follow(e.Auth, id)
	}
	if err != nil {
		return problems.Show(err)
	}
	return e.Redirect(http.StatusSeeOther, back(e, "/people/"+id+"/followers"))
}

func (mod *Module) blockForm(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	var err error
	if strings.HasSuffix(e.Request.URL.Path, "/unblock") {
		err = mod.s.Unblock(e.Auth, id)
	} else {
		err = mod.s.Block(e.Auth, id)
		mod.deps.UI.Flash(e, "social.blocked_done")
	}
	if err != nil {
		return problems.Show(err)
	}
	return e.Redirect(http.StatusSeeOther, back(e, "/following"))
}

// InboxPage is /messages: the conversations and a form to start one.
type InboxPage struct {
	Threads []Thread
	To      string // a name (from a profile's "Message" button)
	ToID    string
	Title   string
	Body    string
	Error   string
	Errors  ui.FieldErrors
	Max     int
}

func (mod *Module) inboxData(e *core.RequestEvent) (*InboxPage, error) {
	page := &InboxPage{Max: mod.cfg.MaxGroup - 1}
	var err error
	if page.Threads, err = mod.s.Inbox(e.Auth.Id, 100); err != nil {
		return nil, err
	}
	for i := range page.Threads {
		page.Threads[i].Last = mod.md.Plain(page.Threads[i].Last)
	}
	if to := e.Request.URL.Query().Get("to"); to != "" {
		if m, err := mod.s.member(to); err == nil {
			page.To, page.ToID = m.GetString("name"), m.Id
		}
	}
	return page, nil
}

func (mod *Module) inboxPage(e *core.RequestEvent) error {
	page, err := mod.inboxData(e)
	if err != nil {
		return err
	}
	return mod.deps.UI.Render(e, http.StatusOK, "social/inbox", page)
}

// recipients turns names (comma separated, as typed) or ids into members.
func (mod *Module) recipients(typed string) ([]string, error) {
	var ids []string
	for _, n := range strings.FieldsFunc(typed, func(r rune) bool { return r == ',' || r == '，' || r == '\n' }) {
		n = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(n), "@"))
		if n == "" {
			continue
		}
		if r, err := mod.s.app.FindRecordById("users", n); err == nil {
			ids = append(ids, r.Id)
			continue
		}
		r, err := mod.s.app.FindFirstRecordByData("users", "name", n)
		if err != nil {
			return nil, ui.FieldErrors{"to": "social.err_no_member"}
		}
		ids = append(ids, r.Id)
	}
	return ids, nil
}

func (mod *Module) startForm(e *core.RequestEvent) error {
	f := func(k string) string { return e.Request.FormValue(k) }
	to, title, body := f("to"), f("title"), f("body")
	ids, err := mod.recipients(to)
	var id string
	if err == nil {
		id, err = mod.s.Start(e.Auth, ids, title, body)
	}
	if err != nil {
		p, ok := problems.Explain(err)
		if !ok {
			return err
		}
		page, perr := mod.inboxData(e)
		if perr != nil {
			return perr
		}
		page.To, page.Title, page.Body, page.Error, page.Errors = to, title, body, p.Key, p.Fields
		return mod.deps.UI.Render(e, p.Status, "social/inbox", page)
	}
	return e.Redirect(http.StatusSeeOther, "/messages/"+id)
}

// ConversationPage is /messages/{id}.
type ConversationPage struct {
	ID       string
	Title    string
	With     []Person
	Messages []MessageView
	Last     int
	Body     string
	Error    string
	Blocked  bool
}

// MessageView is a message with its text rendered.
type MessageView struct {
	Message
	HTML  template.HTML
	Plain string // a line of it (the report form names messages so)
	Mine  bool
}

func (mod *Module) views(e *core.RequestEvent, msgs []Message) []MessageView {
	out := make([]MessageView, len(msgs))
	for i, m := range msgs {
		plain := []rune(mod.md.Plain(m.Body))
		if len(plain) > 60 {
			plain = append(plain[:59], '…')
		}
		out[i] = MessageView{Message: m, HTML: mod.md.Render(m.Body), Plain: string(plain), Mine: m.Author == e.Auth.Id}
	}
	return out
}

func (mod *Module) conversationData(e *core.RequestEvent) (*ConversationPage, error) {
	id := e.Request.PathValue("id")
	others, err := mod.s.others(e.Auth.Id, id)
	if err != nil {
		return nil, problems.Show(err)
	}
	page := &ConversationPage{ID: id}
	for _, o := range others {
		if m, err := mod.s.member(o); err == nil {
			page.With = append(page.With, Person{ID: m.Id, Name: m.GetString("name"), City: m.GetString("city")})
		}
		page.Blocked = page.Blocked || mod.s.Blocked(e.Auth.Id, o)
	}
	if c, err := mod.s.app.FindRecordById(Conversations, id); err == nil {
		page.Title = c.GetString("title")
	}
	msgs, err := mod.s.Read(e.Auth.Id, id, 0)
	if err != nil {
		return nil, problems.Show(err)
	}
	page.Messages = mod.views(e, msgs)
	if n := len(msgs); n > 0 {
		page.Last = msgs[n-1].Seq
	}
	return page, nil
}

func (mod *Module) conversationPage(e *core.RequestEvent) error {
	page, err := mod.conversationData(e)
	if err != nil {
		return err
	}
	return mod.deps.UI.Render(e, http.StatusOK, "social/conversation", page)
}

func (mod *Module) sendForm(e *core.RequestEvent) error {
	id, body := e.Request.PathValue("id"), e.Request.FormValue("body")
	if _, err := mod.s.Send(e.Auth, id, body); err != nil {
		p, ok := problems.Explain(err)
		if !ok || p.Status == http.StatusNotFound {
			return problems.Show(err)
		}
		page, perr := mod.conversationData(e)
		if perr != nil {
			return perr
		}
		page.Body, page.Error = body, p.Key
		return mod.deps.UI.Render(e, p.Status, "social/conversation", page)
	}
	return e.Redirect(http.StatusSeeOther, "/messages/"+id+"#last")
}

func (mod *Module) reportForm(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	if err := mod.s.ReportIn(e.Auth, id, e.Request.FormValue("msg"), e.Request.FormValue("reason")); err != nil {
		return problems.Show(err)
	}
	mod.deps.UI.Flash(e, "social.reported")
	return e.Redirect(http.StatusSeeOther, "/messages/"+id)
}

// ReportsPage is /messages/reports (moderators): the reported messages.
type ReportsPage struct {
	Reports []ReportView
}

// ReportView is a report with its message rendered.
type ReportView struct {
	Reported
	HTML template.HTML
}

func (mod *Module) reportsPage(e *core.RequestEvent) error {
	rs, err := mod.s.OpenReports(200)
	if err != nil {
		return err
	}
	page := ReportsPage{}
	for _, r := range rs {
		page.Reports = append(page.Reports, ReportView{Reported: r, HTML: mod.md.Render(r.Body)})
	}
	return mod.deps.UI.Render(e, http.StatusOK, "social/reports", page)
}

func (mod *Module) closeReportForm(e *core.RequestEvent) error {
	if err := mod.s.CloseReport(e.Request.PathValue("id")); err != nil {
		return problems.Show(err)
	}
	return e.Redirect(http.StatusSeeOther, "/messages/reports")
}

// StoryPage is /story: the member's products, their choices, and the form.
type StoryPage struct {
	Story   []Owned
	Choices Choices
	Product string
	Year    string
	Note    string
	Errors  ui.FieldErrors
	Intros  []Introduction
}

func (mod *Module) storyData(e *core.RequestEvent) (*StoryPage, error) {
	page := &StoryPage{Choices: mod.s.ChoicesOf(e.Auth.Id)}
	var err error
	if page.Story, err = mod.s.StoryOf(e.Auth.Id); err != nil {
		return nil, err
	}
	if page.Intros, err = mod.s.Introductions(e.Auth); err != nil {
		return nil, err
	}
	return page, nil
}

func (mod *Module) storyPage(e *core.RequestEvent) error {
	page, err := mod.storyData(e)
	if err != nil {
		return err
	}
	return mod.deps.UI.Render(e, http.StatusOK, "social/story", page)
}

func (mod *Module) storyForm(e *core.RequestEvent) error {
	product, yearS, note := e.Request.FormValue("product"), strings.TrimSpace(e.Request.FormValue("year")), e.Request.FormValue("note")
	year, yerr := strconv.Atoi(yearS)
	err := mod.s.AddOwned(e.Auth, product, year, note)
	if yearS != "" && yerr != nil {
		err = ui.FieldErrors{"year": "social.err_year"}
	}
	if err != nil {
		p, ok := problems.Explain(err)
		if !ok {
			return err
		}
		page, perr := mod.storyData(e)
		if perr != nil {
			return perr
		}
		page.Product, page.Year, page.Note, page.Errors = product, yearS, note, p.Fields
		return mod.deps.UI.Render(e, p.Status, "social/story", page)
	}
	mod.deps.UI.Flash(e, "social.saved")
	return e.Redirect(http.StatusSeeOther, "/story")
}

func (mod *Module) choicesForm(e *core.RequestEvent) error {
	c := Choices{StoryPublic: e.Request.FormValue("story_public") != "", Introductions: e.Request.FormValue("introductions") != ""}
	if err := mod.s.Choose(e.Auth.Id, c); err != nil {
		return err
	}
	mod.deps.UI.Flash(e, "social.saved")
	return e.Redirect(http.StatusSeeOther, "/story")
}

func (mod *Module) removeOwnedForm(e *core.RequestEvent) error {
	if err := mod.s.RemoveOwned(e.Auth, e.Request.PathValue("id")); err != nil {
		return err
	}
	return e.Redirect(http.StatusSeeOther, "/story")
}
