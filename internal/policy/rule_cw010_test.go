package policy

import (
	"testing"

	"github.com/credwatch/credwatch/internal/inventory"
)

func TestCW010PrivilegedAppOwners(t *testing.T) {
	alice := &inventory.Owner{Type: inventory.OwnerUser, ID: "u1", DisplayName: "Alice", UserPrincipalName: "alice@contoso.com"}
	ops := &inventory.Owner{Type: inventory.OwnerGroup, ID: "g1", DisplayName: "ops"}
	owned := func(o inventory.Object, owners ...*inventory.Owner) inventory.Object {
		o.Owners = owners
		return o
	}
	runAppCases(t, "CW010", nil, []appCase{
		{name: "critical permission with an owner is high",
			objs: []inventory.Object{owned(withPerms(app("a", "svc"), "RoleManagement.ReadWrite.Directory"), alice)},
			want: "CW010 high obj-a",
			msg:  "app with critical application permissions (RoleManagement.ReadWrite.Directory) has 1 owner who can add credentials to it: alice@contoso.com",
			check: func(t *testing.T, fs []Finding) {
				ev := fs[0].Evidence
				if ev["owners"] != "alice@contoso.com" || ev["ownerIds"] != "u1" || ev["permissions"] != "Microsoft Graph: RoleManagement.ReadWrite.Directory (critical)" {
					t.Errorf("evidence = %v", ev)
				}
			}},
		{name: "high permission is medium",
			objs: []inventory.Object{owned(withPerms(app("a", "svc"), "Group.ReadWrite.All"), alice)},
			want: "CW010 medium obj-a"},
		{name: "no owners",
			objs: []inventory.Object{withPerms(app("a", "svc"), "Mail.Send")}},
		{name: "owners but nothing privileged",
			objs: []inventory.Object{owned(withPerms(app("a", "svc"), "User.Read.All"), alice)}},
		{name: "owners of the app and its service principal, merged",
			objs: []inventory.Object{
				owned(withPerms(app("a", "svc"), "Mail.ReadWrite"), alice),
				owned(withPerms(sp("a", "svc"), "Mail.ReadWrite"), alice, ops),
			},
			want: "CW010 high obj-a",
			msg:  "app with critical application permissions (Mail.ReadWrite) has 2 owners who can add credentials to it: alice@contoso.com, ops (group)"},
		{name: "permissions only on the service principal",
			objs: []inventory.Object{
				owned(app("a", "svc"), alice),
				withPerms(sp("a", "svc"), "Mail.ReadWrite"),
			},
			want: "CW010 high obj-a"},
		{name: "service principal alone",
			objs: []inventory.Object{owned(withPerms(sp("a", "svc"), "Application.ReadWrite.OwnedBy"), ops)},
			want: "CW010 medium sp-a"},
	})
}
