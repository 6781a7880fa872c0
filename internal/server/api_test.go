package server

import (
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/credwatch/credwatch/internal/report"
)

func getJSON(t *testing.T, h http.Handler, path string, wantStatus int, v any) {
	t.Helper()
	res, body := get(t, h, path)
	if res.StatusCode != wantStatus {
		t.Fatalf("GET %s: status %d, want %d:\n%s", path, res.StatusCode, wantStatus, body)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("GET %s: Content-Type %q", path, ct)
	}
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("GET %s: %v\n%s", path, err, body)
	}
}

func TestAPIScans(t *testing.T) {
	f := newFixture(t)
	h := newServer(t, f.st, nil).Handler()
	var all apiScanList
	getJSON(t, h, "/api/v1/scans", 200, &all)
	if all.SchemaVersion != 1 || all.Kind != "credwatch.scans" {
		t.Errorf("envelope %d %q", all.SchemaVersion, all.Kind)
	}
	var ids []int64
	for _, s := range all.Scans {
		ids = append(ids, s.ID)
	}
	// Newest first; the unserved tenant's scan is not listed.
	if want := []int64{f.b1, f.a3, f.a2, f.a1}; !equalIDs(ids, want) {
		t.Errorf("scans %v, want %v", ids, want)
	}
	var a apiScanList
	getJSON(t, h, "/api/v1/scans?tenant=tenant-a&limit=2", 200, &a)
	if len(a.Scans) != 2 || a.Scans[0].ID != f.a3 || a.Scans[0].Complete || a.Scans[0].Incomplete[0] != "service principals: HTTP 503" {
		t.Errorf("tenant A, limit 2: %+v", a.Scans)
	}
	var e map[string]string
	getJSON(t, h, "/api/v1/scans?tenant=tenant-other", 404, &e)
	getJSON(t, h, "/api/v1/scans?limit=0", 400, &e)
	if e["error"] == "" {
		t.Error("error body has no message")
	}
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestAPIScanIsTheScanDocument(t *testing.T) {
	f := newFixture(t)
	h := newServer(t, f.st, nil).Handler()
	var doc report.Scan
	getJSON(t, h, "/api/v1/scans/"+strconv.FormatInt(f.a2, 10), 200, &doc)
	if doc.SchemaVersion != report.SchemaVersion || doc.Kind != report.ScanKind || doc.Tenant != tenantA || !doc.Complete {
		t.Errorf("document header %+v", doc)
	}
	if doc.Summary.Credentials.Total != 5 || len(doc.Findings) != 4 || doc.Findings[0].RuleID != "CW001" {
		t.Errorf("summary %+v, %d findings", doc.Summary, len(doc.Findings))
	}
	// Days left count from the scan, as the CLI wrote them then.
	for _, c := range doc.Credentials {
		if c.KeyID == "k-xss1" && (c.DaysLeft == nil || *c.DaysLeft != 22) {
			t.Errorf("k-xss1 days left %v, want 22 from the scan's time", c.DaysLeft)
		}
	}
	var e map[string]string
	for _, path := range []string{"/api/v1/scans/" + strconv.FormatInt(f.other1, 10), "/api/v1/scans/0", "/api/v1/scans/x"} {
		getJSON(t, h, path, 404, &e)
	}
}

func TestAPIFindings(t *testing.T) {
	f := newFixture(t)
	h := newServer(t, f.st, nil).Handler()
	var doc apiFindingsDoc
	getJSON(t, h, "/api/v1/findings?tenant=tenant-a", 200, &doc)
	if doc.Kind != "credwatch.findings" || len(doc.Tenants) != 1 {
		t.Fatalf("document %+v", doc)
	}
	a := doc.Tenants[0]
	// Scan 3 is partial: the findings are those of scan 2.
	if a.Tenant != tenantA || a.ScanID != f.a2 || !a.Complete || len(a.Findings) != 4 {
		t.Errorf("tenant A: scan %d complete %v, %d findings", a.ScanID, a.Complete, len(a.Findings))
	}
	if a.Findings[0].Severity.String() != "critical" || !a.Findings[3].Suppressed {
		t.Errorf("findings not ordered worst first with suppressed kept: %+v", a.Findings)
	}
	getJSON(t, h, "/api/v1/findings", 200, &doc)
	if len(doc.Tenants) != 2 || doc.Tenants[1].Tenant != tenantB || len(doc.Tenants[1].Findings) != 3 {
		t.Errorf("all tenants: %+v", doc.Tenants)
	}
	var e map[string]string
	getJSON(t, h, "/api/v1/findings?tenant=tenant-other", 404, &e)

	// A tenant without scans is listed with an empty list, not null.
	empty := newServer(t, openStore(t), nil).Handler()
	res, body := get(t, empty, "/api/v1/findings?tenant=tenant-a")
	if res.StatusCode != 200 || !json.Valid([]byte(body)) {
		t.Fatalf("status %d: %s", res.StatusCode, body)
	}
	mustContain(t, body, `"findings": []`)
}

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestAPIGolden pins the JSON documents other tools parse; run with
// -update after a deliberate change and review the diff.
func TestAPIGolden(t *testing.T) {
	f := newFixture(t)
	h := newServer(t, f.st, nil).Handler()
	for name, path := range map[string]string{
		"api-scans.json":    "/api/v1/scans?tenant=tenant-a",
		"api-findings.json": "/api/v1/findings?tenant=tenant-a",
		"readyz.json":       "/readyz",
	} {
		t.Run(name, func(t *testing.T) {
			_, body := get(t, h, path)
			file := filepath.Join("testdata", name)
			if *update {
				if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if body != string(want) {
				t.Errorf("%s differs from %s (run with -update after a deliberate change):\n%s", path, file, body)
			}
		})
	}
}
