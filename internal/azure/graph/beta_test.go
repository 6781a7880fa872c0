package graph

import (
	"context"
	"net/http"
	"testing"
)

func TestBetaURLReplacesTheVersionSegment(t *testing.T) {
	cases := []struct{ base, path, want string }{
		{"https://graph.microsoft.com/v1.0", "/auditLogs/signIns?$top=1000", "https://graph.microsoft.com/beta/auditLogs/signIns?$top=1000"},
		{"https://graph.microsoft.com/v1.0/", "/reports/x", "https://graph.microsoft.com/beta/reports/x"},
		{"https://localhost:8443/graph/v1.0", "reports/x", "https://localhost:8443/graph/beta/reports/x"},
		{"https://graph.microsoft.us/beta", "/x", "https://graph.microsoft.us/beta/x"},
		{"https://graph.example/v1.0", "", "https://graph.example/beta"},
	}
	for _, tc := range cases {
		c, err := New(staticCred{}, Options{BaseURL: tc.base})
		if err != nil {
			t.Fatal(err)
		}
		if got := c.BetaURL(tc.path); got != tc.want {
			t.Errorf("BetaURL(%q) on %s = %q, want %q", tc.path, tc.base, got, tc.want)
		}
	}
}

func TestBetaURLIsAcceptedByGet(t *testing.T) {
	f := newFixture(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/beta/reports/x" {
			t.Errorf("path = %s, want /beta/reports/x", r.URL.Path)
		}
		writeJSON(w, http.StatusOK, item{ID: "b"})
	}, nil)
	got, err := Get[item](context.Background(), f.c, f.c.BetaURL("/reports/x"))
	if err != nil || got.ID != "b" {
		t.Fatalf("Get = %+v, %v", got, err)
	}
}
