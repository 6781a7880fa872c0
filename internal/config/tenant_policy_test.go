package config

import (
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/credwatch/credwatch/internal/policy"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// effective is what a test compares of a tenant's merged policy.
type effective struct {
	criticalDays, warningDays int
	cw002Severity             string
	cw005Enabled              bool
	actors                    []string
	networkApps               []string
	exceptionRules            []string
	vaults                    []string
	rotateTo                  string // the vault a new secret of any app goes to
}

func summarize(p *policy.Config) effective {
	e := effective{
		criticalDays: p.Rules.CW002.CriticalDays,
		warningDays:  p.Rules.CW002.WarningDays,
		cw005Enabled: p.Rules.CW005.Enabled,
		actors:       p.Rules.CW020.AllowedActors,
	}
	if s := p.Rules.CW002.Severity; s != nil {
		e.cw002Severity = s.String()
	}
	for _, n := range p.Rules.CW030.Networks {
		e.networkApps = append(e.networkApps, n.App)
	}
	for _, x := range p.Exceptions {
		e.exceptionRules = append(e.exceptionRules, x.Rule)
	}
	for _, k := range p.KeyVaults {
		e.vaults = append(e.vaults, k.Name)
	}
	if t, ok := p.RotationTargetFor("22222222-2222-2222-2222-222222222222", "billing-api", ""); ok {
		e.rotateTo = t.Vault
	}
	return e
}

// Each tenant is judged by the top-level policy with its own overrides
// merged in: scalars replace, mappings merge by key, lists add the tenant's
// items before the top level's (or are replaced with !replace), and no
// tenant's overrides reach another.
func TestTenantPolicyOverridesMerge(t *testing.T) {
	cfg, err := Load(filepath.Join("testdata", "tenants.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	top := effective{
		criticalDays: 7, warningDays: 30, cw002Severity: "high", cw005Enabled: true,
		actors:         []string{"admin@contoso.example"},
		networkApps:    []string{"payroll-*"},
		exceptionRules: []string{"CW003"},
		vaults:         []string{"kv-shared"},
		rotateTo:       "kv-shared",
	}
	fabrikam := top
	fabrikam.criticalDays, fabrikam.cw002Severity, fabrikam.cw005Enabled = 14, "critical", false
	northwind := top
	// A tenant's own entries come first: where the first match wins, its
	// exception, target or network does.
	northwind.actors = []string{"github-deploy*", "admin@contoso.example"}
	northwind.networkApps = []string{"*"}
	northwind.exceptionRules = []string{"CW006", "CW003"}
	northwind.vaults = []string{"kv-northwind", "kv-shared"}
	northwind.rotateTo = "kv-northwind"
	tailspin := top
	tailspin.cw002Severity, tailspin.exceptionRules = "", nil

	tests := []struct {
		name, tenant string
		want         effective
	}{
		{"listed without overrides", "72f988bf-86f1-41af-91ab-2d7cd011db47", top},
		{"thresholds and severity changed", "fabrikam.onmicrosoft.com", fabrikam},
		{"id in another letter case", "FABRIKAM.onmicrosoft.com", fabrikam},
		{"lists appended or replaced", "northwind.example", northwind},
		{"empty values unpin and clear", "tailspin.example", tailspin},
		{"not listed", "wingtip.example", top},
		{"no tenant", "", top},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := summarize(cfg.PolicyFor(tt.tenant)); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("policy for %q:\n got %+v\nwant %+v", tt.tenant, got, tt.want)
			}
		})
	}
	if got := summarize(&cfg.Config); !reflect.DeepEqual(got, top) {
		t.Errorf("the top-level policy changed:\n got %+v\nwant %+v", got, top)
	}
}

// Merging builds each tenant's policy without writing into the top-level
// one, which must equal the same file read without tenants.
func TestTenantOverridesLeaveTopLevelPolicyUnchanged(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "tenants.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse(data, "tenants.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"fabrikam.onmicrosoft.com", "northwind.example"} {
		if cfg.PolicyFor(id) == &cfg.Config {
			t.Fatalf("%s has overrides but gets the top-level policy", id)
		}
	}
	top, _, _ := strings.Cut(string(data), "\ntenants:")
	plain, err := Parse([]byte(top), "top.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg.Config, plain.Config) {
		t.Errorf("the tenants' overrides changed the top-level policy:\n got %+v\nwant %+v", cfg.Config, plain.Config)
	}
}

// Every problem of every tenant's overrides is reported with its line and
// full key path; an appended item is numbered as written in the override,
// and a problem of the top-level policy is reported once, at the top.
func TestInvalidTenantPolicyGolden(t *testing.T) {
	_, err := Load(filepath.Join("testdata", "invalid-tenant-policy.yaml"))
	if err == nil {
		t.Fatal("invalid overrides accepted")
	}
	got := err.Error() + "\n"
	golden := filepath.Join("testdata", "invalid-tenant-policy.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("errors differ from %s (-update rewrites it):\n got:\n%s\nwant:\n%s", golden, got, want)
	}
	if n := strings.Count(got, "exceptions[0].reason: required"); n != 2 {
		t.Errorf("exceptions[0].reason reported %d times, want once at the top level and once for tenants[0]", n)
	}
}
