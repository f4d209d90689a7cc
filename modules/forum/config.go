package forum

import (
	"errors"
	"time"

	"github.com/canyu/canyu/ui"
)

// Config is the forum section of the configuration.
type Config struct {
	// Enabled switches the forum on.
	Enabled bool `mapstructure:"enabled"`
	// PageSize is the number of topics per page of a board.
	PageSize int `mapstructure:"page_size"`
	// NewAccountAge and NewAccountTopics: an account younger than the age
	// may start at most that many topics a day (0 switches the limit off).
	NewAccountAge    time.Duration `mapstructure:"new_account_age"`
	NewAccountTopics int           `mapstructure:"new_account_topics"`
	// ReleaseBoard is the board (a slug) where a published release opens its
	// discussion topic; empty: the first board that takes discussions.
	ReleaseBoard string `mapstructure:"release_board"`
	// Limits are the rate limits of the forum's writes, per member and per
	// address, on top of the writes budget of the limits section.
	Limits Limits `mapstructure:"limits"`
}

// Limits are the forum's own rate limits ("10/1h", or "off").
type Limits struct {
	// Topic: new topics.
	Topic ui.LimitPair `mapstructure:"topic"`
	// Reply: replies and edits.
	Reply ui.LimitPair `mapstructure:"reply"`
	// React: "me too", reactions and poll ballots.
	React ui.LimitPair `mapstructure:"react"`
	// Report: reports to the moderators.
	Report ui.LimitPair `mapstructure:"report"`
	// Moderate: staff actions (hide, lock, pin, merge, status).
	Moderate ui.LimitPair `mapstructure:"moderate"`
}

func (l Limits) pairs() map[string]ui.LimitPair {
	return map[string]ui.LimitPair{"topic": l.Topic, "reply": l.Reply, "react": l.React, "report": l.Report, "moderate": l.Moderate}
}

// DefaultConfig returns the defaults of the forum section.
func DefaultConfig() Config {
	return Config{Enabled: true, PageSize: 30, NewAccountAge: 24 * time.Hour, NewAccountTopics: 3,
		Limits: Limits{
			Topic:    ui.LimitPair{Member: "10/1h", IP: "30/1h"},
			Reply:    ui.LimitPair{Member: "30/10m", IP: "120/10m"},
			React:    ui.LimitPair{Member: "60/1m", IP: "240/1m"},
			Report:   ui.LimitPair{Member: "10/1h", IP: "30/1h"},
			Moderate: ui.LimitPair{Member: "120/1m", IP: "240/1m"},
		}}
}

// Validate reports unusable values.
func (c Config) Validate() error {
	if c.PageSize < 5 || c.PageSize > 200 {
		return errors.New("forum.page_size must be between 5 and 200")
	}
	if c.NewAccountAge < 0 || c.NewAccountTopics < 0 {
		return errors.New("forum.new_account_age and new_account_topics cannot be negative")
	}
	return ui.ValidateLimits("forum.limits", c.Limits.pairs())
}
