package collect

import (
	"context"
	"errors"
	"reflect"
	"sort"
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

// These tests run the production path end to end against the emulator:
// azidentity gets a token from its token service, the Graph client reads it
// over HTTPS, Collect assembles the snapshot. Only URLs and the CA differ
// from Azure.

var emuNow = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

type emuTenant struct {
	srv    *emulator.Server
	dir    *msgraph.Directory
	client emulator.Client
}

func startEmulator(t *testing.T, apps int, f emulator.Faults) *emuTenant {
	t.Helper()
	return startEmulatorOpts(t, apps, emulator.Options{Faults: f})
}

// startEmulatorOpts is startEmulator with more of the emulator's options;
// the directory and clients are its own.
func startEmulatorOpts(t *testing.T, apps int, o emulator.Options) *emuTenant {
	t.Helper()
	dir := tenantgen.Generate(tenantgen.Options{Seed: 42, Apps: apps, ExtraSPs: apps / 5, Now: emuNow})
	secret, err := emulator.NewClientSecret()
	if err != nil {
		t.Fatal(err)
	}
	c := emulator.Client{ID: "5ca77e40-0000-4000-8000-000000000001", Secret: secret, Roles: []string{"Application.Read.All"}}
	o.Directory, o.Clients = dir, []emulator.Client{c}
	srv, err := emulator.Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return &emuTenant{srv: srv, dir: dir, client: c}
}

// graphClient signs in as the registered scanner; fast backoff keeps the
// fault tests quick without changing what is retried.
func (e *emuTenant) graphClient(t *testing.T, secret string, g graph.Options) *graph.Client {
	t.Helper()
	o := azure.AuthOptions{TenantID: e.srv.TenantID(), AuthorityHost: e.srv.AuthorityHost(), GraphURL: e.srv.GraphURL(), HTTPClient: e.srv.Client()}
	cred, err := azure.NewClientSecretCredential(o, e.client.ID, secret)
	if err != nil {
		t.Fatal(err)
	}
	if g.BaseDelay == 0 {
		g.BaseDelay, g.MaxDelay = 5*time.Millisecond, 20*time.Millisecond
	}
	c, err := azure.NewGraphClient(o, cred, g)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// summary reduces a snapshot to what a user would miss if it were short:
// every object, credential, owner, assignment and federated credential.
func summary(apps []msgraph.Application, sps []msgraph.ServicePrincipal) []string {
	var out []string
	for _, a := range apps {
		out = append(out, "app "+a.ID)
		for _, p := range a.PasswordCredentials {
			out = append(out, "secret "+a.ID+" "+p.KeyID)
		}
		for _, k := range a.KeyCredentials {
			out = append(out, "key "+a.ID+" "+k.KeyID)
		}
		for _, o := range a.Owners {
			out = append(out, "owner "+a.ID+" "+o.ID)
		}
		for _, f := range a.FederatedIdentityCredentials {
			out = append(out, "fic "+a.ID+" "+f.ID)
		}
	}
	for _, s := range sps {
		out = append(out, "sp "+s.ID)
		for _, p := range s.PasswordCredentials {
			out = append(out, "secret "+s.ID+" "+p.KeyID)
		}
		for _, k := range s.KeyCredentials {
			out = append(out, "key "+s.ID+" "+k.KeyID)
		}
		for _, o := range s.Owners {
			out = append(out, "owner "+s.ID+" "+o.ID)
		}
		for _, r := range s.AppRoleAssignments {
			out = append(out, "grant "+s.ID+" "+r.ResourceID+" "+r.AppRoleID)
		}
	}
	sort.Strings(out)
	return out
}

func TestCollectFromEmulatorIsExactlyTheTenant(t *testing.T) {
	e := startEmulator(t, 120, emulator.Faults{})
	snap, err := Collect(context.Background(), e.graphClient(t, e.client.Secret, graph.Options{}), e.srv.TenantID(), Options{Now: func() time.Time { return emuNow }})
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	if !snap.Complete {
		t.Fatalf("incomplete: %v", snap.Incomplete)
	}
	got, want := summary(snap.Applications, snap.ServicePrincipals), summary(e.dir.Applications, e.dir.ServicePrincipals)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("collected %d facts, tenant has %d; first difference: %s", len(got), len(want), firstDiff(got, want))
	}
	// Some app has more than 20 owners, so the overflow path was exercised.
	many := false
	for _, a := range e.dir.Applications {
		many = many || len(a.Owners) > 20
	}
	if !many {
		t.Error("generated tenant has no app with more than 20 owners; the $expand overflow path is untested")
	}
	// Every granted permission can be named.
	tenant, err := inventory.Build(snap, "graph")
	if err != nil {
		t.Fatal(err)
	}
	named := 0
	for _, o := range tenant.Objects {
		for _, p := range o.Permissions {
			if p.Value == p.AppRoleID {
				t.Errorf("%s: permission %s unresolved", o.DisplayName, p.AppRoleID)
			}
			named++
		}
	}
	if named == 0 {
		t.Error("no application permissions collected")
	}
}

// Under every kind of transient fault the scan retries and ends with exactly
// the same inventory as a clean run.
func TestCollectRecoversFromTransientFaults(t *testing.T) {
	tests := []struct {
		name   string
		faults emulator.Faults
	}{
		{"429 with fractional Retry-After", emulator.Faults{ThrottleRate: 0.2, RetryAfter: "0.05"}},
		{"429 without Retry-After", emulator.Faults{ThrottleRate: 0.2}},
		{"503", emulator.Faults{UnavailableRate: 0.2, RetryAfter: "0.01"}},
		{"504", emulator.Faults{GatewayTimeoutRate: 0.2}},
		// A $batch's items cannot be reset or truncated one by one, and
		// which requests draw the faults depends on their order: one is
		// scripted so that some fault always lands.
		{"connection reset", emulator.Faults{ResetRate: 0.15,
			Script: []emulator.ScriptedFault{{Path: "/v1.0/servicePrincipals", Kind: emulator.FaultReset}}}},
		{"truncated body", emulator.Faults{TruncateRate: 0.15,
			Script: []emulator.ScriptedFault{{Path: "/v1.0/servicePrincipals", Kind: emulator.FaultTruncate}}}},
		{"all at once with latency", emulator.Faults{ThrottleRate: 0.05, UnavailableRate: 0.05, GatewayTimeoutRate: 0.05, ResetRate: 0.05, TruncateRate: 0.05, RetryAfter: "0.02", Latency: 2 * time.Millisecond, Jitter: 3 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.faults.Seed = 7
			e := startEmulator(t, 60, tt.faults)
			c := e.graphClient(t, e.client.Secret, graph.Options{RetryBudget: -1, MaxAttempts: 20})
			snap, err := Collect(context.Background(), c, e.srv.TenantID(), Options{})
			if err != nil {
				t.Fatalf("Collect: %v", err)
			}
			if !snap.Complete {
				t.Fatalf("incomplete after retries: %v", snap.Incomplete)
			}
			got, want := summary(snap.Applications, snap.ServicePrincipals), summary(e.dir.Applications, e.dir.ServicePrincipals)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("inventory differs from the tenant: %s", firstDiff(got, want))
			}
			st := e.srv.Stats()
			if st.Faults == (emulator.FaultStats{}) {
				t.Error("no fault was injected; the test proves nothing")
			}
			// net/http itself resends a GET whose reused connection was
			// reset before any answer, so resets alone may need no retry
			// of ours.
			if c.Stats().Retries == 0 && tt.faults.ResetRate == 0 {
				t.Error("the client never retried")
			}
		})
	}
}

