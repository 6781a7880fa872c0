package policy

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/credwatch/credwatch/internal/activity"
	"github.com/credwatch/credwatch/internal/inventory"
)

func TestEvaluateInputWithoutEvidenceIsEvaluate(t *testing.T) {
	objs := []inventory.Object{
		app("a", "n", secret("k1", "", now.Add(-400*day), now.Add(7*day)), secret("k2", "x", now.Add(-day), now.Add(-1))),
		withPerms(app("b", "m", validSecret("k3")), "Mail.Send"),
	}
	want := Evaluate(tenant(objs...), nil, now)
	got := EvaluateInput(Input{Tenant: tenant(objs...), Previous: BaselineOf(tenant()), Now: now}, nil)
	if !reflect.DeepEqual(got, want) || len(want) == 0 {
		t.Errorf("EvaluateInput without evidence differs from Evaluate:\n%s\nwant\n%s", messages(got), messages(want))
	}
}

func TestEvaluateInputDefaultsNowToTheScanTime(t *testing.T) {
	tn := tenant(app("a", "n", secret("k1", "x", now.Add(-100*day), now.Add(3*day))))
	fs := EvaluateInput(Input{Tenant: tn}, onlyRule("CW002"))
	if len(fs) != 1 || !strings.Contains(fs[0].Message, "expires in 3 days") {
		t.Errorf("findings = %s", messages(fs))
	}
	if fs := EvaluateInput(Input{}, nil); len(fs) != 0 {
		t.Errorf("empty input gave %s", summary(fs))
	}
}

// healthyWithEvidence is n clean apps and evidence under which every
// activity rule runs and finds nothing: their credentials were added by
// the admin, used yesterday from the declared network, and within the
// tenant policy.
func healthyWithEvidence(n int) (*inventory.Tenant, *activity.Evidence) {
	ev := newEvidence()
	ev.Policy = &activity.TenantPolicy{Enabled: true, Application: activity.Restrictions{Password: []activity.Restriction{
		{Type: "passwordLifetime", Enabled: true, MaxLifetime: 365 * day},
		{Type: "passwordAddition", Enabled: true, CreatedAfter: now}}}}
	ev.Policies = []activity.CustomPolicy{{ID: "p", Enabled: true, AppliesTo: []string{"nobody"}}}
	ev.OwnerAdded = []activity.OwnerChange{{ObjectID: "nobody", When: now}}
	var objs []inventory.Object
	for i := range n {
		id := strings.Repeat("x", i%7) + string(rune('a'+i%26))
		o := withPerms(app(id, "app", validSecret("k1"), cert("c1", "c", now.Add(-day), now.Add(300*day)), federated("f1", "gh")), "User.Read.All")
		o.Owners = []*inventory.Owner{{ID: "u"}}
		objs = append(objs, o, sp(id, "app"))
	}
	objs = append(objs, app("solo", "solo", validSecret("k1")))
	for _, k := range []string{"k1", "c1"} {
		ev.CredentialAdded[k] = added("", k, admin(), now.Add(-day))
		ev.Usage.KeyLastSignIn[k] = now.Add(-day)
	}
	ev.SignIns = []activity.SignIn{{ID: "s", AppID: "solo", KeyID: "k1", IP: netip.MustParseAddr("198.51.100.1"), When: now}}
	return tenant(objs...), ev
}

func TestActivityRulesWithoutFindingsDoNotAllocatePerCredential(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Rules.CW020.AllowedActors = []string{"admin@contoso.example"}
	cfg.Rules.CW030.Networks = []Network{{App: "*", CIDRs: []string{"198.51.100.0/24"}}}
	cfg.Rules.CW003.Thresholds = ThresholdsFromTenantPolicy
	smallT, smallEv := healthyWithEvidence(10)
	largeT, largeEv := healthyWithEvidence(1000)
	in := func(t *inventory.Tenant, ev *activity.Evidence) Input {
		return Input{Tenant: t, Evidence: ev, Now: now}
	}
	if fs := EvaluateInput(in(largeT, largeEv), cfg); len(fs) != 0 {
		t.Fatalf("healthy tenant has findings:\n%s", messages(fs))
	}
	// Every activity rule ran: each has its evidence.
	e := &evaluator{c: compile(cfg, now), now: now}
	e.act = prepareActivity(e.c, cfg, &Input{Tenant: largeT, Evidence: largeEv, Now: now})
	for _, ri := range []int{iCW020, iCW022, iCW030, iCW031, iCW040, iCW041} {
		if !registry[ri].needs(e) {
			t.Errorf("%s would not run", registry[ri].id)
		}
	}
	a := testing.AllocsPerRun(5, func() { EvaluateInput(in(smallT, smallEv), cfg) })
	b := testing.AllocsPerRun(5, func() { EvaluateInput(in(largeT, largeEv), cfg) })
	if b != a {
		t.Errorf("allocations grow with clean credentials: %v for 30, %v for 3000", a, b)
	}
}
