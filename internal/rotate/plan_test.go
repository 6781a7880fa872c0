package rotate

import (
	"strings"
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/inventory"
	"github.com/credwatch/credwatch/internal/policy"
)

var planNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func secret(key, name string, end time.Time) inventory.Credential {
	return inventory.Credential{Type: inventory.Secret, KeyID: key, DisplayName: name, Start: end.AddDate(0, -6, 0), End: end}
}

func app(id, appID, name string, creds ...inventory.Credential) inventory.Object {
	return inventory.Object{Type: inventory.Application, ID: id, AppID: appID, DisplayName: name, Credentials: creds}
}

func planConfig() *policy.Config {
	cfg := policy.DefaultConfig()
	cfg.KeyVaults = []policy.KeyVault{{Name: "kv-prod"}, {Name: "kv-lab", URL: "https://127.0.0.1:8443/"}}
	cfg.Rotation.Targets = []policy.RotationTarget{
		{AppID: "app-cfg", Vault: "kv-prod", Secret: "cfg-secret"},
		{App: "lab-*", Vault: "kv-lab", Secret: "lab-secret"},
		{AppID: "app-ghost", Vault: "kv-ghost", Secret: "x"}, // not in keyVaults (Validate would say so)
	}
	return cfg
}

// TestPlanDueBoundary: due means the end is within renewDays × 24 h of
// now, the boundary included.
func TestPlanDueBoundary(t *testing.T) {
	renew := 30 * day
	cases := []struct {
		name    string
		end     time.Time
		due     bool
		expired bool
	}{
		{"exactly at the window", planNow.Add(renew), true, false},
		{"one second before the window", planNow.Add(renew + time.Second), false, false},
		{"inside the window", planNow.Add(3 * day), true, false},
		{"expiring now", planNow, true, true},
		{"expired last year", planNow.AddDate(-1, 0, 0), true, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tn := &inventory.Tenant{ID: "t", Objects: []inventory.Object{app("o1", "app-cfg", "payroll", secret("k1", "prod", c.end))}}
			steps := Plan(tn, planConfig(), planNow)
			if got := len(steps) == 1; got != c.due {
				t.Fatalf("due = %v (%d steps), want %v", got, len(steps), c.due)
			}
			if c.due && (steps[0].Expired != c.expired || !steps[0].Due.Equal(c.end.Add(-renew))) {
				t.Errorf("step = %+v, want expired %v and due at %v", steps[0], c.expired, c.end.Add(-renew))
			}
		})
	}
}

