package meetups

import (
	"html/template"
	"net/http"
	"strings"

	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/modules/internal/access"
	"github.com/canyu/canyu/ui"
)

// ClubCard is a club in a list.
type ClubCard struct {
	ClubRef
	Members int
	Cover   string
}

func clubCards(recs []*core.Record) []ClubCard {
	out := make([]ClubCard, 0, len(recs))
	for _, c := range recs {
		out = append(out, ClubCard{ClubRef: ClubRef{ID: c.Id, Slug: c.GetString("slug"), Name: c.GetString("name"), City: c.GetString("city")},
			Members: c.GetInt("member_count"), Cover: fileURL(c, "cover", "640x320")})
	}
	return out
}

// CityGroup is a city's clubs in the directory.
type CityGroup struct {
	City  string
	Clubs []ClubCard
}

// ClubsPage is the directory.
type ClubsPage struct {
	Query  string
	Cities []CityGroup
	Count  int
	Staff  bool
}

func (mod *Module) clubs(e *core.RequestEvent) error {
	q := strings.TrimSpace(e.Request.URL.Query().Get("q"))
	recs, err := mod.m.Directory(q)
	if err != nil {
		return err
	}
	page := ClubsPage{Query: q, Count: len(recs), Staff: access.HasRole(e.Auth, access.RoleStaff)}
	for _, c := range clubCards(recs) {
		if n := len(page.Cities); n == 0 || page.Cities[n-1].City != c.City {
			page.Cities = append(page.Cities, CityGroup{City: c.City})
		}
		page.Cities[len(page.Cities)-1].Clubs = append(page.Cities[len(page.Cities)-1].Clubs, c)
	}
	return mod.deps.UI.Render(e, http.StatusOK, "meetups/clubs", page)
}

// ClubPage is a club's page.
type ClubPage struct {
	Club            ClubCard
	DescriptionHTML template.HTML
	President       *ClubMember
	Officers        []ClubMember
	Members         []ClubMember
	Upcoming, Past  []EventCard
	Photos          []Photo
	Membership      string
	CanManage       bool
	Approval        bool
	ICS             string
}

func (mod *Module) club(e *core.RequestEvent) error {
	slug := e.Request.PathValue("slug")
	if strings.HasSuffix(slug, ".ics") {
		c, err := mod.m.FindClub(strings.TrimSuffix(slug, ".ics"))
		if err != nil {
			return problems.Show(err)
		}
		up, err := mod.m.Upcoming(c.Id, 100)
		if err != nil {
			return err
		}
		return mod.ics(e, c.GetString("name"), up)
	}
	c, err := mod.m.FindClub(slug)
	if err != nil {
		return problems.Show(err)
	}
	page := ClubPage{Club: clubCards([]*core.Record{c})[0], DescriptionHTML: mod.md.Render(c.GetString("description")),
		CanManage: canManageClub(e.Auth, c), Approval: c.GetBool("approval"), ICS: "/clubs/" + c.GetString("slug") + ".ics"}
	person := func(id string) *ClubMember {
		u, err := mod.m.app.FindRecordById("users", id)
		if err != nil {
			return nil
		}
		return &ClubMember{ID: u.Id, Name: u.GetString("name"), City: u.GetString("city")}
	}
	page.President = person(c.GetString("president"))
	for _, id := range c.GetStringSlice("officers") {
		if p := person(id); p != nil {
			page.Officers = append(page.Officers, *p)
		}
	}
	if page.Members, err = mod.m.MembersOf(c.Id, "member", 60); err != nil {
		return err
	}
	up, err := mod.m.Upcoming(c.Id, 20)
	if err != nil {
		return err
	}
	past, err := mod.m.Past(c.Id, 12)
	if err != nil {
		return err
	}
	page.Upcoming, page.Past = mod.cards(e, up), mod.cards(e, past)
	if page.Photos, err = mod.m.PhotosOf("club", c.Id, 24); err != nil {
		return err
	}
	if e.Auth != nil {
		page.Membership = mod.m.Membership(e.Auth.Id, c.Id)
	}
	return mod.deps.UI.Render(e, http.StatusOK, "meetups/club", page)
}

func (mod *Module) clubJoin(e *core.RequestEvent) error {
	slug := e.Request.PathValue("slug")
	status, err := mod.m.Join(e.Auth, slug)
	if err != nil {
		return problems.Show(err)
	}
	mod.deps.UI.Flash(e, "meetups.joined_"+status)
	return e.Redirect(http.StatusSeeOther, "/clubs/"+slug)
}

func (mod *Module) clubLeave(e *core.RequestEvent) error {
	slug := e.Request.PathValue("slug")
	if err := mod.m.Leave(e.Auth, slug); err != nil {
		return problems.Show(err)
	}
	mod.deps.UI.Flash(e, "meetups.left_flash")
	return e.Redirect(http.StatusSeeOther, "/clubs/"+slug)
}

// ClubManagePage is the organizers' view of a club.
type ClubManagePage struct {
	Club      ClubCard
	Pending   []ClubMember
	Members   []ClubMember
	Officers  map[string]bool
	President bool // the viewer may name officers
	Errors    ui.FieldErrors
}

