package meetups

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/filesystem"

	"github.com/canyu/canyu/hooks"
	"github.com/canyu/canyu/modules/internal/access"
	"github.com/canyu/canyu/ui"
)

// ClubDraft is what staff write about a club.
type ClubDraft struct {
	Name, Slug, City, Description string
	Approval                      bool
	President                     string // a member id, "" for none yet
	Cover                         *filesystem.File
}

var slugPattern = regexp.MustCompile(`^[a-z0-9-]{2,40}$`)

// FindClub returns a club by id or slug.
func (m *Meetups) FindClub(idOrSlug string) (*core.Record, error) {
	c, err := m.app.FindFirstRecordByFilter(Clubs, "id = {:v} || slug = {:v}", dbx.Params{"v": idOrSlug})
	if err != nil {
		return nil, ErrNoClub
	}
	return c, nil
}

// SaveClub stores a club (staff only); naming its president gives the
// member the president role.
func (m *Meetups) SaveClub(by *core.Record, id string, d ClubDraft) (*core.Record, error) {
	if !access.HasRole(by, access.RoleStaff) {
		return nil, ErrNotStaff
	}
	fe := ui.FieldErrors{}
	d.Name, d.Slug, d.City = strings.TrimSpace(d.Name), strings.ToLower(strings.TrimSpace(d.Slug)), strings.TrimSpace(d.City)
	if d.Name == "" || utf8.RuneCountInString(d.Name) > 80 {
		fe["name"] = "meetups.err_required"
	}
	if !slugPattern.MatchString(d.Slug) {
		fe["slug"] = "meetups.err_slug"
	}
	if d.City == "" || utf8.RuneCountInString(d.City) > 60 {
		fe["city"] = "meetups.err_required"
	}
	if utf8.RuneCountInString(d.Description) > 5000 {
		fe["description"] = "meetups.err_too_long"
	}
	var president *core.Record
	if d.President != "" {
		p, err := m.app.FindRecordById("users", d.President)
		if err != nil {
			fe["president"] = "meetups.err_member"
		}
		president = p
	}
	if len(fe) > 0 {
		return nil, fe
	}
	var club *core.Record
	if id != "" {
		var err error
		if club, err = m.FindClub(id); err != nil {
			return nil, err
		}
	} else {
		col, err := m.app.FindCachedCollectionByNameOrId(Clubs)
		if err != nil {
			return nil, err
		}
		club = core.NewRecord(col)
	}
	club.Set("name", d.Name)
	club.Set("slug", d.Slug)
	club.Set("city", d.City)
	club.Set("description", d.Description)
	club.Set("approval", d.Approval)
	club.Set("president", d.President)
	if d.Cover != nil {
		club.Set("cover", d.Cover)
	}
	err := m.app.RunInTransaction(func(tx core.App) error {
		if err := tx.Save(club); err != nil {
			if strings.Contains(err.Error(), "slug") {
				return ui.FieldErrors{"slug": "meetups.err_slug_taken"}
			}
			return err
		}
		if president == nil {
			return nil
		}
		if roles := president.GetStringSlice("roles"); !slices.Contains(roles, access.RolePresident) {
			president.Set("roles", append(roles, access.RolePresident))
			if err := tx.Save(president); err != nil {
				return err
			}
		}
		// the president is a member of their club
		return m.addMember(tx, club, president.Id, "member")
	})
	if err != nil {
		return nil, err
	}
	return club, nil
}

// SetOfficers names a club's officers (its president or staff): they run
// the club's events with the president.
func (m *Meetups) SetOfficers(by *core.Record, slug string, officers []string) error {
	club, err := m.FindClub(slug)
	if err != nil {
		return err
	}
	if !access.HasRole(by, access.RoleStaff) && club.GetString("president") != by.Id {
		return ErrNotOrganizer
	}
	var kept []string
	for _, id := range officers {
		if id == "" || slices.Contains(kept, id) {
			continue
		}
		if _, err := m.app.FindRecordById("users", id); err != nil {
			return ui.FieldErrors{"officers": "meetups.err_member"}
		}
		kept = append(kept, id)
	}
	club.Set("officers", kept)
	return m.app.Save(club)
}

// addMember inserts (or raises) a membership inside tx and recounts.
func (m *Meetups) addMember(tx core.App, club *core.Record, member, status string) error {
	_, err := tx.DB().NewQuery("INSERT INTO " + ClubMembers + ` (id, club, member, status, created) VALUES ({:id}, {:c}, {:m}, {:s}, {:now})
		ON CONFLICT (club, member) DO UPDATE SET status = CASE WHEN excluded.status = 'member' THEN 'member' ELSE status END`).
		Bind(dbx.Params{"id": core.GenerateDefaultRandomId(), "c": club.Id, "m": member, "s": status, "now": m.stamp()}).Execute()
	if err != nil {
		return err
	}
	return m.recountClub(tx, club.Id)
}

func (m *Meetups) recountClub(tx core.App, club string) error {
	_, err := tx.DB().NewQuery("UPDATE " + Clubs + " SET member_count = (SELECT COUNT(*) FROM " + ClubMembers + " WHERE club = {:c} AND status = 'member') WHERE id = {:c}").
		Bind(dbx.Params{"c": club}).Execute()
	return err
}

