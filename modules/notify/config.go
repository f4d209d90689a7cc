package notify

import (
	"time"

	"github.com/canyu/canyu/ui"
)

// Config is the notify section of the configuration.
type Config struct {
	// Enabled switches the notification center, the bell and the emails on.
	// Off, the other modules still run; nobody is told.
	Enabled bool `mapstructure:"enabled"`
	// DigestHour is the hour (UTC, 0-23) the daily and weekly digests leave
	// at; the weekly one on Mondays.
	DigestHour int `mapstructure:"digest_hour"`
	// Keep is how long notifications are kept; older ones are deleted
	// nightly.
	Keep time.Duration `mapstructure:"keep"`
	// Limits are the rate limits of the notification settings and marking
	// read, per member and per address.
	Limits Limits `mapstructure:"limits"`
}

// Limits are the notify module's own rate limits.
type Limits struct {
	// Settings: saves of the notification settings.
	Settings ui.LimitPair `mapstructure:"settings"`
}

// DefaultConfig returns the defaults of the notify section.
func DefaultConfig() Config {
	return Config{Enabled: true, DigestHour: 8, Keep: 180 * 24 * time.Hour,
		Limits: Limits{Settings: ui.LimitPair{Member: "30/10m", IP: "120/10m"}}}
}

// Validate reports unusable values.
func (c Config) Validate() error {
	switch {
	case c.DigestHour < 0 || c.DigestHour > 23:
		return errHour
	case c.Keep < 24*time.Hour:
		return errKeep
	}
	return ui.ValidateLimits("notify.limits", map[string]ui.LimitPair{"settings": c.Limits.Settings})
}