func (mod *Module) clubManage(e *core.RequestEvent) error {
	c, err := mod.m.FindClub(e.Request.PathValue("slug"))
	if err != nil {
		return problems.Show(err)
	}
	if !canManageClub(e.Auth, c) {
		return problems.Show(ErrNotOrganizer)
	}
	page := ClubManagePage{Club: clubCards([]*core.Record{c})[0], Officers: map[string]bool{},
		President: access.HasRole(e.Auth, access.RoleStaff) || c.GetString("president") == e.Auth.Id}
	for _, id := range c.GetStringSlice("officers") {
		page.Officers[id] = true
	}
	if page.Pending, err = mod.m.MembersOf(c.Id, "pending", 200); err != nil {
		return err
	}
	if page.Members, err = mod.m.MembersOf(c.Id, "member", 500); err != nil {
		return err
	}
	return mod.deps.UI.Render(e, http.StatusOK, "meetups/club_manage", page)
}

func (mod *Module) clubDecide(e *core.RequestEvent) error {
	slug := e.Request.PathValue("slug")
	if err := mod.m.DecideJoin(e.Auth, slug, e.Request.FormValue("member"), e.Request.FormValue("approve") == "1"); err != nil {
		return problems.Show(err)
	}
	return e.Redirect(http.StatusSeeOther, "/clubs/"+slug+"/manage")
}

func (mod *Module) clubOfficers(e *core.RequestEvent) error {
	slug := e.Request.PathValue("slug")
	if err := e.Request.ParseForm(); err != nil {
		return ui.BadBody(err)
	}
	if err := mod.m.SetOfficers(e.Auth, slug, e.Request.PostForm["officer"]); err != nil {
		return problems.Show(err)
	}
	mod.deps.UI.Flash(e, "meetups.officers_saved")
	return e.Redirect(http.StatusSeeOther, "/clubs/"+slug+"/manage")
}

func (mod *Module) clubPhoto(e *core.RequestEvent) error {
	slug := e.Request.PathValue("slug")
	files, err := e.FindUploadedFiles("image")
	if err != nil || len(files) == 0 {
		return problems.Show(ui.FieldErrors{"image": "meetups.err_required"})
	}
	if _, err := mod.m.AddPhoto(e.Auth, "", slug, files[0], e.Request.FormValue("caption")); err != nil {
		return problems.Show(err)
	}
	mod.deps.UI.Flash(e, "meetups.photo_added")
	return e.Redirect(http.StatusSeeOther, "/clubs/"+slug+"#photos")
}

// ClubForm is staff's form for a club.
type ClubForm struct {
	Slug                             string
	Name, NewSlug, City, Description string
	Approval                         bool
	President                        string // an email
	Errors                           ui.FieldErrors
	Editing                          bool
}

func (mod *Module) clubForm(e *core.RequestEvent) error {
	f := ClubForm{}
	if slug := e.Request.PathValue("slug"); slug != "" {
		c, err := mod.m.FindClub(slug)
		if err != nil {
			return problems.Show(err)
		}
		f = ClubForm{Slug: slug, Name: c.GetString("name"), NewSlug: c.GetString("slug"), City: c.GetString("city"),
			Description: c.GetString("description"), Approval: c.GetBool("approval"), Editing: true}
		if u, err := mod.m.app.FindRecordById("users", c.GetString("president")); err == nil {
			f.President = u.Email()
		}
	}
	return mod.deps.UI.Render(e, http.StatusOK, "meetups/club_edit", f)
}

func (mod *Module) clubSave(e *core.RequestEvent) error {
	if err := e.Request.ParseMultipartForm(16 << 20); err != nil && err != http.ErrNotMultipart {
		return ui.BadBody(err)
	}
	v := e.Request.FormValue
	f := ClubForm{Slug: e.Request.PathValue("slug"), Name: v("name"), NewSlug: v("slug"), City: v("city"), Description: v("description"),
		Approval: v("approval") == "1", President: strings.TrimSpace(v("president")), Editing: e.Request.PathValue("slug") != ""}
	d := ClubDraft{Name: f.Name, Slug: f.NewSlug, City: f.City, Description: f.Description, Approval: f.Approval}
	var err error
	if f.President != "" {
		u, ferr := mod.m.app.FindAuthRecordByEmail("users", f.President)
		if ferr != nil {
			err = ui.FieldErrors{"president": "meetups.err_member"}
		} else {
			d.President = u.Id
		}
	}
	if files, ferr := e.FindUploadedFiles("cover"); ferr == nil && len(files) > 0 && files[0].Size > 0 {
		d.Cover = files[0]
	}
	var c *core.Record
	if err == nil {
		c, err = mod.m.SaveClub(e.Auth, f.Slug, d)
	}
	if err != nil {
		p, ok := problems.Explain(err)
		if !ok {
			return err
		}
		f.Errors = p.Fields
		return mod.deps.UI.Render(e, p.Status, "meetups/club_edit", f)
	}
	mod.deps.UI.Flash(e, "meetups.club_saved")
	return e.Redirect(http.StatusSeeOther, "/clubs/"+c.GetString("slug"))
}
