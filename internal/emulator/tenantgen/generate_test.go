package tenantgen

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/credwatch/credwatch/internal/msgraph"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var testNow = time.Date(2025, 9, 15, 10, 30, 0, 0, time.UTC)

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

func TestSameOptionsGiveIdenticalJSON(t *testing.T) {
	opts := Options{Seed: 42, Apps: 120, ExtraSPs: 30, Now: testNow}
	a, b := mustJSON(t, Generate(opts)), mustJSON(t, Generate(opts))
	if !bytes.Equal(a, b) {
		t.Fatal("two runs with the same options differ")
	}
	opts.Seed = 43
	if c := mustJSON(t, Generate(opts)); bytes.Equal(a, c) {
		t.Fatal("a different seed gave the same tenant")
	}
}

func TestNowShiftsDatesOnly(t *testing.T) {
	a := Generate(Options{Seed: 5, Apps: 30, ExtraSPs: 10, Now: testNow})
	b := Generate(Options{Seed: 5, Apps: 30, ExtraSPs: 10, Now: testNow.AddDate(0, 0, 10)})
	if a.Applications[7].ID != b.Applications[7].ID || a.Applications[7].DisplayName != b.Applications[7].DisplayName {
		t.Fatal("changing Now changed ids or names")
	}
	if bytes.Equal(mustJSON(t, a), mustJSON(t, b)) {
		t.Fatal("changing Now changed no date")
	}
}

func TestTenantIDOptionChangesOnlyTheTenantID(t *testing.T) {
	opts := Options{Seed: 9, Apps: 40, ExtraSPs: 15, Now: testNow}
	derived := Generate(opts)
	opts.TenantID = "11111111-2222-4333-8444-555555555555"
	given := Generate(opts)
	if given.TenantID != opts.TenantID {
		t.Fatalf("tenantId %q, want %q", given.TenantID, opts.TenantID)
	}
	want := strings.ReplaceAll(string(mustJSON(t, derived)), derived.TenantID, opts.TenantID)
	if got := string(mustJSON(t, given)); got != want {
		t.Fatal("setting TenantID changed more than the tenant id")
	}
}

func TestCountsMatchOptions(t *testing.T) {
	for _, tc := range []struct{ apps, extra int }{
		{0, 0}, {1, 0}, {0, 2}, {3, 5}, {17, 9}, {60, 25},
	} {
		d := Generate(Options{Seed: int64(tc.apps*100 + tc.extra), Apps: tc.apps, ExtraSPs: tc.extra, Now: testNow})
		if len(d.Applications) != tc.apps || len(d.ServicePrincipals) != tc.apps+tc.extra {
			t.Errorf("apps=%d extra=%d: got %d applications, %d service principals",
				tc.apps, tc.extra, len(d.Applications), len(d.ServicePrincipals))
		}
		checkDirectory(t, d)
	}
}

func TestNegativeCountsAreZero(t *testing.T) {
	d := Generate(Options{Seed: 1, Apps: -3, ExtraSPs: -1})
	if len(d.Applications) != 0 || len(d.ServicePrincipals) != 0 {
		t.Fatalf("got %d applications, %d service principals", len(d.Applications), len(d.ServicePrincipals))
	}
}

func TestGeneratedTenantsAreConsistent(t *testing.T) {
	for _, seed := range []int64{1, 2, 3} {
		checkDirectory(t, Generate(Options{Seed: seed, Apps: 250, ExtraSPs: 40, Now: testNow}))
	}
}

// stats counts what a realistic tenant should show.
type stats map[string]int

func tally(d *msgraph.Directory, now time.Time) stats {
	s := stats{}
	soon7, soon30 := now.Add(7*24*time.Hour), now.Add(30*24*time.Hour)
	for _, app := range d.Applications {
		s["audience "+app.SignInAudience]++
		if slices.Contains(hostileNames, app.DisplayName) {
			s["hostile name"]++
		}
		for _, c := range app.DisplayName {
			if c > unicode.MaxLatin1 {
				s["unicode name"]++
				break
			}
		}
		if len(app.Owners) > 20 {
			s["more than 20 owners"]++
		}
		if len(app.Tags) > 0 {
			s["tags"]++
		}
		valid := 0
		for _, p := range app.PasswordCredentials {
			s["secret"]++
			end, _ := time.Parse(time.RFC3339Nano, p.EndDateTime)
			switch {
			case strings.HasPrefix(p.EndDateTime, "2299-12-31T"):
				s["secret ends 2299"]++
			case end.Before(now):
				s["expired secret"]++
			case end.Before(soon7):
				s["secret ends within 7 days"]++
			case end.Before(soon30):
				s["secret ends within 30 days"]++
			}
			if end.After(now) {
				valid++
			}
			if p.DisplayName == nil {
				s["secret without description"]++
			}
			if strings.Contains(p.StartDateTime, ".") {
				s["fractional seconds"]++
			}
		}
		if valid > 2 {
			s["more than 2 valid secrets"]++
		}
		if len(app.PasswordCredentials) > 0 && app.SignInAudience != "AzureADMyOrg" {
			s["multi-tenant with secret"]++
		}
		for _, k := range app.KeyCredentials {
			s["certificate "+k.Usage]++
			if k.CustomKeyIdentifier != nil && len(*k.CustomKeyIdentifier) == 40 {
				s["hex thumbprint"]++
			}
		}
		for _, f := range app.FederatedIdentityCredentials {
			if f.Issuer == GitHubIssuer && strings.HasPrefix(f.Subject, "repo:") {
				s["github federated credential"]++
			}
		}
		for _, o := range app.Owners {
			s["owner "+o.ODataType]++
		}
	}
	for _, sp := range d.ServicePrincipals {
		s["sp "+sp.ServicePrincipalType]++
		if len(sp.PasswordCredentials)+len(sp.KeyCredentials) > 0 && sp.ServicePrincipalType == "Application" {
			s["credential on service principal"]++
		}
		if sp.ServicePrincipalType == "ManagedIdentity" && len(sp.KeyCredentials) > 0 {
			s["managed identity certificate"]++
		}
		if sp.AppOwnerOrganizationID == msgraph.FirstPartyTenantID {
			s["first-party"]++
		}
		if len(sp.AppRoleAssignments) > 0 {
			s["sp with permissions"]++
		} else {
			s["sp without permissions"]++
		}
		for _, a := range sp.AppRoleAssignments {
			s["perm "+a.AppRoleID]++
		}
	}
	return s
}

