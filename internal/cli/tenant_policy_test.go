package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/emulator"
	"github.com/credwatch/credwatch/internal/emulator/tenantgen"
	"github.com/credwatch/credwatch/internal/scan"
	"github.com/credwatch/credwatch/internal/syncbuf"
)

// countRules counts the findings of each rule in a JSON findings list, and
// the severities of CW002's.
func countRules(t *testing.T, findings []struct {
	RuleID   string `json:"ruleId"`
	Severity string `json:"severity"`
}) (map[string]int, map[string]bool) {
	t.Helper()
	n, sev := map[string]int{}, map[string]bool{}
	for _, f := range findings {
		n[f.RuleID]++
		if f.RuleID == "CW002" {
			sev[f.Severity] = true
		}
	}
	return n, sev
}

// scan --config judges the scanned tenant by its entry's overrides when
// the configuration lists it, and by the top-level policy otherwise, for
// the demo and snapshot files alike.
func TestScanUsesTheScannedTenantsOverrides(t *testing.T) {
	const override = `
    policy:
      rules:
        CW008: {enabled: false}
        CW002: {severity: info}
`
	// A snapshot file's tenant is known only once it is read.
	snap := filepath.Join(t.TempDir(), "demo.json")
	if r := runCLI(t, "snapshot", "--demo", "-o", snap); r.code != ExitOK {
		t.Fatalf("snapshot: exit %d: %s", r.code, r.stderr)
	}
	tests := []struct {
		name      string
		config    string
		source    []string
		overrides bool // whether the scanned tenant's overrides apply
	}{
		{"demo tenant listed with overrides",
			"tenants:\n  - id: " + tenantgen.DemoTenantID + override, []string{"--demo"}, true},
		{"demo tenant listed in another letter case",
			"tenants:\n  - id: " + strings.ToUpper(tenantgen.DemoTenantID) + override, []string{"--demo"}, true},
		{"overrides belong to another tenant",
			"tenants:\n  - id: " + tenantgen.DemoTenantID + "\n  - id: fabrikam.example" + override, []string{"--demo"}, false},
		{"snapshot of a listed tenant",
			"tenants:\n  - id: " + tenantgen.DemoTenantID + override, []string{"--snapshot", snap}, true},
		{"snapshot of another tenant",
			"tenants:\n  - id: fabrikam.example" + override, []string{"--snapshot", snap}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := filepath.Join(t.TempDir(), "credwatch.yaml")
			if err := os.WriteFile(cfg, []byte(tt.config), 0o644); err != nil {
				t.Fatal(err)
			}
			args := append([]string{"scan", "--config", cfg, "--format", "json"}, tt.source...)
			r := runCLI(t, args...)
			if r.code != ExitOK {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			var doc struct {
				Findings []struct {
					RuleID   string `json:"ruleId"`
					Severity string `json:"severity"`
				} `json:"findings"`
			}
			if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
				t.Fatal(err)
			}
			n, sev := countRules(t, doc.Findings)
			if n["CW002"] == 0 {
				t.Fatal("no CW002 findings on the demo tenant")
			}
			if fired := n["CW008"] > 0; fired == tt.overrides {
				t.Errorf("CW008 fired: %v; the overrides disable it, and apply: %v", fired, tt.overrides)
			}
			if pinned := len(sev) == 1 && sev["info"]; pinned != tt.overrides {
				t.Errorf("CW002 severities %v; the overrides pin them to info, and apply: %v", sev, tt.overrides)
			}
		})
	}
}

