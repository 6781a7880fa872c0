package activity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/credwatch/credwatch/internal/azure/graph"
	"github.com/credwatch/credwatch/internal/msgraph"
)

type staticCred struct{}

func (staticCred) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "test-token", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

var fetchNow = time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)

// fakeClock is the injected clock of Fetch's pacing: sleeping advances it.
type fakeClock struct {
	mu  sync.Mutex
	t   time.Time
	slp []time.Duration
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	c.slp = append(c.slp, d)
	return ctx.Err()
}

// fakeGraph speaks the contract for the activity endpoints. Each route
// answers from its handler; requests are logged with the fake time they
// arrived at.
type fakeGraph struct {
	t      *testing.T
	srv    *httptest.Server
	clock  *fakeClock
	routes map[string]http.HandlerFunc
	mu     sync.Mutex
	log    []request
}

type request struct {
	path, query string
	at          time.Time
}

func newFakeGraph(t *testing.T, clock *fakeClock) *fakeGraph {
	g := &fakeGraph{t: t, clock: clock, routes: map[string]http.HandlerFunc{}}
	g.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer test-token" {
			t.Errorf("%s: no bearer token", r.URL.Path)
		}
		g.mu.Lock()
		g.log = append(g.log, request{r.URL.Path, r.URL.RawQuery, clock.now()})
		h := g.routes[r.URL.Path]
		g.mu.Unlock()
		if h == nil {
			graphError(w, http.StatusNotFound, "Request_ResourceNotFound", "rid-404")
			return
		}
		h(w, r)
	}))
	t.Cleanup(g.srv.Close)
	// Defaults: every part answers with one empty page.
	for _, p := range []string{"/v1.0/auditLogs/directoryAudits", "/beta/auditLogs/signIns",
		"/beta/reports/appCredentialSignInActivities", "/v1.0/policies/appManagementPolicies"} {
		g.routes[p] = page(nil, "")
	}
	g.routes["/v1.0/policies/defaultAppManagementPolicy"] = func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, msgraph.TenantAppManagementPolicy{ID: "00000000-0000-0000-0000-000000000000", IsEnabled: true})
	}
	return g
}

func (g *fakeGraph) client(t *testing.T) *graph.Client {
	c, err := graph.New(staticCred{}, graph.Options{
		BaseURL: g.srv.URL + "/v1.0", HTTPClient: g.srv.Client(), MaxAttempts: 3,
		Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() },
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (g *fakeGraph) fetch(t *testing.T) (*msgraph.Activity, error) {
	return Fetch(context.Background(), g.client(t), FetchOptions{Now: g.clock.now, Sleep: g.clock.sleep})
}

func (g *fakeGraph) requests() []request {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]request(nil), g.log...)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func graphError(w http.ResponseWriter, status int, code, requestID string) {
	w.Header().Set("request-id", requestID)
	writeJSON(w, status, map[string]any{"error": map[string]any{"code": code, "message": "test " + code,
		"innerError": map[string]string{"date": "2026-06-15T12:00:00", "request-id": requestID}}})
}

func page(items []map[string]any, next string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body := map[string]any{"value": items}
		if items == nil {
			body["value"] = []any{}
		}
		if next != "" {
			body["@odata.nextLink"] = next
		}
		writeJSON(w, http.StatusOK, body)
	}
}

