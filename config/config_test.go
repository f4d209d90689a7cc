package config

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/viper"
	"go.yaml.in/yaml/v3"
)

func TestExampleLoadsToTheDefaults(t *testing.T) {
	cfg, err := Load("../config.example.yaml")
	if err != nil {
		t.Fatalf("Load(config.example.yaml) = %v", err)
	}
	if !reflect.DeepEqual(cfg, Default()) {
		t.Errorf("config.example.yaml =\n%+v\nwant the defaults\n%+v", cfg, Default())
	}
}

func TestExampleDocumentsEveryKey(t *testing.T) {
	raw, err := os.ReadFile("../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var inFile []string
	// a compact mapping on one line ({member: 10/1m, ip: 60/1m}) is
	// documented by the comment above its key
	var walk func(n *yaml.Node, prefix string, documented bool)
	walk = func(n *yaml.Node, prefix string, documented bool) {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			key := prefix + k.Value
			commented := documented || k.HeadComment != ""
			if !commented && (v.Kind != yaml.MappingNode || v.Style&yaml.FlowStyle != 0) {
				t.Errorf("config.example.yaml: key %s has no comment", key)
			}
			if v.Kind == yaml.MappingNode {
				walk(v, key+".", commented && v.Style&yaml.FlowStyle != 0)
			} else {
				inFile = append(inFile, key)
			}
		}
	}
	walk(doc.Content[0], "", false)
	known := setDefaults(viper.New(), "", reflect.ValueOf(Default()))
	slices.Sort(inFile)
	slices.Sort(known)
	if !slices.Equal(inFile, known) {
		t.Errorf("keys in config.example.yaml = %v\nwant every known key = %v", inFile, known)
	}
}

func write(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadRefusesBadInput(t *testing.T) {
	cases := []struct {
		name, body, want string
	}{
		{"typo names the key", "app:\n  pubic_url: http://x\n", `unknown key "app.pubic_url"`},
		{"typo suggests", "app:\n  pubic_url: http://x\n", `did you mean "app.public_url"`},
		{"unknown section", "salez:\n  enabled: true\n", `unknown key "salez.enabled"`},
		{"wrong type", "members:\n  phone:\n    code_ttl: soon\n", "code_ttl"},
		{"bad url", "app:\n  public_url: example.com\n", "app.public_url"},
		{"bad language", "ui:\n  default_language: fr\n", "ui.default_language"},
		{"bad time zone", "ui:\n  time_zone: Mars/Olympus\n", "ui.time_zone"},
		{"webhook needs url", "members:\n  sms:\n    driver: webhook\n", "members.sms.webhook_url"},
		{"broken yaml", "app: [\n", "config: read"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(write(t, c.body))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Load(%q) = %v, want an error containing %q", c.body, err, c.want)
			}
		})
	}
}

func TestEnvironmentOverrides(t *testing.T) {
	t.Setenv("CANYU_APP_PUBLIC_URL", "https://club.example.com")
	t.Setenv("CANYU_MEMBERS_PHONE_CODE_TTL", "5m")
	t.Setenv("CANYU_MEMBERS_ENABLED", "false")
	cfg, err := Load(write(t, "app:\n  public_url: http://from-file\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.App.PublicURL != "https://club.example.com" || cfg.Members.Phone.CodeTTL != 5*time.Minute || cfg.Members.Enabled {
		t.Errorf("Load with env = %+v, want the environment to win", cfg)
	}
}

func TestUnknownEnvironmentVariable(t *testing.T) {
	t.Setenv("CANYU_APP_PUBLIK_URL", "x")
	if _, err := Load(""); err == nil || !strings.Contains(err.Error(), "CANYU_APP_PUBLIK_URL") {
		t.Errorf("Load with a mistyped variable = %v, want an error naming it", err)
	}
}

func TestPathFromArgs(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--config", "a.yaml"}, "a.yaml"},
		{[]string{"--config=b.yaml", "serve"}, "b.yaml"},
		{[]string{"serve"}, ""},
	}
	for _, c := range cases {
		if got := PathFromArgs(c.args); got != c.want {
			t.Errorf("PathFromArgs(%v) = %q, want %q", c.args, got, c.want)
		}
	}
}

func TestEnvName(t *testing.T) {
	if got := EnvName("members.phone.code_ttl"); got != "CANYU_MEMBERS_PHONE_CODE_TTL" {
		t.Errorf("EnvName() = %q", got)
	}
}
