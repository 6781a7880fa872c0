package policy

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/activity"
	"github.com/credwatch/credwatch/internal/emulator/tenantgen"
	"github.com/credwatch/credwatch/internal/inventory"
)

// TestActivityRulesOnTheDemoTenant runs the activity rules over the demo
// tenant's planted evidence, configured as its facts say, and expects
// exactly the findings the demo's table names: an independent check of
// the rules against data made without them.
func TestActivityRulesOnTheDemoTenant(t *testing.T) {
	demoNow := time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
	dir := tenantgen.Demo(demoNow)
	tn, err := inventory.Build(&inventory.Snapshot{Complete: true, CollectedAt: demoNow, Directory: *dir}, "demo")
	if err != nil {
		t.Fatal(err)
	}
	ev, err := activity.Parse(dir.Activity, tn)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Rules.CW020.AllowedActors = tenantgen.DemoAllowedActors
	for app, cidrs := range tenantgen.DemoNetworks {
		cfg.Rules.CW030.Networks = append(cfg.Rules.CW030.Networks, Network{App: app, CIDRs: cidrs})
	}
	slices.SortFunc(cfg.Rules.CW030.Networks, func(a, b Network) int { return strings.Compare(a.App, b.App) })
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range EvaluateInput(Input{Tenant: tn, Evidence: ev, Now: demoNow}, cfg) {
		if f.RuleID >= "CW020" && f.RuleID < "CW099" || (f.RuleID == "CW001" && f.Severity == High) {
			got = append(got, f.RuleID+" "+f.AppName)
		}
	}
	slices.Sort(got)
	want := []string{
		"CW001 legacy-crm-sync",
		"CW020 Office 365 Exchange Online",
		"CW020 tenant-provisioning",
		"CW022 directory-sync-admin",
		"CW030 payroll-export",
		"CW031 feature-flags-svc",
		"CW031 helpdesk-ticketing",
		"CW040 ",
		"CW041 data-warehouse-loader",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("activity findings on the demo tenant:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
