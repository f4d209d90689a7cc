package live

import (
	"errors"
	"time"
)

// Config is the live section of the configuration.
type Config struct {
	// Enabled switches the live counters endpoint (/api/live) on.
	Enabled bool `mapstructure:"enabled"`
	// Rate is the most updates per second one channel sends; the latest
	// snapshot wins.
	Rate int `mapstructure:"rate"`
	// MaxSubscriptions is the most channels one connection may follow.
	MaxSubscriptions int `mapstructure:"max_subscriptions"`
	// MaxPerIP is the most connections from one IP address.
	MaxPerIP int `mapstructure:"max_per_ip"`
	// MaxConnections caps all connections; 0 means "as many as the process's
	// open-file limit allows, less a reserve for the database and requests".
	MaxConnections int `mapstructure:"max_connections"`
	// ReadLimit is the largest message a client may send, in bytes.
	ReadLimit int64 `mapstructure:"read_limit"`
	// WriteTimeout closes a client that cannot take a frame in this time.
	WriteTimeout time.Duration `mapstructure:"write_timeout"`
	// PingInterval is how often the server pings; a client silent for two
	// intervals is closed.
	PingInterval time.Duration `mapstructure:"ping_interval"`
	// Writers is the number of goroutines writing frames to clients.
	Writers int `mapstructure:"writers"`
	// AllowedOrigins are browser origins allowed to connect besides the
	// public URL (and the request's own host).
	AllowedOrigins []string `mapstructure:"allowed_origins"`
}

// DefaultConfig returns the defaults of the live section.
func DefaultConfig() Config {
	return Config{
		Enabled:          true,
		Rate:             5,
		MaxSubscriptions: 32,
		MaxPerIP:         100,
		MaxConnections:   0,
		ReadLimit:        4096,
		WriteTimeout:     5 * time.Second,
		PingInterval:     30 * time.Second,
		Writers:          64,
		AllowedOrigins:   []string{},
	}
}

// Validate reports unusable values.
func (c Config) Validate() error {
	if c.Rate < 1 || c.Rate > 100 {
		return errors.New("live.rate must be between 1 and 100")
	}
	if c.MaxSubscriptions < 1 || c.MaxPerIP < 1 || c.MaxConnections < 0 || c.ReadLimit < 256 || c.Writers < 1 {
		return errors.New("live: max_subscriptions, max_per_ip and writers must be positive, read_limit at least 256")
	}
	if c.WriteTimeout <= 0 || c.PingInterval <= 0 {
		return errors.New("live: write_timeout and ping_interval must be positive")
	}
	return nil
}
