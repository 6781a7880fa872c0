package scan

import (
	"context"
	"slices"
	"testing"
	"time"

	kvemu "github.com/credwatch/credwatch/internal/emulator/keyvault"
	"github.com/credwatch/credwatch/internal/policy"
)

// TestDemoVaultsFlowToTheRules reads the demo tenant with its key vaults
// through the live path and checks that each key vault rule fires where
// the demo's vaults are made to make it fire.
func TestDemoVaultsFlowToTheRules(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	now := time.Now().UTC()
	cfg := policy.DefaultConfig()
	cfg.KeyVaults = []policy.KeyVault{{Name: kvemu.DemoAppsVault}, {Name: kvemu.DemoLegacyVault}, {Name: "kv-not-in-demo"}}
	src := Demo(ReadOptions{Now: func() time.Time { return now }, Vaults: cfg.KeyVaults})
	res, err := Run(ctx, src, Options{Config: cfg, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(res.Tenant.Vaults); n != 2 {
		t.Fatalf("%d vaults read, want the demo's 2", n)
	}
	for _, v := range res.Tenant.Vaults {
		if len(v.Unavailable) != 0 || v.Properties == nil {
			t.Errorf("vault %s: unavailable %v", v.Name, v.Unavailable)
		}
	}
	type hit struct{ rule, app string }
	var got []hit
	for _, f := range res.Findings {
		if f.RuleID >= "CW050" && f.RuleID <= "CW063" {
			got = append(got, hit{f.RuleID, f.AppName})
		}
	}
	for _, want := range []hit{
		{"CW050", "marketing-analytics"}, {"CW051", "teams-notifier"}, {"CW051", "wiki-search-indexer"},
		{"CW052", "payroll-export"}, {"CW060", kvemu.DemoLegacyVault}, {"CW061", kvemu.DemoLegacyVault},
		{"CW062", kvemu.DemoLegacyVault}, {"CW063", kvemu.DemoLegacyVault},
	} {
		if !slices.Contains(got, want) {
			t.Errorf("no %s finding on %s", want.rule, want.app)
		}
	}
	for _, unwanted := range []hit{{"CW050", "payroll-export"}, {"CW051", "payroll-export"}, {"CW050", "invoice-ocr"},
		{"CW060", kvemu.DemoAppsVault}, {"CW061", kvemu.DemoAppsVault}, {"CW062", kvemu.DemoAppsVault}, {"CW063", kvemu.DemoAppsVault}} {
		if slices.Contains(got, unwanted) {
			t.Errorf("unexpected %s finding on %s", unwanted.rule, unwanted.app)
		}
	}
}
