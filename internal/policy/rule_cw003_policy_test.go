package policy

import (
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/activity"
	"github.com/credwatch/credwatch/internal/inventory"
)

func TestCW003ThresholdsFromTenantPolicy(t *testing.T) {
	start := now.Add(-10 * day)
	objs := []inventory.Object{app("a", "n",
		secret("s90", "x", start, start.Add(90*day)),
		secret("s91", "x", start, start.Add(91*day)),
		cert("c200", "x", start, start.Add(200*day)),
		cert("c366", "x", start, start.Add(366*day)))}
	fromPolicy := func(c *Config) { c.Rules.CW003.Thresholds = ThresholdsFromTenantPolicy }
	policy := func(enabled bool, rs ...activity.Restriction) func(*activity.Evidence) {
		return func(ev *activity.Evidence) {
			ev.Policy = &activity.TenantPolicy{Enabled: enabled, Application: activity.Restrictions{Password: rs[:1], Key: rs[1:]}}
		}
	}
	p90 := activity.Restriction{Type: "passwordLifetime", Enabled: true, MaxLifetime: 90 * day}
	c180 := activity.Restriction{Type: "asymmetricKeyLifetime", Enabled: true, MaxLifetime: 180 * day}
	half := activity.Restriction{Type: "passwordLifetime", Enabled: true, MaxLifetime: 90*day + 12*time.Hour}

	runInputCases(t, "CW003", []inputCase{
		{name: "configured limits by default", objs: objs, ev: policy(true, p90, c180), want: "CW003 medium obj-a c366"},
		{name: "the policy's limits", objs: objs, ev: policy(true, p90, c180), cfg: fromPolicy,
			want: "CW003 medium obj-a s91; CW003 medium obj-a c200; CW003 medium obj-a c366",
			check: func(t *testing.T, fs []Finding) {
				for _, f := range fs {
					if f.KeyID == "s91" {
						if f.Message != `client secret "x" is valid for 91 days (2026-06-05 to 2026-09-04), over the tenant policy's 90-day maximum` {
							t.Errorf("message = %q", f.Message)
						}
						wantEvidence(t, f, map[string]string{"maxDays": "90", "lifetimeDays": "91", "source": "tenantPolicy"})
					}
				}
			}},
		{name: "a limit that is not whole days", objs: objs, ev: policy(true, half), cfg: fromPolicy,
			want:  "CW003 medium obj-a s91; CW003 medium obj-a c366",
			check: func(t *testing.T, fs []Finding) { wantEvidence(t, fs[0], map[string]string{"maxDays": "90.5"}) }},
		{name: "disabled policy: configured limits", objs: objs, ev: policy(false, p90, c180), cfg: fromPolicy,
			want: "CW003 medium obj-a c366"},
		{name: "disabled restriction: configured limit", objs: objs, cfg: fromPolicy,
			ev:   policy(true, activity.Restriction{Type: "passwordLifetime", MaxLifetime: 30 * day}, c180),
			want: "CW003 medium obj-a c200; CW003 medium obj-a c366"},
		{name: "no evidence: configured limits", objs: objs, cfg: fromPolicy, want: "CW003 medium obj-a c366"},
	})
}

func TestCW001HighWhenEvidenceShowsUse(t *testing.T) {
	obj := app("app-1", "billing", secret("k1", "x", now.Add(-100*day), now.Add(-5*day)))
	ev := newEvidence()
	ev.Usage.AppLastSignIn["app-1"] = now.Add(-day)
	fs := EvaluateInput(Input{Tenant: tenant(obj), Evidence: ev, Now: now}, onlyRule("CW001"))
	if got := summary(fs); got != "CW001 high obj-app-1 k1" {
		t.Errorf("got %s, want CW001 high", got)
	}
	ev.Unavailable[activity.PartUsage] = "licence"
	ev.Unavailable[activity.PartSignIns] = "licence"
	fs = EvaluateInput(Input{Tenant: tenant(obj), Evidence: ev, Now: now}, onlyRule("CW001"))
	if got := summary(fs); got != "CW001 medium obj-app-1 k1" {
		t.Errorf("without usage parts got %s, want CW001 medium", got)
	}
}