func TestGeneratedTenantHasRealisticMix(t *testing.T) {
	d := Generate(Options{Seed: 7, Apps: 400, ExtraSPs: 60, Now: testNow})
	s := tally(d, testNow)
	for _, want := range []string{
		"secret", "certificate Verify", "certificate Sign", "hex thumbprint",
		"secret ends 2299", "expired secret", "secret ends within 7 days", "secret ends within 30 days",
		"secret without description", "fractional seconds", "more than 2 valid secrets",
		"multi-tenant with secret", "hostile name", "unicode name", "more than 20 owners", "tags",
		"github federated credential", "owner " + odataUser, "owner " + odataGrp, "owner " + odataSP,
		"credential on service principal", "sp ManagedIdentity", "managed identity certificate",
		"first-party", "sp with permissions", "sp without permissions",
		"perm " + roleID(gperm("Application.ReadWrite.All")), "perm " + roleID(gperm("Mail.ReadWrite")),
		"perm " + roleID(gperm("User.Read.All")),
	} {
		if s[want] == 0 {
			t.Errorf("no %q in a 400-app tenant", want)
		}
	}
	if my := s["audience AzureADMyOrg"]; my < len(d.Applications)*3/4 {
		t.Errorf("only %d of %d apps are single-tenant", my, len(d.Applications))
	}
	if s["sp without permissions"] < s["sp with permissions"] {
		t.Errorf("more service principals with permissions (%d) than without (%d)", s["sp with permissions"], s["sp without permissions"])
	}
}

// The forced features keep even small tenants useful, whatever the seed.
func TestSmallTenantsStillShowKeyFeatures(t *testing.T) {
	for seed := int64(100); seed < 110; seed++ {
		s := tally(Generate(Options{Seed: seed, Apps: 40, ExtraSPs: 12, Now: testNow}), testNow)
		for _, want := range []string{
			"more than 20 owners", "certificate Sign", "hex thumbprint", "secret ends 2299",
			"github federated credential", "credential on service principal", "more than 2 valid secrets",
			"hostile name", "expired secret", "secret ends within 7 days", "secret without description",
			"multi-tenant with secret", "first-party",
		} {
			if s[want] == 0 {
				t.Errorf("seed %d: no %q", seed, want)
			}
		}
	}
}

func TestExtraServicePrincipalsStartWithMicrosoftResources(t *testing.T) {
	d := Generate(Options{Seed: 3, Apps: 10, ExtraSPs: 3, Now: testNow})
	want := []string{msgraph.GraphAppID, ExchangeAppID, SharePointAppID}
	for i, appID := range want {
		sp := d.ServicePrincipals[i]
		if sp.AppID != appID || sp.AppOwnerOrganizationID != msgraph.FirstPartyTenantID || len(sp.AppRoles) == 0 {
			t.Errorf("servicePrincipals[%d] = %s %q, want first-party %s with appRoles", i, sp.AppID, sp.DisplayName, appID)
		}
	}
}

// Assignments name their resource even when ExtraSPs is too small to list
// it among the service principals.
func TestResourcesListedWithoutExtraServicePrincipals(t *testing.T) {
	d := Generate(Options{Seed: 11, Apps: 80, Now: testNow})
	if len(d.Resources) == 0 {
		t.Fatal("no resources although apps hold permissions")
	}
	checkDirectory(t, d)
}

