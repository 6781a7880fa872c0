package emulator

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/emulator/tenantgen"
	"github.com/credwatch/credwatch/internal/msgraph"
)

const (
	auditClientID  = "c11e0000-0000-4000-8000-0000000000a1" // AuditLog.Read.All
	policyClientID = "c11e0000-0000-4000-8000-0000000000a2" // Policy.Read.ApplicationConfiguration
	writerID       = "c11e0000-0000-4000-8000-0000000000a3" // Application.ReadWrite.All
)

// demoEnv serves the demo tenant, with the reports throttle off unless a
// test turns it on.
type demoEnv struct {
	*testEnv
	dir *msgraph.Directory // as given to Start
}

func (e *demoEnv) app(t *testing.T, name string) *msgraph.Application {
	t.Helper()
	for i := range e.dir.Applications {
		if e.dir.Applications[i].DisplayName == name {
			return &e.dir.Applications[i]
		}
	}
	t.Fatalf("no demo app %q", name)
	return nil
}

func (e *demoEnv) sp(t *testing.T, appID string) *msgraph.ServicePrincipal {
	t.Helper()
	for i := range e.dir.ServicePrincipals {
		if e.dir.ServicePrincipals[i].AppID == appID {
			return &e.dir.ServicePrincipals[i]
		}
	}
	t.Fatalf("no service principal for %s", appID)
	return nil
}

func newDemoEnv(t *testing.T, mod func(*Options)) *demoEnv {
	t.Helper()
	dir := tenantgen.Demo(testStart)
	opts := Options{
		Directory: dir,
		Clients: []Client{
			{ID: readerID, Secret: certSecret, Roles: []string{"Application.Read.All"}},
			{ID: auditClientID, Secret: certSecret, Roles: []string{"AuditLog.Read.All"}},
			{ID: policyClientID, Secret: certSecret, Roles: []string{"Policy.Read.ApplicationConfiguration"}},
			{ID: writerID, Secret: certSecret, Roles: []string{"Application.ReadWrite.All"}},
		},
		ReportsLimit: RateLimit{Disabled: true},
	}
	if mod != nil {
		mod(&opts)
	}
	return &demoEnv{testEnv: newEnvOpts(t, opts), dir: tenantgen.Demo(testStart)}
}

// collectPages follows nextLinks from path and returns every value; every
// page must hold at most top values.
func collectPages(t *testing.T, e *testEnv, tok, path string, top int) []map[string]any {
	t.Helper()
	var out []map[string]any
	for pages := 0; path != ""; pages++ {
		if pages > 100 {
			t.Fatalf("more than 100 pages")
		}
		g := e.get(t, tok, path)
		if g.status != 200 {
			t.Fatalf("%s: status %d: %s", path, g.status, g.raw)
		}
		if n := len(g.values()); n > top {
			t.Fatalf("%s: %d values on a page of %d", path, n, top)
		}
		out = append(out, g.values()...)
		path, _ = g.body["@odata.nextLink"].(string)
		if path != "" && !strings.HasPrefix(path, e.srv.URL()+"/") {
			t.Fatalf("nextLink %q is not absolute", path)
		}
	}
	return out
}

func ids(vals []map[string]any) []string {
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i], _ = v["id"].(string)
	}
	return out
}

func q(filter string) string { return "$filter=" + url.QueryEscape(filter) }