func TestPlanChoosesWhatAndWhere(t *testing.T) {
	soon := planNow.Add(5 * day)
	cert := inventory.Credential{Type: inventory.Certificate, KeyID: "kc", Thumbprint: "AB12", Start: planNow.AddDate(-1, 0, 0), End: soon}
	expiredCert := inventory.Credential{Type: inventory.Certificate, KeyID: "kx", Thumbprint: "CD34", Start: planNow.AddDate(-2, 0, 0), End: planNow.Add(-day)}
	tn := &inventory.Tenant{ID: "t", Objects: []inventory.Object{
		app("o1", "app-cfg", "Payroll", secret("k1", "prod key", soon)),
		app("o2", "app-tag", "tagged", secret("K2", "", soon)),
		app("o3", "app-lab", "lab-runner", secret("k3", "lab", soon)),
		app("o4", "app-none", "orphan", secret("k4", "x", soon)),
		app("o5", "app-ghost", "ghost", secret("k5", "x", soon)),
		app("o6", "app-cert", "cert-app", cert),
		app("o7", "app-oldcert", "old-cert-app", expiredCert),
		app("o8", "app-fed", "fed", inventory.Credential{Type: inventory.Federated, KeyID: "f1"}),
		app("o9", "app-never", "never", inventory.Credential{Type: inventory.Secret, KeyID: "k9", Start: planNow}),
		{Type: inventory.ServicePrincipal, ID: "s1", AppID: "app-cfg", DisplayName: "Payroll", Credentials: []inventory.Credential{secret("ks", "sp", soon)}},
	}, Vaults: []inventory.Vault{{Name: "kv-prod", Secrets: []inventory.VaultSecret{
		{Name: "managed-one", Managed: true, Tags: map[string]string{"credwatchKeyId": "k4"}},
		{Name: "tagged-copy", Tags: map[string]string{"credwatchkeyid": "k2"}},
	}}}}
	steps := Plan(tn, planConfig(), planNow)
	byKey := map[string]Step{}
	for _, s := range steps {
		byKey[s.OldKeyID] = s
	}
	if len(steps) != 7 {
		t.Fatalf("%d steps, want 7 (no federated, no endless, no service principal credential): %+v", len(steps), steps)
	}
	want := []struct {
		key, vault, url, secret, from, skip string
	}{
		{"k1", "kv-prod", "https://kv-prod.vault.azure.net/", "cfg-secret", FromConfig, ""},
		{"K2", "kv-prod", "https://kv-prod.vault.azure.net/", "tagged-copy", FromVaultTag, ""},
		{"k3", "kv-lab", "https://127.0.0.1:8443/", "lab-secret", FromConfig, ""},
		{"k4", "", "", "", "", "no vault target"},
		{"k5", "kv-ghost", "", "x", FromConfig, "not in keyVaults"},
		{"kc", "", "", "", "", "no vault target"},
		{"kx", "", "", "", "", "no vault target"},
	}
	for _, w := range want {
		s, ok := byKey[w.key]
		if !ok {
			t.Errorf("no step for %s", w.key)
			continue
		}
		if s.Vault != w.vault || s.VaultURL != w.url || s.Secret != w.secret || s.StoreFrom != w.from ||
			(w.skip == "") != (s.Skip == "") || !strings.Contains(s.Skip, w.skip) {
			t.Errorf("%s: vault %q url %q secret %q from %q skip %q; want %+v", w.key, s.Vault, s.VaultURL, s.Secret, s.StoreFrom, s.Skip, w)
		}
	}
	p := byKey["k1"]
	if p.NewDisplayName != "prod key rotated by credwatch 2026-03-01" || !p.NewEnd.Equal(planNow.Add(180*day)) ||
		!p.RemoveAfter.Equal(planNow.Add(7*day)) || p.ObjectID != "o1" || p.TenantID != "t" {
		t.Errorf("payroll step = %+v", p)
	}
	if n := byKey["K2"].NewDisplayName; n != "tagged rotated by credwatch 2026-03-01" {
		t.Errorf("a credential without a name is described by its app: %q", n)
	}
	if steps[0].Expired != true || steps[0].OldKeyID != "kx" {
		t.Errorf("steps are ordered by due date: first is %s", steps[0].OldKeyID)
	}
	if sel := Select(steps, "APP-LAB"); len(sel) != 1 || sel[0].OldKeyID != "k3" {
		t.Errorf("Select by app id = %+v", sel)
	}
	if sel := Select(steps, "o2"); len(sel) != 1 {
		t.Errorf("Select by object id = %+v", sel)
	}
}

