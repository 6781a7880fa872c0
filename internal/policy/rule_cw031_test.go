package policy

import (
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/activity"
	"github.com/credwatch/credwatch/internal/inventory"
)

func TestCW031UnusedCredential(t *testing.T) {
	// validSecret starts 30 days ago: exactly unusedDays old.
	fresh := app("a", "billing", validSecret("k1"))
	older := app("a", "billing", secret("k1", "x", now.Add(-30*day-time.Second), now.Add(60*day)))
	used := func(key string, at time.Time) func(*activity.Evidence) {
		return func(ev *activity.Evidence) { ev.Usage.KeyLastSignIn[key] = at }
	}
	saml := sp("s", "sso", cert("c1", "CN=sso", now.Add(-400*day), now.Add(300*day)))
	saml.Credentials[0].Usage = "Sign,Verify"
	authCert := app("a", "billing", cert("c2", "CN=client", now.Add(-400*day), now.Add(300*day)))

	runInputCases(t, "CW031", []inputCase{
		{name: "used exactly 30 days ago", objs: []inventory.Object{older}, ev: used("k1", now.Add(-30*day))},
		{name: "used 30 days and 1 s ago", objs: []inventory.Object{older}, ev: used("k1", now.Add(-30*day-time.Second)),
			want: "CW031 medium obj-a k1",
			msg:  `client secret "x" last signed in 30 days ago (2026-05-16), over the 30-day limit`,
			check: func(t *testing.T, fs []Finding) {
				wantEvidence(t, fs[0], map[string]string{"lastSignIn": "2026-05-16T11:59:59Z", "unusedDays": "30"})
				if fs[0].Deadline == nil || !fs[0].Deadline.Equal(now.Add(60*day)) {
					t.Errorf("deadline = %v, want the credential's end", fs[0].Deadline)
				}
			}},
		{name: "never used, created exactly 30 days ago", objs: []inventory.Object{fresh}},
		{name: "never used, created 30 days and 1 s ago", objs: []inventory.Object{older},
			want: "CW031 medium obj-a k1",
			msg:  `client secret "x" has never signed in since it was created 30 days ago (2026-05-16)`,
			check: func(t *testing.T, fs []Finding) {
				wantEvidence(t, fs[0], map[string]string{"lastSignIn": "never", "created": "2026-05-16T11:59:59Z"})
			}},
		{name: "the report's creation time wins over the start", objs: []inventory.Object{older},
			ev: func(ev *activity.Evidence) {
				ev.Usage.Keys["k1"] = activity.KeyUsage{KeyID: "k1", Created: now.Add(-day)}
			}},
		{name: "a longer limit", objs: []inventory.Object{older}, ev: used("k1", now.Add(-45*day)),
			cfg: func(c *Config) { c.Rules.CW031.UnusedDays = 45 }},
		{name: "usage report unreadable", objs: []inventory.Object{older}, ev: func(ev *activity.Evidence) {
			ev.Unavailable[activity.PartUsage] = "tenant has no Microsoft Entra ID P1/P2 licence; credential usage rules skipped"
		}},
		{name: "expired credentials are CW001's", objs: []inventory.Object{app("a", "n", secret("k1", "x", now.Add(-90*day), now.Add(-time.Second)))}},
		{name: "not yet valid", objs: []inventory.Object{app("a", "n", secret("k1", "x", now.Add(time.Hour), now.Add(90*day)))}},
		{name: "signing certificates never sign in", objs: []inventory.Object{saml}},
		{name: "authentication certificate", objs: []inventory.Object{authCert}, want: "CW031 medium obj-a c2"},
		{name: "federated credentials are not judged", objs: []inventory.Object{app("a", "n", federated("f1", "gh"))}},
		{name: "missing start, never used", objs: []inventory.Object{app("a", "n", secret("k1", "x", time.Time{}, now.Add(90*day)))}},
	})
}