func TestAuditLogPagesNewestFirst(t *testing.T) {
	e := newDemoEnv(t, nil)
	tok := e.token(t, auditClientID)
	var want []string
	for _, rec := range e.dir.Activity.DirectoryAudits {
		want = append(want, rec.ID)
	}
	for _, top := range []int{1, 7, 1000} {
		got := collectPages(t, e.testEnv, tok, "/v1.0/auditLogs/directoryAudits?$top="+strconv.Itoa(top), top)
		if !slices.Equal(ids(got), want) {
			t.Errorf("$top=%d: %d records in another order or set than the demo's %d", top, len(got), len(want))
		}
	}
	g := e.get(t, tok, "/v1.0/auditLogs/directoryAudits")
	if len(g.values()) != len(want) || g.body["@odata.nextLink"] != nil {
		t.Errorf("default page: %d values, nextLink %v", len(g.values()), g.body["@odata.nextLink"])
	}
	if ctx, _ := g.body["@odata.context"].(string); ctx != e.srv.GraphURL()+"/$metadata#auditLogs/directoryAudits" {
		t.Errorf("@odata.context %q", ctx)
	}
	asc := collectPages(t, e.testEnv, tok, "/v1.0/auditLogs/directoryAudits?$orderby=activityDateTime%20asc&$top=10", 10)
	var times []string
	for _, v := range asc {
		times = append(times, v["activityDateTime"].(string))
	}
	if !slices.IsSorted(times) {
		t.Errorf("$orderby=activityDateTime asc: not oldest first")
	}
	if g := e.get(t, tok, "/beta/auditLogs/directoryAudits?$top=3"); g.status != 200 || len(g.values()) != 3 {
		t.Errorf("beta directoryAudits: status %d, %d values", g.status, len(g.values()))
	}
}

func TestAuditLogFilters(t *testing.T) {
	e := newDemoEnv(t, nil)
	tok := e.token(t, auditClientID)
	recs := e.dir.Activity.DirectoryAudits
	match := func(f func(r msgraph.DirectoryAudit) bool) []string {
		var out []string
		for _, r := range recs {
			if f(r) {
				out = append(out, r.ID)
			}
		}
		return out
	}
	at := func(r msgraph.DirectoryAudit) time.Time { return parseTime(r.ActivityDateTime) }
	from, to := testStart.AddDate(0, 0, -12), testStart.AddDate(0, 0, -3)
	provisioning := e.app(t, "tenant-provisioning")
	tests := []struct {
		name, filter string
		want         []string
	}{
		{"date window", "activityDateTime ge " + from.Format(time.RFC3339) + " and activityDateTime le " + to.Format(time.RFC3339),
			match(func(r msgraph.DirectoryAudit) bool { return !at(r).Before(from) && !at(r).After(to) })},
		{"category", "category eq 'ApplicationManagement'", match(func(msgraph.DirectoryAudit) bool { return true })},
		{"exact en-dash name", "activityDisplayName eq '" + tenantgen.ActivityAppCredentials + "'",
			match(func(r msgraph.DirectoryAudit) bool { return r.ActivityDisplayName == tenantgen.ActivityAppCredentials })},
		{"hyphen spelling matches nothing", "activityDisplayName eq 'Update application - Certificates and secrets management'", nil},
		{"startswith", "startswith(activityDisplayName,'Update application')",
			match(func(r msgraph.DirectoryAudit) bool {
				return strings.HasPrefix(r.ActivityDisplayName, "Update application")
			})},
		{"owner additions since", "activityDisplayName eq 'Add owner to application' and activityDateTime ge " + from.AddDate(0, 0, -8).Format(time.RFC3339),
			match(func(r msgraph.DirectoryAudit) bool {
				return r.ActivityDisplayName == tenantgen.ActivityAddAppOwner && !at(r).Before(from.AddDate(0, 0, -8))
			})},
		{"by user", "initiatedBy/user/userPrincipalName eq '" + tenantgen.DemoMalloryUPN + "'",
			match(func(r msgraph.DirectoryAudit) bool {
				return r.InitiatedBy.User != nil && r.InitiatedBy.User.UserPrincipalName == tenantgen.DemoMalloryUPN
			})},
		{"target lambda", "targetResources/any(t: t/id eq '" + provisioning.ID + "')",
			match(func(r msgraph.DirectoryAudit) bool {
				return slices.ContainsFunc(r.TargetResources, func(tr msgraph.TargetResource) bool { return tr.ID == provisioning.ID })
			})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ids(collectPages(t, e.testEnv, tok, "/v1.0/auditLogs/directoryAudits?"+q(tt.filter), 1000))
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %d records %v, want %d %v", len(got), got, len(tt.want), tt.want)
			}
		})
	}
	if n := len(tests[5].want); n != 2 {
		t.Errorf("the demo should show 2 owner additions, filter found %d", n)
	}

	for _, bad := range []struct{ query, code string }{
		{q("activityDateTime ge '2025-01-01T00:00:00Z'"), "Request_BadRequest"},
		{q("activityDateTime ge 2025-01-01"), "Request_BadRequest"},
		{q("activityDisplayName ne 'x'"), "Request_UnsupportedQuery"},
		{q("category ge 'a'"), "Request_BadRequest"},
		{q("bogus eq 'x'"), "Request_UnsupportedQuery"},
		{q("targetResources/any(t: x/id eq 'a')"), "Request_BadRequest"},
		{"$top=1001", "Request_BadRequest"},
		{"$select=id", "Request_UnsupportedQuery"},
		{"$orderby=category", "Request_UnsupportedQuery"},
	} {
		if g := e.get(t, tok, "/v1.0/auditLogs/directoryAudits?"+bad.query); g.status != 400 || g.errCode() != bad.code {
			t.Errorf("%s: status %d code %q, want 400 %s", bad.query, g.status, g.errCode(), bad.code)
		}
	}
}

