package policy

import (
	"strings"
	"testing"

	"github.com/credwatch/credwatch/internal/inventory"
)

// appCase is a table row for the app-level rules: a tenant and the
// expected findings in summary form.
type appCase struct {
	name  string
	objs  []inventory.Object
	want  string
	msg   string
	check func(t *testing.T, fs []Finding)
}

func runAppCases(t *testing.T, ruleID string, cfg *Config, cases []appCase) {
	t.Helper()
	if cfg == nil {
		cfg = onlyRule(ruleID)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs := Evaluate(tenant(tc.objs...), cfg, now)
			if got := summary(fs); got != tc.want {
				t.Errorf("got  %s\nwant %s\n%s", got, tc.want, messages(fs))
			}
			for _, f := range fs {
				if f.KeyID != "" || f.ID != FindingID(ruleID, f.ObjectID, "") {
					t.Errorf("app-level finding must be object-level: %+v", f)
				}
			}
			if tc.msg != "" && (len(fs) == 0 || fs[0].Message != tc.msg) {
				t.Errorf("message:\n got %q\nwant %q", first(fs).Message, tc.msg)
			}
			if tc.check != nil && len(fs) > 0 {
				tc.check(t, fs)
			}
		})
	}
}

func first(fs []Finding) Finding {
	if len(fs) == 0 {
		return Finding{}
	}
	return fs[0]
}

func withPerms(o inventory.Object, perms ...string) inventory.Object {
	for _, p := range perms {
		o.Permissions = append(o.Permissions, graphPerm(p))
	}
	return o
}

func TestCW006PrivilegedAppWithSecret(t *testing.T) {
	expired := secret("old", "x", now.Add(-90*day), now.Add(-day))
	exo := inventory.Permission{Resource: "Office 365 Exchange Online", ResourceAppID: "00000002-0000-0ff1-ce00-000000000000", Value: "full_access_as_app"}
	runAppCases(t, "CW006", nil, []appCase{
		{name: "critical permission and a secret",
			objs: []inventory.Object{withPerms(app("a", "mailer", validSecret("k1")), "Mail.Send", "User.Read.All")},
			want: "CW006 high obj-a",
			msg:  "app holds critical application permissions (Mail.Send) and signs in with 1 client secret; use a certificate or federated credential",
			check: func(t *testing.T, fs []Finding) {
				if fs[0].Evidence["permissions"] != "Microsoft Graph: Mail.Send (critical)" || fs[0].Evidence["secrets"] != "k1" {
					t.Errorf("evidence = %v", fs[0].Evidence)
				}
			}},
		{name: "high permission is medium",
			objs: []inventory.Object{withPerms(app("a", "reader", validSecret("k1"), validSecret("k2")), "Mail.Read")},
			want: "CW006 medium obj-a",
			msg:  "app holds high application permissions (Mail.Read) and signs in with 2 client secrets; use a certificate or federated credential"},
		{name: "medium permission is not privileged",
			objs: []inventory.Object{withPerms(app("a", "dir", validSecret("k1")), "Directory.Read.All")}},
		{name: "certificate only",
			objs: []inventory.Object{withPerms(app("a", "ok", cert("c1", "x", now.Add(-day), now.Add(90*day))), "Mail.Send")}},
		{name: "expired secret does not count",
			objs: []inventory.Object{withPerms(app("a", "ok", expired), "Mail.Send")}},
		{name: "unknown permission",
			objs: []inventory.Object{withPerms(app("a", "x", validSecret("k1")), "Some.Custom.Role")}},
		{name: "secret on the service principal, permissions on the app: one finding on the app",
			objs: []inventory.Object{
				withPerms(app("a", "svc"), "Application.ReadWrite.All"),
				withPerms(sp("a", "svc", validSecret("spk")), "Application.ReadWrite.All"),
			},
			want: "CW006 high obj-a"},
		{name: "service principal alone reports itself",
			objs: []inventory.Object{withPerms(sp("a", "svc", validSecret("spk")), "Files.ReadWrite.All")},
			want: "CW006 high sp-a"},
		{name: "exchange permission, many listed",
			objs: []inventory.Object{{
				Type: inventory.Application, ID: "obj-a", AppID: "a", DisplayName: "big",
				Credentials: []inventory.Credential{validSecret("k1")},
				Permissions: []inventory.Permission{exo, graphPerm("Mail.Read"), graphPerm("Sites.FullControl.All"), graphPerm("Directory.ReadWrite.All"), graphPerm("User.ReadWrite.All")},
			}},
			want: "CW006 high obj-a",
			msg:  "app holds critical application permissions (Directory.ReadWrite.All, Sites.FullControl.All, full_access_as_app and 2 more) and signs in with 1 client secret; use a certificate or federated credential",
			check: func(t *testing.T, fs []Finding) {
				want := "Microsoft Graph: Directory.ReadWrite.All (critical); Microsoft Graph: Sites.FullControl.All (critical); Office 365 Exchange Online: full_access_as_app (critical); Microsoft Graph: Mail.Read (high); Microsoft Graph: User.ReadWrite.All (high)"
				if got := fs[0].Evidence["permissions"]; got != want {
					t.Errorf("permissions evidence\n got %s\nwant %s", got, want)
				}
			}},
	})
}

func TestCW006PermissionTierOverrides(t *testing.T) {
	cfg := onlyRule("CW006")
	cfg.PermissionTiers = []TierOverride{
		{Resource: strings.ToUpper(graphAppID), Permission: "Directory.Read.All", Tier: TierCritical},
		{Resource: graphAppID, Permission: "Mail.Send", Tier: TierNone},
		{Resource: "11111111-0000-0000-0000-000000000000", Permission: "role-guid", Tier: TierHigh},
	}
	objs := []inventory.Object{
		withPerms(app("a", "dir", validSecret("k1")), "Directory.Read.All"),
		withPerms(app("b", "mail", validSecret("k1")), "Mail.Send"),
		{Type: inventory.Application, ID: "obj-c", AppID: "c", DisplayName: "custom",
			Credentials: []inventory.Credential{validSecret("k1")},
			// An unresolved permission carries its appRoleId as the value.
			Permissions: []inventory.Permission{{ResourceAppID: "11111111-0000-0000-0000-000000000000", AppRoleID: "role-guid", Value: "role-guid"}}},
	}
	if got := summary(Evaluate(tenant(objs...), cfg, now)); got != "CW006 high obj-a; CW006 medium obj-c" {
		t.Errorf("got %s", got)
	}
}
