package ui

import (
	"fmt"
	"slices"
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
}

// DefaultConfig returns the defaults of the ui section.
func DefaultConfig() Config {
	return Config{DefaultLanguage: "en", SecureCookies: "auto", TrustedOrigins: []string{}}
}

// Validate reports unusable values.
func (c Config) Validate() error {
	if !slices.Contains(Languages, Lang(c.DefaultLanguage)) {
		return fmt.Errorf("ui.default_language %q: want one of %v", c.DefaultLanguage, Languages)
	}
	if !slices.Contains([]string{"auto", "always", "never"}, c.SecureCookies) {
		return fmt.Errorf("ui.secure_cookies %q: want auto, always or never", c.SecureCookies)
	}
	return nil
}
