package loganalytics

import (
	"bytes"
	"context"
	"flag"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/credwatch/credwatch/internal/azure/loganalytics/loganalyticstest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// testToken stands for a real access token: it must never reach a log or
// an error.
const testToken = "eyJ0eXAi.test-ingestion-token.must-not-leak"

const (
	testRule   = "dcr-000a00a000a00000a000000aa000a0aa"
	testStream = FindingsStream
)

// staticCred hands out testToken and records the scopes asked for.
type staticCred struct {
	mu     sync.Mutex
	scopes [][]string
}

func (c *staticCred) GetToken(_ context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.scopes = append(c.scopes, o.Scopes)
	return azcore.AccessToken{Token: testToken, ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// fixture is a client wired to a fake ingestion endpoint, with recorded
// waits and a debug log.
type fixture struct {
	srv  *loganalyticstest.Server
	cred *staticCred
	c    *Client
	logs *lockedBuffer
	mu   sync.Mutex
	// sleeps are the waits the client asked for.
	sleeps []time.Duration
}

func newFixture(t *testing.T, tweak func(*Options)) *fixture {
	t.Helper()
	f := &fixture{srv: loganalyticstest.NewServer(), cred: &staticCred{}, logs: &lockedBuffer{}}
	t.Cleanup(f.srv.Close)
	f.srv.RequireToken(testToken)
	o := Options{
		Endpoint:   f.srv.URL,
		RuleID:     testRule,
		Stream:     testStream,
		HTTPClient: f.srv.Client(),
		Logger:     slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
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
	c, err := New(f.cred, o)
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

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// seqRow is a test row whose Seq tells its place.
type seqRow struct {
	TimeGenerated string `json:"TimeGenerated"`
	Seq           int    `json:"Seq"`
	Payload       string `json:"Payload"`
}

func seqRows(n, payload int) []any {
	pad := string(bytes.Repeat([]byte("x"), payload))
	out := make([]any, n)
	for i := range out {
		out[i] = seqRow{TimeGenerated: "2026-11-20T08:30:00Z", Seq: i, Payload: pad}
	}
	return out
}

// failingTransport fails the first n requests with err, then passes them on.
type failingTransport struct {
	mu   sync.Mutex
	n    int
	err  error
	next http.RoundTripper
}

func (t *failingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.mu.Lock()
	fail := t.n > 0
	t.n--
	t.mu.Unlock()
	if fail {
		return nil, t.err
	}
	return t.next.RoundTrip(r)
}
