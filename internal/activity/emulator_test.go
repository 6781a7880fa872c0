package activity

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/azure"
	"github.com/credwatch/credwatch/internal/azure/graph"
	"github.com/credwatch/credwatch/internal/emulator"
	"github.com/credwatch/credwatch/internal/emulator/tenantgen"
	"github.com/credwatch/credwatch/internal/inventory"
	"github.com/credwatch/credwatch/internal/msgraph"
)

// TestFetchAgainstTheEmulator runs Fetch and Parse end to end: azidentity
// gets a token from the emulator's token service, the Graph client reads
// the demo tenant's activity over HTTPS, paced against the emulator's own
// reports throttle, and the evidence holds what the demo tenant planted.
func TestFetchAgainstTheEmulator(t *testing.T) {
	now := time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
	dir := tenantgen.Demo(now)
	all := []string{"Application.Read.All", "AuditLog.Read.All", "Policy.Read.All"}

	t.Run("licensed tenant, every permission", func(t *testing.T) {
		act, c := fetchFromEmulator(t, dir, now, emulator.Options{}, all)
		want := dir.Activity
		if len(act.Unavailable) != 0 {
			t.Fatalf("unavailable: %v", act.Unavailable)
		}
		// The filter drops nothing the demo holds: it is all in the window.
		if len(act.DirectoryAudits) != len(want.DirectoryAudits) || len(act.SignIns) != len(want.SignIns) ||
			len(act.CredentialSignInActivities) != len(want.CredentialSignInActivities) ||
			len(act.AppManagementPolicies) != len(want.AppManagementPolicies) || act.DefaultAppManagementPolicy == nil {
			t.Errorf("fetched %d audits, %d sign-ins, %d usage, %d policies; the demo has %d, %d, %d, %d",
				len(act.DirectoryAudits), len(act.SignIns), len(act.CredentialSignInActivities), len(act.AppManagementPolicies),
				len(want.DirectoryAudits), len(want.SignIns), len(want.CredentialSignInActivities), len(want.AppManagementPolicies))
		}
		if st := c.Stats(); st.Throttled != 0 {
			t.Errorf("%d requests throttled; pacing should avoid every 429", st.Throttled)
		}

		tn, err := inventory.Build(&inventory.Snapshot{Complete: true, CollectedAt: now, Directory: *dir}, "demo")
		if err != nil {
			t.Fatal(err)
		}
		ev, err := Parse(act, tn)
		if err != nil {
			t.Fatal(err)
		}
		byName := map[string]*inventory.Object{}
		for i := range tn.Objects {
			if tn.Objects[i].Type == inventory.Application {
				byName[tn.Objects[i].DisplayName] = &tn.Objects[i]
			}
		}
		tp := byName["tenant-provisioning"]
		var mallory *Change
		for _, c := range ev.CredentialAdded {
			if c.ObjectID == tp.ID && c.Actor.Name == tenantgen.DemoMalloryUPN {
				mallory = &c
			}
		}
		if mallory == nil || mallory.Actor.IP != tenantgen.DemoMalloryIP || mallory.AppID != tp.AppID {
			t.Errorf("no credential added to tenant-provisioning by %s: %+v", tenantgen.DemoMalloryUPN, mallory)
		}
		dsa := byName["directory-sync-admin"]
		if !slices.ContainsFunc(ev.OwnerAdded, func(o OwnerChange) bool { return o.ObjectID == dsa.ID }) {
			t.Errorf("no owner addition on directory-sync-admin: %+v", ev.OwnerAdded)
		}
		if !slices.ContainsFunc(ev.SignIns, func(s SignIn) bool { return s.IP.String() == tenantgen.DemoStrayIP }) {
			t.Errorf("no sign-in from %s", tenantgen.DemoStrayIP)
		}
		if ev.SkippedSignIns != 0 || ev.Policy == nil || !ev.Policy.Enabled {
			t.Errorf("skipped %d sign-ins; policy %+v", ev.SkippedSignIns, ev.Policy)
		}
		if life, ok := ev.Policy.Application.Find("passwordLifetime"); !ok || life.MaxLifetime != 180*24*time.Hour {
			t.Errorf("passwordLifetime = %+v", life)
		}
	})

	t.Run("tenant without P1/P2", func(t *testing.T) {
		act, _ := fetchFromEmulator(t, dir, now, emulator.Options{NonPremium: true}, all)
		for _, p := range []string{PartSignIns, PartUsage} {
			if !strings.HasPrefix(act.Unavailable[p], "tenant has no Microsoft Entra ID P1/P2 licence;") {
				t.Errorf("%s unavailable = %q", p, act.Unavailable[p])
			}
		}
		if _, gone := act.Unavailable[PartAudits]; gone || act.DirectoryAudits == nil {
			t.Errorf("audit log unavailable without P1/P2: %v", act.Unavailable)
		}
	})

	t.Run("scanner without audit and policy permissions", func(t *testing.T) {
		act, _ := fetchFromEmulator(t, dir, now, emulator.Options{}, []string{"Application.Read.All"})
		for _, p := range Parts {
			if !strings.HasPrefix(act.Unavailable[p], "permission denied (") {
				t.Errorf("%s unavailable = %q, want a permission reason", p, act.Unavailable[p])
			}
		}
	})
}

// fetchFromEmulator serves dir and fetches its activity since 30 days
// before now as a client with roles; a part failing for any reason but
// licence or permission fails the test. Pacing runs on the real clock, as
// the emulator's throttle does.
func fetchFromEmulator(t *testing.T, dir *msgraph.Directory, now time.Time, o emulator.Options, roles []string) (*msgraph.Activity, *graph.Client) {
	t.Helper()
	secret, err := emulator.NewClientSecret()
	if err != nil {
		t.Fatal(err)
	}
	client := emulator.Client{ID: "5ca77e40-0000-4000-8000-000000000001", Secret: secret, Roles: roles}
	o.Directory, o.Clients = dir, []emulator.Client{client}
	srv, err := emulator.Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	ao := azure.AuthOptions{TenantID: srv.TenantID(), AuthorityHost: srv.AuthorityHost(), GraphURL: srv.GraphURL(), HTTPClient: srv.Client()}
	cred, err := azure.NewClientSecretCredential(ao, client.ID, secret)
	if err != nil {
		t.Fatal(err)
	}
	c, err := azure.NewGraphClient(ao, cred, graph.Options{BaseDelay: 5 * time.Millisecond, MaxDelay: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	since := now.Add(-DefaultWindow)
	act, err := Fetch(context.Background(), c, FetchOptions{AuditSince: since, SignInsSince: since})
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	return act, c
}