// config check validates every tenant's overrides, naming the line and the
// full key path of each problem.
func TestConfigCheckValidatesTenantOverrides(t *testing.T) {
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "good.yaml"), filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(good, []byte("tenants:\n  - id: contoso.example\n    policy:\n      rules:\n        CW002: {criticalDays: 3}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("tenants:\n  - id: contoso.example\n  - id: fabrikam.example\n    policy:\n      rules:\n        CW002:\n          days: 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := runCLI(t, "config", "check", good); r.code != ExitOK || !strings.Contains(r.stdout, "ok") {
		t.Errorf("valid overrides: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	r := runCLI(t, "config", "check", bad)
	if want := `bad.yaml:7: tenants[1].policy.rules.CW002.days: unknown key "days"`; r.code != ExitUsage || !strings.Contains(r.stderr, want) {
		t.Errorf("unknown key in overrides: exit %d, stderr %q; want exit 2 and %q", r.code, r.stderr, want)
	}
}

// startTenantEmulator serves the demo tenant's data under tenantID and
// writes what its tenant entry needs: the CA and the client secret.
func startTenantEmulator(t *testing.T, tenantID, secret, dir string) (*emulator.Server, string, string) {
	t.Helper()
	d := tenantgen.Demo(demoNow)
	d.TenantID = tenantID
	srv, err := emulator.Start(emulator.Options{Directory: d, Now: func() time.Time { return demoNow },
		Clients: []emulator.Client{{ID: scan.DemoClientID, Secret: secret, Roles: scan.DemoRoles}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	ca, sf := filepath.Join(dir, tenantID+"-ca.pem"), filepath.Join(dir, tenantID+"-secret")
	if err := os.WriteFile(ca, srv.CACertPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sf, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return srv, ca, sf
}

// serve judges each tenant by its own policy: two tenants holding the
// same data, one listed with overrides, get different findings; and the
// client secrets of their entries show nowhere.
func TestServeJudgesEachTenantByItsOwnPolicy(t *testing.T) {
	dir := t.TempDir()
	const plainID, tunedID = "contoso.example", "fabrikam.example"
	secrets := map[string]string{plainID: "canary-secret-contoso-7f3a9c", tunedID: "canary-secret-fabrikam-2b8e1d"}
	var cfg strings.Builder
	cfg.WriteString("tenants:\n")
	for _, id := range []string{plainID, tunedID} {
		srv, ca, sf := startTenantEmulator(t, id, secrets[id], dir)
		fmt.Fprintf(&cfg, "  - id: %s\n    clientId: %s\n    clientSecretFile: %s\n    authorityHost: %s\n    graphUrl: %s\n    caFile: %s\n",
			id, scan.DemoClientID, sf, srv.AuthorityHost(), srv.GraphURL(), ca)
	}
	cfg.WriteString(`    policy:
      rules:
        CW008: {enabled: false}
      exceptions:
        - rule: CW004
          app: "*"
          reason: accepted for this tenant only
          expires: 2027-06-30
`)
	cfgPath := filepath.Join(dir, "credwatch.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg.String()), 0o644); err != nil {
		t.Fatal(err)
	}

	// Registered first, so it runs after serve has stopped.
	var out, errb *syncbuf.Buffer
	t.Cleanup(func() {
		for id, s := range secrets {
			if strings.Contains(out.String()+errb.String(), s) {
				t.Errorf("serve's output shows %s's client secret", id)
			}
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	out, errb = start(t, "serve", "--config", cfgPath, "--listen", "127.0.0.1:0",
		"--store", "sqlite://"+filepath.Join(dir, "serve.db"), "--interval", "1h")
	base := waitFor(t, out, `serving on (http://\S+)`, time.Until(deadline))[1]
	get := func(path string) (int, string) { return httpGet(t, base+path) }
	for { // ready once both tenants have a complete scan
		code, body := get("/readyz")
		if code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never ready: %s\nlog: %s", body, errb.String())
		}
		time.Sleep(50 * time.Millisecond)
	}

	_, body := get("/api/v1/findings")
	var doc struct {
		Tenants []struct {
			Tenant   string `json:"tenant"`
			Findings []struct {
				RuleID     string `json:"ruleId"`
				Suppressed bool   `json:"suppressed"`
			} `json:"findings"`
		} `json:"tenants"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("findings API: %v\n%.300s", err, body)
	}
	type tally struct{ cw008, cw004, cw004Suppressed, total int }
	got := map[string]tally{}
	for _, tf := range doc.Tenants {
		var n tally
		for _, f := range tf.Findings {
			n.total++
			switch f.RuleID {
			case "CW008":
				n.cw008++
			case "CW004":
				n.cw004++
				if f.Suppressed {
					n.cw004Suppressed++
				}
			}
		}
		got[tf.Tenant] = n
	}
	plain, tuned := got[plainID], got[tunedID]
	if plain.total == 0 || plain.cw008 == 0 || plain.cw004 == 0 || plain.cw004Suppressed != 0 {
		t.Errorf("%s (top-level policy): %+v; want CW008 and unsuppressed CW004 findings", plainID, plain)
	}
	if tuned.cw008 != 0 {
		t.Errorf("%s disables CW008 but has %d CW008 findings", tunedID, tuned.cw008)
	}
	if tuned.cw004 != plain.cw004 || tuned.cw004Suppressed != tuned.cw004 {
		t.Errorf("%s excepts CW004: %d of %d CW004 findings suppressed, want all %d", tunedID, tuned.cw004Suppressed, tuned.cw004, plain.cw004)
	}
}