// A part that keeps failing makes the scan say so, by name, instead of
// returning a silently short inventory.
func TestCollectPersistentFailureIsIncompleteNotShort(t *testing.T) {
	e := startEmulator(t, 30, emulator.Faults{})
	var target msgraph.ServicePrincipal
	for _, sp := range e.dir.ServicePrincipals {
		if len(sp.AppRoleAssignments) > 0 {
			target = sp
			break
		}
	}
	if target.ID == "" {
		t.Fatal("no service principal with permissions in the generated tenant")
	}
	if err := e.srv.SetFaults(emulator.Faults{Script: []emulator.ScriptedFault{
		{Path: "/v1.0/servicePrincipals/" + target.ID + "/appRoleAssignments", Count: 1000, Kind: emulator.FaultUnavailable},
	}}); err != nil {
		t.Fatal(err)
	}
	c := e.graphClient(t, e.client.Secret, graph.Options{MaxAttempts: 3})
	snap, err := Collect(context.Background(), c, e.srv.TenantID(), Options{})
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	if snap.Complete {
		t.Fatal("scan reports complete although one service principal's permissions could not be read")
	}
	reasons := strings.Join(snap.Incomplete, "\n")
	if !strings.Contains(reasons, target.ID) || !strings.Contains(reasons, "503") {
		t.Errorf("reason does not name the object and the failure: %s", reasons)
	}
}

