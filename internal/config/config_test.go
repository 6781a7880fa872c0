package config

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestServeConfigLoads(t *testing.T) {
	cfg, err := Load(filepath.Join("testdata", "serve.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Tenants) != 2 || cfg.Tenants[1].ID != "fabrikam.onmicrosoft.com" {
		t.Errorf("tenants = %+v", cfg.Tenants)
	}
	if cfg.Notifications == nil || len(cfg.Notifications.Channels) != 2 || len(cfg.Notifications.Reminders) == 0 {
		t.Errorf("notifications = %+v, want two channels and the default reminders", cfg.Notifications)
	}
	if cfg.Rules.CW002.CriticalDays != 7 || len(cfg.Rules.CW020.AllowedActors) != 2 {
		t.Errorf("policy part not decoded: %+v", cfg.Rules.CW002)
	}
	if cfg.LogAnalytics == nil || cfg.LogAnalytics.RuleID == "" {
		t.Errorf("logAnalytics = %+v", cfg.LogAnalytics)
	}
}

func TestPolicyOnlyFileHasNoNotifications(t *testing.T) {
	cfg, err := Parse([]byte("rules:\n  CW005:\n    enabled: false\n"), "p.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Notifications != nil || cfg.Rules.CW005.Enabled {
		t.Errorf("notifications %+v, CW005 enabled %v", cfg.Notifications, cfg.Rules.CW005.Enabled)
	}
}

// Every problem in every section is reported at once, each with its line
// and key path, and an inline webhook URL (a credential) is never echoed.
func TestInvalidServeConfigReportsEveryProblem(t *testing.T) {
	_, err := Load(filepath.Join("testdata", "invalid-serve.yaml"))
	if err == nil {
		t.Fatal("invalid config accepted")
	}
	msg := err.Error()
	for _, want := range []string{
		"invalid-serve.yaml:3: rules.CW002.criticalDays",
		"tenants[0].id: required",
		`tenants[1].id: "bad tenant!" is not a tenant id`,
		`tenants[1].cloud: "mars"`,
		"tenants[1].clientId: required",
		"notifications.channels[0]",
		"logAnalytics.ruleId: required",
		"unknownSection",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error does not contain %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "example.webhook.office.com/abc") {
		t.Error("the error echoes the inline webhook URL")
	}
}
