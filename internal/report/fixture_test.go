package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/inventory"
	"github.com/credwatch/credwatch/internal/policy"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/expected")

// fixedNow is the clock every test renders at.
var fixedNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func day(n int) time.Time { return fixedNow.Add(time.Duration(n) * 24 * time.Hour) }

func dayPtr(n int) *time.Time { t := day(n); return &t }

// Hostile display names: each is something a tenant member can type into
// an app registration, and each attacks one output medium.
const (
	nameHTML     = `<img src=x onerror=alert(1)>`
	nameFormula  = `=cmd|' /C calc'!A0`
	nameSum      = `+SUM(1)`
	nameMinus    = `-2`
	nameAt       = `@x`
	nameTab      = "\tTabbed name"
	nameCR       = "\rCR name"
	nameUnicode  = "Zahlungsdienst – Ümlaut 日本語 🚀"
	nameTerminal = "\x1b[31mRED\x1b[0m\x07 evil\u202egnp.exe"
	nameMarkdown = "[click me](https://evil.example) | `code` **bold** www.evil.example <b>x</b>"
)

var nameLong = "Very long application name " + strings.Repeat("that keeps going ", 6) + "end"

const (
	appPayroll  = "11111111-1111-1111-1111-111111111111"
	appHTML     = "22222222-2222-2222-2222-222222222222"
	appMinus    = "33333333-3333-3333-3333-333333333333"
	appAt       = "44444444-4444-4444-4444-444444444444"
	appTab      = "55555555-5555-5555-5555-555555555555"
	appCR       = "66666666-6666-6666-6666-666666666666"
	appUnicode  = "77777777-7777-7777-7777-777777777777"
	appTerminal = "88888888-8888-8888-8888-888888888888"
	appMarkdown = "99999999-9999-9999-9999-999999999999"
	appLong     = "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"
	appEmpty    = "bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb"
)

func app(appID, name string, creds ...inventory.Credential) inventory.Object {
	return inventory.Object{
		Type: inventory.Application, ID: "obj-" + appID[:8], AppID: appID, DisplayName: name,
		SignInAudience: "AzureADMyOrg", Credentials: creds,
		Owners: []*inventory.Owner{{Type: inventory.OwnerUser, ID: "u1", DisplayName: "Ada", UserPrincipalName: "ada@contoso.example"}},
	}
}

func secret(key, desc, hint string, start, end int) inventory.Credential {
	c := inventory.Credential{Type: inventory.Secret, KeyID: key, DisplayName: desc, Hint: hint, Start: day(start)}
	if end != 0 {
		c.End = day(end)
	}
	return c
}

// fixtureTenant is a small tenant with every credential type and every
// hostile name, scanned at fixedNow.
func fixtureTenant() *inventory.Tenant {
	payrollApp := app(appPayroll, "Payroll Service",
		secret("k-payroll-soon-0001", "prod key", "Abc", -360, 5),
		secret("k-payroll-expired-0002", nameFormula, "Xy~", -400, -10),
		inventory.Credential{Type: inventory.Certificate, KeyID: "k-payroll-cert-0003", DisplayName: "CN=payroll",
			Start: day(-165), End: day(200), Thumbprint: "A1B2C3D4E5F60718293A4B5C6D7E8F9012345678", KeyType: "AsymmetricX509Cert", Usage: "Verify"},
	)
	payrollApp.Owners = append(payrollApp.Owners, &inventory.Owner{Type: inventory.OwnerGroup, ID: "g1", DisplayName: "Payroll admins"})
	payrollSP := inventory.Object{
		Type: inventory.ServicePrincipal, ID: "sp-11111111", AppID: appPayroll, DisplayName: "Payroll Service",
		ServicePrincipalType: "Application",
		Credentials: []inventory.Credential{{Type: inventory.Certificate, KeyID: "k-payroll-spcert-0004",
			Start: day(-345), End: day(20), Thumbprint: "FFEEDDCCBBAA99887766554433221100FFEEDDCC", KeyType: "AsymmetricX509Cert", Usage: "Verify"}},
		Permissions: []inventory.Permission{
			{Resource: "Microsoft Graph", ResourceAppID: "00000003-0000-0000-c000-000000000000", AppRoleID: "r2", Value: "User.Read.All"},
			{Resource: "Microsoft Graph", ResourceAppID: "00000003-0000-0000-c000-000000000000", AppRoleID: "r1", Value: "Mail.ReadWrite"},
			{Resource: "Microsoft Graph", ResourceAppID: "00000003-0000-0000-c000-000000000000", AppRoleID: "r1", Value: "Mail.ReadWrite"},
		},
	}
	federated := app(appMinus, nameMinus, inventory.Credential{Type: inventory.Federated, KeyID: "k-fed-0005", DisplayName: "deploy",
		Issuer: "https://token.actions.githubusercontent.com", Subject: "repo:octo/app:ref:refs/heads/main", Audiences: []string{"api://AzureADTokenExchange"}})
	federated.Owners = nil
	return &inventory.Tenant{
		ID:          "72f988bf-0000-4000-8000-000000000001",
		CollectedAt: fixedNow.Add(-time.Hour),
		Source:      "snapshot:tenant.json",
		Complete:    true,
		Objects: []inventory.Object{
			payrollApp,
			payrollSP,
			app(appHTML, nameHTML, secret("k-html-0006", nameSum, "+SU", -30, 700)),
			federated,
			app(appAt, nameAt, secret("k-at-0007", "@SUM(A1)", "-Qw", -90, 0)),
			app(appTab, nameTab, secret("k-tab-0008", "\tdesc", "\rAb", -10, 12)),
			app(appCR, nameCR, secret("k-cr-0009", "plain", "ZZZ", -10, 0)),
			app(appUnicode, nameUnicode, inventory.Credential{Type: inventory.Certificate, KeyID: "k-uni-0010", DisplayName: "Zertifikat für Ümlaute",
				Start: day(-10), End: day(355), Thumbprint: "0011223344556677889900AABBCCDDEEFF001122"}),
			app(appTerminal, nameTerminal, secret("k-term-0011", "\x1b]0;pwned\x07title", "T\x1bX", -10, 60)),
			app(appMarkdown, nameMarkdown, secret("k-md-0012", "| pipe | `tick` [link](x)", "[x]", -10, 80)),
			app(appLong, nameLong, secret("k-long-0013", "", "Lng", -10, 90)),
			app(appEmpty, "No credentials"),
		},
	}
}