// A list that cannot be read fails the whole scan: there is no inventory
// without it.
func TestCollectListFailureFailsTheScan(t *testing.T) {
	e := startEmulator(t, 10, emulator.Faults{Script: []emulator.ScriptedFault{{Path: "/v1.0/applications", Count: 1000, Kind: emulator.FaultGatewayTimeout}}})
	c := e.graphClient(t, e.client.Secret, graph.Options{MaxAttempts: 2})
	snap, err := Collect(context.Background(), c, e.srv.TenantID(), Options{})
	if err == nil {
		t.Fatalf("Collect succeeded with %d applications", len(snap.Applications))
	}
	var ge *graph.Error
	if !errors.As(err, &ge) || ge.StatusCode != 504 || ge.RequestID == "" {
		t.Errorf("error %v: want a graph error with status 504 and the request-id", err)
	}
}

func TestCollectWrongSecretNamesTheTokenError(t *testing.T) {
	e := startEmulator(t, 5, emulator.Faults{})
	// Change the first character, whatever it is, so the secret is wrong.
	first := "x"
	if e.client.Secret[0] == 'x' {
		first = "y"
	}
	wrong := first + e.client.Secret[1:]
	_, err := Collect(context.Background(), e.graphClient(t, wrong, graph.Options{}), e.srv.TenantID(), Options{})
	if err == nil || !strings.Contains(err.Error(), "AADSTS7000215") {
		t.Fatalf("err = %v, want the token service's invalid secret code", err)
	}
	if strings.Contains(err.Error(), wrong) || strings.Contains(err.Error(), e.client.Secret) {
		t.Error("the error contains the secret")
	}
}

func TestCollectCancellationStopsPromptly(t *testing.T) {
	e := startEmulator(t, 200, emulator.Faults{Latency: 300 * time.Millisecond})
	c := e.graphClient(t, e.client.Secret, graph.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := Collect(ctx, c, e.srv.TenantID(), Options{})
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want context.DeadlineExceeded", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Collect did not return after its context ended")
	}
}

func firstDiff(got, want []string) string {
	g, w := map[string]bool{}, map[string]bool{}
	for _, s := range got {
		g[s] = true
	}
	for _, s := range want {
		w[s] = true
	}
	for _, s := range want {
		if !g[s] {
			return "missing " + s
		}
	}
	for _, s := range got {
		if !w[s] {
			return "extra " + s
		}
	}
	return "same facts, different multiplicity"
}

// Graph holds application lists that select keyCredentials to 150 a
// minute per tenant. With owners expanded a page holds only 100 apps, so
// the certificates come from a list of their own at 999 a page: a tenant
// of 350 apps (four pages with owners) is read with one such request, well
// within even a limit of two, and every certificate is there.
func TestCollectKeepsToTheKeyCredentialListLimit(t *testing.T) {
	e := startEmulatorOpts(t, 350, emulator.Options{Throttling: emulator.Throttling{Enabled: true, ResourceUnits: 1 << 20, KeyCredentialLists: 2}})
	c := e.graphClient(t, e.client.Secret, graph.Options{})
	snap, err := Collect(context.Background(), c, e.srv.TenantID(), Options{})
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	if st := e.srv.Stats(); st.KeyListsThrottled != 0 || st.Throttled != 0 {
		t.Errorf("%d 429s from the key list limit, %d from the budget; want none", st.KeyListsThrottled, st.Throttled)
	}
	got, want := summary(snap.Applications, snap.ServicePrincipals), summary(e.dir.Applications, e.dir.ServicePrincipals)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("inventory differs from the tenant: %s", firstDiff(got, want))
	}
	certs := 0
	for _, a := range snap.Applications {
		certs += len(a.KeyCredentials)
	}
	if certs == 0 {
		t.Error("the tenant has no application certificate; the test proves nothing")
	}
}
