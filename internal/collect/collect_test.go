package collect

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/credwatch/credwatch/internal/azure/graph"
	"github.com/credwatch/credwatch/internal/inventory"
	"github.com/credwatch/credwatch/internal/msgraph"
)

var update = flag.Bool("update", false, "rewrite golden files")

const bearer = "test-access-token-must-not-leak"

type staticCred struct{}

func (staticCred) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: bearer, ExpiresOn: time.Now().Add(time.Hour)}, nil
}

var fixedNow = func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }

// newFake starts a fake Graph over the test tenant: lists in pages of 2,
// owners in pages of 10.
func newFake(t *testing.T) *fakeGraph {
	apps, sps := testTenant()
	f := &fakeGraph{t: t, apps: apps, sps: sps, pageSize: 2, ownerPage: 10,
		auth: func(r *http.Request) bool { return r.Header.Get("Authorization") == "Bearer "+bearer }}
	f.start()
	return f
}

func newClient(t *testing.T, f *fakeGraph, logger *slog.Logger) *graph.Client {
	t.Helper()
	c, err := graph.New(staticCred{}, graph.Options{
		BaseURL: f.srv.URL + "/v1.0", HTTPClient: f.srv.Client(), Logger: logger, MaxAttempts: 3,
		Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() },
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCollectCompleteSnapshot(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f, nil)
	final := map[string][2]int{}
	snap, err := Collect(context.Background(), c, "tenant-1", Options{Now: fixedNow,
		Progress: func(stage string, done, total int) { final[stage] = [2]int{done, total} }})
	if err != nil {
		t.Fatal(err)
	}
	if !snap.Complete || len(snap.Incomplete) != 0 {
		t.Fatalf("complete=%v incomplete=%v, want a complete scan", snap.Complete, snap.Incomplete)
	}
	if snap.SchemaVersion != inventory.SnapshotSchemaVersion || snap.Kind != inventory.SnapshotKind ||
		!snap.CollectedAt.Equal(fixedNow()) || snap.TenantID != "tenant-1" {
		t.Errorf("header %d %q %v %q", snap.SchemaVersion, snap.Kind, snap.CollectedAt, snap.TenantID)
	}
	if len(snap.Applications[1].Owners) != 25 || len(snap.ServicePrincipals[1].Owners) != 21 {
		t.Errorf("owners %d and %d, want every owner past the expansion limit (25, 21)",
			len(snap.Applications[1].Owners), len(snap.ServicePrincipals[1].Owners))
	}
	if len(snap.ServicePrincipals[0].AppRoleAssignments) != 3 {
		t.Errorf("%d assignments of sp-1, want 3 across two pages", len(snap.ServicePrincipals[0].AppRoleAssignments))
	}
	// Fewest requests: 2+2 list pages, 2 pages of the application key
	// list, 1 batch of details, 2+2+1 follow-up pages (owners of app-2 and
	// sp-2, assignments of sp-1), 1 batch of resources.
	if s := c.Stats(); s.Requests != 13 || len(f.requests) != 13 {
		t.Errorf("%d requests (%v), want 13", s.Requests, f.requests)
	}
	for stage, want := range map[string][2]int{StageApplications: {3, 3}, StageServicePrincipals: {4, 4},
		StageDetails: {9, 9}, StageResources: {2, 2}} {
		if final[stage] != want {
			t.Errorf("last progress for %s = %v, want %v", stage, final[stage], want)
		}
	}
	checkGolden(t, "complete.golden.json", snap)
}

func checkGolden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("snapshot differs from %s (run with -update after a deliberate change):\n%s", path, got)
	}
}

func TestCollectMarksGapsIncomplete(t *testing.T) {
	onPath := func(path string, laterPage bool, status int, code string) func(*http.Request) (int, string) {
		return func(r *http.Request) (int, string) {
			if r.URL.Path == path && (!laterPage || r.URL.Query().Get("$skiptoken") != "") {
				return status, code
			}
			return 0, ""
		}
	}
	tests := []struct {
		name    string
		fault   func(*http.Request) (int, string)
		wantGap string
	}{
		{"owners of an application keep failing",
			onPath("/v1.0/applications/app-2/owners", false, 503, "serviceUnavailable"),
			"owners of application app-2: graph GET /v1.0/applications/app-2/owners: 503 serviceUnavailable"},
		{"app role assignments keep being throttled",
			onPath("/v1.0/servicePrincipals/sp-1/appRoleAssignments", false, 429, "TooManyRequests"),
			"app role assignments of service principal sp-1: graph GET /v1.0/servicePrincipals/sp-1/appRoleAssignments: 429 TooManyRequests"},
		{"a later page of app role assignments fails",
			onPath("/v1.0/servicePrincipals/sp-1/appRoleAssignments", true, 500, "UnknownError"),
			"app role assignments of service principal sp-1: graph GET /v1.0/servicePrincipals/sp-1/appRoleAssignments: 500 UnknownError"},
		{"a later page of owners fails",
			onPath("/v1.0/servicePrincipals/sp-2/owners", true, 504, "gatewayTimeout"),
			"owners of service principal sp-2: graph GET /v1.0/servicePrincipals/sp-2/owners: 504 gatewayTimeout"},
		{"federated credentials are forbidden",
			onPath("/v1.0/applications/app-1/federatedIdentityCredentials", false, 403, "Authorization_RequestDenied"),
			"federated identity credentials of application app-1: graph GET /v1.0/applications/app-1/federatedIdentityCredentials: 403 Authorization_RequestDenied"},
		{"a resource service principal fails",
			onPath("/v1.0/servicePrincipals/sp-custom", false, 503, "serviceUnavailable"),
			"resource service principal sp-custom: graph GET /v1.0/servicePrincipals/sp-custom: 503 serviceUnavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.fault = tt.fault
			snap, err := Collect(context.Background(), newClient(t, f, nil), "tenant-1", Options{Now: fixedNow})
			if err != nil {
				t.Fatalf("Collect: %v", err)
			}
			if snap.Complete || len(snap.Incomplete) != 1 || !strings.HasPrefix(snap.Incomplete[0], tt.wantGap) {
				t.Fatalf("complete=%v incomplete=%q, want one gap starting %q", snap.Complete, snap.Incomplete, tt.wantGap)
			}
			if !strings.Contains(snap.Incomplete[0], "request-id: req-") {
				t.Errorf("gap %q lacks Graph's request-id", snap.Incomplete[0])
			}
			if len(snap.Applications) != 3 || len(snap.ServicePrincipals) != 4 {
				t.Errorf("%d apps, %d sps: a narrow failure must not lose the lists", len(snap.Applications), len(snap.ServicePrincipals))
			}
		})
	}
}

