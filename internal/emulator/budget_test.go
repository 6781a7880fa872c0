package emulator

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/msgraph"
)

func TestRequestCost(t *testing.T) {
	tests := []struct {
		method, path, query string
		want                int
	}{
		{"GET", "/v1.0/applications", "", 2},
		{"GET", "/v1.0/applications", "$select=id,appId", 1},
		{"GET", "/v1.0/applications", "$select=id&$expand=owners", 2},
		{"GET", "/v1.0/applications", "$expand=owners&$top=999", 3},
		{"GET", "/v1.0/applications", "$select=id&$top=5", 1}, // 2-1-1 = 0, floor 1
		{"GET", "/v1.0/applications", "$top=19", 1},
		{"GET", "/v1.0/applications", "$top=20", 2},
		{"GET", "/v1.0/applications", "%24select=id", 1}, // escaped names count
		{"GET", "/beta/applications", "", 2},
		{"GET", "/v1.0/servicePrincipals", "", 1},
		{"GET", "/v1.0/servicePrincipals", "$select=id&$expand=owners($select=id)&$top=999", 1},
		{"GET", "/v1.0/servicePrincipals/5b000000-0000-4000-8000-000000000000/appRoleAssignments", "", 2},
		{"GET", "/v1.0/servicePrincipals/5b000000-0000-4000-8000-000000000000/appRoleAssignments", "$select=id,appRoleId&$top=999", 1},
		{"GET", "/v1.0/servicePrincipals/5b000000-0000-4000-8000-000000000000/owners", "$select=id", 1},
		{"GET", "/v1.0/applications/a0000000-0000-4000-8000-000000000000/federatedIdentityCredentials", "$select=id", 1},
		{"GET", "/v1.0/servicePrincipals(appId='00000003-0000-0000-c000-000000000000')", "$select=id,appRoles", 1},
		{"GET", "/v1.0/applications/delta", "$select=id,passwordCredentials", 1},
		{"GET", "/v1.0/applications/delta", "$deltatoken=abc", 2},
		{"GET", "/v1.0/servicePrincipals/delta", "$skiptoken=abc", 1},
		{"GET", "/v1.0/applications/$count", "", 1},
		{"GET", "/v1.0/policies/defaultAppManagementPolicy", "", 1},
		{"POST", "/v1.0/applications/a0000000-0000-4000-8000-000000000000/addPassword", "", 1},
		{"DELETE", "/v1.0/applications/a0000000-0000-4000-8000-000000000000/owners/x/$ref", "", 1},
		{"POST", "/v1.0/$batch", "", 0},
		{"GET", "/v1.0/auditLogs/directoryAudits", "$top=999", 0}, // the reports limit instead
		{"GET", "/beta/auditLogs/signIns", "", 0},
	}
	for _, tt := range tests {
		if got := RequestCost(tt.method, tt.path, tt.query); got != tt.want {
			t.Errorf("%s %s?%s: %d RU, want %d", tt.method, tt.path, tt.query, got, tt.want)
		}
	}
}

// throttledEnv serves the test directory with a budget of ru per 10 s.
func throttledEnv(t *testing.T, th Throttling) *testEnv {
	t.Helper()
	th.Enabled = true
	return newEnvOpts(t, Options{
		Directory: testDirectory(),
		Clients: []Client{
			{ID: readerID, Secret: certSecret, Roles: []string{"Application.Read.All"}},
			{ID: writerID, Secret: certSecret, Roles: []string{"Application.ReadWrite.All"}},
		},
		Throttling: th,
	})
}