// The ids the brief and the contract name must stay exactly Microsoft's.
func TestCatalogHasMicrosoftsAppRoleIDs(t *testing.T) {
	for _, tc := range []struct {
		p  perm
		id string
	}{
		{gperm("Application.Read.All"), "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30"},
		{gperm("Application.ReadWrite.All"), "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9"},
		{gperm("Application.ReadWrite.OwnedBy"), "18a4783c-866b-4cc7-a460-3d5e5662c884"},
		{gperm("AuditLog.Read.All"), "b0afded3-3588-46d8-8b3d-9842eff778da"},
		{gperm("Directory.Read.All"), "7ab1d382-f21e-4acd-a863-ba3e13f7da61"},
		{gperm("Policy.Read.All"), "246dd0d5-5bd0-4def-940b-0421030a5b68"},
		{gperm("Reports.Read.All"), "230c1aed-a721-4c5d-9cb4-a90514e508ef"},
		{gperm("Mail.ReadWrite"), "e2a3a72e-5f79-4c64-b1b1-878b674786c9"},
		{gperm("Mail.Send"), "b633e1c5-b582-4048-a93e-9f11b44c7e96"},
		{gperm("Mail.Read"), "810c84a8-4a9e-49e6-bf7d-12d183f40d01"},
		{gperm("Files.ReadWrite.All"), "75359482-378d-4052-8f01-80520e7db3cd"},
		{gperm("Sites.ReadWrite.All"), "9492366f-7969-46a4-8d15-ed1a20078fff"},
		{gperm("User.Read.All"), "df021288-bdef-4463-88db-98f22de89214"},
		{gperm("Group.ReadWrite.All"), "62a82d76-70ea-41e2-9197-370581804d09"},
		{gperm("Directory.ReadWrite.All"), "19dbc75e-c2e2-444c-a770-ec69d8559fc7"},
		{gperm("RoleManagement.ReadWrite.Directory"), "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8"},
		{gperm("AppRoleAssignment.ReadWrite.All"), "06b708a9-e830-4db3-a914-8e69da51d44f"},
		{perm{resExchange, "full_access_as_app"}, "dc890d15-9560-4a4c-9b7f-a736ec74ec40"},
		{perm{resExchange, "Mail.ReadWrite"}, "e2a3a72e-5f79-4c64-b1b1-878b674786c9"},
		{perm{resExchange, "Mail.Send"}, "b633e1c5-b582-4048-a93e-9f11b44c7e96"},
		{perm{resSharePoint, "Sites.FullControl.All"}, "678536fe-1083-478a-9c59-b99265e6b0d3"},
		{perm{resSharePoint, "Sites.ReadWrite.All"}, "fbcd29d2-fcca-4405-aded-518d457caae4"},
	} {
		if got := roleID(tc.p); got != tc.id {
			t.Errorf("%s %s: id %s, want %s", firstParty[tc.p.res].name, tc.p.value, got, tc.id)
		}
	}
	for _, fp := range firstParty {
		seen := map[string]bool{}
		for _, r := range fp.roles {
			if !guidRE.MatchString(r.id) || seen[r.value] || seen[r.id] {
				t.Errorf("%s: role %s %s is malformed or repeated", fp.name, r.value, r.id)
			}
			seen[r.value], seen[r.id] = true, true
		}
	}
}

// Golden files pin the exact output, so an unintended change to the
// generator (or to the Go library under it) shows up in review; regenerate
// with -update after a deliberate one.
func TestGoldenTenants(t *testing.T) {
	for _, tc := range []struct {
		file string
		dir  func() *msgraph.Directory
	}{
		{"generate-small.json", func() *msgraph.Directory {
			return Generate(Options{Seed: 2025, Apps: 8, ExtraSPs: 12, Now: testNow})
		}},
		{"demo.json", func() *msgraph.Directory { return Demo(testNow) }},
	} {
		t.Run(tc.file, func(t *testing.T) {
			got := mustJSON(t, tc.dir())
			path := filepath.Join("testdata", tc.file)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("output differs from %s; run with -update if the change is deliberate", path)
			}
		})
	}
}

func TestGraphTimeMatchesTimeFormat(t *testing.T) {
	for _, tm := range []time.Time{
		time.Date(2025, 5, 11, 8, 12, 45, 123456700, time.UTC),
		time.Date(2299, 12, 31, 5, 0, 0, 0, time.UTC),
		time.Date(2001, 1, 2, 3, 4, 5, 6_000_000, time.FixedZone("x", 3600)),
		time.Date(9999, 12, 31, 23, 59, 59, 999_999_900, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		for f := range layouts {
			if got, want := graphTime(tm, fraction(f)), tm.UTC().Format(layouts[f]); got != want {
				t.Errorf("graphTime(%v, %d) = %q, want %q", tm, f, got, want)
			}
		}
	}
}

// No clock, however odd, may make certificate issuance fail.
func TestExtremeClocksDoNotPanic(t *testing.T) {
	for _, now := range []time.Time{
		{},
		time.Date(5, 3, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9990, 6, 1, 0, 0, 0, 0, time.UTC),
	} {
		if d := Generate(Options{Seed: 4, Apps: 60, ExtraSPs: 20, Now: now}); len(d.Applications) != 60 {
			t.Errorf("now %v: %d applications", now, len(d.Applications))
		}
		if d := Demo(now); len(d.Applications) == 0 {
			t.Errorf("now %v: empty demo", now)
		}
	}
}
