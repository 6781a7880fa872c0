package graph

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/credwatch/credwatch/internal/syncbuf"
)

// testToken stands for a real access token: it must never reach a log or
// an error.
const testToken = "eyJ0eXAi.test-bearer-token.must-not-leak"

// staticCred hands out testToken.
type staticCred struct{}

func (staticCred) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: testToken, ExpiresOn: time.Now().Add(time.Hour)}, nil
}

var guidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// fixture is a client wired to a TLS test server, with recorded waits and
// a debug log.
type fixture struct {
	t      *testing.T
	srv    *httptest.Server
	c      *Client
	logs   *syncbuf.Buffer
	mu     sync.Mutex
	sleeps []time.Duration
	crids  map[string]bool
}

// newFixture starts h behind a TLS server that checks every request's
// bearer token and client-request-id first.
func newFixture(t *testing.T, h http.HandlerFunc, tweak func(*Options)) *fixture {
	t.Helper()
	f := &fixture{t: t, logs: &syncbuf.Buffer{}, crids: map[string]bool{}}
	f.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("Authorization"); got != "Bearer "+testToken {
			t.Errorf("Authorization = %q, want the bearer token", got)
		}
		id := r.Header.Get("client-request-id")
		f.mu.Lock()
		if !guidRE.MatchString(id) || f.crids[id] {
			t.Errorf("client-request-id %q is not a fresh GUID", id)
		}
		f.crids[id] = true
		f.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(f.srv.Close)
	o := Options{
		BaseURL:    f.srv.URL + "/v1.0",
		HTTPClient: f.srv.Client(),
		Logger:     slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Jitter:     func() float64 { return 0.5 },
		Sleep: func(ctx context.Context, d time.Duration) error {
			f.mu.Lock()
			f.sleeps = append(f.sleeps, d)
			f.mu.Unlock()
			return ctx.Err()
		},
	}
	if tweak != nil {
		tweak(&o)
	}
	c, err := New(staticCred{}, o)
	if err != nil {
		t.Fatal(err)
	}
	f.c = c
	return f
}

func (f *fixture) waits() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.sleeps...)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// graphError writes Graph's error envelope with a request-id.
func graphError(w http.ResponseWriter, status int, code, requestID string) {
	w.Header().Set("request-id", requestID)
	writeJSON(w, status, map[string]any{"error": map[string]any{
		"code": code, "message": "test " + code,
		"innerError": map[string]string{"date": "2026-01-01T00:00:00", "request-id": requestID},
	}})
}

// resetConnection drops the TCP connection with a RST, as a load balancer
// cutting a request does.
func resetConnection(t *testing.T, w http.ResponseWriter) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		t.Errorf("hijack: %v", err)
		return
	}
	if tc, ok := conn.(*tls.Conn); ok {
		if tcp, ok := tc.NetConn().(*net.TCPConn); ok {
			_ = tcp.SetLinger(0)
		}
	}
	_ = conn.Close()
}

// cutBody announces a long body, sends part of it and aborts.
func cutBody(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", "1000")
	w.WriteHeader(http.StatusOK)
	_, _ = fmt.Fprint(w, `{"value":[{"id":"a"`)
	w.(http.Flusher).Flush()
	panic(http.ErrAbortHandler)
}

type item struct {
	ID string `json:"id"`
}

func parseForTest(s string) (*url.URL, error) { return url.Parse("https://graph.example" + s) }
