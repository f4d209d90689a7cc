package sales

import (
	"errors"
	"time"

	"github.com/canyu/canyu/ui"
)

// Config is the sales section of the configuration.
type Config struct {
	// Enabled switches reservation-based sales on.
	Enabled bool `mapstructure:"enabled"`
	// PowBits is the proof-of-work difficulty of a reservation: leading zero
	// bits of a SHA-256 (16 takes a phone about a second).
	PowBits int `mapstructure:"pow_bits"`
	// PowTTL is how long a proof-of-work challenge stays valid.
	PowTTL time.Duration `mapstructure:"pow_ttl"`
	// OrderExpiry is how long an order may stay unpaid before its stock returns.
	OrderExpiry time.Duration `mapstructure:"order_expiry"`
	// AttemptsPerSecond bounds one member's purchase attempts.
	AttemptsPerSecond float64 `mapstructure:"attempts_per_second"`
	// MaxGroup is the most rows one durable commit carries.
	MaxGroup int `mapstructure:"max_group"`
	// CardFont is a TrueType/OpenType file (or collection) for share cards;
	// empty uses the Go fonts, which have no Chinese glyphs.
	CardFont string `mapstructure:"card_font"`
	// LeaseUnits is how much stock an edge of the cluster asks the core for
	// at a time (docs/cluster.md).
	LeaseUnits int `mapstructure:"lease_units"`
	// LeaseTTL is how long a lease lasts unless its edge renews it: the
	// stock of an edge that died returns this long (and a few seconds) after.
	LeaseTTL time.Duration `mapstructure:"lease_ttl"`
	// Limits are the rate limits of the sales' writes besides purchases
	// (attempts_per_second bounds those), per member and per address.
	Limits Limits `mapstructure:"limits"`
}

// Limits are the sales module's own rate limits ("10/1m", or "off").
type Limits struct {
	// Reserve: reservation attempts (each also needs a proof of work).
	Reserve ui.LimitPair `mapstructure:"reserve"`
	// FCode: purchases that carry an F-code, checked before the code is
	// looked up, so codes cannot be guessed.
	FCode ui.LimitPair `mapstructure:"fcode"`
	// Cancel: members cancelling their own orders.
	Cancel ui.LimitPair `mapstructure:"cancel"`
	// Staff: stock changes, F-code batches, orders marked paid.
	Staff ui.LimitPair `mapstructure:"staff"`
}

func (l Limits) pairs() map[string]ui.LimitPair {
	return map[string]ui.LimitPair{"reserve": l.Reserve, "fcode": l.FCode, "cancel": l.Cancel, "staff": l.Staff}
}

// DefaultConfig returns the defaults of the sales section.
func DefaultConfig() Config {
	return Config{Enabled: true, PowBits: 16, PowTTL: 5 * time.Minute, OrderExpiry: 30 * time.Minute,
		AttemptsPerSecond: 5, MaxGroup: 512, LeaseUnits: 64, LeaseTTL: 10 * time.Second,
		Limits: Limits{
			// per address off: at an opening thousands of members may share
			// one carrier-NAT address; the proof of work and the verified
			// phone keep scripts out
			Reserve: ui.LimitPair{Member: "10/1m", IP: "off"},
			FCode:   ui.LimitPair{Member: "10/10m", IP: "60/10m"},
			Cancel:  ui.LimitPair{Member: "20/10m", IP: "120/10m"},
			Staff:   ui.LimitPair{Member: "120/1m", IP: "off"},
		}}
}

// Validate reports unusable values.
func (c Config) Validate() error {
	switch {
	case c.PowBits < 0 || c.PowBits > 28:
		return errors.New("sales.pow_bits must be between 0 and 28")
	case c.PowTTL < 10*time.Second:
		return errors.New("sales.pow_ttl must be at least 10s")
	case c.OrderExpiry < time.Minute:
		return errors.New("sales.order_expiry must be at least 1m")
	case c.AttemptsPerSecond < 0:
		return errors.New("sales.attempts_per_second cannot be negative")
	case c.MaxGroup < 1 || c.MaxGroup > 10000:
		return errors.New("sales.max_group must be between 1 and 10000")
	case c.LeaseUnits < 1:
		return errors.New("sales.lease_units must be at least 1")
	case c.LeaseTTL < 2*time.Second:
		return errors.New("sales.lease_ttl must be at least 2s")
	}
	return ui.ValidateLimits("sales.limits", c.Limits.pairs())
}
