// Package config loads Canyu's configuration with viper: a default for every
// key, an optional YAML file, CANYU_<SECTION>_<KEY> environment overrides and a
// strict check that stops the start on any unknown or mistyped key.
package config

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/spf13/viper"

	"github.com/canyu/canyu/cluster"
	"github.com/canyu/canyu/modules/belonging"
	"github.com/canyu/canyu/modules/forum"
	"github.com/canyu/canyu/modules/live"
	"github.com/canyu/canyu/modules/meetups"
	"github.com/canyu/canyu/modules/members"
	"github.com/canyu/canyu/modules/notify"
	"github.com/canyu/canyu/modules/plugins"
	"github.com/canyu/canyu/modules/releases"
	"github.com/canyu/canyu/modules/sales"
	"github.com/canyu/canyu/modules/social"
	"github.com/canyu/canyu/modules/webhooks"
	"github.com/canyu/canyu/ui"
)

// EnvPrefix is the prefix of every environment override (CANYU_APP_PUBLIC_URL).
const EnvPrefix = "CANYU"

// Config is the whole configuration of one Canyu process.
type Config struct {
	App       AppConfig        `mapstructure:"app"`
	UI        ui.Config        `mapstructure:"ui"`
	Limits    ui.LimitsConfig  `mapstructure:"limits"`
	Members   members.Config   `mapstructure:"members"`
	Notify    notify.Config    `mapstructure:"notify"`
	Live      live.Config      `mapstructure:"live"`
	Webhooks  webhooks.Config  `mapstructure:"webhooks"`
	Plugins   plugins.Config   `mapstructure:"plugins"`
	Forum     forum.Config     `mapstructure:"forum"`
	Sales     sales.Config     `mapstructure:"sales"`
	Releases  releases.Config  `mapstructure:"releases"`
	Meetups   meetups.Config   `mapstructure:"meetups"`
	Belonging belonging.Config `mapstructure:"belonging"`
	Social    social.Config    `mapstructure:"social"`
	Cluster   cluster.Config   `mapstructure:"cluster"`
}

// AppConfig holds process-wide settings.
type AppConfig struct {
	// Name is shown in the page header and in emails.
	Name string `mapstructure:"name"`
	// PublicURL is the address members use to reach the site.
	PublicURL string `mapstructure:"public_url"`
	// DataDir is where PocketBase keeps its SQLite files and uploads.
	DataDir string `mapstructure:"data_dir"`
	// Dev prints SQL statements and sends mail to the log.
	Dev bool `mapstructure:"dev"`
	// DBConnections is the most connections reading the database at once;
	// they stay open (a connection opened under load costs more than the
	// query it serves, and takes locks the single writer then waits on).
	DBConnections int `mapstructure:"db_connections"`
	// GCPercent is the Go garbage collector's target (GOGC): a higher value
	// trades memory for CPU at peaks. The GOGC variable, when set, wins.
	GCPercent int `mapstructure:"gc_percent"`
	// MemoryLimitMB is a soft memory limit for the process (GOMEMLIMIT) in
	// MiB, 0 for none; with one, the collector works harder near it instead
	// of growing past it.
	MemoryLimitMB int `mapstructure:"memory_limit_mb"`
}

// Default returns the configuration used when no file and no environment
// override says otherwise.
func Default() Config {
	return Config{
		App: AppConfig{
			Name:          "Canyu",
			PublicURL:     "http://127.0.0.1:8090",
			DataDir:       "pb_data",
			Dev:           false,
			GCPercent:     400,
			DBConnections: 16,
		},
		UI:        ui.DefaultConfig(),
		Limits:    ui.DefaultLimitsConfig(),
		Members:   members.DefaultConfig(),
		Notify:    notify.DefaultConfig(),
		Live:      live.DefaultConfig(),
		Webhooks:  webhooks.DefaultConfig(),
		Plugins:   plugins.DefaultConfig(),
		Forum:     forum.DefaultConfig(),
		Sales:     sales.DefaultConfig(),
		Releases:  releases.DefaultConfig(),
		Meetups:   meetups.DefaultConfig(),
		Belonging: belonging.DefaultConfig(),
		Social:    social.DefaultConfig(),
		Cluster:   cluster.DefaultConfig(),
	}
}

