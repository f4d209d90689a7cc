package releases

import (
	"fmt"
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

// Vote stores member's ballot on a release, or changes it while voting is
// open. Only a member who marked that they upgraded votes. It returns
// whether this was the member's first ballot on the release.
func (r *Release) Vote(member *core.Record, release string, in BallotIn) (bool, error) {
	rec, err := r.Find(member, release)
	if err != nil || rec.GetString("status") != "published" {
		return false, ErrNotFound
	}
	if !r.Upgraded(member.Id, release) {
		return false, ErrNotUpgraded
	}
	if !r.now().Before(rec.GetDateTime("votes_close").Time()) {
		return false, ErrVotingClosed
	}
	in.NextText = strings.TrimSpace(in.NextText)
	nextTopic := ""
	switch {
	case in.Mood == 0 && in.Loved == "" && in.Weakest == "" && in.NextText == "" && strings.TrimSpace(in.NextTopicLink) == "":
		return false, ErrEmptyBallot
	case in.Mood < 0 || in.Mood > 5:
		return false, ErrBadMood
	case in.Loved != "" && in.Loved == in.Weakest:
		return false, ErrSameItem
	case utf8.RuneCountInString(in.NextText) > 500:
		return false, ui.FieldErrors{"next_text": "releases.err_too_long"}
	}
	items, err := r.ItemsOf(release)
	if err != nil {
		return false, err
	}
	of := map[string]bool{}
	for _, it := range items {
		of[it.Id] = true
	}
	for _, id := range []string{in.Loved, in.Weakest} {
		if id != "" && !of[id] {
			return false, ErrBadItem
		}
	}
	if link := strings.TrimSpace(in.NextTopicLink); link != "" {
		nextTopic = topicID(link)
		known, err := existingTopics(r.app, []string{nextTopic})
		if err != nil {
			return false, err
		}
		if !known[nextTopic] {
			return false, ErrBadTopic
		}
	}
	now := r.now().UTC().Format(types.DefaultDateLayout)
	params := dbx.Params{"id": core.GenerateDefaultRandomId(), "r": release, "m": member.Id, "mood": in.Mood, "loved": in.Loved,
		"weakest": in.Weakest, "text": in.NextText, "topic": nextTopic, "now": now}
	// one ballot per member and release: the unique index keeps it one
	// under concurrent votes; a second vote changes the first
	res, err := r.app.DB().NewQuery("INSERT INTO " + Ballots + ` (id, release, member, mood, loved, weakest, next_text, next_topic, created, updated)
		VALUES ({:id}, {:r}, {:m}, {:mood}, {:loved}, {:weakest}, {:text}, {:topic}, {:now}, {:now}) ON CONFLICT DO NOTHING`).Bind(params).Execute()
	if err != nil {
		return false, fmt.Errorf("releases: vote: %w", err)
	}
	first := false
	if n, _ := res.RowsAffected(); n == 1 {
		first = true
	} else if _, err := r.app.DB().NewQuery("UPDATE " + Ballots + ` SET mood = {:mood}, loved = {:loved}, weakest = {:weakest},
		next_text = {:text}, next_topic = {:topic}, updated = {:now} WHERE release = {:r} AND member = {:m}`).Bind(params).Execute(); err != nil {
		return false, fmt.Errorf("releases: vote: %w", err)
	}
	if t, err := r.Tally(release); err == nil {
		r.pub.Publish("release:"+release, t.Live())
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
	return first, nil
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
	Voters  int
	Mood    [5]int         // ballots per mood, 1 to 5
	Loved   map[string]int // item -> ballots naming it most loved
	Weakest map[string]int
	Next    []NextWish
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
	return map[string]any{"voters": t.Voters, "mood": t.Mood[:], "mood_avg": fmt.Sprintf("%.1f", t.MoodAverage()),
		"loved": t.Loved, "weakest": t.Weakest}
}

// Tally counts a release's ballots.
func (r *Release) Tally(release string) (Tally, error) {
	t := Tally{Loved: map[string]int{}, Weakest: map[string]int{}}
	var rows []struct {
		Mood    int    `db:"mood"`
		Loved   string `db:"loved"`
		Weakest string `db:"weakest"`
		Text    string `db:"next_text"`
		Topic   string `db:"next_topic"`
	}
	err := r.app.DB().NewQuery("SELECT mood, loved, weakest, next_text, next_topic FROM " + Ballots + " WHERE release = {:r} ORDER BY updated DESC").
		Bind(dbx.Params{"r": release}).All(&rows)
	if err != nil {
		return t, fmt.Errorf("releases: tally: %w", err)
	}
	for _, b := range rows {
		t.Voters++
		if b.Mood >= 1 && b.Mood <= 5 {
			t.Mood[b.Mood-1]++
		}
		if b.Loved != "" {
			t.Loved[b.Loved]++
		}
		if b.Weakest != "" {
			t.Weakest[b.Weakest]++
		}
		if (b.Text != "" || b.Topic != "") && len(t.Next) < 50 {
			t.Next = append(t.Next, NextWish{Text: b.Text, Topic: b.Topic})
		}
	}
	return t, nil
}