func finding(rule string, sev policy.Severity, objType inventory.ObjectType, objID, appID, name, key, msg string, deadline *time.Time) policy.Finding {
	return policy.Finding{
		ID: policy.FindingID(rule, objID, key), RuleID: rule, Severity: sev, ObjectType: objType,
		ObjectID: objID, AppID: appID, AppName: name, KeyID: key, Message: msg, Deadline: deadline,
	}
}

// fixtureFindings covers every severity, deadlines and none, hostile
// names and messages, and two suppressed findings. They are deliberately
// out of order: NewScan sorts.
func fixtureFindings() []policy.Finding {
	app := inventory.Application
	sp := inventory.ServicePrincipal
	sup1 := finding("CW002", policy.High, app, "obj-55555555", appTab, nameTab, "k-tab-0008", "Client secret expires in 12 days", dayPtr(12))
	sup1.Suppressed, sup1.SuppressionReason = true, "rotation owned by vendor <b>ACME</b>"
	sup2 := finding("CW004", policy.Medium, app, "obj-66666666", appCR, nameCR, "k-cr-0009", "Client secret has no end date", nil)
	sup2.Suppressed, sup2.SuppressionReason = true, `=HYPERLINK("http://evil.example","x")`
	terminal := finding("CW006", policy.Low, app, "obj-88888888", appTerminal, nameTerminal, "k-term-0011", "App "+nameTerminal+" has a secret and no owner review", dayPtr(60))
	terminal.Evidence = map[string]string{"owners": "1", "lastReview": "never"}
	return []policy.Finding{
		finding("CW007", policy.Info, app, "obj-aaaaaaaa", appLong, nameLong, "", "Application has one owner", nil),
		terminal,
		finding("CW003", policy.Medium, app, "obj-33333333", appMinus, nameMinus, "k-fed-0005", "Federated credential trusts a branch ref [see](https://evil.example)", nil),
		sup2,
		finding("CW004", policy.Medium, app, "obj-44444444", appAt, nameAt, "k-at-0007", "Client secret has no end date", nil),
		finding("CW005", policy.High, app, "obj-22222222", appHTML, nameHTML, "k-html-0006", "Client secret "+nameSum+" is valid for 730 days", dayPtr(700)),
		finding("CW002", policy.High, sp, "sp-11111111", appPayroll, "Payroll Service", "k-payroll-spcert-0004", "Certificate expires in 20 days", dayPtr(20)),
		sup1,
		finding("CW002", policy.High, app, "obj-11111111", appPayroll, "Payroll Service", "k-payroll-soon-0001", "Client secret \"prod key\" expires in 5 days", dayPtr(5)),
		finding("CW001", policy.Critical, app, "obj-11111111", appPayroll, "Payroll Service", "k-payroll-expired-0002", "Client secret \""+nameFormula+"\" expired 10 days ago", dayPtr(-10)),
		finding("CW008", policy.Medium, app, "obj-99999999", appMarkdown, nameMarkdown, "k-md-0012", "Secret description looks like markup: | pipe | `tick` [link](x)", dayPtr(80)),
	}
}

// fixtureRules describes most rules; CW007 and CW008 are left out on
// purpose so SARIF must still resolve their ids.
func fixtureRules() []RuleInfo {
	return []RuleInfo{
		{ID: "CW001", Title: "Credential expired", Severity: policy.Critical, Help: "An expired credential no longer signs in; apps using it are failing.\n\nFix: create a new credential, deploy it, then remove the expired one."},
		{ID: "CW002", Title: "Credential expires soon", Severity: policy.High, Help: "The credential stops working at its end date.\n\nFix: rotate it before then."},
		{ID: "CW003", Title: "Federated credential subject too broad", Severity: policy.Medium, Help: "A broad subject lets more workflows sign in as the app."},
		{ID: "CW004", Title: "Secret without end date", Severity: policy.Medium, Help: "A secret that never expires is never rotated."},
		{ID: "CW005", Title: "Secret lifetime too long", Severity: policy.High, Help: "Long-lived secrets leak over time."},
		{ID: "CW006", Title: "Owner review missing", Severity: policy.Low, Help: "Someone must own every credential."},
	}
}

func fixtureScan() *Scan { return NewScan(fixtureTenant(), fixtureFindings(), fixedNow) }

func fixtureOptions() Options {
	return Options{Rules: fixtureRules(), Now: fixedNow, ToolVersion: "1.0.0-test"}
}

// golden compares got with testdata/expected/name, or rewrites it with
// -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "expected", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test ./internal/report -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := 0; i < max(len(gl), len(wl)); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("%s differs from the golden file at line %d (run with -update after a deliberate change):\n got: %q\nwant: %q", name, i+1, g, w)
			}
		}
		t.Fatalf("%s differs from the golden file", name)
	}
}

func render(t *testing.T, format string, s *Scan, o Options) string {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, format, s, o); err != nil {
		t.Fatalf("Write(%s): %v", format, err)
	}
	return buf.String()
}
