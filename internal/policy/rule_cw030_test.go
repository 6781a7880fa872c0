package policy

import (
	"net/netip"
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/activity"
	"github.com/credwatch/credwatch/internal/inventory"
)

func TestCW030SignInOutsideDeclaredNetworks(t *testing.T) {
	payroll := app("pay", "payroll-export", validSecret("k1"), validSecret("k2"))
	signIn := func(id, appID, key, ip string, when time.Time) activity.SignIn {
		return activity.SignIn{ID: id, AppID: appID, KeyID: key, CredentialType: "clientSecret",
			IP: netip.MustParseAddr(ip), Location: "Frankfurt am Main, Hessen, DE", When: when, Success: true}
	}
	signIns := func(s ...activity.SignIn) func(*activity.Evidence) {
		return func(ev *activity.Evidence) { ev.SignIns = s }
	}
	declare := func(n ...Network) func(*Config) {
		return func(c *Config) { c.Rules.CW030.Networks = n }
	}
	corp := declare(Network{App: "payroll-*", CIDRs: []string{"198.51.100.0/24", "2001:db8::/32"}})

	runInputCases(t, "CW030", []inputCase{
		{name: "inside the declared range", objs: []inventory.Object{payroll}, cfg: corp,
			ev: signIns(signIn("s1", "pay", "k1", "198.51.100.255", now))},
		{name: "just outside the range", objs: []inventory.Object{payroll}, cfg: corp,
			ev:   signIns(signIn("s1", "pay", "k1", "198.51.101.0", now.Add(-time.Hour))),
			want: "CW030 high obj-pay k1",
			msg:  `client secret "ok k1" signed in 1 time from outside the declared networks; latest from 198.51.101.0 (Frankfurt am Main, Hessen, DE) on 2026-06-15`,
			check: func(t *testing.T, fs []Finding) {
				wantEvidence(t, fs[0], map[string]string{"keyId": "k1", "ip": "198.51.101.0", "count": "1",
					"location": "Frankfurt am Main, Hessen, DE", "when": "2026-06-15T11:00:00Z", "signIn": "s1",
					"networks": "198.51.100.0/24, 2001:db8::/32"})
			}},
		{name: "IPv6 inside", objs: []inventory.Object{payroll}, cfg: corp, ev: signIns(signIn("s1", "pay", "k1", "2001:db8:5f0c::1", now))},
		{name: "one finding per key with the count and the latest", objs: []inventory.Object{payroll}, cfg: corp,
			ev: signIns(
				signIn("s1", "pay", "k1", "203.0.113.1", now.Add(-3*day)),
				signIn("s2", "pay", "k2", "203.0.113.2", now.Add(-2*day)),
				signIn("s3", "pay", "k1", "198.51.100.7", now.Add(-36*time.Hour)),
				signIn("s4", "pay", "k1", "203.0.113.9", now.Add(-day))),
			want: "CW030 high obj-pay k1; CW030 high obj-pay k2",
			check: func(t *testing.T, fs []Finding) {
				wantEvidence(t, fs[0], map[string]string{"count": "2", "ip": "203.0.113.9", "signIn": "s4"})
			}},
		{name: "apps without a declaration are not judged", objs: []inventory.Object{app("other", "reporting", validSecret("k9"))},
			cfg: corp, ev: signIns(signIn("s1", "other", "k9", "203.0.113.1", now))},
		{name: "declared by app id, failed sign-in", objs: []inventory.Object{app("other", "reporting", validSecret("k9"))},
			cfg: declare(Network{AppID: "OTHER", CIDRs: []string{"192.0.2.10"}}),
			ev: func(ev *activity.Evidence) {
				s := signIn("s1", "other", "k9", "192.0.2.11", now)
				s.Success = false
				ev.SignIns = []activity.SignIn{s, signIn("s2", "other", "k9", "192.0.2.10", now)}
			},
			want:  "CW030 high obj-other k9",
			check: func(t *testing.T, fs []Finding) { wantEvidence(t, fs[0], map[string]string{"latestFailed": "true"}) }},
		{name: "key no longer on the app", objs: []inventory.Object{payroll}, cfg: corp,
			ev:   signIns(signIn("s1", "pay", "gone-key-1234", "203.0.113.1", now)),
			want: "CW030 high obj-pay gone-key-1234",
			msg:  `credential with key gone-key signed in 1 time from outside the declared networks; latest from 203.0.113.1 (Frankfurt am Main, Hessen, DE) on 2026-06-15`},
		{name: "key on the service principal", objs: []inventory.Object{payroll, sp("pay", "payroll-export", validSecret("sp-k"))}, cfg: corp,
			ev: signIns(signIn("s1", "pay", "sp-k", "203.0.113.1", now)), want: "CW030 high sp-pay sp-k"},
		{name: "federated sign-in has no key", objs: []inventory.Object{payroll}, cfg: corp,
			ev: func(ev *activity.Evidence) {
				s := signIn("s1", "pay", "", "203.0.113.1", now)
				s.CredentialType = "federatedIdentityCredential"
				ev.SignIns = []activity.SignIn{s}
			},
			want: "CW030 high obj-pay",
			msg:  `app (federatedIdentityCredential) signed in 1 time from outside the declared networks; latest from 203.0.113.1 (Frankfurt am Main, Hessen, DE) on 2026-06-15`},
		{name: "app outside the rule's scope", objs: []inventory.Object{payroll},
			cfg: func(c *Config) {
				corp(c)
				c.Rules.CW030.Scope.Exclude.Names = []string{"payroll-*"}
			},
			ev: signIns(signIn("s1", "pay", "k1", "203.0.113.1", now))},
		{name: "sign-ins unreadable", objs: []inventory.Object{payroll}, cfg: corp, ev: func(ev *activity.Evidence) {
			signIns(signIn("s1", "pay", "k1", "203.0.113.1", now))(ev)
			ev.Unavailable[activity.PartSignIns] = "tenant has no Microsoft Entra ID P1/P2 licence; sign-in rules skipped"
		}},
		{name: "no declarations", objs: []inventory.Object{payroll}, ev: signIns(signIn("s1", "pay", "k1", "203.0.113.1", now))},
	})
}