// A record written between two pages neither shifts the pages nor shows
// up in them: the listing stays as of its first page.
func TestAuditLogPagingIgnoresNewRecords(t *testing.T) {
	e := newDemoEnv(t, nil)
	tok, wtok := e.token(t, auditClientID), e.token(t, writerID)
	first := e.get(t, tok, "/v1.0/auditLogs/directoryAudits?$top=10")
	e.post(t, wtok, "/v1.0/applications/"+e.app(t, "inventory-api").ID+"/addPassword", `{}`)
	rest := collectPages(t, e.testEnv, tok, first.body["@odata.nextLink"].(string), 10)
	got := append(ids(first.values()), ids(rest)...)
	var want []string
	for _, rec := range e.dir.Activity.DirectoryAudits {
		want = append(want, rec.ID)
	}
	if !slices.Equal(got, want) {
		t.Errorf("paging across a write: %d records, want the %d there at the first page", len(got), len(want))
	}
	if n := len(collectPages(t, e.testEnv, tok, "/v1.0/auditLogs/directoryAudits", 1000)); n != len(want)+2 {
		t.Errorf("a fresh listing has %d records, want %d", n, len(want)+2)
	}
}

const spFilter = "signInEventTypes/any(t: t eq 'servicePrincipal')"

func TestSignInsServicePrincipalFilter(t *testing.T) {
	e := newDemoEnv(t, nil)
	tok := e.token(t, auditClientID)
	all := e.dir.Activity.SignIns
	payroll := e.app(t, "payroll-export")
	since := testStart.AddDate(0, 0, -5)
	var wantAll, wantPayroll []string
	for _, si := range all {
		wantAll = append(wantAll, si.ID)
		if si.AppID == payroll.AppID && !parseTime(si.CreatedDateTime).Before(since) {
			wantPayroll = append(wantPayroll, si.ID)
		}
	}
	tests := []struct {
		name, query string
		top         int
		want        []string
	}{
		{"no event type: interactive users only", "", 1000, nil},
		{"service principals, paged", q(spFilter) + "&$top=40", 40, wantAll},
		{"range variable run into its body", q("signInEventTypes/any(x:x eq 'servicePrincipal')"), 1000, wantAll},
		{"other event type", q("signInEventTypes/any(t: t eq 'managedIdentity')"), 1000, nil},
		{"with date and app", q(spFilter + " and createdDateTime ge " + since.Format(time.RFC3339) + " and appId eq '" + payroll.AppID + "'"), 1000, wantPayroll},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ids(collectPages(t, e.testEnv, tok, "/beta/auditLogs/signIns?"+tt.query, tt.top))
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %d sign-ins, want %d (in order, newest first)", len(got), len(tt.want))
			}
		})
	}
	if len(wantPayroll) < 2 {
		t.Fatalf("the demo should show payroll-export signing in lately, found %d", len(wantPayroll))
	}
	g := e.get(t, tok, "/beta/auditLogs/signIns?"+q(spFilter)+"&$top=1")
	v := g.values()[0]
	if v["servicePrincipalCredentialKeyId"] == "" || v["signInEventTypes"].([]any)[0] != "servicePrincipal" || v["userPrincipalName"] != nil {
		t.Errorf("sign-in shape: %s", g.raw)
	}
	if ctx := g.body["@odata.context"].(string); !strings.HasPrefix(ctx, e.srv.GraphBetaURL()+"/$metadata#") {
		t.Errorf("@odata.context %q", ctx)
	}
	for _, bad := range []struct {
		path string
		code string
	}{
		{"/v1.0/auditLogs/signIns?" + q(spFilter), "Request_UnsupportedQuery"}, // v1.0 has no signInEventTypes
		{"/beta/auditLogs/signIns?$top=1001", "Request_BadRequest"},
		{"/beta/auditLogs/signIns?" + q("signInEventTypes/any(t: t eq servicePrincipal)"), "Request_BadRequest"},
		{"/beta/auditLogs/signIns?" + q("appId/any(t: t eq 'x')"), "Request_BadRequest"},
	} {
		if g := e.get(t, tok, bad.path); g.status != 400 || g.errCode() != bad.code {
			t.Errorf("%s: status %d code %q, want 400 %s", bad.path, g.status, g.errCode(), bad.code)
		}
	}
	if g := e.get(t, tok, "/v1.0/auditLogs/signIns"); g.status != 200 || len(g.values()) != 0 {
		t.Errorf("v1.0 sign-ins: status %d, %d values; want none (no interactive sign-ins)", g.status, len(g.values()))
	}
}

