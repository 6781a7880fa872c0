package server

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestPagesRender(t *testing.T) {
	f := newFixture(t)
	h := newServer(t, f.st, nil).Handler()
	scan := func(id int64) string { return "/scans/" + strconv.FormatInt(id, 10) }
	tests := []struct {
		name  string
		path  string
		wants []string
		bads  []string
	}{
		{"overview shows each tenant, the partial-scan warning and the chart", "/", []string{
			"Tenant <code>tenant-a</code>", "Tenant <code>tenant-b</code>",
			"The newest scan is incomplete", "service principals: HTTP 503",
			`<svg role="img" aria-labelledby="chart-0-t chart-0-d"`, `<title id="chart-0-t">`, `<desc id="chart-0-d">`,
			// Tenant A's newest complete scan has 1 critical, 1 high, 1 medium.
			`<div class="card critical"><span class="n">1</span>`,
			"Most urgent findings", "secret expired 5 days ago",
		}, []string{"tenant-other"}},
		{"credentials table lists every served tenant", "/credentials", []string{
			`id="credentials-table"`, "b-secret-000", "Showing 1–50 of",
		}, []string{"tenant-other"}},
		{"app page shows credentials, owners, permissions, findings and history", "/apps/application/obj-payroll?tenant=tenant-a", []string{
			"<h1>Payroll Export</h1>", "k-pay-2", "k-pay-cert", "Bob Builder", "Mail.ReadWrite",
			"credential added", "credential removed", "owner added", `href="/apps/servicePrincipal/sp-payroll?tenant=tenant-a"`,
			"Changes between the last 2 complete scans",
		}, nil},
		{"service principal page shows its object-level finding", "/apps/servicePrincipal/sp-payroll", []string{
			"Service principal", "privileged app has no owner", "No owners",
		}, nil},
		{"scan history lists served tenants' scans only", "/scans", []string{
			`href="/scans/` + strconv.FormatInt(f.a3, 10) + `"`, `href="/scans/` + strconv.FormatInt(f.b1, 10) + `"`,
		}, []string{`href="/scans/` + strconv.FormatInt(f.other1, 10) + `"`, "tenant-other"}},
		{"scan page shows the diff against the previous complete scan", scan(f.a2), []string{
			"Changes since scan", "added secret on", "k-pay-2", "removed secret from", "k-pay-1", "now owns Payroll Export",
		}, nil},
		{"an incomplete scan is not compared", scan(f.a3), []string{
			"Incomplete scan:", "This scan is incomplete, so it is not compared",
		}, []string{"added secret on"}},
		{"the first complete scan has nothing to compare", scan(f.a1), []string{"first complete scan"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := get(t, h, tt.path)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d, want 200:\n%s", res.StatusCode, body)
			}
			if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			mustContain(t, body, tt.wants...)
			mustNotContain(t, body, tt.bads...)
		})
	}
}

func TestPagesNotFound(t *testing.T) {
	f := newFixture(t)
	h := newServer(t, f.st, nil).Handler()
	for _, path := range []string{
		"/nope",
		"/scans/0", "/scans/abc", "/scans/999999",
		"/scans/" + strconv.FormatInt(f.other1, 10), // a tenant not served
		"/apps/application/no-such-object",
		"/apps/group/obj-payroll",
		"/apps/application/obj-payroll?tenant=tenant-other",
		"/scans?tenant=tenant-other",
	} {
		res, body := get(t, h, path)
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", path, res.StatusCode)
		}
		mustNotContain(t, body, "Payroll Export")
	}
}

// TestHostileNamesAreEscaped renders every page that shows tenant strings
// and checks the markup in display names arrives as text.
func TestHostileNamesAreEscaped(t *testing.T) {
	f := newFixture(t)
	h := newServer(t, f.st, nil).Handler()
	for _, path := range []string{
		"/", "/credentials?tenant=tenant-a", "/apps/application/obj-xss1?tenant=tenant-a",
		"/apps/application/" + url.PathEscape(oddID) + "?tenant=tenant-a",
		"/scans/" + strconv.FormatInt(f.a2, 10), "/credentials?q=" + url.QueryEscape(nameScript),
	} {
		t.Run(path, func(t *testing.T) {
			res, body := get(t, h, path)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d", res.StatusCode)
			}
			mustNotContain(t, body, nameScript, nameImg, "<b>", "onerror=alert(1)>")
			if n := strings.Count(body, "<script"); n != 1 {
				t.Errorf("%d script elements, want only the page's own", n)
			}
			if strings.Contains(body, "<img") {
				t.Error("page contains an img element")
			}
		})
	}
	_, body := get(t, h, "/credentials?tenant=tenant-a")
	mustContain(t, body, "&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;img src=x onerror=alert(1)&gt;")
}

// TestAppLinksEscapeIDs follows the link to an app whose id holds "/", "?"
// and "&": it must stay one path segment and reach the app.
func TestAppLinksEscapeIDs(t *testing.T) {
	f := newFixture(t)
	h := newServer(t, f.st, nil).Handler()
	_, body := get(t, h, "/credentials?tenant=tenant-a&type=federated")
	m := regexp.MustCompile(`<a href="(/apps/application/[^"]*)">`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no app link in:\n%s", body)
	}
	link := strings.ReplaceAll(m[1], "&amp;", "&")
	res, page := get(t, h, link)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d", link, res.StatusCode)
	}
	mustContain(t, page, "fic-1", "github main")
}

func TestScanHistoryPaginates(t *testing.T) {
	st := openStore(t)
	for i := range scansPerPage + 5 {
		r := tenantBRecord()
		r.ScannedAt = day(-i)
		save(t, st, r)
	}
	h := newServer(t, st, nil).Handler()
	_, first := get(t, h, "/scans?tenant=tenant-b")
	_, second := get(t, h, "/scans?tenant=tenant-b&page=2")
	n1 := strings.Count(first, "<tr data-scan=")
	n2 := strings.Count(second, "<tr data-scan=")
	if n1 != scansPerPage || n2 != 5 {
		t.Errorf("pages hold %d and %d scans, want %d and 5", n1, n2, scansPerPage)
	}
	mustContain(t, first, `href="/scans?page=2&amp;tenant=tenant-b"`)
	mustContain(t, second, `href="/scans?tenant=tenant-b"`)
	if res, _ := get(t, h, "/scans?page=x"); res.StatusCode != http.StatusBadRequest {
		t.Errorf("page=x: status %d, want 400", res.StatusCode)
	}
}

func TestOverviewWithoutScans(t *testing.T) {
	h := newServer(t, openStore(t), nil).Handler()
	res, body := get(t, h, "/")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	if strings.Count(body, "No scan stored yet.") != 2 {
		t.Errorf("want the no-scan note for both tenants:\n%s", body)
	}
	mustNotContain(t, body, "Scan now") // no Scan func configured
}
