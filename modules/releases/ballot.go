package releases

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"github.com/canyu/canyu/hooks"
	"github.com/canyu/canyu/ui"
)

// BallotIn is a member's Popcorn ballot: the update's mood (1 to 5), the
// most loved and the weakest item, and what they want next (a few words or
// a forum topic). Every part is optional but one.
type BallotIn struct {
	Mood          int
	Loved         string
	Weakest       string
	NextText      string
	NextTopicLink string
}

// Voted is what a ballot did: whether it was the member's first on the
// release, and the tally after it.
type Voted struct {
	First bool
	Tally Tally
}

// Vote stores member's ballot on a release, or changes it while voting is
// open. Only a member who marked that they upgraded votes.
func (r *Release) Vote(member *core.Record, release string, in BallotIn) (Voted, error) {
	rec, err := r.Find(member, release)
	if err != nil || rec.GetString("status") != "published" {
		return Voted{}, ErrNotFound
	}
	if !r.Upgraded(member.Id, release) {
		return Voted{}, ErrNotUpgraded
	}
	if !r.now().Before(rec.GetDateTime("votes_close").Time()) {
		return Voted{}, ErrVotingClosed
	}
	in.NextText = strings.TrimSpace(in.NextText)
	nextTopic := ""
	switch {
	case in.Mood == 0 && in.Loved == "" && in.Weakest == "" && in.NextText == "" && strings.TrimSpace(in.NextTopicLink) == "":
		return Voted{}, ErrEmptyBallot
	case in.Mood < 0 || in.Mood > 5:
		return Voted{}, ErrBadMood
	case in.Loved != "" && in.Loved == in.Weakest:
		return Voted{}, ErrSameItem
	case utf8.RuneCountInString(in.NextText) > 500:
		return Voted{}, ui.FieldErrors{"next_text": "releases.err_too_long"}
	}
	var items []string
	if err := r.app.DB().Select("id").From(Items).Where(dbx.HashExp{"release": release}).Column(&items); err != nil {
		return Voted{}, err
	}
	of := map[string]bool{}
	for _, id := range items {
		of[id] = true
	}
	for _, id := range []string{in.Loved, in.Weakest} {
		if id != "" && !of[id] {
			return Voted{}, ErrBadItem
		}
	}
	if link := strings.TrimSpace(in.NextTopicLink); link != "" {
		nextTopic = topicID(link)
		known, err := existingTopics(r.app, []string{nextTopic})
		if err != nil {
			return Voted{}, err
		}
		if !known[nextTopic] {
			return Voted{}, ErrBadTopic
		}
	}
	now := r.now().UTC().Format(types.DefaultDateLayout)
	params := dbx.Params{"id": core.GenerateDefaultRandomId(), "r": release, "m": member.Id, "mood": in.Mood, "loved": in.Loved,
		"weakest": in.Weakest, "text": in.NextText, "topic": nextTopic, "now": now}
	// one ballot per member and release, and the counters moved by exactly
	// what it changed, in one transaction (the single writer serialises
	// concurrent ballots, so each reads the one before)
	first := false
	err = r.app.RunInTransaction(func(tx core.App) error {
		var old struct {
			Mood    int    `db:"mood"`
			Loved   string `db:"loved"`
			Weakest string `db:"weakest"`
		}
		err := tx.DB().NewQuery("SELECT mood, loved, weakest FROM " + Ballots + " WHERE release = {:r} AND member = {:m}").Bind(params).One(&old)
		switch {
		case errNoRows(err):
			first = true
			_, err = tx.DB().NewQuery("INSERT INTO " + Ballots + ` (id, release, member, mood, loved, weakest, next_text, next_topic, created, updated)
				VALUES ({:id}, {:r}, {:m}, {:mood}, {:loved}, {:weakest}, {:text}, {:topic}, {:now}, {:now})`).Bind(params).Execute()
		case err == nil:
			_, err = tx.DB().NewQuery("UPDATE " + Ballots + ` SET mood = {:mood}, loved = {:loved}, weakest = {:weakest},
				next_text = {:text}, next_topic = {:topic}, updated = {:now} WHERE release = {:r} AND member = {:m}`).Bind(params).Execute()
		}
		if err != nil {
			return err
		}
		moves := map[string]int{}
		if first {
			moves["voters"]++
		}
		for _, c := range []struct{ was, now string }{
			{moodName(old.Mood), moodName(in.Mood)}, {itemName("loved", old.Loved), itemName("loved", in.Loved)},
			{itemName("weakest", old.Weakest), itemName("weakest", in.Weakest)},
		} {
			if c.was != c.now {
				moves[c.was]--
				moves[c.now]++
			}
		}
		delete(moves, "")
		return bump(tx, release, moves)
	})
	if err != nil {
		return Voted{}, fmt.Errorf("releases: vote: %w", err)
	}
	var t Tally
	r.fresh.Do(func() {
		if t, err = r.Tally(release); err == nil {
			r.pub.Publish("release:"+release, t.Live())
		}
	})
	if err != nil {
		return Voted{}, err
	}
	if first {
		var ballot string
		_ = r.app.DB().NewQuery("SELECT id FROM " + Ballots + " WHERE release = {:r} AND member = {:m}").Bind(params).Row(&ballot)
		product, _ := r.app.FindRecordById(Products, rec.GetString("product"))
		slug := ""
		if product != nil {
			slug = product.GetString("slug")
		}
		hooks.TriggerAfterCommit(r.app, r.events.ReleaseVoted, &hooks.ReleaseEvent{App: r.app, Release: release, Product: slug,
			Version: rec.GetString("version"), Channel: rec.GetString("channel"), Title: rec.GetString("title"),
			URL: "/releases/" + release, Member: member.Id, Ballot: ballot})
	}
	return Voted{First: first, Tally: t}, nil
}

