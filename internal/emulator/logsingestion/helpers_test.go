package logsingestion

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/credwatch/credwatch/internal/emulator"
	"github.com/credwatch/credwatch/internal/emulator/emulatortest"
	"github.com/credwatch/credwatch/internal/syncbuf"
	"github.com/credwatch/credwatch/internal/testclock"
)

// The clients sign in by app id; roles are assigned, as in Azure, to
// their service principals' object ids, which the token service puts in
// their tokens' oid claim.
const (
	testTenant   = "7a1c0de5-0000-4000-8000-0000000000a1"
	publisherID  = "c11e0000-0000-4000-8000-0000000000b1"
	publisherOID = "0b1ec700-0000-4000-8000-0000000000b1" // Monitoring Metrics Publisher on testRule and otherRule
	readerID     = "c11e0000-0000-4000-8000-0000000000b2"
	readerOID    = "0b1ec700-0000-4000-8000-0000000000b2" // Monitoring Reader only
	outsiderID   = "c11e0000-0000-4000-8000-0000000000b3"
	outsiderOID  = "0b1ec700-0000-4000-8000-0000000000b3" // no role at all
	testSecret   = "test-client-secret-not-a-real-one"
	testRule     = "dcr-000a00a000a00000a000000aa000a0aa"
	otherRule    = "dcr-111b11b111b11111b111111bb111b1bb"
	openStream   = "Custom-Open"
	typedStream  = "Custom-Typed"
	monitorPath  = "/dataCollectionRules/" + testRule + "/streams/" + openStream + "?api-version=" + APIVersion
)

func testRules() []Rule {
	return []Rule{
		{ImmutableID: testRule, Name: "dcr-test",
			Streams: []Stream{{Name: openStream},
				{Name: typedStream, Columns: []Column{{"TimeGenerated", "datetime"}, {"Seq", "int"}, {"Payload", "string"}}}},
			RoleAssignments: []RoleAssignment{{publisherOID, PublisherRole}, {readerOID, "Monitoring Reader"}}},
		{ImmutableID: otherRule, Streams: []Stream{{Name: openStream}},
			RoleAssignments: []RoleAssignment{{publisherOID, "monitoring metrics publisher"}}},
	}
}

// env is a token service (the Graph emulator) and a Logs Ingestion
// emulator trusting it.
type env struct {
	sts   *emulator.Server
	li    *Server
	hc    *http.Client // trusts both CAs
	clock *testclock.Clock
	logs  *syncbuf.Buffer
}

func newEnv(t *testing.T, tweak func(*Options)) *env {
	t.Helper()
	sts := emulatortest.TokenService(t, testTenant, testSecret,
		emulatortest.Principal{AppID: publisherID, ObjectID: publisherOID}, emulatortest.Principal{AppID: readerID, ObjectID: readerOID},
		emulatortest.Principal{AppID: outsiderID, ObjectID: outsiderOID})
	e := &env{sts: sts, clock: testclock.New(time.Now()), logs: &syncbuf.Buffer{}}
	o := Options{TenantID: testTenant, AuthorityHost: sts.AuthorityHost(), HTTPClient: sts.Client(), Rules: testRules(),
		Now: e.clock.Now, Logger: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	if tweak != nil {
		tweak(&o)
	}
	li, err := Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { li.Close() })
	e.li, e.hc = li, li.Client(sts.CACertPEM())
	return e
}

// token gets an access token for scope as clientID.
func (e *env) token(t *testing.T, clientID, scope string) string {
	t.Helper()
	c := emulatortest.Credential(t, e.sts, clientID, testSecret, e.hc)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tok, err := c.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{scope}})
	if err != nil {
		t.Fatalf("token for %s: %v", scope, err)
	}
	return tok.Token
}

// call is one request to the server.
type call struct {
	method, path, token, ctype, encoding string
	body                                 []byte
}

type answer struct {
	status int
	header http.Header
	code   string
	msg    string
}

func (e *env) do(t *testing.T, c call) answer {
	t.Helper()
	if c.method == "" {
		c.method = http.MethodPost
	}
	if c.path == "" {
		c.path = monitorPath
	}
	req, err := http.NewRequest(c.method, e.li.Endpoint()+c.path, bytes.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.ctype != "" {
		req.Header.Set("Content-Type", c.ctype)
	}
	if c.encoding != "" {
		req.Header.Set("Content-Encoding", c.encoding)
	}
	resp, err := e.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	a := answer{status: resp.StatusCode, header: resp.Header}
	if resp.StatusCode == http.StatusNoContent {
		if len(b) != 0 {
			t.Errorf("204 with a body: %q", b)
		}
		return a
	}
	var env struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal(b, &env); err != nil || env.Error.Code == "" {
		t.Fatalf("%d answer is not the error envelope: %v: %s", resp.StatusCode, err, b)
	}
	a.code, a.msg = env.Error.Code, env.Error.Message
	return a
}

func gz(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	w := gzip.NewWriter(&out)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// sized is a one-row JSON array of exactly n bytes.
func sized(n int) []byte {
	const head, tail = `[{"Payload":"`, `"}]`
	return []byte(head + strings.Repeat("x", n-len(head)-len(tail)) + tail)
}
