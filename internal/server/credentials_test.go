package server

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestCredentialsFilterAndSort(t *testing.T) {
	f := newFixture(t)
	h := newServer(t, f.st, nil).Handler()
	tests := []struct {
		name  string
		query string
		want  []string
	}{
		// Tenant A shows scan 2 (scan 3 is partial): k-pay-1 is gone.
		{"default sort is soonest end first, no end last", "tenant=tenant-a",
			[]string{"k-bill-old", "k-xss1", "k-pay-cert", "k-pay-2", "fic-1"}},
		{"descending end keeps credentials without an end last", "tenant=tenant-a&sort=end&order=desc",
			[]string{"k-pay-2", "k-pay-cert", "k-xss1", "k-bill-old", "fic-1"}},
		{"by app name ignoring case, then soonest end", "tenant=tenant-a&sort=app",
			[]string{"fic-1", "k-xss1", "k-bill-old", "k-pay-cert", "k-pay-2"}},
		{"by type", "tenant=tenant-a&sort=type",
			[]string{"k-pay-cert", "fic-1", "k-xss1", "k-bill-old", "k-pay-2"}},
		{"text search over app names, ignoring case", "q=PAYROLL", []string{"k-pay-cert", "k-pay-2"}},
		{"text search over app ids", "q=app-billing", []string{"k-bill-old"}},
		{"text search over key ids", "q=b-cert-059", []string{"b-cert-059"}},
		{"text search over descriptions", "q=prod+key", []string{"k-pay-2"}},
		{"text search matches names and descriptions alike", "q=onerror", []string{"k-xss1", "fic-1"}},
		{"type filter", "tenant=tenant-a&type=certificate", []string{"k-pay-cert"}},
		{"severity is the worst finding on the credential", "severity=critical", []string{"k-bill-old"}},
		{"a suppressed finding does not rank its credential", "severity=low", nil},
		{"severity filter across tenants", "severity=high&sort=app",
			[]string{"b-secret-000", "b-secret-001", "b-secret-002"}},
		{"expiring counts from now and leaves out expired ones", "tenant=tenant-a&expiring=30", []string{"k-xss1"}},
		{"expiring is a window, combined with sort", "tenant=tenant-a&expiring=150&order=desc",
			[]string{"k-pay-cert", "k-xss1"}},
		{"filters combine", "tenant=tenant-b&type=secret&expiring=3", []string{"b-secret-000", "b-secret-001"}},
		{"no match", "q=nothing-like-this", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := get(t, h, "/credentials?"+tt.query)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d:\n%s", res.StatusCode, body)
			}
			if got := rowKeys(body); !slices.Equal(got, tt.want) {
				t.Errorf("rows %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCredentialsPagination(t *testing.T) {
	f := newFixture(t)
	h := newServer(t, f.st, nil).Handler()
	pages := map[int][]string{}
	for _, p := range []int{1, 2, 3} {
		_, body := get(t, h, fmt.Sprintf("/credentials?tenant=tenant-b&sort=app&page=%d", p))
		pages[p] = rowKeys(body)
		switch p {
		case 1:
			mustContain(t, body, "Showing 1–50 of 120", `rel="next"`, `href="/credentials?page=2&amp;sort=app&amp;tenant=tenant-b"`)
			mustNotContain(t, body, `rel="prev"`)
		case 3:
			mustContain(t, body, "Showing 101–120 of 120", `rel="prev"`, "Page 3 of 3")
			mustNotContain(t, body, `rel="next"`)
		}
	}
	if len(pages[1]) != 50 || len(pages[2]) != 50 || len(pages[3]) != 20 {
		t.Fatalf("page sizes %d, %d, %d; want 50, 50, 20", len(pages[1]), len(pages[2]), len(pages[3]))
	}
	all := slices.Concat(pages[1], pages[2], pages[3])
	seen := map[string]bool{}
	for _, k := range all {
		if seen[k] {
			t.Errorf("%s shown on two pages", k)
		}
		seen[k] = true
	}
	if all[0] != "b-secret-000" || all[1] != "b-cert-000" || all[119] != "b-cert-059" {
		t.Errorf("order by app then end: starts %q, ends %q", all[:2], all[119])
	}
	// A page past the end shows the last page.
	_, body := get(t, h, "/credentials?tenant=tenant-b&sort=app&page=9")
	if got := rowKeys(body); !slices.Equal(got, pages[3]) {
		t.Errorf("page 9 shows %d rows, want the last page", len(got))
	}
	_, body = get(t, h, "/credentials?tenant=tenant-b&per=7")
	if n := len(rowKeys(body)); n != 7 {
		t.Errorf("per=7 shows %d rows", n)
	}
}

func TestCredentialsSortLinksToggleOrder(t *testing.T) {
	f := newFixture(t)
	h := newServer(t, f.st, nil).Handler()
	_, body := get(t, h, "/credentials?tenant=tenant-a&q=pay&sort=app&page=1")
	mustContain(t, body,
		`<th aria-sort="ascending"><a href="/credentials?order=desc&amp;q=pay&amp;sort=app&amp;tenant=tenant-a">App</a>`,
		`<th aria-sort="none"><a href="/credentials?q=pay&amp;tenant=tenant-a">End</a>`,
		// The form keeps the filter, so it can be refined.
		`name="q" value="pay"`, `<option value="app" selected>`)
}

func TestCredentialsRejectBadQueries(t *testing.T) {
	f := newFixture(t)
	h := newServer(t, f.st, nil).Handler()
	tests := map[string]string{
		"type=password":                 "query parameter type: want secret, certificate, federated",
		"severity=urgent":               "query parameter severity: want critical, high, medium, low or info",
		"expiring=-1":                   "query parameter expiring: want a number of days from 0 to 36500",
		"expiring=soon":                 "query parameter expiring",
		"sort=owner":                    "query parameter sort: want end, app or type",
		"order=up":                      "query parameter order: want asc or desc",
		"page=0":                        "query parameter page: want a whole number",
		"per=100000":                    "query parameter per: want a whole number from 1 to 500",
		"tenant=tenant-other":           `query parameter tenant: &#34;tenant-other&#34; is not a tenant served here`,
		"q=" + strings.Repeat("x", 201): "query parameter q: longer than 200 characters",
	}
	for query, want := range tests {
		res, body := get(t, h, "/credentials?"+query)
		if res.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", query, res.StatusCode)
		}
		mustContain(t, body, want)
		if len(rowKeys(body)) != 0 {
			t.Errorf("%s: rows shown despite the error", query)
		}
	}
}
