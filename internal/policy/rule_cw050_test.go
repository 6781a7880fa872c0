package policy

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/inventory"
)

// vaultTenant is one app with a secret ending at end and a certificate,
// beside a vault holding secrets and certificates.
func vaultTenant(end time.Time, secrets []inventory.VaultSecret, certs []inventory.VaultCertificate, unavailable map[string]string) *inventory.Tenant {
	c := cert("kcert", "signing", now.Add(-day), now.Add(100*day))
	c.Thumbprint = "AABBCC"
	t := tenant(app("app-1", "payroll", secret("KSEC", "prod", now.Add(-10*day), end), c))
	t.Vaults = []inventory.Vault{{Name: "kv-prod", URL: "https://kv-prod.vault.azure.net/", Secrets: secrets, Certificates: certs, Unavailable: unavailable}}
	return t
}

func TestCW050NoVaultCopy(t *testing.T) {
	end := now.Add(50 * day)
	copyOf := func(tag, key string, managed bool) []inventory.VaultSecret {
		return []inventory.VaultSecret{{Name: "payroll", Tags: map[string]string{tag: key}, Managed: managed}}
	}
	certCopy := []inventory.VaultCertificate{{Name: "payroll-cert", Thumbprint: "aabbcc"}}
	cases := []struct {
		name     string
		t        *inventory.Tenant
		wantKeys []string
	}{
		{"no copies at all", vaultTenant(end, nil, nil, nil), []string{"KSEC", "kcert"}},
		{"credwatchKeyId tag, other letter case", vaultTenant(end, copyOf("credwatchKeyId", "ksec", false), certCopy, nil), nil},
		{"rotation sample's CredentialId tag", vaultTenant(end, copyOf("CredentialId", "KSEC", false), certCopy, nil), nil},
		{"a certificate's managed secret is no copy", vaultTenant(end, copyOf("credwatchKeyId", "KSEC", true), certCopy, nil), []string{"KSEC"}},
		{"tag names another key", vaultTenant(end, copyOf("credwatchKeyId", "other", false), certCopy, nil), []string{"KSEC"}},
		{"expired credential is CW001's", vaultTenant(now.Add(-time.Second), nil, certCopy, nil), nil},
		{"secrets unreadable: silent about secrets", vaultTenant(end, nil, nil, map[string]string{inventory.VaultPartSecrets: "403"}), []string{"kcert"}},
		{"no vaults: silent", tenant(app("app-1", "payroll", secret("KSEC", "prod", now.Add(-day), end))), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fs := ruleFindings(Evaluate(c.t, onlyRule("CW050"), now), "CW050")
			var keys []string
			for _, f := range fs {
				keys = append(keys, f.KeyID)
				if f.Severity != Low || !strings.Contains(f.Message, "kv-prod") {
					t.Errorf("finding %+v", f)
				}
			}
			slices.Sort(keys)
			slices.Sort(c.wantKeys)
			if strings.Join(keys, ",") != strings.Join(c.wantKeys, ",") {
				t.Errorf("findings on %v, want %v", keys, c.wantKeys)
			}
		})
	}
}

func TestCW051ExpiryBoundary(t *testing.T) {
	end := now.Add(50 * day).Add(300 * time.Millisecond) // Entra keeps fractions
	cases := []struct {
		name string
		exp  time.Time
		fire bool
	}{
		{"same second", end.Truncate(time.Second), false},
		{"one second off", end.Add(time.Second), false},
		{"just over one second off", end.Add(time.Second + time.Millisecond), true},
		{"a day early", end.Add(-day), true},
		{"no expiry", time.Time{}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tn := vaultTenant(end, []inventory.VaultSecret{{Name: "payroll", Expires: c.exp, Tags: map[string]string{"credwatchKeyId": "KSEC"}}}, nil, nil)
			fs := ruleFindings(Evaluate(tn, onlyRule("CW051"), now), "CW051")
			if (len(fs) == 1) != c.fire {
				t.Fatalf("fired %d times, want %v: %+v", len(fs), c.fire, fs)
			}
			if c.fire && (fs[0].KeyID != "KSEC" || fs[0].Severity != Medium || fs[0].Deadline == nil || !strings.Contains(fs[0].Message, "kv-prod/payroll")) {
				t.Errorf("finding %+v", fs[0])
			}
		})
	}
}

