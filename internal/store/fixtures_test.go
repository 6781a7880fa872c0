package store

import (
	"fmt"
	"time"

	"github.com/credwatch/credwatch/internal/inventory"
	"github.com/credwatch/credwatch/internal/policy"
)

const (
	tenantA   = "11111111-1111-1111-1111-111111111111"
	tenantB   = "22222222-2222-2222-2222-222222222222"
	graphApp  = "00000003-0000-0000-c000-000000000000"
	mailRole  = "e2a3a72e-5f79-4c64-b1b1-878b674786c9"
	usersRole = "df021288-bdef-4463-88db-98f22de89214"
)

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func ptr[T any](v T) *T { return &v }

// sampleRecord sets every field the store keeps, with Graph's seven
// fractional digits, a date past 2262 (beyond int64 nanoseconds) and zero
// dates, so a round trip shows what survives.
func sampleRecord() *Record {
	app := inventory.Object{
		Type: inventory.Application, ID: "a0000000-0000-0000-0000-000000000001", AppID: "c0000000-0000-0000-0000-000000000001",
		DisplayName: "Payroll Export", CreatedAt: ts("2021-03-04T05:06:07.1234567Z"), SignInAudience: "AzureADMultipleOrgs",
		Tags: []string{"HideApp", "WindowsAzureActiveDirectoryIntegratedApp"},
		Credentials: []inventory.Credential{
			{Type: inventory.Secret, KeyID: "k-secret-1", DisplayName: "prod key", Hint: "Abc",
				Start: ts("2024-01-01T00:00:00Z"), End: ts("2026-01-01T00:00:00.5Z")},
			{Type: inventory.Certificate, KeyID: "k-cert-verify", DisplayName: "CN=payroll", Start: ts("2024-02-01T10:00:00Z"),
				End: ts("2299-12-31T23:59:59.9999999Z"), Thumbprint: "0123456789ABCDEF0123456789ABCDEF01234567",
				KeyType: "AsymmetricX509Cert", Usage: "Sign,Verify", PairedKeyID: "k-cert-sign"},
			{Type: inventory.Federated, KeyID: "fic-1", DisplayName: "github-main", Issuer: "https://token.actions.githubusercontent.com",
				Subject: "repo:contoso/payroll:ref:refs/heads/main", Audiences: []string{"api://AzureADTokenExchange"}},
		},
		Owners: []*inventory.Owner{
			{Type: inventory.OwnerUser, ID: "u-1", DisplayName: "Ada Admin", UserPrincipalName: "ada@contoso.example", Mail: "ada@contoso.example"},
			{Type: inventory.OwnerGroup, ID: "g-1", DisplayName: "Payroll Team"},
		},
		Permissions: []inventory.Permission{
			{Resource: "Microsoft Graph", ResourceAppID: graphApp, AppRoleID: mailRole, Value: "Mail.ReadWrite"},
		},
	}
	sp := inventory.Object{
		Type: inventory.ServicePrincipal, ID: "s0000000-0000-0000-0000-000000000001", AppID: app.AppID,
		DisplayName: "Payroll Export", ServicePrincipalType: "Application", AppOwnerOrganizationID: tenantA,
		Permissions: app.Permissions,
		Owners:      []*inventory.Owner{{Type: inventory.OwnerServicePrincipal, ID: "s-owner", DisplayName: "Automation"}},
	}
	first := inventory.Object{
		Type: inventory.ServicePrincipal, ID: "s0000000-0000-0000-0000-000000000002", AppID: graphApp,
		DisplayName: "Microsoft Graph", ServicePrincipalType: "Application",
		AppOwnerOrganizationID: "f8cdef31-a31e-4b4a-93e4-5f571e91255a", FirstParty: true,
		Owners: []*inventory.Owner{{Type: inventory.OwnerOther, ID: "o-1"}},
	}
	return &Record{
		Tenant: &inventory.Tenant{
			ID: tenantA, CollectedAt: ts("2025-06-01T12:00:00.1234567Z"), Source: "snapshot:tenant.json",
			Complete: true, Objects: []inventory.Object{app, sp, first},
		},
		Findings: []policy.Finding{
			{ID: policy.FindingID("CW002", app.ID, "k-secret-1"), RuleID: "CW002", Severity: policy.High,
				ObjectType: app.Type, ObjectID: app.ID, AppID: app.AppID, AppName: app.DisplayName, KeyID: "k-secret-1",
				Message: "secret expires in 5 days", Deadline: ptr(ts("2026-01-01T00:00:00.5Z")),
				Evidence: map[string]string{"daysLeft": "5", "end": "2026-01-01T00:00:00.5Z"}},
			{ID: policy.FindingID("CW005", app.ID, "fic-1"), RuleID: "CW005", Severity: policy.Low,
				ObjectType: app.Type, ObjectID: app.ID, AppID: app.AppID, AppName: app.DisplayName, KeyID: "fic-1",
				Message: "no description", Suppressed: true, SuppressionReason: "accepted until 2026-03-01"},
			{ID: policy.FindingID("CW010", sp.ID, ""), RuleID: "CW010", Severity: policy.Critical,
				ObjectType: sp.Type, ObjectID: sp.ID, AppID: sp.AppID, AppName: sp.DisplayName, Message: "privileged app has owners"},
		},
		ScannedAt: ts("2025-06-01T12:00:05.000000001Z"),
	}
}

