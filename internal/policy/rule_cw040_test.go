package policy

import (
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/activity"
)

func TestCW040TenantPolicy(t *testing.T) {
	restrict := func(enabled bool, rs ...activity.Restriction) func(*activity.Evidence) {
		return func(ev *activity.Evidence) {
			ev.Policy = &activity.TenantPolicy{ID: "00000000-0000-0000-0000-000000000000", Enabled: enabled,
				Application: activity.Restrictions{Password: rs}}
		}
	}
	lifetime := activity.Restriction{Type: "passwordLifetime", Enabled: true, MaxLifetime: 90 * day}
	addition := activity.Restriction{Type: "passwordAddition", Enabled: true}
	off := func(r activity.Restriction) activity.Restriction { r.Enabled = false; return r }
	noMax := lifetime
	noMax.MaxLifetime = 0

	runInputCases(t, "CW040", []inputCase{
		{name: "enabled with both restrictions", ev: restrict(true, lifetime, addition)},
		{name: "disabled", ev: restrict(false, lifetime, addition), want: "CW040 medium tenant",
			msg: "the tenant's default app management policy is disabled, so no credential restriction applies",
			check: func(t *testing.T, fs []Finding) {
				f := fs[0]
				if f.ObjectType != TenantObject || f.ObjectID != "tenant" || f.KeyID != "" || f.AppID != "" {
					t.Errorf("tenant finding fields: %+v", f)
				}
				wantEvidence(t, f, map[string]string{"isEnabled": "false", "policyId": "00000000-0000-0000-0000-000000000000"})
			}},
		{name: "no passwordAddition", ev: restrict(true, lifetime), want: "CW040 medium tenant",
			msg: "the tenant's default app management policy has no enabled passwordAddition restriction on applications"},
		{name: "both missing", ev: restrict(true), want: "CW040 medium tenant",
			check: func(t *testing.T, fs []Finding) {
				wantEvidence(t, fs[0], map[string]string{"missingRestrictions": "passwordLifetime,passwordAddition"})
			}},
		{name: "lifetime restriction switched off", ev: restrict(true, off(lifetime), addition), want: "CW040 medium tenant"},
		{name: "lifetime restriction without a maximum", ev: restrict(true, noMax, addition), want: "CW040 medium tenant"},
		{name: "policy unreadable", ev: func(ev *activity.Evidence) {
			ev.Unavailable[activity.PartDefaultPolicy] = "permission denied"
		}},
		{name: "excepted by tenant id", ev: restrict(false), want: "CW040 medium tenant suppressed",
			cfg: func(c *Config) {
				c.Exceptions = []Exception{{Rule: "CW040", AppID: "tenant", Reason: "rollout in Q3",
					Expires: Date{Time: now.Add(30 * day)}}}
			}},
		{name: "severity pinned", ev: restrict(false), want: "CW040 high tenant",
			cfg: func(c *Config) { h := High; c.Rules.CW040.Severity = &h }},
	})
}

func TestCW040WithoutEvidenceIsSilent(t *testing.T) {
	fs := EvaluateInput(Input{Tenant: tenant(), Now: now}, onlyRule("CW040"))
	if len(fs) != 0 {
		t.Errorf("findings without evidence: %s", summary(fs))
	}
	fs = EvaluateInput(Input{Tenant: tenant(), Now: now.Add(time.Hour), Evidence: newEvidence()}, onlyRule("CW040"))
	if len(fs) != 0 {
		t.Errorf("findings without a policy: %s", summary(fs))
	}
}
