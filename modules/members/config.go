package members

import (
	"errors"
	"fmt"
	"time"

	"github.com/canyu/canyu/ui"
)

// Config is the members section of the configuration.
type Config struct {
	// Enabled switches the members module (accounts pages, profiles, phone
	// binding) on. Accounts themselves are PocketBase's and always exist.
	Enabled bool        `mapstructure:"enabled"`
	Phone   PhoneConfig `mapstructure:"phone"`
	SMS     SMSConfig   `mapstructure:"sms"`
	// Limits are the rate limits of the account forms, per member and per
	// address, on top of the writes budget of the limits section.
	Limits Limits `mapstructure:"limits"`
}

// Limits are the members module's own rate limits ("10/1m", or "off").
type Limits struct {
	// Signin: password attempts on the sign-in form (and its email code).
	Signin ui.LimitPair `mapstructure:"signin"`
	// Signup: new accounts from the sign-up form.
	Signup ui.LimitPair `mapstructure:"signup"`
	// Reset: password-reset and verification mails, new passwords.
	Reset ui.LimitPair `mapstructure:"reset"`
	// Profile: profile saves (with avatar uploads).
	Profile ui.LimitPair `mapstructure:"profile"`
	// Phone: phone-code requests and guesses (the codes also have limits of
	// their own, stored in the database: see phone).
	Phone ui.LimitPair `mapstructure:"phone"`
}

func (l Limits) pairs() map[string]ui.LimitPair {
	return map[string]ui.LimitPair{"signin": l.Signin, "signup": l.Signup, "reset": l.Reset, "profile": l.Profile, "phone": l.Phone}
}

// PhoneConfig tunes phone binding with one-time codes.
type PhoneConfig struct {
	// CodeLength is the number of digits of a code.
	CodeLength int `mapstructure:"code_length"`
	// CodeTTL is how long a code stays valid.
	CodeTTL time.Duration `mapstructure:"code_ttl"`
	// MaxAttempts is how many wrong guesses a code survives.
	MaxAttempts int `mapstructure:"max_attempts"`
	// ResendAfter is the wait between two codes for one account.
	ResendAfter time.Duration `mapstructure:"resend_after"`
	// Window is the period the three limits below count over.
	Window time.Duration `mapstructure:"window"`
	// PerAccount, PerPhone and PerIP cap the codes sent per Window.
	PerAccount int `mapstructure:"per_account"`
	PerPhone   int `mapstructure:"per_phone"`
	PerIP      int `mapstructure:"per_ip"`
}

// SMSConfig selects how codes reach phones.
type SMSConfig struct {
	// Driver is "log" (codes are written to the server log, for development)
	// or "webhook" (an HTTP POST to a gateway of the brand's choice).
	Driver string `mapstructure:"driver"`
	// WebhookURL receives {"to": "+86...", "text": "..."} as JSON.
	WebhookURL string `mapstructure:"webhook_url"`
	// WebhookSecret signs each request (X-Canyu-Signature, HMAC-SHA256).
	WebhookSecret string `mapstructure:"webhook_secret"`
	// Timeout bounds one webhook call.
	Timeout time.Duration `mapstructure:"timeout"`
}

// DefaultConfig returns the defaults of the members section.
func DefaultConfig() Config {
	return Config{
		Enabled: true,
		Phone: PhoneConfig{
			CodeLength:  6,
			CodeTTL:     10 * time.Minute,
			MaxAttempts: 5,
			ResendAfter: time.Minute,
			Window:      time.Hour,
			PerAccount:  5,
			PerPhone:    5,
			PerIP:       20,
		},
		SMS: SMSConfig{Driver: "log", Timeout: 10 * time.Second},
		Limits: Limits{
			Signin:  ui.LimitPair{Member: "off", IP: "10/1m"},
			Signup:  ui.LimitPair{Member: "off", IP: "5/1m"},
			Reset:   ui.LimitPair{Member: "5/5m", IP: "5/5m"},
			Profile: ui.LimitPair{Member: "20/10m", IP: "60/10m"},
			Phone:   ui.LimitPair{Member: "20/10m", IP: "60/10m"},
		},
	}
}

// Validate reports unusable values.
func (c Config) Validate() error {
	var errs []error
	p := c.Phone
	if p.CodeLength < 4 || p.CodeLength > 10 {
		errs = append(errs, fmt.Errorf("members.phone.code_length %d: want 4 to 10", p.CodeLength))
	}
	if p.CodeTTL <= 0 || p.Window <= 0 || p.MaxAttempts < 1 || p.PerAccount < 1 || p.PerPhone < 1 || p.PerIP < 1 {
		errs = append(errs, errors.New("members.phone: code_ttl, window, max_attempts and the per_* limits must be positive"))
	}
	switch c.SMS.Driver {
	case "log":
	case "webhook":
		if c.SMS.WebhookURL == "" {
			errs = append(errs, errors.New("members.sms.webhook_url is required with driver webhook"))
		}
	default:
		errs = append(errs, fmt.Errorf("members.sms.driver %q: want log or webhook", c.SMS.Driver))
	}
	if err := ui.ValidateLimits("members.limits", c.Limits.pairs()); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