// TestPlanCertificates: which due certificates can be applied. Without
// a current certificate PATCH adds the new one; with one, addKey needs a
// proof signed by a current certificate's key, so a scanned vault that
// shows the target certificate has no key at all skips the step (which
// version is the app's is left to apply, as is an unscanned vault);
// signing certificates are never rotated.
func TestPlanCertificates(t *testing.T) {
	soon := planNow.Add(5 * day)
	cert := func(key, thumb, usage string, start, end time.Time) inventory.Credential {
		return inventory.Credential{Type: inventory.Certificate, KeyID: key, Thumbprint: thumb, Usage: usage, Start: start, End: end}
	}
	due := cert("kc", "AB12", "Verify", planNow.AddDate(-1, 0, 0), soon)
	expired := cert("kx", "CD34", "Verify", planNow.AddDate(-2, 0, 0), planNow.Add(-day))
	scanned := func(certs []inventory.VaultCertificate, secrets ...inventory.VaultSecret) []inventory.Vault {
		return []inventory.Vault{{Name: "kv-prod", Certificates: certs, Secrets: secrets}}
	}
	keyOf := inventory.VaultSecret{Name: "app-cert", Managed: true}
	cases := []struct {
		name   string
		creds  []inventory.Credential
		vaults []inventory.Vault
		key    string
		skip   string // "" = can be applied
	}{
		{"expired, none current: PATCH", []inventory.Credential{expired}, nil, "kx", ""},
		{"current, vault not scanned: apply checks", []inventory.Credential{due}, nil, "kc", ""},
		{"current, its key in the vault", []inventory.Credential{due},
			scanned([]inventory.VaultCertificate{{Name: "app-cert", Thumbprint: "ab12"}}, keyOf), "kc", ""},
		{"expired, another current one in the vault", []inventory.Credential{expired, cert("kn", "EF56", "Verify", planNow.AddDate(0, -1, 0), planNow.AddDate(1, 0, 0))},
			scanned([]inventory.VaultCertificate{{Name: "app-cert", Thumbprint: "EF56"}}, keyOf), "kx", ""},
		{"current, the vault has it without its key", []inventory.Credential{due},
			scanned([]inventory.VaultCertificate{{Name: "app-cert", Thumbprint: "AB12"}}), "kc", "without its private key"},
		// The scan sees the current version only: after Graph refused a
		// rotation's addKey, that is the new certificate, not on the app,
		// while an older version is; apply looks at every version.
		{"current, the vault's current version is another one", []inventory.Credential{due},
			scanned([]inventory.VaultCertificate{{Name: "app-cert", Thumbprint: "0000"}}, keyOf), "kc", ""},
		{"current, no such certificate in the vault", []inventory.Credential{due}, scanned(nil), "kc", "has no certificate app-cert"},
		{"signing pair", []inventory.Credential{cert("kc", "AB12", "Sign,Verify", planNow.AddDate(-1, 0, 0), soon)}, nil, "kc", "a signing certificate"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := planConfig()
			cfg.Rotation.Targets = append(cfg.Rotation.Targets, policy.RotationTarget{App: "*cert*", Vault: "kv-prod", Secret: "app-cert"})
			tn := &inventory.Tenant{Objects: []inventory.Object{app("o6", "a6", "cert-app", c.creds...)}, Vaults: c.vaults}
			var s *Step
			for _, st := range Plan(tn, cfg, planNow) {
				if st.OldKeyID == c.key {
					s = &st
				}
			}
			switch {
			case s == nil:
				t.Fatalf("no step for %s", c.key)
			case (c.skip == "") != (s.Skip == "") || !strings.Contains(s.Skip, c.skip):
				t.Errorf("skip %q, want %q", s.Skip, c.skip)
			case s.Kind != inventory.Certificate || s.Secret != "app-cert" || !s.NewEnd.Equal(planNow.Add(365*day)):
				t.Errorf("step %+v", s)
			}
		})
	}
}

// TestPlanCertificateTarget: without a configured target, a due
// certificate goes to the vault certificate whose current version it is;
// else to one credwatch made to replace this credential (tagged with the
// app id and the credential's key id), whose current version may be a
// rotation's that Graph refused; never to another certificate of the app.
func TestPlanCertificateTarget(t *testing.T) {
	due := inventory.Credential{Type: inventory.Certificate, KeyID: "kc", Thumbprint: "AB12", Usage: "Verify", Start: planNow.AddDate(-1, 0, 0), End: planNow.Add(5 * day)}
	managed := func(name string) inventory.VaultSecret { return inventory.VaultSecret{Name: name, Managed: true} }
	cases := []struct {
		name   string
		certs  []inventory.VaultCertificate
		secret string // "" = no target
	}{
		{"by thumbprint", []inventory.VaultCertificate{{Name: "other", Tags: map[string]string{"credwatchAppId": "a6"}}, {Name: "same", Thumbprint: "ab12"}}, "same"},
		{"by credwatch's tags", []inventory.VaultCertificate{{Name: "refused", Thumbprint: "0000", Tags: map[string]string{"CredwatchAppID": "a6", "credwatchReplacesKeyId": "KC"}}}, "refused"},
		{"another app's", []inventory.VaultCertificate{{Name: "theirs", Thumbprint: "0000", Tags: map[string]string{"credwatchAppId": "a7", "credwatchReplacesKeyId": "kc"}}}, ""},
		// The app's other certificate: its key must not sign this one away.
		{"made for another credential of the app", []inventory.VaultCertificate{{Name: "other-cert", Thumbprint: "0000", Tags: map[string]string{"credwatchAppId": "a6", "credwatchReplacesKeyId": "k-other"}}}, ""},
		{"tagged with the app only", []inventory.VaultCertificate{{Name: "other-cert", Thumbprint: "0000", Tags: map[string]string{"credwatchAppId": "a6"}}}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := inventory.Vault{Name: "kv-prod", Certificates: c.certs}
			for _, vc := range c.certs {
				v.Secrets = append(v.Secrets, managed(vc.Name))
			}
			tn := &inventory.Tenant{Objects: []inventory.Object{app("o6", "a6", "cert-app", due)}, Vaults: []inventory.Vault{v}}
			s := Plan(tn, planConfig(), planNow)[0]
			if s.Secret != c.secret || (c.secret != "" && (s.Skip != "" || s.StoreFrom != FromVaultTag)) || (c.secret == "" && !strings.Contains(s.Skip, "no vault target")) {
				t.Errorf("step %+v, want target %q", s, c.secret)
			}
		})
	}
}

