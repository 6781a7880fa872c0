package graph

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

func TestConcurrencyIsBoundedByTheClient(t *testing.T) {
	const limit = 3
	var inflight, peak atomic.Int32
	arrived := make(chan struct{}, 16)
	release := make(chan struct{})
	f := newFixture(t, func(w http.ResponseWriter, r *http.Request) {
		n := inflight.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		arrived <- struct{}{}
		<-release
		inflight.Add(-1)
		writeJSON(w, http.StatusOK, item{ID: "x"})
	}, func(o *Options) { o.Concurrency = limit })

	var wg sync.WaitGroup
	for range 3 * limit {
		wg.Go(func() {
			if _, err := Get[item](context.Background(), f.c, "/applications/x"); err != nil {
				t.Error(err)
			}
		})
	}
	for range limit {
		<-arrived
	}
	close(release)
	wg.Wait()
	if peak.Load() != limit {
		t.Errorf("peak in flight = %d, want %d", peak.Load(), limit)
	}
}

func TestNewRejectsBadBaseURL(t *testing.T) {
	for _, base := range []string{"", "http://graph.example/v1.0", "https:///v1.0", "https://graph.example/v1.0?x=1"} {
		if _, err := New(staticCred{}, Options{BaseURL: base}); err == nil || !strings.Contains(err.Error(), "graph base url") {
			t.Errorf("New(%q) = %v, want a base url error", base, err)
		}
	}
	if _, err := New(nil, Options{BaseURL: "https://graph.example/v1.0"}); err == nil {
		t.Error("New without a credential succeeded")
	}
}

func TestLogPathRedactsCursors(t *testing.T) {
	tests := map[string]string{
		"/v1.0/applications":                                "/v1.0/applications",
		"/v1.0/applications?$select=id&$skiptoken=abc":      "/v1.0/applications?$select=id&$skiptoken=REDACTED",
		"/v1.0/applications/delta?$deltatoken=xyz&$top=999": "/v1.0/applications/delta?$deltatoken=REDACTED&$top=999",
		"/v1.0/x?client_secret=s&sig=q":                     "/v1.0/x?client_secret=REDACTED&sig=REDACTED",
	}
	for in, want := range tests {
		u, err := parseForTest(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := logPath(u); got != want {
			t.Errorf("logPath(%q) = %q, want %q", in, got, want)
		}
	}
}
