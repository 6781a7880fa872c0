package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/inventory"
	"github.com/credwatch/credwatch/internal/policy"
	"github.com/credwatch/credwatch/internal/store"
)

// now is the clock every test serves at.
var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func day(n int) time.Time { return now.Add(time.Duration(n) * 24 * time.Hour) }

func ptr[T any](v T) *T { return &v }

const (
	tenantA = "tenant-a"
	tenantB = "tenant-b"
	// tenantOther is in the store but not served.
	tenantOther = "tenant-other"

	nameScript = `<script>alert(1)</script>`
	nameImg    = `<img src=x onerror=alert(1)>`
	// oddID is an object id with path and query characters: links must
	// escape it as one path segment.
	oddID = "odd/id?x=<1>&y"
)

// fixture is a store holding three scans of tenant A (complete, complete,
// incomplete), one big scan of tenant B and one of a tenant not served.
type fixture struct {
	st                     *store.Store
	a1, a2, a3, b1, other1 int64
}

func graphPerm(value string) inventory.Permission {
	return inventory.Permission{Resource: "Microsoft Graph", ResourceAppID: "00000003-0000-0000-c000-000000000000",
		AppRoleID: "role-" + value, Value: value}
}

func finding(rule string, sev policy.Severity, o inventory.Object, keyID, msg string, suppressed bool) policy.Finding {
	return policy.Finding{ID: policy.FindingID(rule, o.ID, keyID), RuleID: rule, Severity: sev, ObjectType: o.Type,
		ObjectID: o.ID, AppID: o.AppID, AppName: o.DisplayName, KeyID: keyID, Message: msg, Suppressed: suppressed}
}

// tenantARecord is tenant A as scan n (1, 2 or 3) saw it. Between scans 1
// and 2, Payroll's secret k-pay-1 is replaced by k-pay-2 and Bob becomes an
// owner; scan 3 could not fetch service principals.
func tenantARecord(n int) *store.Record {
	ada := &inventory.Owner{Type: inventory.OwnerUser, ID: "u-ada", DisplayName: "Ada Admin", UserPrincipalName: "ada@contoso.example"}
	bob := &inventory.Owner{Type: inventory.OwnerUser, ID: "u-bob", DisplayName: "Bob Builder", UserPrincipalName: "bob@contoso.example"}
	payroll := inventory.Object{Type: inventory.Application, ID: "obj-payroll", AppID: "app-payroll", DisplayName: "Payroll Export",
		SignInAudience: "AzureADMyOrg", Owners: []*inventory.Owner{ada}, Permissions: []inventory.Permission{graphPerm("Mail.ReadWrite")},
		Credentials: []inventory.Credential{
			{Type: inventory.Certificate, KeyID: "k-pay-cert", DisplayName: "CN=payroll", Start: day(-300), End: day(100),
				Thumbprint: "0123456789ABCDEF0123456789ABCDEF01234567", Usage: "Verify"},
		}}
	oldSecret := inventory.Credential{Type: inventory.Secret, KeyID: "k-pay-1", DisplayName: "prod key", Hint: "Abc", Start: day(-400), End: day(10)}
	newSecret := inventory.Credential{Type: inventory.Secret, KeyID: "k-pay-2", DisplayName: "prod key 2", Hint: "Xyz", Start: day(-2), End: day(200)}
	if n == 1 {
		payroll.Credentials = append(payroll.Credentials, oldSecret)
	} else {
		payroll.Credentials = append(payroll.Credentials, newSecret)
		payroll.Owners = append(payroll.Owners, bob)
	}
	payrollSP := inventory.Object{Type: inventory.ServicePrincipal, ID: "sp-payroll", AppID: "app-payroll", DisplayName: "Payroll Export",
		ServicePrincipalType: "Application", Permissions: payroll.Permissions}
	xss1 := inventory.Object{Type: inventory.Application, ID: "obj-xss1", AppID: "app-xss1", DisplayName: nameScript,
		Credentials: []inventory.Credential{{Type: inventory.Secret, KeyID: "k-xss1", DisplayName: nameImg, Hint: "<b>", Start: day(-100), End: day(20)}}}
	xss2 := inventory.Object{Type: inventory.Application, ID: oddID, AppID: "app-xss2", DisplayName: nameImg,
		Credentials: []inventory.Credential{{Type: inventory.Federated, KeyID: "fic-1", DisplayName: "github main",
			Issuer: "https://token.actions.githubusercontent.com", Subject: "repo:contoso/x:ref:refs/heads/main"}}}
	billing := inventory.Object{Type: inventory.Application, ID: "obj-billing", AppID: "app-billing", DisplayName: "Billing",
		Credentials: []inventory.Credential{{Type: inventory.Secret, KeyID: "k-bill-old", DisplayName: "old", Start: day(-370), End: day(-5)}}}

	t := &inventory.Tenant{ID: tenantA, Source: "graph", Complete: true,
		Objects: []inventory.Object{payroll, payrollSP, xss1, xss2, billing}}
	t.CollectedAt = day(n - 4)
	if n == 3 {
		t.Complete, t.Incomplete = false, []string{"service principals: HTTP 503"}
		t.Objects = []inventory.Object{payroll, xss1, xss2, billing}
	}
	findings := []policy.Finding{
		finding("CW001", policy.Critical, billing, "k-bill-old", "secret expired 5 days ago", false),
		finding("CW002", policy.Medium, xss1, "k-xss1", "secret "+nameImg+" expires in 20 days", false),
		finding("CW010", policy.High, payrollSP, "", "privileged app has no owner", false),
		finding("CW005", policy.Low, xss2, "fic-1", "federated credential on a personal repository", true),
	}
	findings[1].Deadline = ptr(day(20))
	return &store.Record{Tenant: t, Findings: findings, ScannedAt: day(n - 4)}
}