func TestPlanLifetimeAndDescription(t *testing.T) {
	cases := []struct {
		lifetime, cap int
		want          time.Duration
	}{
		{0, 180, 180 * day},
		{90, 180, 90 * day},
		{400, 180, 180 * day}, // capped: rotation never breaks CW003
	}
	for _, c := range cases {
		cfg := planConfig()
		cfg.Rotation.LifetimeDays, cfg.Rules.CW003.SecretMaxDays = c.lifetime, c.cap
		cfg.Rotation.Description = "  https://runbooks.example/rotate  {app}:{name}  rotated by credwatch "
		tn := &inventory.Tenant{Objects: []inventory.Object{app("o1", "app-cfg", "payroll", secret("k1", "", planNow))}}
		s := Plan(tn, cfg, planNow)[0]
		if got := s.NewEnd.Sub(planNow); got != c.want {
			t.Errorf("lifetimeDays %d with a %d-day cap: %v, want %v", c.lifetime, c.cap, got, c.want)
		}
		if s.NewDisplayName != "https://runbooks.example/rotate payroll:payroll rotated by credwatch" {
			t.Errorf("description %q", s.NewDisplayName)
		}
	}
	if Plan(nil, nil, planNow) != nil {
		t.Error("a nil tenant plans nothing")
	}
}

func TestDecide(t *testing.T) {
	stored := planNow.Add(-3 * day)
	grace := 7 * day
	cases := []struct {
		name                string
		now                 time.Time
		oldLast, newLast    time.Time
		known, unconfirmed  bool
		wait, wasUnconfirmd bool
		reason              string
	}{
		{"moved: new used, old quiet all grace", planNow, planNow.Add(-8 * day), planNow.Add(-time.Hour), true, false, false, false, "new key signs in"},
		{"moved: old never used", planNow, time.Time{}, planNow.Add(-time.Hour), true, false, false, false, "new key signs in"},
		{"old used at exactly the grace boundary", planNow, planNow.Add(-grace), planNow, true, false, false, false, "new key signs in"},
		{"old used within grace", planNow, planNow.Add(-grace + time.Second), planNow, true, false, true, false, "within the grace period"},
		{"new key unused, grace running", planNow, time.Time{}, time.Time{}, true, true, true, false, "not signed in yet"},
		{"new key unused, grace over, no flag", stored.Add(grace), time.Time{}, time.Time{}, true, false, true, false, "--remove-unconfirmed"},
		{"new key unused, grace over, flag", stored.Add(grace), time.Time{}, time.Time{}, true, true, false, true, "grace period over"},
		{"usage unknown, grace over, flag", stored.Add(grace), time.Time{}, time.Time{}, false, true, false, true, "unknown"},
		{"usage unknown, grace one second short", stored.Add(grace - time.Second), time.Time{}, time.Time{}, false, true, true, false, "grace period ends"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := Decide(c.now, stored, grace, c.oldLast, c.newLast, c.known, c.unconfirmed)
			if d.Wait != c.wait || d.Unconfirmed != c.wasUnconfirmd || !strings.Contains(d.Reason, c.reason) {
				t.Errorf("Decide = %+v, want wait %v unconfirmed %v reason ~%q", d, c.wait, c.wasUnconfirmd, c.reason)
			}
		})
	}
}