// Ballot returns member's ballot on a release (zero: none).
func (r *Release) Ballot(member, release string) (BallotIn, bool) {
	b, err := r.app.FindFirstRecordByFilter(Ballots, "release = {:r} && member = {:m}", dbx.Params{"r": release, "m": member})
	if err != nil {
		return BallotIn{}, false
	}
	in := BallotIn{Mood: b.GetInt("mood"), Loved: b.GetString("loved"), Weakest: b.GetString("weakest"), NextText: b.GetString("next_text")}
	if t := b.GetString("next_topic"); t != "" {
		in.NextTopicLink = "/forum/t/" + t
	}
	return in, true
}

// Tally is the count of a release's Popcorn ballots.
type Tally struct {
	Voters   int
	Upgraded int            // members who marked that they upgraded
	Mood     [5]int         // ballots per mood, 1 to 5
	Loved    map[string]int // item -> ballots naming it most loved
	Weakest  map[string]int
	Next     []NextWish
}

// NextWish is what one member wants next.
type NextWish struct {
	Text, Topic string
}

// MoodAverage is the mean mood of the ballots that gave one (0: none).
func (t Tally) MoodAverage() float64 {
	n, sum := 0, 0
	for i, c := range t.Mood {
		n += c
		sum += c * (i + 1)
	}
	if n == 0 {
		return 0
	}
	return float64(sum) / float64(n)
}

// Live is what the release's live channel carries (the results page shows
// the same to everyone).
func (t Tally) Live() map[string]any {
	return map[string]any{"voters": t.Voters, "upgraded": t.Upgraded, "mood": t.Mood[:], "mood_avg": fmt.Sprintf("%.1f", t.MoodAverage()),
		"loved": t.Loved, "weakest": t.Weakest}
}

// moodName and itemName are the counters a ballot's answers move ("" for
// no answer).
func moodName(mood int) string {
	if mood < 1 || mood > 5 {
		return ""
	}
	return "mood:" + strconv.Itoa(mood)
}

func itemName(kind, item string) string {
	if item == "" {
		return ""
	}
	return kind + ":" + item
}

// bump moves a release's counters by moves, inside tx.
func bump(tx core.App, release string, moves map[string]int) error {
	for name, by := range moves {
		if by == 0 {
			continue
		}
		_, err := tx.DB().NewQuery("INSERT INTO " + Tallies + ` (id, release, name, count) VALUES ({:id}, {:r}, {:n}, {:by})
			ON CONFLICT (release, name) DO UPDATE SET count = count + {:by}`).
			Bind(dbx.Params{"id": core.GenerateDefaultRandomId(), "r": release, "n": name, "by": by}).Execute()
		if err != nil {
			return fmt.Errorf("releases: tally: %w", err)
		}
	}
	return nil
}

// Tally reads a release's counters and the newest wishes.
func (r *Release) Tally(release string) (Tally, error) {
	t := Tally{Loved: map[string]int{}, Weakest: map[string]int{}}
	var counters []struct {
		Name  string `db:"name"`
		Count int    `db:"count"`
	}
	if err := r.app.DB().NewQuery("SELECT name, count FROM " + Tallies + " WHERE release = {:r}").
		Bind(dbx.Params{"r": release}).All(&counters); err != nil {
		return t, fmt.Errorf("releases: tally: %w", err)
	}
	for _, c := range counters {
		kind, key, _ := strings.Cut(c.Name, ":")
		switch kind {
		case "voters":
			t.Voters = c.Count
		case "upgraded":
			t.Upgraded = c.Count
		case "mood":
			if m, err := strconv.Atoi(key); err == nil && m >= 1 && m <= 5 {
				t.Mood[m-1] = c.Count
			}
		case "loved":
			if c.Count > 0 {
				t.Loved[key] = c.Count
			}
		case "weakest":
			if c.Count > 0 {
				t.Weakest[key] = c.Count
			}
		}
	}
	var wishes []struct {
		Text  string `db:"next_text"`
		Topic string `db:"next_topic"`
	}
	err := r.app.DB().NewQuery("SELECT next_text, next_topic FROM " + Ballots + ` WHERE release = {:r} AND (next_text != '' OR next_topic != '')
		ORDER BY updated DESC LIMIT 50`).Bind(dbx.Params{"r": release}).All(&wishes)
	if err != nil {
		return t, fmt.Errorf("releases: tally: %w", err)
	}
	for _, w := range wishes {
		t.Next = append(t.Next, NextWish{Text: w.Text, Topic: w.Topic})
	}
	return t, nil
}

// bindCounters keeps the counters true when a ballot or an upgrade goes
// without a vote (a member deleting their account takes theirs along).
func (m *Module) bindCounters(app core.App) {
	app.OnRecordAfterDeleteSuccess(Ballots).BindFunc(func(e *core.RecordEvent) error {
		b := e.Record
		moves := map[string]int{"voters": -1, moodName(b.GetInt("mood")): -1, itemName("loved", b.GetString("loved")): -1,
			itemName("weakest", b.GetString("weakest")): -1}
		delete(moves, "")
		if err := bump(e.App, b.GetString("release"), moves); err != nil {
			return err
		}
		return e.Next()
	})
	app.OnRecordAfterDeleteSuccess(Upgrades).BindFunc(func(e *core.RecordEvent) error {
		if err := bump(e.App, e.Record.GetString("release"), map[string]int{"upgraded": -1}); err != nil {
			return err
		}
		return e.Next()
	})
}