func TestCW052HalfDoneRotation(t *testing.T) {
	newest := now.Add(-day) // the certificate's start in vaultTenant, the app's newest
	tagged := func(app, key string, written time.Time) []inventory.VaultSecret {
		return []inventory.VaultSecret{{Name: "payroll", Created: written, Updated: written,
			Tags: map[string]string{"credwatchAppId": app, "credwatchKeyId": key}}}
	}
	cases := []struct {
		name    string
		secrets []inventory.VaultSecret
		fire    bool
	}{
		{"newer copy of a key the app lacks", tagged("APP-1", "gone-key", newest.Add(time.Second)), true},
		{"written at the newest credential's start", tagged("app-1", "gone-key", newest), false},
		{"older copy of a removed key", tagged("app-1", "gone-key", newest.Add(-day)), false},
		{"copy of a key the app holds", tagged("app-1", "KSEC", newest.Add(day)), false},
		{"copy of another tenant's app", tagged("app-9", "gone-key", newest.Add(day)), false},
		{"sample's ProviderAddress names the app", []inventory.VaultSecret{{Name: "p", Updated: newest.Add(day),
			Tags: map[string]string{"ProviderAddress": "app-1", "CredentialId": "gone-key"}}}, true},
		{"no app tag", []inventory.VaultSecret{{Name: "p", Updated: newest.Add(day), Tags: map[string]string{"credwatchKeyId": "gone-key"}}}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fs := ruleFindings(Evaluate(vaultTenant(now.Add(50*day), c.secrets, nil, nil), onlyRule("CW052"), now), "CW052")
			if (len(fs) == 1) != c.fire {
				t.Fatalf("fired %d times, want %v: %+v", len(fs), c.fire, fs)
			}
			if c.fire && (fs[0].KeyID != "gone-key" || fs[0].Severity != High || fs[0].ObjectID != "obj-app-1" || fs[0].ObjectType != inventory.Application) {
				t.Errorf("finding %+v", fs[0])
			}
		})
	}
}

func postureTenant(p *inventory.VaultProperties, diag []inventory.VaultDiagnosticSetting, unavailable map[string]string) *inventory.Tenant {
	t := tenant()
	t.Vaults = []inventory.Vault{{Name: "kv-prod", URL: "https://kv-prod.vault.azure.net/",
		ResourceID: "/subscriptions/s/resourceGroups/r/providers/Microsoft.KeyVault/vaults/kv-prod",
		Properties: p, DiagnosticSettings: diag, Unavailable: unavailable}}
	return t
}

