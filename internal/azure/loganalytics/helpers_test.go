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

	"github.com/credwatch/credwatch/internal/emulator"
	"github.com/credwatch/credwatch/internal/emulator/emulatortest"
	"github.com/credwatch/credwatch/internal/emulator/logsingestion"
	"github.com/credwatch/credwatch/internal/msgraph"
	"github.com/credwatch/credwatch/internal/syncbuf"
	"github.com/credwatch/credwatch/internal/testclock"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// testToken stands for a real access token in tests that never send one:
// it must never reach a log or an error.
const testToken = "eyJ0eXAi.test-ingestion-token.must-not-leak"

const (
	testTenant = "7a1c0de5-0000-4000-8000-00000000la01"
	testRule   = "dcr-000a00a000a00000a000000aa000a0aa"
	// testStream takes seqRows: TimeGenerated, Seq and Payload.
	testStream = "Custom-SeqRows"
	testSecret = "test-client-secret-not-a-real-one"
	// The clients sign in by app id; the rule's role assignment names,
	// as Azure's do, the publisher's service principal by object id.
	publisherID  = "c11e0000-0000-4000-8000-0000000000c1"
	publisherOID = "0b1ec700-0000-4000-8000-0000000000c1" // Monitoring Metrics Publisher on testRule
	outsiderID   = "c11e0000-0000-4000-8000-0000000000c2" // no role on it
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

// recordingCred is a real credential from the emulator's token service
// that records the scopes asked for and the tokens handed out, so tests
// can look for them where they must not be.
type recordingCred struct {
	next   azcore.TokenCredential
	mu     sync.Mutex
	scopes [][]string
	tokens []string
}

func (c *recordingCred) GetToken(ctx context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	tok, err := c.next.GetToken(ctx, o)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.scopes = append(c.scopes, o.Scopes)
	if err == nil {
		c.tokens = append(c.tokens, tok.Token)
	}
	return tok, err
}

func (c *recordingCred) issued() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.tokens...)
}

// fixture is a client wired to the emulator's Logs Ingestion peer, signed
// in through the emulator's token service: only the endpoint and the
// trusted CA differ from Azure. Waits are recorded and the debug log kept.
type fixture struct {
	sts  *emulator.Server
	peer *logsingestion.Server
	cred *recordingCred
	c    *Client
	logs *syncbuf.Buffer
	// clock is the ingestion peer's time; Sleep moves it, so a
	// Retry-After the client waits out has passed for the peer too.
	clock *testclock.Clock
	mu    sync.Mutex
	// sleeps are the waits the client asked for.
	sleeps []time.Duration
}

// setup chooses who signs in and how the peer is configured.
type setup struct {
	clientID string                         // default publisherID
	peer     func(o *logsingestion.Options) // tweaks the peer
}

func newFixture(t *testing.T, tweak func(*Options)) *fixture {
	t.Helper()
	return newFixtureWith(t, setup{}, tweak)
}

func newFixtureWith(t *testing.T, su setup, tweak func(*Options)) *fixture {
	t.Helper()
	if su.clientID == "" {
		su.clientID = publisherID
	}
	sts, err := emulator.Start(emulator.Options{Directory: &msgraph.Directory{TenantID: testTenant,
		ServicePrincipals: []msgraph.ServicePrincipal{{ID: publisherOID, AppID: publisherID, DisplayName: "credwatch-publisher"}}},
		Clients: []emulator.Client{{ID: publisherID, Secret: testSecret}, {ID: outsiderID, Secret: testSecret}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sts.Close() })
	f := &fixture{sts: sts, logs: &syncbuf.Buffer{}, clock: testclock.New(time.Now())}
	po := logsingestion.Options{TenantID: testTenant, AuthorityHost: sts.AuthorityHost(), HTTPClient: sts.Client(),
		Rules: []logsingestion.Rule{peerRule(t)}, Now: f.clock.Now}
	if su.peer != nil {
		su.peer(&po)
	}
	if f.peer, err = logsingestion.Start(po); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.peer.Close() })
	hc := f.peer.Client(sts.CACertPEM())
	f.cred = &recordingCred{next: emulatortest.Credential(t, sts, su.clientID, testSecret, hc)}
	o := Options{
		Endpoint:   f.peer.Endpoint(),
		RuleID:     testRule,
		Stream:     testStream,
		HTTPClient: hc,
		Logger:     slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Sleep: func(ctx context.Context, d time.Duration) error {
			f.mu.Lock()
			f.sleeps = append(f.sleeps, d)
			f.mu.Unlock()
			f.clock.Advance(d)
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

// peerRule is the data collection rule the peer serves: the streams
// docs/sentinel/credwatch-dcr.json declares, with their columns, so a row
// credwatch emits that the template lacks is refused; and testStream.
func peerRule(t *testing.T) logsingestion.Rule {
	t.Helper()
	r := logsingestion.Rule{ImmutableID: testRule,
		RoleAssignments: []logsingestion.RoleAssignment{{Principal: publisherOID, Role: logsingestion.PublisherRole}},
		Streams: []logsingestion.Stream{{Name: testStream, Columns: []logsingestion.Column{
			{Name: "TimeGenerated", Type: "datetime"}, {Name: "Seq", Type: "int"}, {Name: "Payload", Type: "string"}}}}}
	r.Streams = append(r.Streams, readTemplate(t).streams...)
	return r
}

// received are the rows the peer kept for the client's stream.
func (f *fixture) received() []map[string]any { return f.peer.Rows(testRule, f.c.opt.Stream) }

func (f *fixture) waits() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.sleeps...)
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