// Join makes member a member of a club, or asks its organizers when the
// club approves new members (they are told). It returns the membership's
// status: "member" or "pending".
func (m *Meetups) Join(member *core.Record, slug string) (string, error) {
	club, err := m.FindClub(slug)
	if err != nil {
		return "", err
	}
	status := "member"
	if club.GetBool("approval") && !canManageClub(member, club) {
		status = "pending"
	}
	err = m.app.RunInTransaction(func(tx core.App) error {
		if err := m.addMember(tx, club, member.Id, status); err != nil {
			return err
		}
		if status != "pending" {
			return nil
		}
		to := slices.DeleteFunc(append(club.GetStringSlice("officers"), club.GetString("president")), func(s string) bool { return s == "" })
		if len(to) == 0 {
			return nil
		}
		return m.events.Notify.Trigger(&hooks.NotifyEvent{App: tx, Kind: NoteClub, To: to, Actor: member.Id, Subject: club.GetString("name"),
			Link: "/clubs/" + club.GetString("slug") + "/manage", Message: "meetups.note_join_request",
			Args: []hooks.Arg{{Text: member.GetString("name")}}})
	})
	if err != nil {
		return "", fmt.Errorf("meetups: join: %w", err)
	}
	return m.Membership(member.Id, club.Id), nil
}

// Leave ends member's membership (or their request to join).
func (m *Meetups) Leave(member *core.Record, slug string) error {
	club, err := m.FindClub(slug)
	if err != nil {
		return err
	}
	return m.app.RunInTransaction(func(tx core.App) error {
		if _, err := tx.DB().NewQuery("DELETE FROM " + ClubMembers + " WHERE club = {:c} AND member = {:m}").
			Bind(dbx.Params{"c": club.Id, "m": member.Id}).Execute(); err != nil {
			return err
		}
		return m.recountClub(tx, club.Id)
	})
}

// DecideJoin is the organizers' answer to a request to join.
func (m *Meetups) DecideJoin(by *core.Record, slug, member string, approve bool) error {
	club, err := m.FindClub(slug)
	if err != nil {
		return err
	}
	if !canManageClub(by, club) {
		return ErrNotOrganizer
	}
	return m.app.RunInTransaction(func(tx core.App) error {
		q := "UPDATE " + ClubMembers + " SET status = 'member' WHERE club = {:c} AND member = {:m} AND status = 'pending'"
		msg := "meetups.note_join_approved"
		if !approve {
			q = "DELETE FROM " + ClubMembers + " WHERE club = {:c} AND member = {:m} AND status = 'pending'"
			msg = "meetups.note_join_declined"
		}
		res, err := tx.DB().NewQuery(q).Bind(dbx.Params{"c": club.Id, "m": member}).Execute()
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNoRSVP
		}
		if err := m.events.Notify.Trigger(&hooks.NotifyEvent{App: tx, Kind: NoteClub, To: []string{member}, Actor: by.Id,
			Subject: club.GetString("name"), Link: "/clubs/" + club.GetString("slug"), Message: msg}); err != nil {
			return err
		}
		return m.recountClub(tx, club.Id)
	})
}

// Membership is member's standing in a club: "member", "pending" or "".
func (m *Meetups) Membership(member, club string) string {
	var status string
	_ = m.app.DB().Select("status").From(ClubMembers).Where(dbx.HashExp{"club": club, "member": member}).Row(&status)
	return status
}

// ClubMember is a member of a club as lists show them.
type ClubMember struct {
	ID, Name, City string
}

// MembersOf lists a club's members ("pending": its requests), newest first.
func (m *Meetups) MembersOf(club, status string, limit int) ([]ClubMember, error) {
	var out []ClubMember
	err := m.app.DB().NewQuery(`SELECT u.id AS id, u.name AS name, COALESCE(u.city, '') AS city FROM ` + ClubMembers + ` cm JOIN users u ON u.id = cm.member
		WHERE cm.club = {:c} AND cm.status = {:s} ORDER BY cm.created DESC LIMIT {:n}`).Bind(dbx.Params{"c": club, "s": status, "n": limit}).All(&out)
	return out, err
}

// ClubsOf lists the clubs member belongs to.
func (m *Meetups) ClubsOf(member string) ([]*core.Record, error) {
	var ids []string
	if err := m.app.DB().Select("club").From(ClubMembers).Where(dbx.HashExp{"member": member, "status": "member"}).Column(&ids); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return m.app.FindRecordsByIds(Clubs, ids)
}

// Directory lists the clubs matching q (name or city; all when empty),
// by city then name.
func (m *Meetups) Directory(q string) ([]*core.Record, error) {
	query := m.app.RecordQuery(Clubs).OrderBy("city", "name").Limit(500)
	if q = strings.TrimSpace(q); q != "" {
		query = query.AndWhere(dbx.Or(dbx.Like("name", q), dbx.Like("city", q)))
	}
	var out []*core.Record
	return out, query.All(&out)
}
