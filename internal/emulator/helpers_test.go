package emulator

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/msgraph"
	"github.com/credwatch/credwatch/internal/syncbuf"
	"github.com/credwatch/credwatch/internal/testclock"
)

const (
	testTenant       = "7a1c0de5-0000-4000-8000-000000000001"
	readerID         = "c11e0000-0000-4000-8000-000000000001" // Application.Read.All
	norolesID        = "c11e0000-0000-4000-8000-000000000002" // no roles
	certClientID     = "c11e0000-0000-4000-8000-000000000003" // certificate only
	expiredSecretID  = "c11e0000-0000-4000-8000-000000000004"
	graphResourceSP  = "9a9a0000-0000-4000-8000-00000000a11a"
	manyOwnersAppIdx = 1 // the application with 25 owners
)

func TestMain(m *testing.M) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	sharedSigningKey = key
	os.Exit(m.Run())
}

var testStart = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func strp(s string) *string { return &s }

func guidN(prefix string, n int) string { return fmt.Sprintf("%s-0000-4000-8000-%012d", prefix, n) }

// testDirectory is a small hand-built tenant: 5 applications (one with 25
// owners, one with a Sign/Verify certificate pair and federated
// credentials), 4 service principals and the Graph resource principal.
func testDirectory() *msgraph.Directory {
	d := &msgraph.Directory{TenantID: testTenant}
	for i := range 5 {
		a := msgraph.Application{
			ID:             guidN("a0000000", i),
			AppID:          guidN("b0000000", i),
			DisplayName:    fmt.Sprintf("app-%d", i),
			SignInAudience: "AzureADMyOrg",
			PasswordCredentials: []msgraph.PasswordCredential{{
				DisplayName: strp("ci"), Hint: strp("Q8w"), KeyID: guidN("c0000000", i),
				StartDateTime: "2025-01-01T00:00:00Z", EndDateTime: "2027-01-01T00:00:00Z",
			}},
			Owners: []msgraph.DirectoryObject{{ODataType: "#microsoft.graph.user", ID: guidN("d0000000", i),
				DisplayName: fmt.Sprintf("Owner %d", i), UserPrincipalName: fmt.Sprintf("owner%d@example.test", i)}},
		}
		d.Applications = append(d.Applications, a)
	}
	many := &d.Applications[manyOwnersAppIdx]
	many.Owners = nil
	for i := range 25 {
		o := msgraph.DirectoryObject{ODataType: "#microsoft.graph.user", ID: guidN("e0000000", i), DisplayName: fmt.Sprintf("User %d", i), UserPrincipalName: fmt.Sprintf("u%d@example.test", i)}
		if i%5 == 4 {
			o = msgraph.DirectoryObject{ODataType: "#microsoft.graph.servicePrincipal", ID: guidN("e0000000", i), DisplayName: fmt.Sprintf("Robot %d", i), AppID: guidN("e1000000", i)}
		}
		many.Owners = append(many.Owners, o)
	}
	certApp := &d.Applications[2]
	thumb := base64.StdEncoding.EncodeToString([]byte("01234567890123456789"))
	key := base64.StdEncoding.EncodeToString([]byte("not really DER"))
	for _, usage := range []string{"Sign", "Verify"} {
		certApp.KeyCredentials = append(certApp.KeyCredentials, msgraph.KeyCredential{
			CustomKeyIdentifier: &thumb, DisplayName: strp("CN=app-2"), Key: &key, KeyID: guidN("f0000000", len(certApp.KeyCredentials)),
			StartDateTime: "2025-01-01T00:00:00Z", EndDateTime: "2026-06-01T00:00:00Z", Type: "AsymmetricX509Cert", Usage: usage,
		})
	}
	certApp.FederatedIdentityCredentials = []msgraph.FederatedIdentityCredential{
		{ID: guidN("f1000000", 1), Name: "github-main", Issuer: "https://token.actions.githubusercontent.com", Subject: "repo:o/r:ref:refs/heads/main", Audiences: []string{"api://AzureADTokenExchange"}},
		{ID: guidN("f1000000", 2), Name: "github-pr", Issuer: "https://token.actions.githubusercontent.com", Subject: "repo:o/r:pull_request", Audiences: []string{"api://AzureADTokenExchange"}},
	}
	yes := true
	for i := range 4 {
		d.ServicePrincipals = append(d.ServicePrincipals, msgraph.ServicePrincipal{
			ID: guidN("5b000000", i), AppID: guidN("b0000000", i), DisplayName: fmt.Sprintf("app-%d", i),
			AppOwnerOrganizationID: testTenant, ServicePrincipalType: "Application", AccountEnabled: &yes,
			Owners: []msgraph.DirectoryObject{{ODataType: "#microsoft.graph.user", ID: guidN("d0000000", i), DisplayName: fmt.Sprintf("Owner %d", i)}},
			AppRoleAssignments: []msgraph.AppRoleAssignment{{
				ID: fmt.Sprintf("assignment-%d", i), AppRoleID: "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30",
				PrincipalID: guidN("5b000000", i), PrincipalType: "ServicePrincipal", PrincipalDisplayName: fmt.Sprintf("app-%d", i),
				ResourceID: graphResourceSP, ResourceDisplayName: "Microsoft Graph",
			}},
		})
	}
	d.ServicePrincipals[3].AppOwnerOrganizationID = msgraph.FirstPartyTenantID
	d.Resources = []msgraph.ServicePrincipal{{
		ID: graphResourceSP, AppID: msgraph.GraphAppID, DisplayName: "Microsoft Graph",
		AppRoles: []msgraph.AppRole{{ID: "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30", Value: "Application.Read.All", AllowedMemberTypes: []string{"Application"}}},
	}}
	return d
}

