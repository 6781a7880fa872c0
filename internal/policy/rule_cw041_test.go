package policy

import (
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/activity"
	"github.com/credwatch/credwatch/internal/inventory"
)

func TestCW041CredentialViolatesTenantPolicy(t *testing.T) {
	cutoff := at("2021-01-01T00:00:00Z")
	start := now.Add(-10 * day)
	created := func(o inventory.Object, at time.Time) inventory.Object { o.CreatedAt = at; return o }
	newApp := func(creds ...inventory.Credential) inventory.Object {
		return created(app("a", "billing", creds...), cutoff.Add(time.Second))
	}
	s90 := secret("k90", "x", start, start.Add(90*day))
	s90plus := secret("k91", "x", start, start.Add(90*day+time.Second))
	c400 := cert("c1", "CN=x", start, start.Add(400*day))
	lifetime := activity.Restriction{Type: "passwordLifetime", Enabled: true, MaxLifetime: 90 * day, CreatedAfter: cutoff}
	certLife := activity.Restriction{Type: "asymmetricKeyLifetime", Enabled: true, MaxLifetime: 365 * day}
	addition := activity.Restriction{Type: "passwordAddition", Enabled: true, CreatedAfter: cutoff}
	policy := func(enabled bool, app activity.Restrictions) func(*activity.Evidence) {
		return func(ev *activity.Evidence) {
			ev.Policy = &activity.TenantPolicy{ID: "default", Enabled: enabled, Application: app,
				ServicePrincipal: activity.Restrictions{Password: []activity.Restriction{{Type: "passwordLifetime", Enabled: true, MaxLifetime: 30 * day}}}}
		}
	}
	lifeOnly := policy(true, activity.Restrictions{Password: []activity.Restriction{lifetime}, Key: []activity.Restriction{certLife}})
	withAddition := policy(true, activity.Restrictions{Password: []activity.Restriction{addition}})
	custom := func(enabled bool, objectID string, r ...activity.Restriction) func(*activity.Evidence) {
		return func(ev *activity.Evidence) {
			lifeOnly(ev)
			ev.Policies = []activity.CustomPolicy{{ID: "vendor", Enabled: enabled, AppliesTo: []string{objectID},
				Restrictions: activity.Restrictions{Password: r}}}
		}
	}

	runInputCases(t, "CW041", []inputCase{
		{name: "lifetime exactly the maximum", objs: []inventory.Object{newApp(s90)}, ev: lifeOnly},
		{name: "lifetime a second over", objs: []inventory.Object{newApp(s90plus)}, ev: lifeOnly,
			want: "CW041 medium obj-a k91",
			msg:  `client secret "x" is valid for more than 90 days, over the policy's 90-day passwordLifetime limit for apps created after 2021-01-01; it predates the restriction or the app is excluded`,
			check: func(t *testing.T, fs []Finding) {
				wantEvidence(t, fs[0], map[string]string{"policy": "default", "restriction": "passwordLifetime",
					"maxLifetimeDays": "90", "lifetimeDays": "91", "objectCreated": "2021-01-01T00:00:01Z"})
			}},
		{name: "app created exactly at the cutoff", objs: []inventory.Object{created(app("a", "b", s90plus), cutoff)}, ev: lifeOnly},
		{name: "app created before the cutoff", objs: []inventory.Object{created(app("a", "b", s90plus), cutoff.Add(-day))}, ev: lifeOnly},
		{name: "application of unknown age", objs: []inventory.Object{app("a", "b", s90plus)}, ev: lifeOnly},
		{name: "certificate over a restriction for every app", objs: []inventory.Object{app("a", "b", c400)}, ev: lifeOnly,
			want: "CW041 medium obj-a c1"},
		{name: "service principals follow their own restrictions", objs: []inventory.Object{sp("s", "b", secret("k1", "x", start, start.Add(31*day)))},
			ev: lifeOnly, want: "CW041 medium sp-s k1"},
		{name: "service principal of unknown age counts as created in 2019", objs: []inventory.Object{sp("s", "b", s90plus)},
			ev: policy(true, activity.Restrictions{}), want: "CW041 medium sp-s k91"},
		{name: "secret where passwordAddition forbids secrets", objs: []inventory.Object{newApp(validSecret("k1"), c400)}, ev: withAddition,
			want: "CW041 medium obj-a k1",
			msg:  `client secret "ok k1" exists although the policy blocks new client secrets (passwordAddition) for apps created after 2021-01-01; it predates the restriction or the app is excluded`},
		{name: "both at once", objs: []inventory.Object{newApp(s90plus)},
			ev:   policy(true, activity.Restrictions{Password: []activity.Restriction{lifetime, addition}}),
			want: "CW041 medium obj-a k91",
			check: func(t *testing.T, fs []Finding) {
				wantEvidence(t, fs[0], map[string]string{"restriction": "passwordLifetime,passwordAddition"})
			}},
		{name: "policy disabled", objs: []inventory.Object{newApp(s90plus)}, ev: func(ev *activity.Evidence) {
			lifeOnly(ev)
			ev.Policy.Enabled = false
		}},
		{name: "restriction disabled", objs: []inventory.Object{newApp(s90plus)},
			ev: policy(true, activity.Restrictions{Password: []activity.Restriction{{Type: "passwordLifetime", MaxLifetime: 90 * day}}})},
		{name: "a custom policy replaces the default", objs: []inventory.Object{newApp(s90plus)}, ev: custom(true, "obj-a")},
		{name: "a custom policy's own limit", objs: []inventory.Object{newApp(s90plus)},
			ev:   custom(true, "OBJ-A", activity.Restriction{Type: "passwordLifetime", Enabled: true, MaxLifetime: 30 * day}),
			want: "CW041 medium obj-a k91",
			check: func(t *testing.T, fs []Finding) {
				wantEvidence(t, fs[0], map[string]string{"policy": "vendor", "maxLifetimeDays": "30"})
			}},
		{name: "a disabled custom policy leaves the default", objs: []inventory.Object{newApp(s90plus)}, ev: custom(false, "obj-a"),
			want: "CW041 medium obj-a k91"},
		{name: "expired credentials are CW001's", objs: []inventory.Object{newApp(secret("k1", "x", now.Add(-400*day), now.Add(-day)))}, ev: withAddition},
		{name: "policy unreadable", objs: []inventory.Object{newApp(s90plus)}, ev: func(ev *activity.Evidence) {
			lifeOnly(ev)
			ev.Unavailable[activity.PartDefaultPolicy] = "permission denied"
		}},
	})
}
