package loganalytics

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/inventory"
	"github.com/credwatch/credwatch/internal/policy"
)

var scanAt = time.Date(2026, 11, 20, 8, 30, 0, 0, time.FixedZone("CET", 3600))

func fixtureTenant() *inventory.Tenant {
	return &inventory.Tenant{
		ID: "11111111-2222-3333-4444-555555555555", Source: "graph", Complete: false,
		Incomplete: []string{"owners of sp-payroll: 503"},
		Objects: []inventory.Object{
			{
				Type: inventory.Application, ID: "obj-payroll", AppID: "app-payroll", DisplayName: `Payroll <"prod">`,
				SignInAudience: "AzureADMyOrg",
				Owners: []*inventory.Owner{
					{Type: inventory.OwnerUser, ID: "u1", DisplayName: "Ada", UserPrincipalName: "ada@contoso.example"},
					{Type: inventory.OwnerServicePrincipal, ID: "sp9", DisplayName: "Deployer"},
					{Type: inventory.OwnerGroup, ID: "g1"},
				},
				Credentials: []inventory.Credential{
					{Type: inventory.Secret, KeyID: "key-secret-1", DisplayName: "ci", Hint: "abc",
						Start: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 25, 12, 0, 0, 500_000_000, time.UTC)},
					{Type: inventory.Certificate, KeyID: "key-cert-1", Thumbprint: "A1B2", KeyType: "AsymmetricX509Cert",
						Usage: "Verify", Start: time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2027, 12, 1, 0, 0, 0, 0, time.UTC)},
					{Type: inventory.Federated, KeyID: "fic-1", DisplayName: "github", Issuer: "https://token.actions.githubusercontent.com",
						Subject: "repo:contoso/payroll:ref:refs/heads/main", Audiences: []string{"api://AzureADTokenExchange"}},
				},
			},
			{
				Type: inventory.ServicePrincipal, ID: "sp-payroll", AppID: "app-payroll", DisplayName: `Payroll <"prod">`,
				ServicePrincipalType: "Application",
				Credentials: []inventory.Credential{
					{Type: inventory.Secret, KeyID: "key-sp-2299", Start: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
						End: time.Date(2299, 12, 31, 0, 0, 0, 0, time.UTC)},
				},
			},
			{Type: inventory.ServicePrincipal, ID: "sp-graph", AppID: "00000003-0000-0000-c000-000000000000",
				DisplayName: "Microsoft Graph", FirstParty: true},
		},
	}
}

func fixtureFindings() []policy.Finding {
	deadline := time.Date(2026, 11, 25, 12, 0, 0, 0, time.FixedZone("X", -5*3600))
	return []policy.Finding{
		{ID: policy.FindingID("CW002", "obj-payroll", "key-secret-1"), RuleID: "CW002", Severity: policy.Critical,
			ObjectType: inventory.Application, ObjectID: "obj-payroll", AppID: "app-payroll", AppName: `Payroll <"prod">`,
			KeyID: "key-secret-1", Message: "secret ci expires in 5 days", Deadline: &deadline,
			Evidence: map[string]string{"criticalDays": "7", "warningDays": "30"}},
		{ID: policy.FindingID("CW005", "obj-payroll", "key-cert-1"), RuleID: "CW005", Severity: policy.Low,
			ObjectType: inventory.Application, ObjectID: "obj-payroll", AppID: "app-payroll", AppName: `Payroll <"prod">`,
			KeyID: "key-cert-1", Message: "certificate has no description", Suppressed: true, SuppressionReason: "legacy, ticket 42"},
		{ID: policy.FindingID("CW999", "sp-payroll", ""), RuleID: "CW999", Severity: policy.Info,
			ObjectType: inventory.ServicePrincipal, ObjectID: "sp-payroll", Message: "a rule the catalog does not know"},
	}
}

func goldenJSON(t *testing.T, name string, v any) {
	t.Helper()
	// As Upload encodes rows: no HTML escaping.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	got := buf.Bytes()
	path := filepath.Join("testdata", name)
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
		t.Errorf("%s differs from the rows built now; run go test ./internal/azure/loganalytics -update after a deliberate change\ngot:\n%s", name, got)
	}
}

