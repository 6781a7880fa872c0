package policy

import (
	"testing"

	"github.com/credwatch/credwatch/internal/inventory"
)

func TestCW011MultiTenantSecrets(t *testing.T) {
	audience := func(o inventory.Object, a string) inventory.Object {
		o.SignInAudience = a
		return o
	}
	runAppCases(t, "CW011", nil, []appCase{
		{name: "multiple orgs with a secret",
			objs: []inventory.Object{audience(app("a", "saas", validSecret("k1")), "AzureADMultipleOrgs")},
			want: "CW011 low obj-a",
			msg:  "multi-tenant app (AzureADMultipleOrgs) signs in with 1 client secret",
			check: func(t *testing.T, fs []Finding) {
				if fs[0].Evidence["signInAudience"] != "AzureADMultipleOrgs" || fs[0].Evidence["secrets"] != "k1" {
					t.Errorf("evidence = %v", fs[0].Evidence)
				}
			}},
		{name: "personal accounts too",
			objs: []inventory.Object{audience(app("a", "saas", validSecret("k1")), "AzureADandPersonalMicrosoftAccount")},
			want: "CW011 low obj-a"},
		{name: "single tenant",
			objs: []inventory.Object{app("a", "internal", validSecret("k1"))}},
		{name: "unknown audience",
			objs: []inventory.Object{audience(app("a", "x", validSecret("k1")), "")}},
		{name: "certificates only",
			objs: []inventory.Object{audience(app("a", "saas", cert("c1", "x", now.Add(-day), now.Add(90*day))), "AzureADMultipleOrgs")}},
		{name: "secret on its service principal",
			objs: []inventory.Object{
				audience(app("a", "saas"), "AzureADMultipleOrgs"),
				sp("a", "saas", validSecret("k1")),
			},
			want: "CW011 low obj-a"},
		{name: "service principal alone has no audience",
			objs: []inventory.Object{sp("a", "saas", validSecret("k1"))}},
	})
}
