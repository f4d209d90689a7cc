package meetups

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/modules/internal/access"
	"github.com/canyu/canyu/ui"
)

// EventForm is the organizers' form for an event.
type EventForm struct {
	ID                                string
	Clubs                             []ClubRef // the clubs the member may add events to
	Staff                             bool
	Club, Kind, Title, Description    string
	Starts, Ends, TimeZone            string // datetime-local in the event's zone
	Venue, Address, MapURL, OnlineURL string
	Capacity                          string
	RSVPOpens, RSVPCloses             string
	Approval, InviteOnly, Publish     bool
	Questions                         string
	Status                            string
	Kinds                             []string
	Errors                            ui.FieldErrors
	Error                             string
}

const localLayout = "2006-01-02T15:04"

// organizedClubs lists the clubs member may add events to.
func (mod *Module) organizedClubs(member *core.Record) []ClubRef {
	var out []ClubRef
	filter := "president = {:m} || officers ~ {:m}"
	if access.HasRole(member, access.RoleStaff) {
		filter = ""
	}
	clubs, _ := mod.m.app.FindRecordsByFilter(Clubs, filter, "city,name", 500, 0, map[string]any{"m": member.Id})
	for _, c := range clubs {
		out = append(out, ClubRef{ID: c.Id, Slug: c.GetString("slug"), Name: c.GetString("name"), City: c.GetString("city")})
	}
	return out
}

func (mod *Module) eventForm(e *core.RequestEvent) error {
	f := EventForm{Clubs: mod.organizedClubs(e.Auth), Staff: access.HasRole(e.Auth, access.RoleStaff), Kinds: Kinds, Kind: KindClub,
		TimeZone: mod.m.loc.String(), Publish: true}
	if !f.Staff && len(f.Clubs) == 0 {
		return problems.Show(ErrNotOrganizer)
	}
	if f.Staff {
		f.Kind = KindOfficial
	}
	if id := e.Request.PathValue("id"); id != "" {
		ev, err := mod.m.Find(e.Auth, id)
		if err != nil {
			return problems.Show(err)
		}
		if !mod.m.CanManage(e.Auth, ev) {
			return problems.Show(ErrNotOrganizer)
		}
		loc := mod.m.location(ev)
		var qs []Question
		_ = ev.UnmarshalJSONField("questions", &qs)
		local := func(field string) string {
			if t := ev.GetDateTime(field); !t.IsZero() {
				return t.Time().In(loc).Format(localLayout)
			}
			return ""
		}
		f.ID, f.Club, f.Kind, f.Title, f.Description = ev.Id, ev.GetString("club"), ev.GetString("kind"), ev.GetString("title"), ev.GetString("description")
		f.Starts, f.Ends, f.TimeZone, f.RSVPOpens, f.RSVPCloses = local("starts"), local("ends"), loc.String(), local("rsvp_opens"), local("rsvp_closes")
		f.Venue, f.Address, f.MapURL, f.OnlineURL = ev.GetString("venue"), ev.GetString("address"), ev.GetString("map_url"), ev.GetString("online_url")
		f.Capacity, f.Approval, f.InviteOnly = strconv.Itoa(ev.GetInt("capacity")), ev.GetBool("approval"), ev.GetBool("invite_only")
		f.Questions, f.Status, f.Publish = QuestionsText(qs), ev.GetString("status"), ev.GetString("status") != "draft"
	} else if slug := e.Request.URL.Query().Get("club"); slug != "" {
		if c, err := mod.m.FindClub(slug); err == nil {
			f.Club, f.Kind = c.Id, KindClub
		}
	}
	return mod.deps.UI.Render(e, http.StatusOK, "meetups/event_edit", f)
}

func (mod *Module) eventSave(e *core.RequestEvent) error {
	if err := e.Request.ParseMultipartForm(16 << 20); err != nil && err != http.ErrNotMultipart {
		return ui.BadBody(err)
	}
	v := e.Request.FormValue
	f := EventForm{ID: e.Request.PathValue("id"), Clubs: mod.organizedClubs(e.Auth), Staff: access.HasRole(e.Auth, access.RoleStaff), Kinds: Kinds,
		Club: v("club"), Kind: v("kind"), Title: v("title"), Description: v("description"), Starts: v("starts"), Ends: v("ends"),
		TimeZone: strings.TrimSpace(v("time_zone")), Venue: v("venue"), Address: v("address"), MapURL: v("map_url"), OnlineURL: v("online_url"),
		Capacity: v("capacity"), RSVPOpens: v("rsvp_opens"), RSVPCloses: v("rsvp_closes"), Approval: v("approval") == "1",
		InviteOnly: v("invite_only") == "1", Publish: v("publish") == "1", Questions: v("questions")}
	if f.TimeZone == "" {
		f.TimeZone = mod.m.loc.String()
	}
	d := EventDraft{Club: f.Club, Kind: f.Kind, Title: f.Title, Description: f.Description, TimeZone: f.TimeZone, Venue: f.Venue,
		Address: f.Address, MapURL: f.MapURL, OnlineURL: f.OnlineURL, Approval: f.Approval, InviteOnly: f.InviteOnly, Publish: f.Publish,
		Questions: ParseQuestions(f.Questions)}
	fe := ui.FieldErrors{}
	loc, err := time.LoadLocation(f.TimeZone)
	if err != nil {
		fe["time_zone"] = "meetups.err_time_zone"
		loc = mod.m.loc
	}
	for field, dst := range map[string]*time.Time{"starts": &d.Starts, "ends": &d.Ends, "rsvp_opens": &d.RSVPOpens, "rsvp_closes": &d.RSVPCloses} {
		raw := strings.TrimSpace(v(field))
		if raw == "" {
			continue
		}
		t, err := time.ParseInLocation(localLayout, raw, loc)
		if err != nil {
			fe[field] = "meetups.err_time"
			continue
		}
		*dst = t
	}
	if c := strings.TrimSpace(f.Capacity); c != "" {
		n, err := strconv.Atoi(c)
		if err != nil {
			fe["capacity"] = "meetups.err_capacity"
		}
		d.Capacity = n
	}
	if files, err := e.FindUploadedFiles("cover"); err == nil && len(files) > 0 && files[0].Size > 0 {
		d.Cover = files[0]
	}
	var saved *core.Record
	if len(fe) == 0 {
		saved, err = mod.m.SaveEvent(e.Auth, f.ID, d)
	} else {
		err = fe
	}
	if err != nil {
		p, ok := problems.Explain(err)
		if !ok {
			return err
		}
		f.Error, f.Errors = p.Key, p.Fields
		return mod.deps.UI.Render(e, p.Status, "meetups/event_edit", f)
	}
	mod.deps.UI.Flash(e, "meetups.saved_"+saved.GetString("status"))
	return e.Redirect(http.StatusSeeOther, "/meetups/"+saved.Id)
}