// testCert is a self-signed RSA certificate for client assertions.
type testCert struct {
	cert *x509.Certificate
	key  *rsa.PrivateKey
}

var (
	certOnce   sync.Once
	certs      [2]testCert // [0] registered, [1] not
	certSecret = "s3cret-value-that-must-never-leak~0123456789"
)

func testCerts(t *testing.T) [2]testCert {
	t.Helper()
	certOnce.Do(func() {
		for i := range certs {
			key, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			tmpl := &x509.Certificate{SerialNumber: big.NewInt(int64(i + 1)), Subject: pkix.Name{CommonName: fmt.Sprintf("client-%d", i)},
				NotBefore: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)}
			der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
			if err != nil {
				panic(err)
			}
			c, _ := x509.ParseCertificate(der)
			certs[i] = testCert{c, key}
		}
	})
	return certs
}

type testEnv struct {
	srv   *Server
	clock *testclock.Clock
	hc    *http.Client
	logs  *syncbuf.Buffer
}

func newEnv(t *testing.T, faults Faults) *testEnv {
	t.Helper()
	cs := testCerts(t)
	return newEnvOpts(t, Options{
		Directory: testDirectory(),
		Clients: []Client{
			{ID: readerID, Secret: certSecret, Roles: []string{"Application.Read.All"}},
			{ID: norolesID, Secret: certSecret},
			{ID: certClientID, Certificates: []*x509.Certificate{cs[0].cert}, Roles: []string{"Directory.Read.All"}},
			{ID: expiredSecretID, Secret: certSecret, SecretExpires: testStart.Add(-time.Hour), Roles: []string{"Application.Read.All"}},
		},
		Faults: faults,
	})
}

// newEnvOpts starts a server from opts with the test clock and a debug
// log captured in the env.
func newEnvOpts(t *testing.T, opts Options) *testEnv {
	t.Helper()
	clock := testclock.New(testStart)
	logs := &syncbuf.Buffer{}
	opts.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	opts.Now = clock.Now
	srv, err := Start(opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return &testEnv{srv: srv, clock: clock, hc: srv.Client(), logs: logs}
}

func (e *testEnv) tokenURL() string {
	return e.srv.URL() + "/" + e.srv.TenantID() + "/oauth2/v2.0/token"
}

// postToken posts a token request and decodes the JSON answer.
func (e *testEnv) postToken(t testing.TB, form url.Values, header http.Header) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.tokenURL(), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := e.hc.Do(req)
	if err != nil {
		t.Fatalf("token request: %v", err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("token response: %v", err)
	}
	return resp.StatusCode, body
}

func secretForm(clientID, secret, scope string) url.Values {
	return url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {secret}, "scope": {scope}}
}

const graphScope = "https://graph.microsoft.com/.default openid offline_access profile"

// token gets a Graph token for clientID with the shared secret.
func (e *testEnv) token(t testing.TB, clientID string) string {
	t.Helper()
	status, body := e.postToken(t, secretForm(clientID, certSecret, graphScope), nil)
	if status != 200 {
		t.Fatalf("token for %s: status %d: %v", clientID, status, body["error"])
	}
	return body["access_token"].(string)
}

type graphResp struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

// get calls Graph with a bearer token; path may be relative to the server
// ("/v1.0/...") or an absolute nextLink.
func (e *testEnv) get(t testing.TB, tok, path string, hdr ...string) graphResp {
	t.Helper()
	u := path
	if strings.HasPrefix(path, "/") {
		u = e.srv.URL() + path
	}
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatalf("request %s: %v", path, err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return e.do(t, req)
}

func (e *testEnv) do(t testing.TB, req *http.Request) graphResp {
	t.Helper()
	resp, err := e.hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s: %v", req.URL.Path, err)
	}
	g := graphResp{status: resp.StatusCode, header: resp.Header, raw: raw}
	if len(raw) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &g.body); err != nil {
			t.Fatalf("%s: body is not JSON: %v: %s", req.URL.Path, err, raw)
		}
	}
	return g
}

// errCode is error.code of a Graph error body.
func (g graphResp) errCode() string {
	e, _ := g.body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func (g graphResp) errMessage() string {
	e, _ := g.body["error"].(map[string]any)
	m, _ := e["message"].(string)
	return m
}

func (g graphResp) values() []map[string]any {
	arr, ok := g.body["value"].([]any)
	if !ok {
		return nil
	}
	out := make([]map[string]any, len(arr))
	for i, v := range arr {
		out[i], _ = v.(map[string]any)
	}
	return out
}

// thumbprintSHA1 is the x5t of a certificate in base64url.
func thumbprintSHA1(c *x509.Certificate) string {
	s := sha1.Sum(c.Raw)
	return base64.RawURLEncoding.EncodeToString(s[:])
}