func TestCollectFailsWhenAListFails(t *testing.T) {
	tests := []struct {
		name    string
		fault   func(*http.Request) (int, string)
		wantErr string
		is      func(error) bool
	}{
		{"service principal list forbidden", func(r *http.Request) (int, string) {
			if r.URL.Path == "/v1.0/servicePrincipals" {
				return 403, "Authorization_RequestDenied"
			}
			return 0, ""
		}, "list service principals: graph GET /v1.0/servicePrincipals: 403", graph.IsAuth},
		{"second page of applications keeps failing", func(r *http.Request) (int, string) {
			if r.URL.Path == "/v1.0/applications" && r.URL.Query().Get("$expand") != "" && r.URL.Query().Get("$skiptoken") != "" {
				return 503, "serviceUnavailable"
			}
			return 0, ""
		}, "list applications: graph GET /v1.0/applications: 503", func(err error) bool { return errors.Is(err, graph.ErrMaxAttempts) }},
		{"second page of application certificates keeps failing", func(r *http.Request) (int, string) {
			if r.URL.Path == "/v1.0/applications" && r.URL.Query().Get("$expand") == "" && r.URL.Query().Get("$skiptoken") != "" {
				return 503, "serviceUnavailable"
			}
			return 0, ""
		}, "list application certificates: graph GET /v1.0/applications: 503", func(err error) bool { return errors.Is(err, graph.ErrMaxAttempts) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.fault = tt.fault
			snap, err := Collect(context.Background(), newClient(t, f, nil), "tenant-1", Options{Now: fixedNow})
			if err == nil || snap != nil || !strings.HasPrefix(err.Error(), tt.wantErr) || !tt.is(err) {
				t.Fatalf("Collect = %v, %v; want no snapshot and an error starting %q", snap, err, tt.wantErr)
			}
		})
	}
}

func TestCollectCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := newFake(t)
	f.onBatch = cancel // cancelled while details are being fetched
	snap, err := Collect(ctx, newClient(t, f, nil), "tenant-1", Options{Now: fixedNow})
	if !errors.Is(err, context.Canceled) || snap != nil {
		t.Fatalf("Collect = %v, %v; want context.Canceled and no snapshot", snap, err)
	}
}

// An app the certificate list missed (created while the lists were read)
// gets its certificates read on their own; one deleted meanwhile is left
// without, and the scan is still whole.
func TestCollectReadsCertificatesTheKeyListMissed(t *testing.T) {
	for _, deleted := range []bool{false, true} {
		t.Run(fmt.Sprintf("deleted=%v", deleted), func(t *testing.T) {
			f := newFake(t)
			f.notInKeyList = map[string]bool{"app-1": true}
			if deleted {
				f.fault = func(r *http.Request) (int, string) {
					if r.URL.Path == "/v1.0/applications/app-1" {
						return http.StatusNotFound, "Request_ResourceNotFound"
					}
					return 0, ""
				}
			}
			snap, err := Collect(context.Background(), newClient(t, f, nil), "tenant-1", Options{Now: fixedNow})
			if err != nil {
				t.Fatal(err)
			}
			if !snap.Complete {
				t.Errorf("incomplete: %v", snap.Incomplete)
			}
			i := slices.IndexFunc(snap.Applications, func(a msgraph.Application) bool { return a.ID == "app-1" })
			if i < 0 {
				t.Fatal("app-1 missing")
			}
			want := 1
			if deleted {
				want = 0
			}
			if got := snap.Applications[i].KeyCredentials; len(got) != want || (want == 1 && got[0].KeyID != f.apps[0].KeyCredentials[0].KeyID) {
				t.Errorf("app-1 certificates %+v, want %d", got, want)
			}
			if !slices.Contains(f.requests, "GET /v1.0/applications/app-1") {
				t.Errorf("no read of app-1 on its own in %v", f.requests)
			}
		})
	}
}