// bigRecord is a generated scan of n objects, each with two credentials, an
// owner and a finding, and a permission on every other object.
func bigRecord(tenantID string, n int, scannedAt time.Time) *Record {
	t := &inventory.Tenant{ID: tenantID, CollectedAt: scannedAt, Source: "demo", Complete: true,
		Objects: make([]inventory.Object, n)}
	findings := make([]policy.Finding, 0, n)
	for i := range t.Objects {
		id := fmt.Sprintf("obj-%06d", i)
		o := inventory.Object{Type: inventory.Application, ID: id, AppID: fmt.Sprintf("app-%06d", i),
			DisplayName: fmt.Sprintf("App %d", i), CreatedAt: scannedAt.AddDate(-1, 0, -i%300),
			SignInAudience: "AzureADMyOrg", Tags: []string{"generated"}}
		o.Credentials = []inventory.Credential{
			{Type: inventory.Secret, KeyID: id + "-s", DisplayName: "secret", Hint: "xy" + fmt.Sprint(i%10),
				Start: scannedAt.AddDate(0, -6, 0), End: scannedAt.AddDate(0, 0, i%400)},
			{Type: inventory.Certificate, KeyID: id + "-c", DisplayName: "cert", Thumbprint: fmt.Sprintf("%040X", i),
				KeyType: "AsymmetricX509Cert", Usage: "Verify", Start: scannedAt.AddDate(-1, 0, 0), End: scannedAt.AddDate(1, 0, 0)},
		}
		o.Owners = []*inventory.Owner{{Type: inventory.OwnerUser, ID: fmt.Sprintf("user-%d", i%500),
			DisplayName: "Owner", UserPrincipalName: "owner@contoso.example"}}
		if i%2 == 0 {
			o.Permissions = []inventory.Permission{{Resource: "Microsoft Graph", ResourceAppID: graphApp,
				AppRoleID: usersRole, Value: "User.Read.All"}}
		}
		t.Objects[i] = o
		findings = append(findings, policy.Finding{ID: policy.FindingID("CW002", id, id+"-s"), RuleID: "CW002",
			Severity: policy.Medium, ObjectType: o.Type, ObjectID: id, AppID: o.AppID, AppName: o.DisplayName,
			KeyID: id + "-s", Message: "secret expires soon", Deadline: ptr(o.Credentials[0].End),
			Evidence: map[string]string{"daysLeft": fmt.Sprint(i % 400)}})
	}
	return &Record{Tenant: t, Findings: findings, ScannedAt: scannedAt}
}
