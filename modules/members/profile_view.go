package members

import (
	"database/sql"
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// MemberCard is a member as others see them. It never carries the email or
// the phone number.
type MemberCard struct {
	ID            string
	Name          string
	Bio           string
	City          string
	AvatarURL     string
	Roles         []string
	PhoneVerified bool
	Joined        time.Time
}

func card(r *core.Record) MemberCard {
	c := MemberCard{
		ID:            r.Id,
		Name:          r.GetString("name"),
		Bio:           r.GetString("bio"),
		City:          r.GetString("city"),
		Roles:         r.GetStringSlice("roles"),
		PhoneVerified: !r.GetDateTime("phone_verified").IsZero(),
		Joined:        r.GetDateTime("created").Time(),
	}
	if c.Name == "" {
		c.Name = "#" + r.Id[:6]
	}
	if a := r.GetString("avatar"); a != "" {
		c.AvatarURL = "/api/files/" + r.Collection().Id + "/" + r.Id + "/" + a + "?thumb=200x200"
	}
	return c
}

// ProfileView is the data of a public profile.
type ProfileView struct {
	Card  MemberCard
	IsMe  bool
	Years int
	// Sections are the other modules' blocks (honours, clubs, badges).
	Sections []template.HTML
}

func (m *Module) profileView(e *core.RequestEvent) error {
	r, err := e.App.FindRecordById("users", e.Request.PathValue("id"))
	if errors.Is(err, sql.ErrNoRows) {
		return m.deps.UI.Error(e, http.StatusNotFound, "members.not_found")
	} else if err != nil {
		return err
	}
	c := card(r)
	v := ProfileView{Card: c, IsMe: e.Auth != nil && e.Auth.Id == r.Id, Years: int(m.deps.Now().Sub(c.Joined).Hours() / (24 * 365))}
	if v.Sections, err = m.deps.UI.ProfileSections(e, r); err != nil {
		return err
	}
	return m.deps.UI.Render(e, http.StatusOK, "members/profile", v)
}

// profileByName follows an @mention: the profile of the one member with
// that display name (case-insensitive), or a "not found" page when no one,
// or more than one, has it.
func (m *Module) profileByName(e *core.RequestEvent) error {
	var ids []string
	err := e.App.DB().Select("id").From("users").Where(dbx.NewExp("LOWER(name) = LOWER({:n})", dbx.Params{"n": e.Request.PathValue("name")})).
		Limit(2).Column(&ids)
	if err != nil {
		return err
	}
	if len(ids) != 1 {
		return m.deps.UI.Error(e, http.StatusNotFound, "members.not_found")
	}
	return e.Redirect(http.StatusSeeOther, "/members/"+ids[0])
}

// DirectoryView is the data of the members directory.
type DirectoryView struct {
	Members []MemberCard
	Total   int64
	Page    int
	Next    int
}

const directoryPageSize = 48

func (m *Module) directory(e *core.RequestEvent) error {
	page, _ := strconv.Atoi(e.Request.URL.Query().Get("page"))
	page = min(max(page, 1), 10000)
	recs, err := e.App.FindRecordsByFilter("users", "", "-created", directoryPageSize+1, (page-1)*directoryPageSize)
	if err != nil {
		return err
	}
	total, err := e.App.CountRecords("users")
	if err != nil {
		return err
	}
	v := DirectoryView{Total: total, Page: page}
	if len(recs) > directoryPageSize {
		recs = recs[:directoryPageSize]
		v.Next = page + 1
	}
	for _, r := range recs {
		v.Members = append(v.Members, card(r))
	}
	return m.deps.UI.Render(e, http.StatusOK, "members/directory", v)
}

// newestMembers feeds the home page's "newest members" section.
func (m *Module) newestMembers(e *core.RequestEvent) (any, error) {
	total, err := e.App.CountRecords("users")
	if err != nil {
		return nil, err
	}
	latest, err := e.App.FindRecordsByFilter("users", "", "-created", 8, 0)
	if err != nil {
		return nil, err
	}
	v := DirectoryView{Total: total}
	for _, r := range latest {
		v.Members = append(v.Members, card(r))
	}
	return v, nil
}