func TestFindingRowsMatchGolden(t *testing.T) {
	rows := FindingRows("tenant-1", scanAt, fixtureFindings())
	goldenJSON(t, "findings.golden.json", rows)
	r := rows[0].(FindingRow)
	if r.TimeGenerated.Location() != time.UTC || r.Deadline.Location() != time.UTC {
		t.Error("times are not in UTC")
	}
	if r.RuleTitle == "" || rows[2].(FindingRow).RuleTitle != "" {
		t.Errorf("rule titles %q / %q: want the catalog's title, empty for an unknown rule", r.RuleTitle, rows[2].(FindingRow).RuleTitle)
	}
}

func TestCredentialRowsMatchGolden(t *testing.T) {
	rows := CredentialRows("tenant-1", scanAt, fixtureTenant())
	if len(rows) != 4 {
		t.Fatalf("%d rows, want one per credential (4)", len(rows))
	}
	goldenJSON(t, "credentials.golden.json", rows)
	if CredentialRows("t", scanAt, nil) != nil {
		t.Error("a nil tenant gave rows")
	}
}

func TestRowsUseRFC3339TimesAndNullsForMissingDates(t *testing.T) {
	rows := CredentialRows("tenant-1", scanAt, fixtureTenant())
	var fed map[string]any
	if err := json.Unmarshal(mustMarshal(t, rows[2]), &fed); err != nil {
		t.Fatal(err)
	}
	if fed["CredentialType"] != "federated" || fed["StartDateTime"] != nil || fed["EndDateTime"] != nil {
		t.Errorf("federated row dates = %v / %v, want null", fed["StartDateTime"], fed["EndDateTime"])
	}
	if tg, _ := fed["TimeGenerated"].(string); tg != "2026-11-20T07:30:00Z" {
		t.Errorf("TimeGenerated = %q, want RFC 3339 UTC 2026-11-20T07:30:00Z", tg)
	}
	if _, err := time.Parse(time.RFC3339, fed["TimeGenerated"].(string)); err != nil {
		t.Error(err)
	}
}

var columnRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,44}$`)

// reserved are the names the Logs Ingestion API refuses as columns.
var reserved = []string{"_ResourceId", "id", "_SubscriptionId", "TenantId", "Type", "UniqueId", "Title"}

func TestColumnNamesAreValidForTheIngestionAPI(t *testing.T) {
	for _, typ := range []reflect.Type{reflect.TypeFor[FindingRow](), reflect.TypeFor[CredentialRow]()} {
		for _, c := range rowColumns(t, typ) {
			if !columnRE.MatchString(c.name) {
				t.Errorf("%s column %q: must start with a letter and be at most 45 letters, digits or underscores", typ.Name(), c.name)
			}
			if slices.ContainsFunc(reserved, func(r string) bool { return strings.EqualFold(r, c.name) }) {
				t.Errorf("%s column %q is reserved", typ.Name(), c.name)
			}
		}
	}
}

func TestRowsCarryEveryColumnEvenWhenEmpty(t *testing.T) {
	for _, row := range []any{FindingRow{}, CredentialRow{}} {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(mustMarshal(t, row), &m); err != nil {
			t.Fatal(err)
		}
		var keys, want []string
		for k := range m {
			keys = append(keys, k)
		}
		for _, c := range rowColumns(t, reflect.TypeOf(row)) {
			want = append(want, c.name)
		}
		slices.Sort(keys)
		slices.Sort(want)
		if !slices.Equal(keys, want) {
			t.Errorf("%T marshals keys %v, want %v", row, keys, want)
		}
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// column is a row field as the table sees it.
type column struct{ name, kqlType string }

// rowColumns lists a row type's columns with the Log Analytics type each
// Go type maps to.
func rowColumns(t *testing.T, typ reflect.Type) []column {
	t.Helper()
	var out []column
	for f := range typ.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			t.Fatalf("%s.%s has no json column name", typ.Name(), f.Name)
		}
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		var k string
		switch {
		case ft == reflect.TypeFor[time.Time]():
			k = "datetime"
		case ft.Kind() == reflect.String:
			k = "string"
		case ft.Kind() == reflect.Bool:
			k = "boolean"
		case ft.Kind() == reflect.Int || ft.Kind() == reflect.Int64:
			k = "long"
		case ft.Kind() == reflect.Float64:
			k = "real"
		case ft.Kind() == reflect.Map || ft.Kind() == reflect.Slice:
			k = "dynamic"
		default:
			t.Fatalf("%s.%s: no Log Analytics type for %s", typ.Name(), f.Name, ft)
		}
		out = append(out, column{name, k})
	}
	return out
}
