package metrics

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/credwatch/credwatch/internal/inventory"
	"github.com/credwatch/credwatch/internal/policy"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const tenantID = "11111111-2222-3333-4444-555555555555"

var scanAt = time.Date(2026, 11, 20, 8, 30, 0, 0, time.UTC)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// fixtureTenant has an application and its service principal, a second
// app, and every kind of credential and date gap.
func fixtureTenant() *inventory.Tenant {
	return &inventory.Tenant{
		ID: tenantID, CollectedAt: scanAt, Source: "graph", Complete: true,
		Objects: []inventory.Object{
			{
				Type: inventory.Application, ID: "obj-payroll", AppID: "app-payroll", DisplayName: "Payroll",
				Credentials: []inventory.Credential{
					{Type: inventory.Secret, KeyID: "key-secret-1", Hint: "abc",
						Start: date(2026, 6, 1), End: time.Date(2026, 11, 25, 12, 0, 0, 500_000_000, time.UTC)},
					{Type: inventory.Certificate, KeyID: "key-cert-1", Start: date(2025, 12, 1), End: date(2027, 12, 1)},
					// Federated credentials have no dates: no series.
					{Type: inventory.Federated, KeyID: "fic-1", Issuer: "https://token.actions.githubusercontent.com"},
				},
			},
			{
				Type: inventory.ServicePrincipal, ID: "sp-payroll", AppID: "app-payroll", DisplayName: "Payroll",
				Credentials: []inventory.Credential{
					// Never expires in practice, but has an end: exported.
					{Type: inventory.Secret, KeyID: "key-sp-2299", Start: date(2020, 1, 1), End: date(2299, 12, 31)},
				},
			},
			{
				Type: inventory.Application, ID: "obj-crm", AppID: "app-crm", DisplayName: "CRM \"sync\" \\ v2\nprod", // escaped in the exposition
				Credentials: []inventory.Credential{
					// No end date: only the start series.
					{Type: inventory.Secret, KeyID: "key-crm-noend", Start: date(2024, 3, 1)},
				},
			},
		},
	}
}

func fixtureFindings() []policy.Finding {
	return []policy.Finding{
		{RuleID: "CW002", Severity: policy.Critical, ObjectID: "obj-payroll", KeyID: "key-secret-1"},
		{RuleID: "CW004", Severity: policy.High, ObjectID: "sp-payroll", KeyID: "key-sp-2299"},
		{RuleID: "CW004", Severity: policy.High, ObjectID: "obj-crm", KeyID: "key-crm-noend"},
		{RuleID: "CW008", Severity: policy.Medium, ObjectID: "sp-payroll", KeyID: "key-sp-2299"},
		{RuleID: "CW005", Severity: policy.Low, ObjectID: "obj-crm", KeyID: "key-crm-noend", Suppressed: true},
	}
}

func fixtureInfo() ScanInfo {
	return ScanInfo{Duration: 2500 * time.Millisecond, Complete: true, GraphRequests: 12, Retries: 2,
		Throttled: 1, At: scanAt, Interval: 6 * time.Hour}
}

// withoutObject returns a copy of t lacking the object with that id.
func withoutObject(t *inventory.Tenant, id string) *inventory.Tenant {
	c := *t
	c.Objects = nil
	for _, o := range t.Objects {
		if o.ID != id {
			c.Objects = append(c.Objects, o)
		}
	}
	return &c
}

// golden compares a collector's exposition text with testdata/name,
// rewriting it under -update.
func golden(t *testing.T, c prometheus.Collector, name string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		// CollectAndFormat keeps only the names it is given.
		var names []string
		for name := range gather(t, c) {
			names = append(names, name)
		}
		got, err := testutil.CollectAndFormat(c, expfmt.TypeTextPlain, names...)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if len(want) == 0 {
		t.Fatalf("%s is empty", name)
	}
	if err := testutil.CollectAndCompare(c, bytes.NewReader(want)); err != nil {
		t.Errorf("%s: %v (run go test ./internal/metrics -update after a deliberate change)", name, err)
	}
}

// gather collects c through a registry, as a scrape would.
func gather(t *testing.T, c prometheus.Collector) map[string]*dto.MetricFamily {
	t.Helper()
	r := prometheus.NewPedanticRegistry()
	r.MustRegister(c)
	mfs, err := r.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	out := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		out[mf.GetName()] = mf
	}
	return out
}

func labels(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, lp := range m.GetLabel() {
		out[lp.GetName()] = lp.GetValue()
	}
	return out
}

// series lists one family's series as "label=value,..." strings.
func series(mfs map[string]*dto.MetricFamily, name string) []string {
	var out []string
	for _, m := range mfs[name].GetMetric() {
		var parts []string
		for _, lp := range m.GetLabel() {
			parts = append(parts, lp.GetName()+"="+lp.GetValue())
		}
		out = append(out, strings.Join(parts, ","))
	}
	return out
}

func value(mfs map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	for _, m := range mfs[name].GetMetric() {
		l := labels(m)
		match := true
		for k, v := range want {
			if l[k] != v {
				match = false
			}
		}
		if match {
			return m.GetGauge().GetValue() + m.GetCounter().GetValue(), true
		}
	}
	return 0, false
}