func TestFetchReadsEveryPartWithTheContractQueries(t *testing.T) {
	clock := &fakeClock{t: fetchNow}
	g := newFakeGraph(t, clock)
	g.routes["/v1.0/auditLogs/directoryAudits"] = func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("$skiptoken") == "p2" {
			page([]map[string]any{{"id": "a2", "activityDisplayName": "x", "activityDateTime": "2026-06-02T00:00:00Z"}}, "")(w, r)
			return
		}
		page([]map[string]any{{"id": "a1", "activityDisplayName": "x", "activityDateTime": "2026-06-01T00:00:00Z"}},
			g.srv.URL+"/v1.0/auditLogs/directoryAudits?$filter=x&$skiptoken=p2")(w, r)
	}
	g.routes["/beta/auditLogs/signIns"] = page([]map[string]any{{"id": "s1", "createdDateTime": "2026-06-01T00:00:00Z", "appId": "a"}}, "")
	g.routes["/beta/reports/appCredentialSignInActivities"] = page([]map[string]any{{"id": "u1", "keyId": "k1"}}, "")
	g.routes["/v1.0/policies/appManagementPolicies"] = page([]map[string]any{{"id": "p1", "isEnabled": true,
		"appliesTo": []map[string]any{{"id": "obj-1"}}}}, "")

	act, err := Fetch(context.Background(), g.client(t), FetchOptions{
		AuditSince: time.Date(2026, 5, 1, 0, 0, 0, 0, time.FixedZone("UTC+2", 7200)),
		Now:        clock.now, Sleep: clock.sleep,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(act.DirectoryAudits) != 2 || act.DirectoryAudits[1].ID != "a2" || len(act.SignIns) != 1 ||
		len(act.CredentialSignInActivities) != 1 || act.DefaultAppManagementPolicy == nil ||
		len(act.AppManagementPolicies) != 1 || act.AppManagementPolicies[0].AppliesTo[0].ID != "obj-1" {
		t.Errorf("activity = %+v", act)
	}
	if act.AuditSince != "2026-04-30T22:00:00Z" || act.SignInsSince != "2026-05-16T12:00:00Z" || len(act.Unavailable) != 0 {
		t.Errorf("windows %s, %s; unavailable %v", act.AuditSince, act.SignInsSince, act.Unavailable)
	}
	want := []string{
		"/v1.0/auditLogs/directoryAudits?$filter=activityDateTime%20ge%202026-04-30T22%3A00%3A00Z%20and%20category%20eq%20%27ApplicationManagement%27&$top=999",
		"/v1.0/auditLogs/directoryAudits?$filter=x&$skiptoken=p2",
		"/beta/auditLogs/signIns?$filter=signInEventTypes%2Fany%28t%3A%20t%20eq%20%27servicePrincipal%27%29%20and%20createdDateTime%20ge%202026-05-16T12%3A00%3A00Z&$top=1000",
		"/beta/reports/appCredentialSignInActivities?",
		"/v1.0/policies/defaultAppManagementPolicy?",
		"/v1.0/policies/appManagementPolicies?$expand=appliesTo",
	}
	var got []string
	for _, r := range g.requests() {
		got = append(got, r.path+"?"+r.query)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("requests:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// What the server decodes is the documented filter.
	r := g.requests()[2]
	if q := mustQuery(t, r.query).Get("$filter"); q != "signInEventTypes/any(t: t eq 'servicePrincipal') and createdDateTime ge 2026-05-16T12:00:00Z" {
		t.Errorf("sign-in filter = %q", q)
	}
}

func TestFetchPacesReportRequests(t *testing.T) {
	// Ten pages of audit records, one of sign-ins, one of usage: twelve
	// requests in the reports family, at most five in any 10 s.
	clock := &fakeClock{t: fetchNow}
	g := newFakeGraph(t, clock)
	g.routes["/v1.0/auditLogs/directoryAudits"] = func(w http.ResponseWriter, r *http.Request) {
		n := 0
		fmt.Sscanf(r.URL.Query().Get("$skiptoken"), "%d", &n)
		next := ""
		if n < 9 {
			next = fmt.Sprintf("%s/v1.0/auditLogs/directoryAudits?$skiptoken=%d", g.srv.URL, n+1)
		}
		page([]map[string]any{{"id": fmt.Sprint(n)}}, next)(w, r)
	}
	act, err := g.fetch(t)
	if err != nil {
		t.Fatal(err)
	}
	if len(act.DirectoryAudits) != 10 {
		t.Fatalf("%d audit records, want 10", len(act.DirectoryAudits))
	}
	var reports []time.Time
	for _, r := range g.requests() {
		if strings.Contains(r.path, "/auditLogs/") || strings.Contains(r.path, "/reports/") {
			reports = append(reports, r.at)
		}
	}
	if len(reports) != 12 {
		t.Fatalf("%d report requests, want 12", len(reports))
	}
	if span := reports[11].Sub(reports[0]); span < 10*time.Second {
		t.Errorf("12 report requests took %v of the clock, want at least 10s", span)
	}
	for i := 5; i < len(reports); i++ {
		if gap := reports[i].Sub(reports[i-5]); gap < 10*time.Second {
			t.Errorf("requests %d and %d are %v apart: six in one 10 s window", i-5, i, gap)
		}
	}
	// The policy reads are not in the family and are not held back.
	all := g.requests()
	if last := all[len(all)-1]; !last.at.Equal(reports[11]) {
		t.Errorf("policy request waited until %v", last.at)
	}
}

func TestFetchMarksLicenceAndPermissionGapsUnavailable(t *testing.T) {
	clock := &fakeClock{t: fetchNow}
	g := newFakeGraph(t, clock)
	licence := func(w http.ResponseWriter, r *http.Request) {
		graphError(w, http.StatusForbidden, "Authentication_RequestFromNonPremiumTenantOrB2CTenant", "rid-lic")
	}
	g.routes["/beta/auditLogs/signIns"] = licence
	g.routes["/beta/reports/appCredentialSignInActivities"] = licence
	g.routes["/v1.0/policies/defaultAppManagementPolicy"] = func(w http.ResponseWriter, r *http.Request) {
		graphError(w, http.StatusForbidden, "Authorization_RequestDenied", "rid-perm")
	}
	act, err := g.fetch(t)
	if err != nil {
		t.Fatalf("licence and permission gaps are not errors: %v", err)
	}
	want := map[string]string{
		PartSignIns:       "tenant has no Microsoft Entra ID P1/P2 licence; sign-in rules skipped",
		PartUsage:         "tenant has no Microsoft Entra ID P1/P2 licence; credential usage rules skipped",
		PartDefaultPolicy: "permission denied (Authorization_RequestDenied): grant Policy.Read.All; tenant policy rules skipped",
	}
	if fmt.Sprint(act.Unavailable) != fmt.Sprint(want) {
		t.Errorf("unavailable = %v\nwant %v", act.Unavailable, want)
	}
	if act.SignIns != nil || act.DefaultAppManagementPolicy != nil || act.DirectoryAudits == nil {
		t.Errorf("unavailable parts carry data, or available ones none: %+v", act)
	}
	ev, err := Parse(act, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Available(PartSignIns) || !ev.Available(PartAudits) || ev.Unavailable[PartSignIns] != want[PartSignIns] {
		t.Errorf("evidence availability: %v", ev.Unavailable)
	}
}

func TestFetchReportsOtherFailuresWithTheRequestID(t *testing.T) {
	clock := &fakeClock{t: fetchNow}
	g := newFakeGraph(t, clock)
	var calls atomic.Int32
	g.routes["/beta/reports/appCredentialSignInActivities"] = func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		graphError(w, http.StatusServiceUnavailable, "serviceNotAvailable", "rid-503")
	}
	g.routes["/v1.0/auditLogs/directoryAudits"] = page(nil, g.srv.URL+"/v1.0/auditLogs/directoryAudits?$filter=activityDateTime%20ge%202026-05-16T12%3A00%3A00Z%20and%20category%20eq%20%27ApplicationManagement%27&$top=999")
	act, err := g.fetch(t)
	if act == nil || err == nil {
		t.Fatalf("Fetch = %v, %v; want the activity and an error", act, err)
	}
	var pe *PartError
	if !errors.As(err, &pe) || pe.Part != PartAudits {
		t.Errorf("first part error = %+v", pe)
	}
	if !errors.Is(err, graph.ErrRepeatedNextLink) || !errors.Is(err, graph.ErrMaxAttempts) {
		t.Errorf("error does not wrap the causes: %v", err)
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("usage report tried %d times, want the client's 3", n)
	}
	if u := act.Unavailable[PartUsage]; !strings.Contains(u, "503 serviceNotAvailable") || !strings.Contains(u, "request-id: rid-503") ||
		!strings.HasSuffix(u, "; credential usage rules skipped") || strings.Contains(u, "\n") {
		t.Errorf("usage unavailable reason = %q", u)
	}
	if act.DirectoryAudits != nil || act.CredentialSignInActivities != nil || act.SignIns == nil {
		t.Errorf("failed parts keep partial data: %+v", act)
	}
}

func TestFetchRetriesAThrottledReport(t *testing.T) {
	clock := &fakeClock{t: fetchNow}
	g := newFakeGraph(t, clock)
	var throttled atomic.Bool
	g.routes["/beta/auditLogs/signIns"] = func(w http.ResponseWriter, r *http.Request) {
		if throttled.CompareAndSwap(false, true) {
			w.Header().Set("Retry-After", "2.128")
			graphError(w, http.StatusTooManyRequests, "TooManyRequests", "rid-429")
			return
		}
		page([]map[string]any{{"id": "s1", "createdDateTime": "2026-06-01T00:00:00Z"}}, "")(w, r)
	}
	act, err := g.fetch(t)
	if err != nil || len(act.SignIns) != 1 || len(act.Unavailable) != 0 {
		t.Fatalf("Fetch = %+v, %v", act, err)
	}
}

func TestFetchStopsWhenCancelled(t *testing.T) {
	clock := &fakeClock{t: fetchNow}
	g := newFakeGraph(t, clock)
	ctx, cancel := context.WithCancel(context.Background())
	g.routes["/v1.0/auditLogs/directoryAudits"] = func(w http.ResponseWriter, r *http.Request) {
		cancel()
		page(nil, "")(w, r)
	}
	act, err := Fetch(ctx, g.client(t), FetchOptions{Now: clock.now, Sleep: clock.sleep})
	if act != nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("Fetch = %v, %v; want nothing and context.Canceled", act, err)
	}
	if _, err := Fetch(context.Background(), nil, FetchOptions{}); err == nil {
		t.Error("Fetch without a client succeeded")
	}
}

func TestLimiterWindowBoundary(t *testing.T) {
	clock := &fakeClock{t: fetchNow}
	l := newLimiter(2, 10*time.Second, clock.now, clock.sleep)
	ctx := context.Background()
	for range 2 {
		if err := l.wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	clock.t = clock.t.Add(10*time.Second - time.Nanosecond)
	if err := l.wait(ctx); err != nil {
		t.Fatal(err)
	}
	if len(clock.slp) != 1 || clock.slp[0] != time.Nanosecond {
		t.Errorf("sleeps = %v, want one of 1ns (the window ends exactly 10 s after the first start)", clock.slp)
	}
}

func mustQuery(t *testing.T, raw string) interface{ Get(string) string } {
	t.Helper()
	v, err := urlParseQuery(raw)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

var urlParseQuery = url.ParseQuery

func TestLimiterNeverWaitsForeverOnAFrozenClock(t *testing.T) {
	// A clock that does not move must not make wait loop: each request
	// held back sleeps once, for as long as its slot is from the frozen
	// instant.
	var slept []time.Duration
	frozen := func() time.Time { return fetchNow }
	l := newLimiter(5, 10*time.Second, frozen, func(ctx context.Context, d time.Duration) error {
		slept = append(slept, d)
		return nil
	})
	for range 12 {
		if err := l.wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	s := 10 * time.Second
	want := []time.Duration{s, s, s, s, s, 2 * s, 2 * s}
	if fmt.Sprint(slept) != fmt.Sprint(want) {
		t.Errorf("sleeps = %v, want %v", slept, want)
	}
}
