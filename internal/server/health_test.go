package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/store"
)

func TestReadyz(t *testing.T) {
	complete := func(age time.Duration) *store.Record {
		r := tenantBRecord()
		r.ScannedAt = now.Add(-age)
		return r
	}
	partial := func(age time.Duration) *store.Record {
		r := complete(age)
		r.Tenant.Complete, r.Tenant.Incomplete = false, []string{"applications: HTTP 429 after 5 retries"}
		return r
	}
	tests := []struct {
		name     string
		scans    []*store.Record // of tenant B, oldest first
		interval time.Duration
		ready    func() (bool, map[string]any)
		want     int
		problem  string
	}{
		{"fresh complete scan", []*store.Record{complete(30 * time.Minute)}, time.Hour, nil, 200, ""},
		{"just inside twice the interval", []*store.Record{complete(2 * time.Hour)}, time.Hour, nil, 200, ""},
		{"stale scan", []*store.Record{complete(2*time.Hour + time.Second)}, time.Hour, nil, 503,
			"last scan is stale: 2h0m1s old, more than twice the 1h0m0s interval"},
		{"newest scan incomplete, older one complete", []*store.Record{complete(2 * time.Hour), partial(time.Minute)}, time.Hour, nil, 503,
			"last scan is incomplete: applications: HTTP 429 after 5 retries"},
		{"no scan yet", nil, time.Hour, nil, 503, "no scan stored yet"},
		{"without a scheduler age does not matter", []*store.Record{complete(90 * 24 * time.Hour)}, 0, nil, 200, ""},
		{"an extra check fails", []*store.Record{complete(time.Minute)}, time.Hour,
			func() (bool, map[string]any) { return false, map[string]any{"notify": "teams: 3 failures"} }, 503,
			"an extra readiness check failed"},
		{"an extra check passes", []*store.Record{complete(time.Minute)}, time.Hour,
			func() (bool, map[string]any) { return true, map[string]any{"notify": "ok"} }, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := openStore(t)
			for _, r := range tt.scans {
				save(t, st, r)
			}
			h := newServer(t, st, func(o *Options) {
				o.Tenants, o.Interval, o.Ready = []string{tenantB}, tt.interval, tt.ready
				if tt.interval > 0 {
					o.Scan = func(context.Context, string) error { return nil }
				}
			}).Handler()
			res, body := get(t, h, "/readyz")
			if res.StatusCode != tt.want {
				t.Fatalf("status %d, want %d:\n%s", res.StatusCode, tt.want, body)
			}
			var doc readyDoc
			if err := json.Unmarshal([]byte(body), &doc); err != nil {
				t.Fatalf("body is not JSON: %v\n%s", err, body)
			}
			if got := strings.Join(doc.Problems, "\n"); !strings.Contains(got, tt.problem) || (tt.problem == "") != (got == "") {
				t.Errorf("problems %q, want %q", got, tt.problem)
			}
			if wantStatus := map[int]string{200: "ready", 503: "not ready"}[tt.want]; doc.Status != wantStatus {
				t.Errorf("status field %q", doc.Status)
			}
			// The tenant itself is ready unless its scans are the problem.
			tenantReady := tt.want == 200 || tt.ready != nil
			if len(doc.Tenants) != 1 || doc.Tenants[0].Tenant != tenantB || doc.Tenants[0].Ready != tenantReady {
				t.Errorf("tenants %+v", doc.Tenants)
			}
			if tt.ready != nil && doc.Checks["notify"] == nil {
				t.Errorf("extra check detail missing: %s", body)
			}
		})
	}
}

func TestHealthzIsPlainOK(t *testing.T) {
	res, body := get(t, newServer(t, openStore(t), nil).Handler(), "/healthz")
	if res.StatusCode != http.StatusOK || body != "ok\n" || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("got %d %q %q", res.StatusCode, body, res.Header.Get("Content-Type"))
	}
}
