package metrics

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/credwatch/credwatch/internal/inventory"
)

func TestCollectorExportsTheLatestScan(t *testing.T) {
	c := NewCollector()
	c.SetScan(tenantID, fixtureTenant(), fixtureFindings(), fixtureInfo())
	golden(t, c, "scan.prom")
}

func TestCollectorWithoutScansExportsNothing(t *testing.T) {
	if n := testutil.CollectAndCount(NewCollector()); n != 0 {
		t.Errorf("a new collector exported %d series, want 0", n)
	}
}

func TestDeletedAppSeriesVanish(t *testing.T) {
	c := NewCollector()
	c.SetScan(tenantID, fixtureTenant(), fixtureFindings(), fixtureInfo())
	before := gather(t, c)
	if _, ok := value(before, "credwatch_credential_start_timestamp_seconds", map[string]string{"app_id": "app-crm"}); !ok {
		t.Fatal("the first scan exported no series for app-crm")
	}

	next := fixtureInfo()
	next.At = scanAt.Add(6 * time.Hour)
	c.SetScan(tenantID, withoutObject(fixtureTenant(), "obj-crm"), fixtureFindings()[:2], next)
	after := gather(t, c)
	for _, name := range []string{"credwatch_credential_expiry_timestamp_seconds", "credwatch_credential_start_timestamp_seconds"} {
		for _, s := range series(after, name) {
			if strings.Contains(s, "app-crm") {
				t.Errorf("%s still has %s after a complete scan without the app", name, s)
			}
		}
	}
	if _, ok := value(after, "credwatch_findings", map[string]string{"rule": "CW008"}); ok {
		t.Error("credwatch_findings still has CW008 after a scan without it")
	}
	if _, ok := after["credwatch_findings_suppressed"]; ok {
		t.Error("credwatch_findings_suppressed still exported after a scan without suppressed findings")
	}
	if got, _ := value(after, "credwatch_scan_timestamp_seconds", nil); got != float64(next.At.Unix()) {
		t.Errorf("scan timestamp = %v, want %v", got, next.At.Unix())
	}
}

func TestIncompleteScanKeepsCredentialsItDidNotSee(t *testing.T) {
	c := NewCollector()
	c.SetScan(tenantID, fixtureTenant(), fixtureFindings(), fixtureInfo())
	want := series(gather(t, c), "credwatch_credential_expiry_timestamp_seconds")

	partial := withoutObject(fixtureTenant(), "sp-payroll")
	partial.Complete = false
	partial.Incomplete = []string{"service principals: 503"}
	c.SetScan(tenantID, partial, nil, fixtureInfo())
	mfs := gather(t, c)
	if got := series(mfs, "credwatch_credential_expiry_timestamp_seconds"); !slices.Equal(got, want) {
		t.Errorf("after a partial scan expiry series = %v, want the previous %v", got, want)
	}
	if got, _ := value(mfs, "credwatch_scan_complete", nil); got != 0 {
		t.Errorf("scan_complete = %v after a partial scan, want 0", got)
	}

	// Only a complete scan may say the credential is gone.
	c.SetScan(tenantID, withoutObject(fixtureTenant(), "sp-payroll"), nil, fixtureInfo())
	for _, s := range series(gather(t, c), "credwatch_credential_expiry_timestamp_seconds") {
		if strings.Contains(s, "key-sp-2299") {
			t.Errorf("complete scan without the service principal still exports %s", s)
		}
	}
}

func TestScanInfoCompleteFalseMarksTheScanIncomplete(t *testing.T) {
	c := NewCollector()
	info := fixtureInfo()
	info.Complete = false
	c.SetScan(tenantID, fixtureTenant(), nil, info)
	if got, _ := value(gather(t, c), "credwatch_scan_complete", nil); got != 0 {
		t.Errorf("scan_complete = %v, want 0 when ScanInfo says incomplete", got)
	}
}

