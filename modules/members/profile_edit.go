package members

import (
	"net/http"
	"strings"

	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/ui"
)

// ProfileForm is the data of the own-profile page. Entered values survive an
// error.
type ProfileForm struct {
	Card          MemberCard
	Email         string
	Verified      bool
	Name          string
	Bio           string
	City          string
	Language      string
	Phone         string // masked
	Errors        map[string]string
	Saved         bool
	MaxAvatarSize int64
}

func (m *Module) profileFormView(member *core.Record) ProfileForm {
	v := ProfileForm{
		Card:     card(member),
		Email:    member.Email(),
		Verified: member.Verified(),
		Name:     member.GetString("name"),
		Bio:      member.GetString("bio"),
		City:     member.GetString("city"),
		Language: member.GetString("language"),
		Errors:   map[string]string{},
	}
	if p := member.GetString("phone"); p != "" {
		v.Phone = MaskPhone(p)
	}
	if f, ok := member.Collection().Fields.GetByName("avatar").(*core.FileField); ok {
		size := f.MaxSize
		if size <= 0 {
			size = core.DefaultFileFieldMaxSize
		}
		v.MaxAvatarSize = size >> 20
	}
	return v
}

func (m *Module) profileForm(e *core.RequestEvent) error {
	return m.deps.UI.Render(e, http.StatusOK, "members/profile_edit", m.profileFormView(e.Auth))
}

// profileSave updates the member's own profile. Roles and phone are not
// form fields: nothing a member posts can change them.
func (m *Module) profileSave(e *core.RequestEvent) error {
	member, err := e.App.FindRecordById("users", e.Auth.Id)
	if err != nil {
		return err
	}
	v := m.profileFormView(member)
	v.Name = strings.TrimSpace(e.Request.FormValue("name"))
	v.Bio = strings.TrimSpace(e.Request.FormValue("bio"))
	v.City = strings.TrimSpace(e.Request.FormValue("city"))
	v.Language = e.Request.FormValue("language")
	if v.Name == "" {
		v.Errors["name"] = "members.err_required"
	}
	lang, ok := ui.ParseLang(v.Language)
	if !ok {
		v.Errors["language"] = "members.err_invalid"
	}
	if len(v.Errors) > 0 {
		return m.deps.UI.Render(e, http.StatusBadRequest, "members/profile_edit", v)
	}
	member.Set("name", v.Name)
	member.Set("bio", v.Bio)
	member.Set("city", v.City)
	member.Set("language", string(lang))
	files, _ := e.FindUploadedFiles("avatar")
	if len(files) > 0 {
		member.Set("avatar", files[0])
	}
	if e.Request.FormValue("remove_avatar") == "1" && len(files) == 0 {
		member.Set("avatar", nil)
	}
	if err := e.App.Save(member); err != nil {
		if fe, ok := fieldErrors(err); ok {
			v.Errors = fe
			return m.deps.UI.Render(e, http.StatusBadRequest, "members/profile_edit", v)
		}
		return err
	}
	// the language just chosen wins over an older ?lang= cookie
	m.deps.UI.SetLang(e, lang)
	m.deps.UI.Flash(e, "profile.saved")
	return e.Redirect(http.StatusSeeOther, "/profile")
}