func TestCredentialUsageReport(t *testing.T) {
	e := newDemoEnv(t, nil)
	tok := e.token(t, auditClientID)
	usage := e.dir.Activity.CredentialSignInActivities
	got := collectPages(t, e.testEnv, tok, "/beta/reports/appCredentialSignInActivities?$top=9", 9)
	var want []string
	for _, u := range usage {
		want = append(want, u.ID)
	}
	if !slices.Equal(ids(got), want) {
		t.Fatalf("listed %d records, want %d", len(got), len(want))
	}
	one := usage[3]
	g := e.get(t, tok, "/beta/reports/appCredentialSignInActivities?"+q("keyId eq '"+one.KeyID+"'"))
	if vals := g.values(); len(vals) != 1 || vals[0]["id"] != one.ID || vals[0]["keyType"] != one.KeyType {
		t.Errorf("keyId filter: %s", g.raw)
	}
	n := 0
	for _, u := range usage {
		if u.AppID == one.AppID {
			n++
		}
	}
	if g := e.get(t, tok, "/beta/reports/appCredentialSignInActivities?"+q("appId eq '"+one.AppID+"'")); len(g.values()) != n {
		t.Errorf("appId filter: %d records, want %d", len(g.values()), n)
	}
	if g := e.get(t, tok, "/beta/reports/appCredentialSignInActivities/"+url.PathEscape(one.ID)); g.status != 200 || g.body["keyId"] != one.KeyID {
		t.Errorf("get by id: status %d %s", g.status, g.raw)
	}
	if g := e.get(t, tok, "/beta/reports/appCredentialSignInActivities/bm90LWEta2V5"); g.status != 404 {
		t.Errorf("unknown id: status %d", g.status)
	}
	if g := e.get(t, tok, "/v1.0/reports/appCredentialSignInActivities"); g.status != 404 {
		t.Errorf("v1.0 report: status %d, want 404 (beta only)", g.status)
	}
}

