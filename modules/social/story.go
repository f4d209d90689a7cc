package social

import (
	"strings"
	"unicode/utf8"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"github.com/canyu/canyu/ui"
)

// Owned is one product of a member's story.
type Owned struct {
	ID       string `db:"id" json:"id"`
	Product  string `db:"product" json:"product"`
	Year     int    `db:"year" json:"year"`
	Note     string `db:"note" json:"note"`
	Verified bool   `db:"verified" json:"verified"`
}

// productKey is how two names of one product match ("Mi 1", "mi  1").
func productKey(name string) string { return strings.ToLower(strings.Join(strings.Fields(name), " ")) }

// AddOwned adds a product to member's story (a product already there is
// updated: year and note).
func (s *Social) AddOwned(member *core.Record, product string, year int, note string) error {
	product, note = strings.TrimSpace(product), strings.TrimSpace(note)
	fe := ui.FieldErrors{}
	switch n := utf8.RuneCountInString(product); {
	case n == 0:
		fe["product"] = "social.err_required"
	case n > 80:
		fe["product"] = "social.err_too_long"
	}
	if now := s.now().Year(); year != 0 && (year < 1990 || year > now) {
		fe["year"] = "social.err_year"
	}
	if utf8.RuneCountInString(note) > 300 {
		fe["note"] = "social.err_too_long"
	}
	if len(fe) > 0 {
		return fe
	}
	return s.owned(s.app, member.Id, product, year, note, false)
}

// owned stores a product of member's story; verified comes from a paid
// order and stays once set.
func (s *Social) owned(app core.App, member, product string, year int, note string, verified bool) error {
	_, err := app.DB().NewQuery("INSERT INTO " + Story + ` (id, member, product, product_key, year, note, verified, created) VALUES ({:id}, {:m}, {:p}, {:k}, {:y}, {:n}, {:v}, {:at})
		ON CONFLICT(member, product_key) DO UPDATE SET year = CASE WHEN excluded.year > 0 THEN excluded.year ELSE year END,
		note = CASE WHEN excluded.note != '' THEN excluded.note ELSE note END, verified = verified OR excluded.verified`).
		Bind(dbx.Params{"id": core.GenerateDefaultRandomId(), "m": member, "p": product, "k": productKey(product), "y": year, "n": note, "v": verified, "at": dbTime(s.now())}).Execute()
	return err
}

// RemoveOwned takes a product out of member's story.
func (s *Social) RemoveOwned(member *core.Record, id string) error {
	_, err := s.app.DB().NewQuery("DELETE FROM " + Story + " WHERE id = {:id} AND member = {:m}").Bind(dbx.Params{"id": id, "m": member.Id}).Execute()
	return err
}

// StoryOf is member's story, newest product first.
func (s *Social) StoryOf(member string) ([]Owned, error) {
	var out []Owned
	err := s.app.DB().NewQuery("SELECT id, product, year, note, verified FROM " + Story + " WHERE member = {:m} ORDER BY year DESC, created DESC").
		Bind(dbx.Params{"m": member}).All(&out)
	return out, err
}

// Choices are what a member makes public and whether they want to be
// introduced.
type Choices struct {
	StoryPublic   bool `db:"story_public" json:"story_public"`
	Introductions bool `db:"introductions" json:"introductions"`
}

// ChoicesOf returns member's choices (nothing public, no introductions, by
// default).
func (s *Social) ChoicesOf(member string) Choices {
	var c Choices
	_ = s.app.DB().NewQuery("SELECT story_public, introductions FROM " + Prefs + " WHERE member = {:m}").Bind(dbx.Params{"m": member}).One(&c)
	return c
}

// Choose saves member's choices.
func (s *Social) Choose(member string, c Choices) error {
	_, err := s.app.DB().NewQuery("INSERT INTO " + Prefs + " (id, member, story_public, introductions) VALUES ({:id}, {:m}, {:s}, {:i}) " +
		"ON CONFLICT(member) DO UPDATE SET story_public = excluded.story_public, introductions = excluded.introductions").
		Bind(dbx.Params{"id": core.GenerateDefaultRandomId(), "m": member, "s": c.StoryPublic, "i": c.Introductions}).Execute()
	return err
}

// Introduction is a product member owned and others who owned it too (who
// opted in to introductions), those in member's city first.
type Introduction struct {
	Product string
	InCity  int
	City    string
	People  []Person
}

// Introductions for member, who must have opted in: for each product of
// their story, up to five members who owned it too and opted in, neither
// blocked nor already followed.
func (s *Social) Introductions(member *core.Record) ([]Introduction, error) {
	if !s.ChoicesOf(member.Id).Introductions {
		return nil, nil
	}
	story, err := s.StoryOf(member.Id)
	if err != nil {
		return nil, err
	}
	city := member.GetString("city")
	var out []Introduction
	for _, o := range story {
		var people []Person
		err := s.app.DB().NewQuery(`SELECT u.id, u.name, u.city FROM ` + Story + ` st JOIN ` + Prefs + ` p ON p.member = st.member AND p.introductions = TRUE
			JOIN users u ON u.id = st.member
			WHERE st.product_key = {:k} AND st.member != {:m}
			AND NOT EXISTS (SELECT 1 FROM ` + Follows + ` f WHERE f.follower = {:m} AND f.followee = st.member)
			AND NOT EXISTS (SELECT 1 FROM ` + Blocks + ` b WHERE (b.blocker = {:m} AND b.blocked = st.member) OR (b.blocker = st.member AND b.blocked = {:m}))
			ORDER BY (u.city = {:city} AND {:city} != '') DESC, st.created LIMIT 5`).
			Bind(dbx.Params{"k": productKey(o.Product), "m": member.Id, "city": city}).All(&people)
		if err != nil {
			return nil, err
		}
		if len(people) == 0 {
			continue
		}
		in := Introduction{Product: o.Product, City: city, People: people}
		for _, p := range people {
			if city != "" && p.City == city {
				in.InCity++
			}
		}
		out = append(out, in)
	}
	return out, nil
}