func TestBudgetRefusesWithHonestRetryAfter(t *testing.T) {
	e := throttledEnv(t, Throttling{ResourceUnits: 6})
	tok := e.token(t, readerID)
	const list = "/v1.0/applications" // 2 RU
	for i, wantPct := range []string{"", "", "1.000"} {
		g := e.get(t, tok, list)
		if g.status != 200 {
			t.Fatalf("request %d: status %d: %s", i, g.status, g.raw)
		}
		if ru := g.header.Get("x-ms-resource-unit"); ru != "2" {
			t.Errorf("request %d: x-ms-resource-unit %q, want 2", i, ru)
		}
		if pct := g.header.Get("x-ms-throttle-limit-percentage"); pct != wantPct {
			t.Errorf("request %d: x-ms-throttle-limit-percentage %q, want %q", i, pct, wantPct)
		}
	}
	// Spent: 2 RU more need 2/(6/10 s) = 3.33 s, so Retry-After: 4.
	g := e.get(t, tok, list)
	if g.status != 429 || g.header.Get("Retry-After") != "4" {
		t.Fatalf("over budget: status %d, Retry-After %q; want 429 and 4", g.status, g.header.Get("Retry-After"))
	}
	if got := g.header.Get("x-ms-throttle-scope"); got != "Tenant_Application/Read/"+readerID+"/"+testTenant {
		t.Errorf("x-ms-throttle-scope %q", got)
	}
	if got := g.header.Get("x-ms-throttle-information"); got != "ResourceUnitLimitExceeded" {
		t.Errorf("x-ms-throttle-information %q", got)
	}
	if g.errCode() != "TooManyRequests" || g.header.Get("x-ms-resource-unit") != "0" {
		t.Errorf("429 body code %q, x-ms-resource-unit %q", g.errCode(), g.header.Get("x-ms-resource-unit"))
	}
	// A second earlier than Retry-After is still too early (refused
	// requests cost nothing, so they do not push the wait out)...
	e.clock.Set(testStart.Add(3 * time.Second))
	if g := e.get(t, tok, list); g.status != 429 || g.header.Get("Retry-After") != "1" {
		t.Errorf("after 3 s: status %d, Retry-After %q; want 429 and 1", g.status, g.header.Get("Retry-After"))
	}
	// ...and Retry-After itself is enough.
	e.clock.Set(testStart.Add(4 * time.Second))
	if g := e.get(t, tok, list); g.status != 200 {
		t.Errorf("after Retry-After: status %d", g.status)
	}
	// A full window refills the bucket, and no further.
	e.clock.Set(testStart.Add(time.Hour))
	for i := range 3 {
		if g := e.get(t, tok, list); g.status != 200 {
			t.Errorf("after refill, request %d: status %d", i, g.status)
		}
	}
	if g := e.get(t, tok, list); g.status != 429 {
		t.Errorf("refill beyond the budget: status %d", g.status)
	}
	st := e.srv.Stats()
	k := st.ByKind[kindListApps]
	if st.Throttled != 3 || k.Throttled != 3 || k.Requests != 10 || k.ResourceUnits != 14 || st.ResourceUnits != 14 {
		t.Errorf("stats: throttled %d, by kind %+v, RU %d; want 3, {10 14 3}, 14", st.Throttled, k, st.ResourceUnits)
	}
}

func TestRetryAfterIsExactForEveryShortfall(t *testing.T) {
	// For each starting deficit, waiting Retry-After seconds admits the
	// request and waiting a second less does not.
	for spent := 1; spent <= 9; spent++ {
		t.Run(strconv.Itoa(spent), func(t *testing.T) {
			b, err := newBudget(Throttling{Enabled: true, ResourceUnits: 9}, 0)
			if err != nil {
				t.Fatal(err)
			}
			if v := b.charge("c", spent, false, testStart); !v.ok {
				t.Fatal("first charge refused")
			}
			v := b.charge("c", 9, false, testStart)
			if v.ok {
				t.Fatal("over-budget charge admitted")
			}
			wait := time.Duration(v.retryAfter) * time.Second
			early := testStart.Add(wait - time.Second)
			if v.retryAfter > 1 {
				probe := *b.buckets["c"]
				if v := b.charge("c", 9, false, early); v.ok {
					t.Errorf("admitted %s before Retry-After %ds", time.Second, v.retryAfter)
				}
				*b.buckets["c"] = probe
			}
			if v := b.charge("c", 9, false, testStart.Add(wait)); !v.ok {
				t.Errorf("refused after Retry-After %ds", v.retryAfter)
			}
		})
	}
}

