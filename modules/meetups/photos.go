package meetups

import (
	"strings"
	"unicode/utf8"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/filesystem"

	"github.com/canyu/canyu/ui"
)

// AddPhoto adds a photo to an event's album (its attendees and organizers)
// or to a club's (its members), with a caption.
func (m *Meetups) AddPhoto(member *core.Record, event, club string, image *filesystem.File, caption string) (*core.Record, error) {
	caption = strings.TrimSpace(caption)
	if image == nil {
		return nil, ui.FieldErrors{"image": "meetups.err_required"}
	}
	if utf8.RuneCountInString(caption) > 200 {
		return nil, ui.FieldErrors{"caption": "meetups.err_too_long"}
	}
	col, err := m.app.FindCachedCollectionByNameOrId(Photos)
	if err != nil {
		return nil, err
	}
	p := core.NewRecord(col)
	switch {
	case event != "":
		ev, err := m.Find(member, event)
		if err != nil {
			return nil, err
		}
		if !m.Attended(member.Id, event) && !m.CanManage(member, ev) {
			return nil, ErrNotAttendee
		}
		p.Set("event", ev.Id)
		p.Set("club", ev.GetString("club"))
	default:
		c, err := m.FindClub(club)
		if err != nil {
			return nil, err
		}
		if m.Membership(member.Id, c.Id) != "member" && !canManageClub(member, c) {
			return nil, ErrNotClubMember
		}
		p.Set("club", c.Id)
	}
	p.Set("member", member.Id)
	p.Set("image", image)
	p.Set("caption", caption)
	if err := m.app.Save(p); err != nil {
		return nil, ui.FieldErrors{"image": "meetups.err_image"}
	}
	return p, nil
}

// Photo is a photo as albums show it.
type Photo struct {
	URL, Thumb, Caption, By string
}

// PhotosOf lists an event's photos (field "event") or a club's ("club"),
// newest first.
func (m *Meetups) PhotosOf(field, id string, limit int) ([]Photo, error) {
	recs, err := m.app.FindRecordsByFilter(Photos, field+" = {:id}", "-created", limit, 0, dbx.Params{"id": id})
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	out := make([]Photo, 0, len(recs))
	for _, r := range recs {
		by := r.GetString("member")
		if _, ok := names[by]; !ok {
			if u, err := m.app.FindRecordById("users", by); err == nil {
				names[by] = u.GetString("name")
			}
		}
		url := "/api/files/" + r.Collection().Id + "/" + r.Id + "/" + r.GetString("image")
		out = append(out, Photo{URL: url + "?thumb=1280x0", Thumb: url + "?thumb=320x320", Caption: r.GetString("caption"), By: names[by]})
	}
	return out, nil
}