// Load reads the configuration. path may be empty: then only the defaults and
// the environment apply.
func Load(path string) (Config, error) {
	v := viper.New()
	known := setDefaults(v, "", reflect.ValueOf(Default()))

	if path != "" {
		v.SetConfigFile(path)
		if err := v.ReadInConfig(); err != nil {
			return Config{}, fmt.Errorf("config: read %s: %w", path, err)
		}
		if err := checkKeys(v.AllKeys(), known, path); err != nil {
			return Config{}, err
		}
	}
	if err := checkEnv(known); err != nil {
		return Config{}, err
	}

	v.SetEnvPrefix(EnvPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()

	var cfg Config
	if err := v.UnmarshalExact(&cfg); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// Validate reports values that are well-typed but unusable.
func (c Config) Validate() error {
	var errs []error
	if !strings.HasPrefix(c.App.PublicURL, "http://") && !strings.HasPrefix(c.App.PublicURL, "https://") {
		errs = append(errs, fmt.Errorf("config: app.public_url %q must start with http:// or https://", c.App.PublicURL))
	}
	if c.App.DBConnections < 1 || c.App.DBConnections > 1000 {
		errs = append(errs, errors.New("config: app.db_connections must be between 1 and 1000"))
	}
	if c.App.GCPercent < -1 || c.App.MemoryLimitMB < 0 {
		errs = append(errs, errors.New("config: app.gc_percent must be -1 (off) or more, app.memory_limit_mb 0 or more"))
	}
	if err := c.UI.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("config: %w", err))
	}
	if err := c.Limits.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("config: %w", err))
	}
	if err := c.Members.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("config: %w", err))
	}
	if err := c.Notify.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("config: %w", err))
	}
	if err := c.Live.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("config: %w", err))
	}
	if err := c.Webhooks.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("config: %w", err))
	}
	if err := c.Plugins.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("config: %w", err))
	}
	if err := c.Forum.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("config: %w", err))
	}
	if err := c.Sales.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("config: %w", err))
	}
	if err := c.Releases.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("config: %w", err))
	}
	if err := c.Meetups.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("config: %w", err))
	}
	if err := c.Belonging.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("config: %w", err))
	}
	if err := c.Social.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("config: %w", err))
	}
	if err := c.Cluster.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("config: %w", err))
	}
	return errors.Join(errs...)
}

// PathFromArgs finds the value of --config in command line arguments, before
// the command line itself is parsed (the data directory depends on it).
func PathFromArgs(args []string) string {
	for i, a := range args {
		switch {
		case a == "--config" || a == "-config":
			if i+1 < len(args) {
				return args[i+1]
			}
		case strings.HasPrefix(a, "--config="):
			return strings.TrimPrefix(a, "--config=")
		}
	}
	return os.Getenv(EnvPrefix + "_CONFIG")
}

// setDefaults registers a default for every leaf of the struct and returns the
// list of known keys.
func setDefaults(v *viper.Viper, prefix string, rv reflect.Value) []string {
	var keys []string
	rt := rv.Type()
	for i := range rt.NumField() {
		tag := rt.Field(i).Tag.Get("mapstructure")
		if tag == "" || tag == "-" {
			continue
		}
		key := prefix + tag
		fv := rv.Field(i)
		if fv.Kind() == reflect.Struct && fv.Type() != reflect.TypeFor[time.Duration]() {
			keys = append(keys, setDefaults(v, key+".", fv)...)
			continue
		}
		v.SetDefault(key, fv.Interface())
		keys = append(keys, key)
	}
	return keys
}

func checkKeys(got, known []string, source string) error {
	var errs []error
	for _, k := range got {
		if slices.Contains(known, k) {
			continue
		}
		msg := fmt.Sprintf("config: unknown key %q in %s", k, source)
		if s := closest(k, known); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		errs = append(errs, errors.New(msg))
	}
	return errors.Join(errs...)
}

// checkEnv refuses CANYU_* variables that name no key, so a typo in a
// deployment's environment does not pass silently.
func checkEnv(known []string) error {
	var errs []error
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, EnvPrefix+"_") || name == EnvPrefix+"_CONFIG" {
			continue
		}
		ok := false
		for _, k := range known {
			if EnvName(k) == name {
				ok = true
				break
			}
		}
		if !ok {
			errs = append(errs, fmt.Errorf("config: unknown environment variable %s", name))
		}
	}
	return errors.Join(errs...)
}

// EnvName returns the environment variable that overrides key.
func EnvName(key string) string {
	return EnvPrefix + "_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// closest returns the known key nearest to k when it is close enough to be a typo.
func closest(k string, known []string) string {
	best, bestD := "", 4
	for _, c := range known {
		if d := distance(k, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// distance is the Levenshtein distance between a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
