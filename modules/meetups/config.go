package meetups

import (
	"errors"
	"time"

	"github.com/canyu/canyu/ui"
)

// Config is the meetups section of the configuration.
type Config struct {
	// Enabled switches Popcorn on: clubs, events, RSVPs, tickets, check-in.
	Enabled bool `mapstructure:"enabled"`
	// OfferWindow is how long a member offered a freed seat has to confirm
	// it before it goes to the next in line (0: the seat is theirs at once).
	OfferWindow time.Duration `mapstructure:"offer_window"`
	// ReminderBefore is how long before an event its reminder email goes
	// out to the members going.
	ReminderBefore time.Duration `mapstructure:"reminder_before"`
	// Limits are the rate limits of the module's writes.
	Limits Limits `mapstructure:"limits"`
}

// Limits are the meetups module's own rate limits ("10/1m", or "off").
type Limits struct {
	// RSVP: RSVPs, cancellations and confirmed offers.
	RSVP ui.LimitPair `mapstructure:"rsvp"`
	// Join: joining and leaving clubs, and photos.
	Join ui.LimitPair `mapstructure:"join"`
	// Checkin: the door's check-ins (an organizer scans many a minute).
	Checkin ui.LimitPair `mapstructure:"checkin"`
	// Organize: organizers' events, clubs, approvals, invitations, recaps.
	Organize ui.LimitPair `mapstructure:"organize"`
}

// DefaultConfig returns the defaults of the meetups section.
func DefaultConfig() Config {
	return Config{Enabled: true, OfferWindow: 2 * time.Hour, ReminderBefore: 24 * time.Hour,
		Limits: Limits{
			// per address off: at an opening a whole office or campus may
			// share one address; the member limit holds each account
			RSVP:     ui.LimitPair{Member: "20/1m", IP: "off"},
			Join:     ui.LimitPair{Member: "30/10m", IP: "120/10m"},
			Checkin:  ui.LimitPair{Member: "600/1m", IP: "1200/1m"},
			Organize: ui.LimitPair{Member: "120/1m", IP: "off"},
		}}
}

// Validate reports unusable values.
func (c Config) Validate() error {
	var errs []error
	if c.OfferWindow < 0 || c.ReminderBefore < time.Hour {
		errs = append(errs, errors.New("meetups.offer_window must be 0 or more and meetups.reminder_before at least 1h"))
	}
	errs = append(errs, ui.ValidateLimits("meetups.limits", map[string]ui.LimitPair{"rsvp": c.Limits.RSVP, "join": c.Limits.Join,
		"checkin": c.Limits.Checkin, "organize": c.Limits.Organize}))
	return errors.Join(errs...)
}
