package policy

import (
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/activity"
	"github.com/credwatch/credwatch/internal/inventory"
)

func TestCW022OwnerAddedToPrivilegedApp(t *testing.T) {
	privileged := withPerms(app("a", "billing", validSecret("k1")), "Application.ReadWrite.All", "User.Read.All")
	privSP := withPerms(sp("a", "billing"), "Application.ReadWrite.All")
	plain := withPerms(app("a", "billing"), "User.Read.All")
	bob := func(objectID string, when time.Time) activity.OwnerChange {
		return activity.OwnerChange{RecordID: "r-bob", ObjectID: objectID, OwnerID: "u-bob", OwnerType: inventory.OwnerUser,
			OwnerName: "bob@contoso.example", When: when, Actor: admin()}
	}
	robot := activity.OwnerChange{RecordID: "r-robot", ObjectID: "sp-a", OwnerID: "sp-robot", OwnerType: inventory.OwnerServicePrincipal,
		OwnerName: "robot", When: now.Add(-time.Hour), Actor: activity.Actor{Type: activity.ActorApp, Name: "github-deploy", AppID: "a11ce"}}
	adds := func(ocs ...activity.OwnerChange) func(*activity.Evidence) {
		return func(ev *activity.Evidence) { ev.OwnerAdded = ocs }
	}

	runInputCases(t, "CW022", []inputCase{
		{name: "owner added to the application object", objs: []inventory.Object{privileged}, ev: adds(bob("obj-a", now.Add(-2*day))),
			want: "CW022 medium obj-a",
			msg:  `1 owner added to app with critical application permissions (Application.ReadWrite.All): bob@contoso.example; latest 2026-06-13 by "admin@contoso.example" (user, from 198.51.100.10)`,
			check: func(t *testing.T, fs []Finding) {
				wantEvidence(t, fs[0], map[string]string{"owners": "bob@contoso.example", "ownerIds": "u-bob",
					"actors": "admin@contoso.example", "when": "2026-06-13T12:00:00Z",
					"permissions": "Microsoft Graph: Application.ReadWrite.All (critical)"})
			}},
		{name: "owners added to the application and its service principal", objs: []inventory.Object{privileged, privSP},
			ev:   adds(robot, bob("obj-a", now.Add(-2*day))),
			want: "CW022 medium obj-a",
			msg:  `2 owners added to app with critical application permissions (Application.ReadWrite.All): bob@contoso.example, robot (servicePrincipal); latest 2026-06-15 by "github-deploy" (app a11ce)`},
		{name: "service principal alone", objs: []inventory.Object{privSP}, ev: adds(robot), want: "CW022 medium sp-a"},
		{name: "app without privileged permissions", objs: []inventory.Object{plain}, ev: adds(bob("obj-a", now))},
		{name: "owner added to another app", objs: []inventory.Object{privileged}, ev: adds(bob("obj-other", now))},
		{name: "added exactly at the window's start", objs: []inventory.Object{privileged}, ev: adds(bob("obj-a", auditSince)),
			want: "CW022 medium obj-a"},
		{name: "added before the window", objs: []inventory.Object{privileged}, ev: adds(bob("obj-a", auditSince.Add(-time.Second)))},
		{name: "audit log unreadable", objs: []inventory.Object{privileged}, ev: func(ev *activity.Evidence) {
			adds(bob("obj-a", now))(ev)
			ev.Unavailable[activity.PartAudits] = "permission denied"
		}},
	})
}