func TestReportsThrottle(t *testing.T) {
	const otherAuditID = "c11e0000-0000-4000-8000-0000000000a4"
	e := newDemoEnv(t, func(o *Options) {
		o.ReportsLimit = RateLimit{} // Graph's 5 per 10 s
		o.Clients = append(o.Clients, Client{ID: otherAuditID, Secret: certSecret, Roles: []string{"AuditLog.Read.All"}})
	})
	tok, other := e.token(t, auditClientID), e.token(t, otherAuditID)
	paths := []string{"/v1.0/auditLogs/directoryAudits?$top=1", "/beta/auditLogs/signIns?$top=1",
		"/beta/reports/appCredentialSignInActivities?$top=1", "/v1.0/auditLogs/directoryAudits", "/beta/auditLogs/signIns"}
	for i, p := range paths {
		e.clock.Set(testStart.Add(time.Duration(i) * time.Second))
		if g := e.get(t, tok, p); g.status != 200 {
			t.Fatalf("request %d (%s): status %d", i+1, p, g.status)
		}
	}
	// The applications endpoint is not a report: not counted, not limited.
	if g := e.get(t, tok, "/v1.0/applications"); g.status != 403 {
		t.Fatalf("audit client on applications: status %d", g.status)
	}
	e.clock.Set(testStart.Add(4 * time.Second))
	g := e.get(t, tok, paths[0])
	if g.status != 429 || g.errCode() != "TooManyRequests" || g.header.Get("Retry-After") != "6" {
		t.Fatalf("6th request in 10 s: status %d code %q Retry-After %q, want 429 TooManyRequests 6", g.status, g.errCode(), g.header.Get("Retry-After"))
	}
	// Honest: one second short it is still refused, at Retry-After it passes.
	e.clock.Set(testStart.Add(9 * time.Second))
	if g := e.get(t, tok, paths[0]); g.status != 429 || g.header.Get("Retry-After") != "1" {
		t.Errorf("a second early: status %d Retry-After %q", g.status, g.header.Get("Retry-After"))
	}
	e.clock.Set(testStart.Add(10 * time.Second))
	if g := e.get(t, tok, paths[0]); g.status != 200 {
		t.Errorf("after Retry-After: status %d", g.status)
	}
	// Another client has its own budget.
	if g := e.get(t, other, paths[0]); g.status != 200 {
		t.Errorf("another client: status %d", g.status)
	}
	// Requests inside a $batch count one by one.
	e.clock.Set(testStart.Add(time.Minute))
	var reqs []map[string]any
	for i := range 7 {
		reqs = append(reqs, get(strconv.Itoa(i), "/auditLogs/directoryAudits?$top=1"))
	}
	b := e.postBatch(t, tok, reqs)
	limited := 0
	for _, r := range b.body["responses"].([]any) {
		resp := r.(map[string]any)
		if resp["status"].(float64) == 429 {
			limited++
			if ra, _ := resp["headers"].(map[string]any)["Retry-After"].(string); ra != "10" {
				t.Errorf("batched 429 Retry-After %q, want 10", ra)
			}
		}
	}
	if limited != 2 {
		t.Errorf("%d of 7 batched requests throttled, want 2", limited)
	}
	if st := e.srv.Stats(); st.ReportsThrottled != 4 {
		t.Errorf("stats: %d throttled, want 4", st.ReportsThrottled)
	}
}

func TestReportsThrottleConfigurable(t *testing.T) {
	e := newDemoEnv(t, func(o *Options) { o.ReportsLimit = RateLimit{Requests: 2, Window: 3 * time.Second} })
	tok := e.token(t, auditClientID)
	for i, want := range []int{200, 200, 429} {
		if g := e.get(t, tok, "/v1.0/auditLogs/directoryAudits?$top=1"); g.status != want {
			t.Fatalf("request %d: status %d, want %d", i+1, g.status, want)
		} else if want == 429 && g.header.Get("Retry-After") != "3" {
			t.Errorf("Retry-After %q, want 3", g.header.Get("Retry-After"))
		}
	}
	if _, err := Start(Options{Directory: &msgraph.Directory{TenantID: testTenant}, ReportsLimit: RateLimit{Requests: -1}}); err == nil {
		t.Error("a negative limit was accepted")
	}
	off := newDemoEnv(t, nil) // Disabled
	otok := off.token(t, auditClientID)
	for i := range 12 {
		if g := off.get(t, otok, "/v1.0/auditLogs/directoryAudits?$top=1"); g.status != 200 {
			t.Fatalf("throttle disabled, request %d: status %d", i+1, g.status)
		}
	}
}

func TestNonPremiumTenant(t *testing.T) {
	e := newDemoEnv(t, func(o *Options) { o.NonPremium = true })
	tok := e.token(t, auditClientID)
	for _, p := range []string{"/beta/auditLogs/signIns?" + q(spFilter), "/v1.0/auditLogs/signIns", "/beta/reports/appCredentialSignInActivities"} {
		g := e.get(t, tok, p)
		if g.status != 403 || g.errCode() != "Authentication_RequestFromNonPremiumTenantOrB2CTenant" ||
			g.errMessage() != "Neither tenant is B2C or tenant doesn't have premium license" {
			t.Errorf("%s: status %d code %q message %q", p, g.status, g.errCode(), g.errMessage())
		}
	}
	if g := e.get(t, tok, "/v1.0/auditLogs/directoryAudits"); g.status != 200 || len(g.values()) == 0 {
		t.Errorf("directory audits on a non-premium tenant: status %d, %d values", g.status, len(g.values()))
	}
}

