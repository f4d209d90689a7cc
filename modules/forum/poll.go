package forum

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Ballots is the collection of poll ballots, one per member and poll.
const Ballots = "forum_ballots"

// Errors of polls.
var (
	ErrNotPoll     = errors.New("forum: not a poll")
	ErrPollClosed  = errors.New("forum: poll closed")
	ErrVoted       = errors.New("forum: already voted")
	ErrBadChoice   = errors.New("forum: invalid choice")
	ErrBadPollSpec = errors.New("forum: a poll needs 2 to 10 distinct options")
)

// PollSpec is the poll part of a new poll topic.
type PollSpec struct {
	Options  []string
	Multiple bool
	Closes   time.Time
}

func (p *PollSpec) clean() error {
	var opts []string
	for _, o := range p.Options {
		o = strings.TrimSpace(o)
		if o != "" && !slices.Contains(opts, o) {
			if utf8.RuneCountInString(o) > 100 {
				return ErrBadPollSpec
			}
			opts = append(opts, o)
		}
	}
	if len(opts) < 2 || len(opts) > 10 {
		return ErrBadPollSpec
	}
	p.Options = opts
	return nil
}

// PollResult is a poll's tally.
type PollResult struct {
	Options  []string
	Counts   []int
	Voters   int
	Multiple bool
	Closes   time.Time
	Closed   bool
	Mine     []int // the member's choices, nil before voting
}

// Poll tallies a poll topic for member (nil for a guest). Counts come from
// the ballots themselves, so they are exact.
func (f *Forum) Poll(t *core.Record, member *core.Record) (PollResult, error) {
	if t.GetString("kind") != KindPoll {
		return PollResult{}, ErrNotPoll
	}
	r := PollResult{Multiple: t.GetBool("poll_multiple"), Closes: t.GetDateTime("poll_closes").Time()}
	_ = t.UnmarshalJSONField("poll_options", &r.Options)
	r.Counts = make([]int, len(r.Options))
	r.Closed = !r.Closes.IsZero() && !f.now().Before(r.Closes)
	var rows []struct {
		Member  string `db:"member"`
		Choices string `db:"choices"`
	}
	if err := f.app.DB().NewQuery("SELECT member, choices FROM " + Ballots + " WHERE topic = {:t}").Bind(dbx.Params{"t": t.Id}).All(&rows); err != nil {
		return r, err
	}
	for _, row := range rows {
		var c []int
		if json.Unmarshal([]byte(row.Choices), &c) != nil {
			continue
		}
		r.Voters++
		for _, i := range c {
			if i >= 0 && i < len(r.Counts) {
				r.Counts[i]++
			}
		}
		if member != nil && row.Member == member.Id {
			r.Mine = c
		}
	}
	return r, nil
}

// Vote casts member's ballot. A ballot is final; single-choice polls take
// exactly one choice. The unique index keeps one ballot per member even
// under concurrent votes.
func (f *Forum) Vote(member *core.Record, topicID string, choices []int) (PollResult, error) {
	t, err := f.FindTopic(topicID)
	if err != nil {
		return PollResult{}, err
	}
	r, err := f.Poll(t, nil)
	if err != nil {
		return r, err
	}
	if r.Closed {
		return r, ErrPollClosed
	}
	slices.Sort(choices)
	choices = slices.Compact(choices)
	if len(choices) == 0 || !r.Multiple && len(choices) != 1 {
		return r, ErrBadChoice
	}
	for _, c := range choices {
		if c < 0 || c >= len(r.Options) {
			return r, ErrBadChoice
		}
	}
	raw, _ := json.Marshal(choices)
	res, err := f.app.DB().NewQuery("INSERT INTO " + Ballots + " (id, topic, member, choices, created) VALUES ({:id}, {:t}, {:m}, {:c}, {:now}) ON CONFLICT DO NOTHING").
		Bind(dbx.Params{"id": core.GenerateDefaultRandomId(), "t": t.Id, "m": member.Id, "c": string(raw), "now": f.now().UTC().Format(types.DefaultDateLayout)}).Execute()
	if err != nil {
		return r, fmt.Errorf("forum: vote: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return r, ErrVoted
	}
	r, err = f.Poll(t, member)
	if err == nil {
		// the page shows everyone how many voted, the tally only to those who
		// voted or once the poll closed: the public channel carries the count
		f.publishTopic(t, map[string]any{"voters": r.Voters})
	}
	return r, err
}