func TestFailedScanKeepsPreviousDataAndReportsIncomplete(t *testing.T) {
	c := NewCollector()
	c.SetScan(tenantID, fixtureTenant(), fixtureFindings(), fixtureInfo())
	before := gather(t, c)

	failed := ScanInfo{Duration: time.Second, Complete: true, At: scanAt.Add(time.Hour), GraphRequests: 1}
	c.SetScan(tenantID, nil, nil, failed)
	after := gather(t, c)
	for _, name := range []string{"credwatch_credential_expiry_timestamp_seconds", "credwatch_findings", "credwatch_findings_suppressed"} {
		if got, want := series(after, name), series(before, name); !slices.Equal(got, want) {
			t.Errorf("%s after a failed scan = %v, want the previous %v", name, got, want)
		}
	}
	if got, _ := value(after, "credwatch_scan_complete", nil); got != 0 {
		t.Errorf("scan_complete = %v after a failed scan, want 0", got)
	}
	if got, _ := value(after, "credwatch_graph_requests", nil); got != 1 {
		t.Errorf("graph_requests = %v, want the failed scan's 1", got)
	}
}

func TestTenantsAreIndependentAndRemovable(t *testing.T) {
	c := NewCollector()
	c.SetScan("tenant-a", fixtureTenant(), fixtureFindings(), fixtureInfo())
	c.SetScan("tenant-b", withoutObject(fixtureTenant(), "obj-payroll"), nil, fixtureInfo())
	if got := len(series(gather(t, c), "credwatch_scan_complete")); got != 2 {
		t.Fatalf("scan_complete has %d series, want one per tenant", got)
	}
	c.Remove("tenant-a")
	mfs := gather(t, c)
	for name, mf := range mfs {
		for _, m := range mf.GetMetric() {
			if labels(m)["tenant"] != "tenant-b" {
				t.Errorf("%s has tenant %q after Remove(tenant-a)", name, labels(m)["tenant"])
			}
		}
	}
}

func TestDuplicateCredentialLabelsKeepTheEarliestEnd(t *testing.T) {
	tn := fixtureTenant()
	// A merged snapshot can hold the same app twice; the registry would
	// fail the whole scrape on duplicate series.
	dup := tn.Objects[0]
	dup.ID = "obj-payroll-copy"
	dup.Credentials = []inventory.Credential{{Type: inventory.Secret, KeyID: "key-secret-1",
		Start: date(2026, 1, 1), End: date(2026, 11, 21)}}
	tn.Objects = append(tn.Objects, dup)
	c := NewCollector()
	c.SetScan(tenantID, tn, nil, fixtureInfo())
	mfs := gather(t, c) // a pedantic registry fails on duplicates
	got, _ := value(mfs, "credwatch_credential_expiry_timestamp_seconds", map[string]string{"key_id": "key-secret-1"})
	if want := float64(date(2026, 11, 21).Unix()); got != want {
		t.Errorf("expiry of the duplicated credential = %v, want the earliest end %v", got, want)
	}
}

