package releases

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/canyu/canyu/ui"
)

// Config is the releases section of the configuration.
type Config struct {
	// Enabled switches Orange Friday on: releases, Popcorn awards, testers.
	Enabled bool `mapstructure:"enabled"`
	// TimeZone is where PublishDay and PublishTime are read (an IANA name);
	// empty: the brand's, ui.time_zone.
	TimeZone string `mapstructure:"time_zone"`
	// PublishDay and PublishTime are when a new release is scheduled by
	// default: the next such day and time in TimeZone.
	PublishDay  string `mapstructure:"publish_day"`
	PublishTime string `mapstructure:"publish_time"`
	// VoteDays is how long Popcorn voting stays open after publishing.
	VoteDays int `mapstructure:"vote_days"`
	// IdleBuilds: a tester who files no report for this many beta or dev
	// builds in a row is told; after as many more, they become alumni.
	IdleBuilds int `mapstructure:"idle_builds"`
	// FirstTesters is how many of a product's first admitted testers its
	// "first testers" wall lists, for good.
	FirstTesters int `mapstructure:"first_testers"`
	// CardFont is a font file with Chinese glyphs for share cards (empty:
	// the Go fonts).
	CardFont string `mapstructure:"card_font"`
	// Limits are the rate limits of the module's writes.
	Limits Limits `mapstructure:"limits"`
}

// Limits are the releases module's own rate limits ("10/1m", or "off").
type Limits struct {
	// Vote: "I upgraded" and Popcorn ballots.
	Vote ui.LimitPair `mapstructure:"vote"`
	// Apply: tester applications and tester reports.
	Apply ui.LimitPair `mapstructure:"apply"`
	// Staff: composing, scheduling, publishing, plans and admissions.
	Staff ui.LimitPair `mapstructure:"staff"`
}

// DefaultConfig returns the defaults of the releases section.
func DefaultConfig() Config {
	return Config{Enabled: true, PublishDay: "friday", PublishTime: "17:00", VoteDays: 7,
		IdleBuilds: 3, FirstTesters: 100,
		Limits: Limits{
			Vote:  ui.LimitPair{Member: "30/10m", IP: "240/10m"},
			Apply: ui.LimitPair{Member: "10/1h", IP: "60/1h"},
			Staff: ui.LimitPair{Member: "120/1m", IP: "off"},
		}}
}

var weekdays = map[string]time.Weekday{"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday,
	"wednesday": time.Wednesday, "thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday}

// Validate reports unusable values.
func (c Config) Validate() error {
	var errs []error
	if _, err := time.LoadLocation(c.TimeZone); err != nil && c.TimeZone != "" {
		errs = append(errs, fmt.Errorf("releases.time_zone %q: %w", c.TimeZone, err))
	}
	if _, ok := weekdays[strings.ToLower(c.PublishDay)]; !ok {
		errs = append(errs, fmt.Errorf("releases.publish_day %q: want a day of the week, like friday", c.PublishDay))
	}
	if _, err := time.Parse("15:04", c.PublishTime); err != nil {
		errs = append(errs, fmt.Errorf("releases.publish_time %q: want hours and minutes, like 17:00", c.PublishTime))
	}
	if c.VoteDays < 1 || c.IdleBuilds < 1 || c.FirstTesters < 1 {
		errs = append(errs, errors.New("releases.vote_days, idle_builds and first_testers must be at least 1"))
	}
	errs = append(errs, ui.ValidateLimits("releases.limits", map[string]ui.LimitPair{"vote": c.Limits.Vote, "apply": c.Limits.Apply, "staff": c.Limits.Staff}))
	return errors.Join(errs...)
}

// location is where releases are scheduled: TimeZone, or site (the
// brand's) when it is empty.
func (c Config) location(site *time.Location) *time.Location {
	if c.TimeZone == "" {
		return site
	}
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		return site
	}
	return loc
}

// NextSlot is the default publish time of a release composed at now: the
// next PublishDay at PublishTime in loc (today's, if it has not come yet).
func (c Config) NextSlot(now time.Time, loc *time.Location) time.Time {
	hm, _ := time.Parse("15:04", c.PublishTime)
	local := now.In(loc)
	slot := time.Date(local.Year(), local.Month(), local.Day(), hm.Hour(), hm.Minute(), 0, 0, loc)
	days := (int(weekdays[strings.ToLower(c.PublishDay)]) - int(local.Weekday()) + 7) % 7
	slot = slot.AddDate(0, 0, days)
	if !slot.After(now) {
		slot = slot.AddDate(0, 0, 7)
	}
	return slot
}
