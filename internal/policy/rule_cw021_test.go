package policy

import (
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/activity"
	"github.com/credwatch/credwatch/internal/inventory"
)

func TestCW021UnauditedCredential(t *testing.T) {
	prevAt := now.Add(-7 * day)
	previous := func(objs ...inventory.Object) *inventory.Tenant {
		p := tenant(objs...)
		p.CollectedAt = prevAt
		return p
	}
	before := app("a", "billing", validSecret("k-old"))
	current := app("a", "billing", validSecret("k-old"), validSecret("k-new"))
	incomplete := previous(before)
	incomplete.Complete = false
	otherTenant := previous(before)
	otherTenant.ID = "another-tenant"
	windowAt := func(t time.Time) func(*activity.Evidence) {
		return func(ev *activity.Evidence) { ev.AuditSince = t }
	}
	pairedNow := cert("c1", "CN=x", now.Add(-day), now.Add(300*day))
	pairedNow.PairedKeyID = "c1-sign"
	pairedBefore := pairedNow
	pairedBefore.KeyID, pairedBefore.PairedKeyID = "c1-other", "c1-sign"

	runInputCases(t, "CW021", []inputCase{
		{name: "new key without a record", objs: []inventory.Object{current}, prev: previous(before),
			want: "CW021 high obj-a k-new",
			msg:  `client secret "ok k-new" appeared since the previous scan (2026-06-08) with no audit record of its addition`,
			check: func(t *testing.T, fs []Finding) {
				wantEvidence(t, fs[0], map[string]string{"previousScan": "2026-06-08T12:00:00Z", "auditSince": "2026-05-16T12:00:00Z"})
			}},
		{name: "new key with its record", objs: []inventory.Object{current}, prev: previous(before),
			ev: func(ev *activity.Evidence) {
				ev.CredentialAdded["k-new"] = added("obj-a", "k-new", admin(), now.Add(-day))
			}},
		{name: "no previous scan", objs: []inventory.Object{current}},
		{name: "previous scan incomplete", objs: []inventory.Object{current}, prev: incomplete},
		{name: "previous scan of another tenant", objs: []inventory.Object{current}, prev: otherTenant},
		{name: "audit window starts exactly at the previous scan", objs: []inventory.Object{current}, prev: previous(before),
			ev: windowAt(prevAt), want: "CW021 high obj-a k-new"},
		{name: "audit window starts a second after the previous scan", objs: []inventory.Object{current}, prev: previous(before),
			ev: windowAt(prevAt.Add(time.Second))},
		{name: "audit window unknown", objs: []inventory.Object{current}, prev: previous(before), ev: windowAt(time.Time{})},
		{name: "audit log unreadable", objs: []inventory.Object{current}, prev: previous(before),
			ev: func(ev *activity.Evidence) { ev.Unavailable[activity.PartAudits] = "permission denied" }},
		{name: "object new since the previous scan is not judged", objs: []inventory.Object{current}, prev: previous(app("b", "other"))},
		{name: "certificate whose paired key was already there", objs: []inventory.Object{app("a", "billing", pairedNow)},
			prev: previous(app("a", "billing", pairedBefore))},
		{name: "federated credentials are not judged", objs: []inventory.Object{app("a", "billing", federated("f1", "gh"))},
			prev: previous(before)},
	})
}