func TestHostileAppNamesRoundTrip(t *testing.T) {
	long := strings.Repeat("Ä", MaxLabelRunes+50)
	cases := []struct {
		name, want string
	}{
		{`quote " and backslash \ end`, `quote " and backslash \ end`},
		{"new\nline", "new\nline"},
		{`evil"} 1` + "\n" + `credwatch_findings{tenant="x",rule="CW001",severity="critical"} 99`, ""},
		{"{label=\"injected\"}", ""},
		{"emoji 🔑 and RTL \u202e gnp.exe", ""},
		{"bad utf8 \xff\xfe here", "bad utf8 \uFFFD here"},
		{long, strings.Repeat("Ä", MaxLabelRunes-1) + "…"},
		{"", ""},
	}
	tn := &inventory.Tenant{ID: tenantID, Complete: true}
	for i, tc := range cases {
		tn.Objects = append(tn.Objects, inventory.Object{
			Type: inventory.Application, ID: fmt.Sprintf("obj-%d", i), AppID: fmt.Sprintf("app-%d", i),
			DisplayName: tc.name,
			Credentials: []inventory.Credential{{Type: inventory.Secret, KeyID: fmt.Sprintf("key-%d", i),
				End: date(2027, 1, 1)}},
		})
	}
	c := NewCollector()
	c.SetScan(tenantID, tn, nil, fixtureInfo())

	// Through the text format and back, as Prometheus would read it.
	text, err := testutil.CollectAndFormat(c, expfmt.TypeTextPlain, "credwatch_credential_expiry_timestamp_seconds")
	if err != nil {
		t.Fatal(err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(strings.NewReader(string(text)))
	if err != nil {
		t.Fatalf("exposition does not parse: %v\n%s", err, text)
	}
	if len(mfs) != 1 {
		t.Fatalf("exposition has %d families, want only the expiry one (injection?):\n%s", len(mfs), text)
	}
	got := map[string]string{}
	for _, m := range mfs["credwatch_credential_expiry_timestamp_seconds"].GetMetric() {
		l := labels(m)
		got[l["app_id"]] = l["app_name"]
	}
	if len(got) != len(cases) {
		t.Fatalf("got %d series, want %d:\n%s", len(got), len(cases), text)
	}
	for i, tc := range cases {
		want := tc.want
		if want == "" {
			want = tc.name
		}
		if g := got[fmt.Sprintf("app-%d", i)]; g != want {
			t.Errorf("app name %q came back as %q, want %q", tc.name, g, want)
		}
	}
}

func TestLabelValueCapsRunesNotBytes(t *testing.T) {
	cases := []struct {
		in   string
		want int // runes
	}{
		{strings.Repeat("a", MaxLabelRunes), MaxLabelRunes},
		{strings.Repeat("a", MaxLabelRunes+1), MaxLabelRunes},
		{strings.Repeat("日", MaxLabelRunes), MaxLabelRunes},
		{strings.Repeat("日", MaxLabelRunes*3), MaxLabelRunes},
	}
	for _, tc := range cases {
		got := labelValue(tc.in)
		if n := len([]rune(got)); n != tc.want {
			t.Errorf("labelValue(%d runes) has %d runes, want %d", len([]rune(tc.in)), n, tc.want)
		}
		if truncated := len([]rune(tc.in)) > MaxLabelRunes; truncated != strings.HasSuffix(got, "…") {
			t.Errorf("labelValue(%d runes): ends with the marker = %v, want %v", len([]rune(tc.in)), !truncated, truncated)
		}
	}
}

// TestConcurrentSetScanAndCollectSeeWholeScans alternates two scans of one
// tenant while scraping: every scrape must show one scan's series only.
// Run it with -race.
func TestConcurrentSetScanAndCollectSeeWholeScans(t *testing.T) {
	c := NewCollector()
	a, b := fixtureTenant(), withoutObject(fixtureTenant(), "obj-payroll")
	infoA, infoB := fixtureInfo(), fixtureInfo()
	infoA.GraphRequests, infoB.GraphRequests = 100, 200
	c.SetScan(tenantID, a, fixtureFindings(), infoA)

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 200 {
			if i%2 == 0 {
				c.SetScan(tenantID, b, nil, infoB)
			} else {
				c.SetScan(tenantID, a, fixtureFindings(), infoA)
			}
		}
	}()
	for range 50 {
		mfs := gather(t, c)
		requests, _ := value(mfs, "credwatch_graph_requests", nil)
		hasPayroll := slices.ContainsFunc(series(mfs, "credwatch_credential_expiry_timestamp_seconds"),
			func(s string) bool { return strings.Contains(s, "key-cert-1") })
		_, hasFindings := mfs["credwatch_findings"]
		switch {
		case requests == 100 && hasPayroll && hasFindings:
		case requests == 200 && !hasPayroll && !hasFindings:
		default:
			t.Fatalf("scrape mixed two scans: graph_requests=%v payroll=%v findings=%v", requests, hasPayroll, hasFindings)
		}
	}
	wg.Wait()
}
