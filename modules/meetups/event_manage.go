package meetups

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"github.com/canyu/canyu/ui"
)

// RSVPRow is one line of the organizers' list.
type RSVPRow struct {
	Member, Name, Email, Status string
	Answers                     map[string]string
	CheckedIn                   time.Time
	Place                       int
}

// ManagePage is the organizers' view of an event.
type ManagePage struct {
	Event                            EventView
	Going, Pending, Waitlist, Others []RSVPRow
	NoShows                          int
	Recap                            string
	Error                            string
	Invited                          int
}

func (mod *Module) rows(id string) (map[string][]RSVPRow, error) {
	var raw []struct {
		Member    string         `db:"member"`
		Name      string         `db:"name"`
		Email     string         `db:"email"`
		Status    string         `db:"status"`
		Answers   string         `db:"answers"`
		CheckedIn types.DateTime `db:"checked_in"`
	}
	err := mod.m.app.DB().NewQuery(`SELECT r.member, COALESCE(u.name, '') AS name, COALESCE(u.email, '') AS email, r.status, r.answers, r.checked_in
		FROM ` + RSVPs + ` r LEFT JOIN users u ON u.id = r.member WHERE r.event = {:e} ORDER BY r.status, r.position, r.created`).
		Bind(dbx.Params{"e": id}).All(&raw)
	if err != nil {
		return nil, err
	}
	out := map[string][]RSVPRow{}
	for _, r := range raw {
		row := RSVPRow{Member: r.Member, Name: r.Name, Email: r.Email, Status: r.Status, CheckedIn: r.CheckedIn.Time()}
		_ = json.Unmarshal([]byte(r.Answers), &row.Answers)
		if r.Status == Waitlist {
			row.Place = len(out[Waitlist]) + 1
		}
		out[r.Status] = append(out[r.Status], row)
	}
	return out, nil
}

func (mod *Module) managed(e *core.RequestEvent) (*core.Record, error) {
	ev, err := mod.m.Find(e.Auth, e.Request.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if !mod.m.CanManage(e.Auth, ev) {
		return nil, ErrNotOrganizer
	}
	return ev, nil
}

func (mod *Module) managePage(e *core.RequestEvent, ev *core.Record) (*ManagePage, error) {
	rows, err := mod.rows(ev.Id)
	if err != nil {
		return nil, err
	}
	page := &ManagePage{Event: mod.view(e, ev), Going: append(rows[Going], rows[Offered]...), Pending: rows[Pending], Waitlist: rows[Waitlist],
		Recap: ev.GetString("recap")}
	for _, s := range []string{Cancelled, Declined, Lapsed} {
		page.Others = append(page.Others, rows[s]...)
	}
	if page.Event.Past {
		for _, r := range rows[Going] {
			if r.CheckedIn.IsZero() {
				page.NoShows++
			}
		}
	}
	n, _ := mod.m.app.CountRecords(Invites, dbx.HashExp{"event": ev.Id})
	page.Invited = int(n)
	return page, nil
}

func (mod *Module) manage(e *core.RequestEvent) error {
	ev, err := mod.managed(e)
	if err != nil {
		return problems.Show(err)
	}
	page, err := mod.managePage(e, ev)
	if err != nil {
		return err
	}
	return mod.deps.UI.Render(e, http.StatusOK, "meetups/event_manage", page)
}

// decideForm: POST /meetups/{id}/decide {member, approve: 1|0}.
func (mod *Module) decideForm(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	if err := mod.m.Decide(e.Auth, id, e.Request.FormValue("member"), e.Request.FormValue("approve") == "1"); err != nil {
		return problems.Show(err)
	}
	return e.Redirect(http.StatusSeeOther, "/meetups/"+id+"/manage")
}

// inviteForm: POST /meetups/{id}/invite {emails: one per line}.
func (mod *Module) inviteForm(e *core.RequestEvent) error {
	ev, err := mod.managed(e)
	if err != nil {
		return problems.Show(err)
	}
	var ids []string
	unknown := 0
	for _, f := range strings.FieldsFunc(e.Request.FormValue("emails"), func(r rune) bool { return r == '\n' || r == ',' || r == ' ' || r == '\r' }) {
		u, err := mod.m.app.FindAuthRecordByEmail("users", strings.TrimSpace(f))
		if err != nil {
			unknown++
			continue
		}
		ids = append(ids, u.Id)
	}
	if unknown > 0 && len(ids) == 0 {
		page, err := mod.managePage(e, ev)
		if err != nil {
			return err
		}
		page.Error = "meetups.err_no_such_members"
		return mod.deps.UI.Render(e, http.StatusBadRequest, "meetups/event_manage", page)
	}
	if _, err := mod.m.Invite(e.Auth, ev.Id, ids); err != nil {
		return problems.Show(err)
	}
	mod.deps.UI.Flash(e, "meetups.invited_flash")
	return e.Redirect(http.StatusSeeOther, "/meetups/"+ev.Id+"/manage")
}

// recapForm: POST /meetups/{id}/recap {recap}.
func (mod *Module) recapForm(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	if err := mod.m.SaveRecap(e.Auth, id, e.Request.FormValue("recap")); err != nil {
		return problems.Show(err)
	}
	mod.deps.UI.Flash(e, "meetups.recap_saved")
	return e.Redirect(http.StatusSeeOther, "/meetups/"+id+"#recap")
}

// callOffForm: POST /meetups/{id}/call-off.
func (mod *Module) callOffForm(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	if err := mod.m.CancelEvent(e.Auth, id); err != nil {
		return problems.Show(err)
	}
	mod.deps.UI.Flash(e, "meetups.called_off")
	return e.Redirect(http.StatusSeeOther, "/meetups/"+id)
}

// eventPhoto: POST /meetups/{id}/photos {image, caption} (multipart).
func (mod *Module) eventPhoto(e *core.RequestEvent) error {
	id := e.Request.PathValue("id")
	files, err := e.FindUploadedFiles("image")
	if err != nil || len(files) == 0 {
		return problems.Show(ui.FieldErrors{"image": "meetups.err_required"})
	}
	if _, err := mod.m.AddPhoto(e.Auth, id, "", files[0], e.Request.FormValue("caption")); err != nil {
		return problems.Show(err)
	}
	mod.deps.UI.Flash(e, "meetups.photo_added")
	return e.Redirect(http.StatusSeeOther, "/meetups/"+id+"#photos")
}

// CheckinPage is the door: a camera scanner and a code field.
type CheckinPage struct {
	Event EventView
}

func (mod *Module) checkinPage(e *core.RequestEvent) error {
	ev, err := mod.managed(e)
	if err != nil {
		return problems.Show(err)
	}
	return mod.deps.UI.Render(e, http.StatusOK, "meetups/checkin", CheckinPage{Event: mod.view(e, ev)})
}