// tenantBRecord has 60 apps with a secret and a certificate each: enough
// rows for three pages of 50.
func tenantBRecord() *store.Record {
	t := &inventory.Tenant{ID: tenantB, Source: "demo", Complete: true, CollectedAt: now.Add(-time.Hour)}
	var findings []policy.Finding
	for i := range 60 {
		o := inventory.Object{Type: inventory.Application, ID: fmt.Sprintf("b-obj-%03d", i), AppID: fmt.Sprintf("b-app-%03d", i),
			DisplayName: fmt.Sprintf("Gen App %03d", i),
			Credentials: []inventory.Credential{
				{Type: inventory.Secret, KeyID: fmt.Sprintf("b-secret-%03d", i), Start: day(-30), End: day(1 + i)},
				{Type: inventory.Certificate, KeyID: fmt.Sprintf("b-cert-%03d", i), Start: day(-30), End: day(400 + i)},
			}}
		t.Objects = append(t.Objects, o)
		if i < 3 {
			findings = append(findings, finding("CW002", policy.High, o, o.Credentials[0].KeyID, "secret expires soon", false))
		}
	}
	return &store.Record{Tenant: t, Findings: findings, ScannedAt: now.Add(-time.Hour)}
}

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "history.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func save(t *testing.T, st *store.Store, r *store.Record) int64 {
	t.Helper()
	id, err := st.Save(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{st: openStore(t)}
	f.a1 = save(t, f.st, tenantARecord(1))
	f.a2 = save(t, f.st, tenantARecord(2))
	f.a3 = save(t, f.st, tenantARecord(3))
	f.b1 = save(t, f.st, tenantBRecord())
	other := tenantARecord(1)
	other.Tenant.ID = tenantOther
	f.other1 = save(t, f.st, other)
	return f
}

// newServer serves the fixture's tenants A and B at the fixed clock.
func newServer(t *testing.T, st *store.Store, mod func(*Options)) *Server {
	t.Helper()
	o := Options{Store: st, Tenants: []string{tenantA, tenantB}, Now: func() time.Time { return now },
		Rand: func() float64 { return 0.5 }}
	if mod != nil {
		mod(&o)
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// get serves one request; headers come in name, value pairs.
func get(t *testing.T, h http.Handler, path string, headers ...string) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return serve(t, h, req)
}

func serve(t *testing.T, h http.Handler, req *http.Request) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := rec.Result()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b)
}

var dataKey = regexp.MustCompile(`<tr data-key="([^"]*)"`)

// rowKeys lists the key ids of the table rows on a page, in order.
func rowKeys(body string) []string {
	var keys []string
	for _, m := range dataKey.FindAllStringSubmatch(body, -1) {
		keys = append(keys, m[1])
	}
	return keys
}

func mustContain(t *testing.T, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("page lacks %q", w)
		}
	}
}

func mustNotContain(t *testing.T, body string, bads ...string) {
	t.Helper()
	for _, b := range bads {
		if strings.Contains(body, b) {
			t.Errorf("page contains %q", b)
		}
	}
}

// startRun runs the scheduler until the test ends, returning once it runs.
func startRun(t *testing.T, s *Server) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	for {
		s.mu.Lock()
		running := s.running
		s.mu.Unlock()
		if running {
			return
		}
		runtime.Gosched()
	}
}
