package ui

import (
	"fmt"
	"slices"
	"time"
)

// Config is the ui section of the configuration.
type Config struct {
	// DefaultLanguage is used when neither the member, a cookie, ?lang= nor
	// Accept-Language picks one: "en" or "zh-CN".
	DefaultLanguage string `mapstructure:"default_language"`
	// SecureCookies is "auto" (Secure when the public URL or the request is
	// https), "always" or "never".
	SecureCookies string `mapstructure:"secure_cookies"`
	// TrustedOrigins are other origins allowed to post forms and call the API
	// with a member's cookie (for example a second domain of the brand).
	TrustedOrigins []string `mapstructure:"trusted_origins"`
	// TimeZone is the brand's time zone (an IANA name such as
	// "Asia/Shanghai"): pages show dates and times in it, and modules
	// schedule in it (a release's Friday 17:00, a meetup's start).
	TimeZone string `mapstructure:"time_zone"`
}

// DefaultConfig returns the defaults of the ui section.
func DefaultConfig() Config {
	return Config{DefaultLanguage: "en", SecureCookies: "auto", TrustedOrigins: []string{}, TimeZone: "UTC"}
}

// Location is the brand's time zone (UTC when the name is unusable;
// Validate reports that).
func (c Config) Location() *time.Location {
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil || c.TimeZone == "" {
		return time.UTC
	}
	return loc
}

// Validate reports unusable values.
func (c Config) Validate() error {
	if !slices.Contains(Languages, Lang(c.DefaultLanguage)) {
		return fmt.Errorf("ui.default_language %q: want one of %v", c.DefaultLanguage, Languages)
	}
	if _, err := time.LoadLocation(c.TimeZone); err != nil || c.TimeZone == "" {
		return fmt.Errorf("ui.time_zone %q: want a time zone name such as Asia/Shanghai", c.TimeZone)
	}
	if !slices.Contains([]string{"auto", "always", "never"}, c.SecureCookies) {
		return fmt.Errorf("ui.secure_cookies %q: want auto, always or never", c.SecureCookies)
	}
	return nil
}
