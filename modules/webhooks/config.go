package webhooks

import (
	"errors"
	"time"
)

// Config is the webhooks section of the configuration.
type Config struct {
	// Enabled switches outbound webhooks on.
	Enabled bool `mapstructure:"enabled"`
	// AllowPrivate lets webhooks reach loopback, private and link-local
	// addresses. Keep it off unless every admin is trusted with your network.
	AllowPrivate bool `mapstructure:"allow_private"`
	// Timeout bounds one delivery attempt.
	Timeout time.Duration `mapstructure:"timeout"`
	// MaxAttempts is how many times a delivery is tried before it is marked failed.
	MaxAttempts int `mapstructure:"max_attempts"`
	// Backoff is the wait after the first failure; it doubles after each
	// further failure (with jitter), up to MaxBackoff.
	Backoff    time.Duration `mapstructure:"backoff"`
	MaxBackoff time.Duration `mapstructure:"max_backoff"`
	// Workers is the number of deliveries sent at the same time.
	Workers int `mapstructure:"workers"`
}

// DefaultConfig returns the defaults of the webhooks section.
func DefaultConfig() Config {
	return Config{
		Enabled:     true,
		Timeout:     10 * time.Second,
		MaxAttempts: 8,
		Backoff:     30 * time.Second,
		MaxBackoff:  6 * time.Hour,
		Workers:     4,
	}
}

// Validate reports unusable values.
func (c Config) Validate() error {
	if c.Timeout <= 0 || c.Backoff <= 0 || c.MaxBackoff < c.Backoff || c.MaxAttempts < 1 || c.Workers < 1 {
		return errors.New("webhooks: timeout, backoff, max_attempts and workers must be positive, max_backoff at least backoff")
	}
	return nil
}