func TestVaultPostureRules(t *testing.T) {
	good := func() *inventory.VaultProperties {
		return &inventory.VaultProperties{EnableRBACAuthorization: true, EnableSoftDelete: true, EnablePurgeProtection: true,
			PublicNetworkAccess: "Enabled", NetworkDefaultAction: "Deny"}
	}
	law := "/subscriptions/s/resourceGroups/r/providers/Microsoft.OperationalInsights/workspaces/w"
	audit := []inventory.VaultDiagnosticSetting{{Name: "a", WorkspaceID: law, Logs: []inventory.VaultLogSetting{{CategoryGroup: "audit", Enabled: true}}}}
	with := func(f func(p *inventory.VaultProperties)) *inventory.VaultProperties { p := good(); f(p); return p }
	cases := []struct {
		name  string
		rule  string
		t     *inventory.Tenant
		sev   Severity
		fire  bool
		words string
	}{
		{"healthy vault", "CW060", postureTenant(good(), audit, nil), 0, false, ""},
		{"public, no firewall", "CW060", postureTenant(with(func(p *inventory.VaultProperties) { p.NetworkDefaultAction = "" }), audit, nil), Medium, true, "no firewall rules"},
		{"public, firewall Allow", "CW060", postureTenant(with(func(p *inventory.VaultProperties) { p.NetworkDefaultAction = "Allow" }), audit, nil), Medium, true, "Allow"},
		{"public access unset counts as enabled", "CW060", postureTenant(with(func(p *inventory.VaultProperties) { p.PublicNetworkAccess, p.NetworkDefaultAction = "", "" }), audit, nil), Medium, true, "every address"},
		{"public access disabled", "CW060", postureTenant(with(func(p *inventory.VaultProperties) {
			p.PublicNetworkAccess, p.NetworkDefaultAction = "Disabled", "Allow"
		}), audit, nil), 0, false, ""},
		{"properties unread", "CW060", postureTenant(nil, nil, map[string]string{inventory.VaultPartProperties: "403"}), 0, false, ""},
		{"audit to a workspace", "CW061", postureTenant(good(), audit, nil), 0, false, ""},
		{"AuditEvent category", "CW061", postureTenant(good(), []inventory.VaultDiagnosticSetting{{WorkspaceID: law, Logs: []inventory.VaultLogSetting{{Category: "AuditEvent", Enabled: true}}}}, nil), 0, false, ""},
		{"allLogs group", "CW061", postureTenant(good(), []inventory.VaultDiagnosticSetting{{WorkspaceID: law, Logs: []inventory.VaultLogSetting{{CategoryGroup: "allLogs", Enabled: true}}}}, nil), 0, false, ""},
		{"no settings", "CW061", postureTenant(good(), nil, nil), Medium, true, "no diagnostic settings"},
		{"storage only", "CW061", postureTenant(good(), []inventory.VaultDiagnosticSetting{{StorageAccountID: "sa", Logs: []inventory.VaultLogSetting{{CategoryGroup: "audit", Enabled: true}}}}, nil), Medium, true, "none sends"},
		{"audit disabled", "CW061", postureTenant(good(), []inventory.VaultDiagnosticSetting{{WorkspaceID: law, Logs: []inventory.VaultLogSetting{{CategoryGroup: "audit"}}}}, nil), Medium, true, "none sends"},
		{"diagnostics unread", "CW061", postureTenant(good(), nil, map[string]string{inventory.VaultPartDiagnostics: "403"}), 0, false, ""},
		{"soft delete off", "CW062", postureTenant(with(func(p *inventory.VaultProperties) { p.EnableSoftDelete, p.EnablePurgeProtection = false, false }), audit, nil), Medium, true, "soft delete off"},
		{"purge protection off", "CW062", postureTenant(with(func(p *inventory.VaultProperties) { p.EnablePurgeProtection = false }), audit, nil), Low, true, "purge protection off"},
		{"both on", "CW062", postureTenant(good(), audit, nil), 0, false, ""},
		{"access policies", "CW063", postureTenant(with(func(p *inventory.VaultProperties) { p.EnableRBACAuthorization, p.AccessPolicies = false, 3 }), audit, nil), Info, true, "3 access policies"},
		{"RBAC", "CW063", postureTenant(good(), audit, nil), 0, false, ""},
	}
	for _, c := range cases {
		t.Run(c.rule+" "+c.name, func(t *testing.T) {
			fs := ruleFindings(Evaluate(c.t, onlyRule(c.rule), now), c.rule)
			if (len(fs) == 1) != c.fire {
				t.Fatalf("fired %d times, want %v: %+v", len(fs), c.fire, fs)
			}
			if !c.fire {
				return
			}
			f := fs[0]
			if f.Severity != c.sev || f.ObjectType != VaultObject || f.AppName != "kv-prod" || !strings.HasPrefix(f.ObjectID, "/subscriptions/") ||
				!strings.Contains(f.Message, c.words) || f.ID != FindingID(c.rule, f.ObjectID, "") {
				t.Errorf("finding %+v", f)
			}
		})
	}
}

func TestVaultFindingsCanBeExcepted(t *testing.T) {
	cfg := onlyRule("CW063")
	cfg.Exceptions = []Exception{{Rule: "CW063", App: "kv-*", Reason: "migrating in Q3", Expires: Date{Time: now.Add(30 * day)}}}
	tn := postureTenant(&inventory.VaultProperties{EnableSoftDelete: true, EnablePurgeProtection: true}, nil, nil)
	fs := ruleFindings(Evaluate(tn, cfg, now), "CW063")
	if len(fs) != 1 || !fs[0].Suppressed || fs[0].SuppressionReason != "migrating in Q3" {
		t.Fatalf("findings %+v", fs)
	}
	if err := cfg.Validate(); err != nil {
		t.Errorf("an exception for a vault rule should validate: %v", err)
	}
}