func TestBudgetIsPerClient(t *testing.T) {
	e := throttledEnv(t, Throttling{ResourceUnits: 2})
	reader, writer := e.token(t, readerID), e.token(t, writerID)
	if g := e.get(t, reader, "/v1.0/applications"); g.status != 200 {
		t.Fatalf("reader: %d", g.status)
	}
	if g := e.get(t, reader, "/v1.0/applications"); g.status != 429 {
		t.Fatalf("reader again: %d, want 429", g.status)
	}
	if g := e.get(t, writer, "/v1.0/applications"); g.status != 200 {
		t.Errorf("another client: %d, want its own budget", g.status)
	}
}

func TestWriteQuota(t *testing.T) {
	e := throttledEnv(t, Throttling{WriteQuota: 2})
	tok := e.token(t, writerID)
	path := "/v1.0/applications/" + testDirectory().Applications[0].ID + "/addPassword"
	for i := range 2 {
		if g := e.post(t, tok, path, `{}`); g.status != 200 || g.header.Get("x-ms-resource-unit") != "1" {
			t.Fatalf("write %d: status %d, RU %q", i, g.status, g.header.Get("x-ms-resource-unit"))
		}
	}
	g := e.post(t, tok, path, `{}`)
	if g.status != 429 || g.header.Get("x-ms-throttle-information") != "WriteLimitExceeded" {
		t.Fatalf("third write: status %d, information %q", g.status, g.header.Get("x-ms-throttle-information"))
	}
	if got := g.header.Get("x-ms-throttle-scope"); got != "Tenant_Application/Write/"+writerID+"/"+testTenant {
		t.Errorf("scope %q", got)
	}
	// One write back takes 150 s / 3000... here 150 s / 2 = 75 s.
	if got := g.header.Get("Retry-After"); got != "75" {
		t.Errorf("Retry-After %q, want 75", got)
	}
	if g := e.get(t, tok, "/v1.0/applications"); g.status != 200 {
		t.Errorf("a read while writes are exhausted: %d", g.status)
	}
}

func TestBatchRequestsPayEach(t *testing.T) {
	e := throttledEnv(t, Throttling{ResourceUnits: 5})
	tok := e.token(t, readerID)
	sp := testDirectory().ServicePrincipals[0].ID
	g := e.postBatch(t, tok, []map[string]any{
		get("1", "/servicePrincipals/"+sp+"/appRoleAssignments"), // 2
		get("2", "/servicePrincipals/"+sp+"/owners?$select=id"),  // 1
		get("3", "/applications"),                                // 2: the budget is spent
	})
	if g.status != 200 {
		t.Fatalf("batch: %d %s", g.status, g.raw)
	}
	if got := g.header.Get("x-ms-resource-unit"); got != "5" {
		t.Errorf("batch x-ms-resource-unit %q, want the 5 its requests paid", got)
	}
	for _, r := range g.body["responses"].([]any) {
		m := r.(map[string]any)
		if h, _ := m["headers"].(map[string]any); m["status"].(float64) != 200 || h["x-ms-resource-unit"] == nil {
			t.Errorf("inner %v: status %v, headers %v", m["id"], m["status"], h)
		}
	}
	g = e.postBatch(t, tok, []map[string]any{get("4", "/applications?$select=id")})
	r := g.body["responses"].([]any)[0].(map[string]any)
	h, _ := r["headers"].(map[string]any)
	if g.status != 200 || r["status"].(float64) != 429 || h["Retry-After"] != "2" || h["x-ms-throttle-information"] != "ResourceUnitLimitExceeded" {
		t.Errorf("inner request over budget: outer %d, inner %v, headers %v", g.status, r["status"], h)
	}
	if got := g.header.Get("x-ms-resource-unit"); got != "0" {
		t.Errorf("batch of a refused request: x-ms-resource-unit %q, want 0", got)
	}
}

func TestThrottlingOffStillPrices(t *testing.T) {
	e := newEnv(t, Faults{})
	tok := e.token(t, readerID)
	for range 50 {
		if g := e.get(t, tok, "/v1.0/applications?$expand=owners"); g.status != 200 || g.header.Get("x-ms-resource-unit") != "3" {
			t.Fatalf("status %d, RU %q", g.status, g.header.Get("x-ms-resource-unit"))
		}
	}
	if st := e.srv.Stats(); st.ResourceUnits != 150 || st.Throttled != 0 {
		t.Errorf("stats RU %d throttled %d", st.ResourceUnits, st.Throttled)
	}
}