func TestActivityPermissions(t *testing.T) {
	e := newDemoEnv(t, nil)
	reader, audit, policy, writer := e.token(t, readerID), e.token(t, auditClientID), e.token(t, policyClientID), e.token(t, writerID)
	app := e.app(t, "payroll-export")
	tests := []struct {
		name, tok, method, path string
		status                  int
		code                    string
	}{
		{"reader on audits", reader, "GET", "/v1.0/auditLogs/directoryAudits", 403, "Authentication_MSGraphPermissionMissing"},
		{"policy reader on sign-ins", policy, "GET", "/beta/auditLogs/signIns", 403, "Authentication_MSGraphPermissionMissing"},
		{"writer on usage", writer, "GET", "/beta/reports/appCredentialSignInActivities", 403, "Authentication_MSGraphPermissionMissing"},
		{"audit reader on applications", audit, "GET", "/v1.0/applications", 403, "Authorization_RequestDenied"},
		{"audit reader on policies", audit, "GET", "/v1.0/policies/defaultAppManagementPolicy", 403, "Authorization_RequestDenied"},
		{"reader on app policies", reader, "GET", "/v1.0/applications/" + app.ID + "/appManagementPolicies", 403, "Authorization_RequestDenied"},
		{"policy reader on policies", policy, "GET", "/v1.0/policies/appManagementPolicies", 200, ""},
		{"reader adds a password", reader, "POST", "/v1.0/applications/" + app.ID + "/addPassword", 403, "Authorization_RequestDenied"},
		{"audit reader adds an owner", audit, "POST", "/v1.0/applications/" + app.ID + "/owners/$ref", 403, "Authorization_RequestDenied"},
		{"GET on an action", writer, "GET", "/v1.0/applications/" + app.ID + "/addPassword", 405, "Request_BadRequest"},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, e.srv.URL()+tt.path, strings.NewReader(`{}`))
		req.Header.Set("Authorization", "Bearer "+tt.tok)
		req.Header.Set("Content-Type", "application/json")
		if g := e.do(t, req); g.status != tt.status || g.errCode() != tt.code {
			t.Errorf("%s: status %d code %q, want %d %q", tt.name, g.status, g.errCode(), tt.status, tt.code)
		}
	}
	if got := e.srv.Directory().Applications; len(got[slices.IndexFunc(got, func(a msgraph.Application) bool { return a.ID == app.ID })].PasswordCredentials) != len(app.PasswordCredentials) {
		t.Error("a refused write changed the application")
	}
}

// /beta serves the v1.0 reads too, with beta's extra property.
func TestBetaServesObjectReads(t *testing.T) {
	e := newEnv(t, Faults{})
	tok := e.token(t, readerID)
	v1 := collect(t, e, tok, "/v1.0/applications?$top=2", 2)
	beta := e.get(t, tok, "/beta/applications")
	if !slices.Equal(ids(beta.values()), v1) {
		t.Errorf("beta applications %v, v1.0 %v", ids(beta.values()), v1)
	}
	if ctx := beta.body["@odata.context"].(string); ctx != e.srv.GraphBetaURL()+"/$metadata#applications" {
		t.Errorf("@odata.context %q", ctx)
	}
	next := e.get(t, tok, "/beta/servicePrincipals?$top=1").body["@odata.nextLink"].(string)
	if !strings.HasPrefix(next, e.srv.GraphBetaURL()+"/servicePrincipals?") {
		t.Errorf("beta nextLink %q", next)
	}
	for path, want := range map[string]int{
		"/beta/servicePrincipals?$select=createdDateTime":                              200,
		"/v1.0/servicePrincipals?$select=createdDateTime":                              400,
		"/beta/applications/" + guidN("a0000000", 2) + "/federatedIdentityCredentials": 200,
		"/beta/servicePrincipals(appId='" + guidN("b0000000", 1) + "')/owners":         200,
	} {
		if g := e.get(t, tok, path); g.status != want {
			t.Errorf("%s: status %d, want %d", path, g.status, want)
		}
	}
}
