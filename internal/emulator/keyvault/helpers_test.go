package keyvault

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/credwatch/credwatch/internal/emulator"
	"github.com/credwatch/credwatch/internal/emulator/emulatortest"
)

// The clients sign in by app id; vault access is granted, as in Azure, to
// their service principals' object ids, which the token service puts in
// their tokens' oid claim.
const (
	testTenant = "7a1c0de5-0000-4000-8000-0000000000kv"
	officerID  = "c11e0000-0000-4000-8000-0000000000a1"
	officerOID = "0b1ec700-0000-4000-8000-0000000000a1" // Key Vault Secrets Officer on the RBAC vault
	userID     = "c11e0000-0000-4000-8000-0000000000a2"
	userOID    = "0b1ec700-0000-4000-8000-0000000000a2" // Key Vault Secrets User only
	policyID   = "c11e0000-0000-4000-8000-0000000000a3"
	policyOID  = "0b1ec700-0000-4000-8000-0000000000a3" // access policy get+list, no set
	testSecret = "test-client-secret-not-a-real-one"
)

// env is a token service (the Graph emulator) and a Key Vault emulator
// trusting it.
type env struct {
	sts *emulator.Server
	kv  *Server
	hc  *http.Client // trusts both CAs
}

// testVaults are an RBAC vault, an access-policy vault and two behind
// firewalls.
func testVaults() []Vault {
	return []Vault{
		{Name: "kv-rbac", EnableRBACAuthorization: true, EnableSoftDelete: true, EnablePurgeProtection: true,
			RoleAssignments: []RoleAssignment{{Principal: officerOID, Role: "Key Vault Secrets Officer"},
				{Principal: officerOID, Role: "Key Vault Certificates Officer"}, {Principal: userOID, Role: "Key Vault Secrets User"}},
			DiagnosticSettings: []DiagnosticSetting{{Name: "to-law", WorkspaceID: "/subscriptions/x/resourceGroups/y/providers/Microsoft.OperationalInsights/workspaces/law",
				Logs: []LogSetting{{CategoryGroup: "audit", Enabled: true}}}},
			Secrets: []Secret{{Name: "seeded", Value: "v1", ContentType: "text/plain"}, {Name: "seeded", Value: "v2", Tags: map[string]string{"k": "v"}}}},
		{Name: "kv-policies", AccessPolicies: []AccessPolicy{{ObjectID: policyOID, Secrets: []string{"get", "list"}},
			{ObjectID: officerOID, Secrets: []string{"all"}}}},
		{Name: "kv-closed", EnableRBACAuthorization: true, PublicNetworkAccess: "Disabled",
			RoleAssignments: []RoleAssignment{{Principal: officerOID, Role: "Key Vault Administrator"}}},
		{Name: "kv-firewall", EnableRBACAuthorization: true, NetworkACLs: &NetworkACLs{DefaultAction: "Deny", IPRules: []string{"198.51.100.0/24"}},
			RoleAssignments: []RoleAssignment{{Principal: officerOID, Role: "Key Vault Administrator"}}},
		{Name: "kv-open-to-me", EnableRBACAuthorization: true, NetworkACLs: &NetworkACLs{DefaultAction: "Deny", IPRules: []string{"127.0.0.1"}},
			RoleAssignments: []RoleAssignment{{Principal: officerOID, Role: "Key Vault Administrator"}}},
	}
}

func newEnv(t *testing.T, vaults []Vault, mgmtReaders []string) *env {
	t.Helper()
	sts := emulatortest.TokenService(t, testTenant, testSecret,
		emulatortest.Principal{AppID: officerID, ObjectID: officerOID}, emulatortest.Principal{AppID: userID, ObjectID: userOID},
		emulatortest.Principal{AppID: policyID, ObjectID: policyOID})
	kv, err := Start(Options{TenantID: testTenant, AuthorityHost: sts.AuthorityHost(), HTTPClient: sts.Client(),
		Vaults: vaults, ManagementReaders: mgmtReaders})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kv.Close() })
	return &env{sts: sts, kv: kv, hc: kv.Client(sts.CACertPEM())}
}

// cred is a client-secret credential for clientID from the token service.
func (e *env) cred(t *testing.T, clientID string, transport policy.Transporter) azcore.TokenCredential {
	t.Helper()
	if transport == nil {
		transport = e.hc
	}
	return emulatortest.Credential(t, e.sts, clientID, testSecret, transport)
}

// token gets an access token for resource as clientID.
func (e *env) token(t *testing.T, clientID, resource string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tok, err := e.cred(t, clientID, nil).GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{resource + "/.default"}})
	if err != nil {
		t.Fatalf("token for %s: %v", resource, err)
	}
	return tok.Token
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(a.body, &m); err != nil {
		t.Fatalf("answer is not JSON: %v: %s", err, a.body)
	}
	return m
}

// errorCodes returns error.code and error.innererror.code, read from the
// lower-case key Key Vault uses.
func (a answer) errorCodes(t *testing.T) (string, string) {
	t.Helper()
	var env struct {
		Error struct {
			Code  string          `json:"code"`
			Inner json.RawMessage `json:"innererror"`
		} `json:"error"`
	}
	if err := json.Unmarshal(a.body, &env); err != nil {
		t.Fatalf("error body: %v: %s", err, a.body)
	}
	if bytes.Contains(a.body, []byte(`"innerError"`)) {
		t.Errorf("error uses innerError; Key Vault spells it innererror: %s", a.body)
	}
	var inner struct{ Code string }
	_ = json.Unmarshal(env.Error.Inner, &inner)
	return env.Error.Code, inner.Code
}

func (e *env) do(t *testing.T, method, url, token, body string) answer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
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
	return answer{resp.StatusCode, resp.Header, b}
}

// recorder is a transport that notes each request's method, path,
// authorization and body length.
type recorder struct {
	mu   sync.Mutex
	next http.RoundTripper
	reqs []recorded
}

type recorded struct {
	method, path string
	auth         bool
	bodyLen      int
	status       int
	challenge    string
}

func (r *recorder) Do(req *http.Request) (*http.Response, error) {
	n := 0
	if req.Body != nil {
		b, _ := io.ReadAll(req.Body)
		n = len(b)
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	resp, err := r.next.RoundTrip(req)
	rec := recorded{method: req.Method, path: req.URL.Path, auth: req.Header.Get("Authorization") != "", bodyLen: n}
	if resp != nil {
		rec.status, rec.challenge = resp.StatusCode, resp.Header.Get("WWW-Authenticate")
	}
	r.mu.Lock()
	r.reqs = append(r.reqs, rec)
	r.mu.Unlock()
	return resp, err
}
