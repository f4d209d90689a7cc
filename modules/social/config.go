package social

import (
	"errors"
	"time"

	"github.com/canyu/canyu/ui"
)

// Config is the social section of the configuration.
type Config struct {
	// Enabled switches member to member on: follows and the following feed,
	// blocks, direct messages, stories and introductions.
	Enabled bool `mapstructure:"enabled"`
	// MaxGroup is how many members a conversation holds at most.
	MaxGroup int `mapstructure:"max_group"`
	// EmailAfter is how long a message stays unread before its reader is
	// told by the notification center (and so by email, as they chose).
	EmailAfter time.Duration `mapstructure:"email_after"`
	// NewAccountAge and NewAccountConversations: an account younger than
	// the age starts at most that many conversations a day.
	NewAccountAge           time.Duration `mapstructure:"new_account_age"`
	NewAccountConversations int           `mapstructure:"new_account_conversations"`
	// Limits are the rate limits of the module's writes.
	Limits Limits `mapstructure:"limits"`
}

// Limits are the social module's own rate limits ("10/1m", or "off").
type Limits struct {
	// Follow: follows, unfollows, blocks and the member's choices.
	Follow ui.LimitPair `mapstructure:"follow"`
	// Message: messages sent and conversations started.
	Message ui.LimitPair `mapstructure:"message"`
	// Report: reports of messages to the moderators.
	Report ui.LimitPair `mapstructure:"report"`
}

// DefaultConfig returns the defaults of the social section.
func DefaultConfig() Config {
	return Config{Enabled: true, MaxGroup: 8, EmailAfter: 15 * time.Minute, NewAccountAge: 24 * time.Hour, NewAccountConversations: 3,
		Limits: Limits{
			Follow:  ui.LimitPair{Member: "60/10m", IP: "240/10m"},
			Message: ui.LimitPair{Member: "30/1m", IP: "120/1m"},
			Report:  ui.LimitPair{Member: "10/1h", IP: "30/1h"},
		}}
}

// Validate reports unusable values.
func (c Config) Validate() error {
	var errs []error
	if c.MaxGroup < 2 || c.MaxGroup > 50 {
		errs = append(errs, errors.New("social.max_group must be between 2 and 50"))
	}
	if c.EmailAfter < time.Minute || c.NewAccountAge < 0 || c.NewAccountConversations < 0 {
		errs = append(errs, errors.New("social.email_after must be at least 1m, new_account_age and new_account_conversations 0 or more"))
	}
	errs = append(errs, ui.ValidateLimits("social.limits", map[string]ui.LimitPair{"follow": c.Limits.Follow, "message": c.Limits.Message, "report": c.Limits.Report}))
	return errors.Join(errs...)
}