func TestTenantSizeFromUsers(t *testing.T) {
	for _, tt := range []struct {
		users int
		want  int
	}{{0, 3500}, {49, 3500}, {50, 5000}, {500, 5000}, {501, 8000}} {
		d := &msgraph.Directory{TenantID: testTenant}
		a := msgraph.Application{ID: guidN("a0000000", 0)}
		for i := range tt.users {
			a.Owners = append(a.Owners, msgraph.DirectoryObject{ODataType: "#microsoft.graph.user", ID: guidN("d0000000", i)})
		}
		d.Applications = append(d.Applications, a)
		x, err := indexDirectory(d)
		if err != nil {
			t.Fatal(err)
		}
		b, err := newBudget(Throttling{Enabled: true}, x.users())
		if err != nil {
			t.Fatal(err)
		}
		if b.cfg.ResourceUnits != tt.want {
			t.Errorf("%d users: %d RU, want %d", tt.users, b.cfg.ResourceUnits, tt.want)
		}
	}
	if _, err := newBudget(Throttling{Size: "XL"}, 0); err == nil {
		t.Error("size XL accepted")
	}
}

func TestExpandedListPagesHoldAtMost100(t *testing.T) {
	d := &msgraph.Directory{TenantID: testTenant}
	for i := range 250 {
		d.Applications = append(d.Applications, msgraph.Application{ID: guidN("a0000000", i), AppID: guidN("b0000000", i), DisplayName: fmt.Sprintf("app-%d", i)})
	}
	e := newEnvOpts(t, Options{Directory: d, Clients: []Client{{ID: readerID, Secret: certSecret, Roles: []string{"Application.Read.All"}}}})
	tok := e.token(t, readerID)
	if ids := collect(t, e, tok, "/v1.0/applications?$select=id&$expand=owners&$top=999", 100); len(ids) != 250 {
		t.Errorf("%d applications over expanded pages, want 250", len(ids))
	}
	if g := e.get(t, tok, "/v1.0/applications?$select=id&$top=999"); len(g.values()) != 250 {
		t.Errorf("without $expand: %d on one page, want 250", len(g.values()))
	}
	if g := e.get(t, tok, "/v1.0/applications?$select=id&$expand=owners&$top=30"); len(g.values()) != 30 {
		t.Errorf("$top under the cap: %d, want 30", len(g.values()))
	}
}

// TestKeyCredentialListLimit: application lists that select keyCredentials
// have their own per-tenant limit; other lists and throttling off do not.
func TestKeyCredentialListLimit(t *testing.T) {
	e := throttledEnv(t, Throttling{KeyCredentialLists: 2})
	tok := e.token(t, readerID)
	const withKeys = "/v1.0/applications?$select=id,keyCredentials"
	for i := range 2 {
		if g := e.get(t, tok, withKeys); g.status != 200 {
			t.Fatalf("request %d: status %d: %s", i, g.status, g.raw)
		}
	}
	if g := e.get(t, tok, "/v1.0/applications?$select=id,passwordCredentials"); g.status != 200 {
		t.Errorf("list without keyCredentials: status %d", g.status)
	}
	g := e.get(t, tok, withKeys)
	if g.status != 429 || g.header.Get("Retry-After") != "60" || g.errCode() != "TooManyRequests" {
		t.Fatalf("third list: status %d, Retry-After %q, code %q; want 429, 60, TooManyRequests",
			g.status, g.header.Get("Retry-After"), g.errCode())
	}
	e.clock.Set(testStart.Add(time.Minute))
	if g := e.get(t, tok, withKeys); g.status != 200 {
		t.Errorf("a minute on: status %d", g.status)
	}
	if st := e.srv.Stats(); st.KeyListsThrottled != 1 {
		t.Errorf("KeyListsThrottled = %d, want 1", st.KeyListsThrottled)
	}

	off := newEnv(t, Faults{})
	tok = off.token(t, readerID)
	for i := range 200 {
		if g := off.get(t, tok, withKeys); g.status != 200 {
			t.Fatalf("throttling off, request %d: status %d", i, g.status)
		}
	}
}
