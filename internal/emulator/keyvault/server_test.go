package keyvault

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azcertificates"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
)

// TestAzsecretsChallengeFlow runs the real azsecrets client: its first
// request goes without a token and without its body, gets the 401
// challenge naming the tenant's authority and the vault resource, and is
// sent again with a token for that resource and the body restored.
func TestAzsecretsChallengeFlow(t *testing.T) {
	e := newEnv(t, testVaults(), nil)
	rec := &recorder{next: e.hc.Transport}
	c, err := azsecrets.NewClient(e.kv.VaultURL("kv-rbac"), e.cred(t, officerID, nil), &azsecrets.ClientOptions{
		ClientOptions:                        azcore.ClientOptions{Transport: rec},
		DisableChallengeResourceVerification: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	exp := time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC)
	set, err := c.SetSecret(ctx, "app-secret", azsecrets.SetSecretParameters{Value: to.Ptr("s3cr3t-value"),
		ContentType: to.Ptr("text/plain"), Tags: map[string]*string{"credwatchKeyId": to.Ptr("k1")},
		SecretAttributes: &azsecrets.SecretAttributes{Expires: &exp}}, nil)
	if err != nil {
		t.Fatalf("SetSecret: %v", err)
	}
	if len(rec.reqs) != 2 {
		t.Fatalf("want the challenge and the retried request, got %+v", rec.reqs)
	}
	first, second := rec.reqs[0], rec.reqs[1]
	wantChallenge := fmt.Sprintf(`Bearer authorization="%s/%s", resource="https://vault.azure.net"`,
		strings.TrimRight(e.sts.AuthorityHost(), "/"), strings.ToLower(testTenant))
	if first.auth || first.bodyLen != 0 || first.status != http.StatusUnauthorized || first.challenge != wantChallenge {
		t.Errorf("first request = %+v, want unauthenticated, no body, 401 with %q", first, wantChallenge)
	}
	if !second.auth || second.bodyLen == 0 || second.status != http.StatusOK || second.method != http.MethodPut {
		t.Errorf("second request = %+v, want an authenticated PUT with its body", second)
	}
	if set.ID.Name() != "app-secret" || len(set.ID.Version()) != 32 || set.Attributes.Expires == nil || !set.Attributes.Expires.Equal(exp) {
		t.Errorf("set answer: id %s, expires %v", *set.ID, set.Attributes.Expires)
	}

	got, err := c.GetSecret(ctx, "app-secret", "", nil)
	if err != nil || *got.Value != "s3cr3t-value" || *got.Tags["credwatchKeyId"] != "k1" {
		t.Fatalf("GetSecret = %v, %v", got, err)
	}
	if len(rec.reqs) != 3 || !rec.reqs[2].auth {
		t.Errorf("a later request should go authenticated at once: %+v", rec.reqs)
	}
	pager := c.NewListSecretPropertiesVersionsPager("seeded", nil)
	var versions int
	for pager.More() {
		p, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		versions += len(p.Value)
	}
	if versions != 2 {
		t.Errorf("seeded has %d versions, want 2", versions)
	}
}

func TestSecretWireShapes(t *testing.T) {
	e := newEnv(t, testVaults(), nil)
	tok := e.token(t, officerID, "https://vault.azure.net")
	base := strings.TrimRight(e.kv.VaultURL("kv-rbac"), "/")
	for i := range 30 {
		a := e.do(t, http.MethodPut, fmt.Sprintf("%s/secrets/s-%02d?api-version=7.4", base, i), tok,
			`{"value":"value-`+fmt.Sprint(i)+`","attributes":{"exp":1735689600,"nbf":1700000000}}`)
		if a.status != http.StatusOK {
			t.Fatalf("PUT: %d %s", a.status, a.body)
		}
		if i == 0 {
			m := a.json(t)
			attrs := m["attributes"].(map[string]any)
			if attrs["exp"] != float64(1735689600) || attrs["nbf"] != float64(1700000000) || attrs["recoveryLevel"] != "Recoverable" {
				t.Errorf("attributes = %v: want epoch seconds and the purge-protected recovery level", attrs)
			}
			if _, ok := attrs["created"].(float64); !ok {
				t.Errorf("created is not epoch seconds: %v", attrs["created"])
			}
		}
	}
	url := base + "/secrets?api-version=7.4&maxresults=10"
	var names []string
	pages := 0
	for url != "" {
		a := e.do(t, http.MethodGet, url, tok, "")
		if a.status != http.StatusOK {
			t.Fatalf("list: %d %s", a.status, a.body)
		}
		m := a.json(t)
		pages++
		for _, it := range m["value"].([]any) {
			item := it.(map[string]any)
			if _, has := item["value"]; has {
				t.Fatalf("a listing carries a secret value: %v", item)
			}
			id := item["id"].(string)
			if strings.Count(strings.TrimPrefix(id, base), "/") != 2 {
				t.Errorf("listed id %s has a version", id)
			}
			names = append(names, id[strings.LastIndex(id, "/")+1:])
		}
		next, _ := m["nextLink"].(string)
		if next != "" && (!strings.Contains(next, "api-version=7.4") || !strings.HasPrefix(next, base+"/secrets?")) {
			t.Errorf("nextLink %s must keep the api-version and the vault", next)
		}
		url = next
	}
	if len(names) != 31 || pages != 4 || names[0] != "s-00" || names[30] != "seeded" {
		t.Errorf("listed %d secrets in %d pages (%v), want 31 in 4", len(names), pages, names)
	}
	for _, q := range []string{"maxresults=26", "maxresults=0", "$skiptoken=nonsense"} {
		if a := e.do(t, http.MethodGet, base+"/secrets?api-version=7.4&"+q, tok, ""); a.status != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", q, a.status)
		}
	}
	for _, q := range []string{"", "?api-version=1999-01-01"} {
		a := e.do(t, http.MethodGet, base+"/secrets"+q, tok, "")
		if code, _ := a.errorCodes(t); a.status != http.StatusBadRequest || code != "BadParameter" {
			t.Errorf("api-version %q: %d %s", q, a.status, a.body)
		}
	}
	if a := e.do(t, http.MethodGet, base+"/secrets/missing?api-version=7.4", tok, ""); a.status != http.StatusNotFound {
		t.Errorf("missing secret: %d", a.status)
	} else if code, _ := a.errorCodes(t); code != "SecretNotFound" {
		t.Errorf("missing secret code %s", code)
	}
	a := e.do(t, http.MethodPut, base+"/secrets/no-value?api-version=7.4", tok, `{"contentType":"text/plain"}`)
	if a.status != http.StatusBadRequest {
		t.Errorf("PUT without value: %d", a.status)
	}
}

// TestRefusals covers each way a valid caller is turned away, and the
// lower-case innererror Key Vault answers with.
func TestRefusals(t *testing.T) {
	e := newEnv(t, testVaults(), nil)
	officer := e.token(t, officerID, "https://vault.azure.net")
	user := e.token(t, userID, "https://vault.azure.net")
	pol := e.token(t, policyID, "https://vault.azure.net")
	graphTok := e.token(t, officerID, "https://graph.microsoft.com")
	put := `{"value":"x"}`
	cases := []struct {
		name, vault, method, path, token, body string
		status                                 int
		code, inner                            string
	}{
		{"no token", "kv-rbac", "GET", "/secrets", "", "", 401, "Unauthorized", ""},
		{"graph token", "kv-rbac", "GET", "/secrets", graphTok, "", 401, "Unauthorized", ""},
		{"garbage token", "kv-rbac", "GET", "/secrets", "a.b.c", "", 401, "Unauthorized", ""},
		{"rbac role lacks set", "kv-rbac", "PUT", "/secrets/x", user, put, 403, "Forbidden", "ForbiddenByRbac"},
		{"rbac role allows get", "kv-rbac", "GET", "/secrets/seeded", user, "", 200, "", ""},
		{"no role at all", "kv-rbac", "GET", "/secrets", pol, "", 403, "Forbidden", "ForbiddenByRbac"},
		{"access policy lacks set", "kv-policies", "PUT", "/secrets/x", pol, put, 403, "Forbidden", "AccessDenied"},
		{"access policy allows list", "kv-policies", "GET", "/secrets", pol, "", 200, "", ""},
		{"access policy all", "kv-policies", "PUT", "/secrets/x", officer, put, 200, "", ""},
		{"not in any access policy", "kv-policies", "GET", "/secrets", user, "", 403, "Forbidden", "AccessDenied"},
		{"public access disabled", "kv-closed", "GET", "/secrets", officer, "", 403, "Forbidden", "ForbiddenByFirewall"},
		{"firewall default deny", "kv-firewall", "GET", "/secrets", officer, "", 403, "Forbidden", "ForbiddenByFirewall"},
		{"firewall allows loopback", "kv-open-to-me", "GET", "/secrets", officer, "", 200, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			url := strings.TrimRight(e.kv.VaultURL(c.vault), "/") + c.path + "?api-version=7.4"
			a := e.do(t, c.method, url, c.token, c.body)
			if a.status != c.status {
				t.Fatalf("status %d, want %d: %s", a.status, c.status, a.body)
			}
			if c.status == 401 && !strings.Contains(a.header.Get("WWW-Authenticate"), `resource="https://vault.azure.net"`) {
				t.Errorf("401 without the challenge: %q", a.header.Get("WWW-Authenticate"))
			}
			if c.code == "" {
				return
			}
			code, inner := a.errorCodes(t)
			if code != c.code || inner != c.inner {
				t.Errorf("error %s/%s, want %s/%s: %s", code, inner, c.code, c.inner, a.body)
			}
			if strings.Contains(string(a.body), c.token) && c.token != "" {
				t.Error("the error echoes the token")
			}
		})
	}
}

// TestFailNextFailsOneWriteAndWritesNothing: an injected fault refuses the
// write after authentication, leaves no version behind, and is used up.
func TestFailNextFailsOneWriteAndWritesNothing(t *testing.T) {
	e := newEnv(t, testVaults(), nil)
	tok := e.token(t, officerID, "https://vault.azure.net")
	url := strings.TrimRight(e.kv.VaultURL("kv-rbac"), "/") + "/secrets/seeded?api-version=7.4"
	e.kv.FailNext(Fault{Vault: "kv-rbac", Op: OpSetSecret})
	if a := e.do(t, http.MethodGet, url, tok, ""); a.status != http.StatusOK {
		t.Fatalf("a read is not the faulted operation: %d", a.status)
	}
	a := e.do(t, http.MethodPut, url, tok, `{"value":"v3"}`)
	if code, inner := a.errorCodes(t); a.status != http.StatusForbidden || code != "Forbidden" || inner != "ForbiddenByRbac" {
		t.Fatalf("faulted write: %d %s", a.status, a.body)
	}
	if n := len(e.kv.SecretVersions("kv-rbac", "seeded")); n != 2 {
		t.Fatalf("after the failed write the secret has %d versions, want 2", n)
	}
	if a := e.do(t, http.MethodPut, url, tok, `{"value":"v3"}`); a.status != http.StatusOK {
		t.Fatalf("the fault should be used up: %d %s", a.status, a.body)
	}
	if v := e.kv.SecretVersions("kv-rbac", "seeded"); len(v) != 3 || v[2].Value != "v3" {
		t.Fatalf("versions after the retry: %+v", v)
	}
}

// TestCertificatesWithAzcertificates creates a certificate with the real
// SDK and checks the thumbprint and the managed secret beside it.
func TestCertificatesWithAzcertificates(t *testing.T) {
	e := newEnv(t, testVaults(), nil)
	c, err := azcertificates.NewClient(e.kv.VaultURL("kv-rbac"), e.cred(t, officerID, nil), &azcertificates.ClientOptions{
		ClientOptions: azcore.ClientOptions{Transport: e.hc}, DisableChallengeResourceVerification: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	op, err := c.CreateCertificate(ctx, "app-cert", azcertificates.CreateCertificateParameters{
		CertificatePolicy: &azcertificates.CertificatePolicy{
			IssuerParameters:          &azcertificates.IssuerParameters{Name: to.Ptr("Self")},
			X509CertificateProperties: &azcertificates.X509CertificateProperties{Subject: to.Ptr("CN=app"), ValidityInMonths: to.Ptr[int32](6)},
		},
		Tags: map[string]*string{"owner": to.Ptr("team")},
	}, nil)
	if err != nil {
		t.Fatalf("CreateCertificate: %v", err)
	}
	if *op.Status != "inProgress" {
		t.Errorf("create status %s, want inProgress", *op.Status)
	}
	pending, err := c.GetCertificateOperation(ctx, "app-cert", nil)
	if err != nil || *pending.Status != "completed" {
		t.Fatalf("operation: %v %v", pending.Status, err)
	}
	got, err := c.GetCertificate(ctx, "app-cert", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha1.Sum(got.CER)
	pager := c.NewListCertificatePropertiesPager(nil)
	p, err := pager.NextPage(ctx)
	if err != nil || len(p.Value) != 1 {
		t.Fatalf("list: %v %v", p.Value, err)
	}
	if string(p.Value[0].X509Thumbprint) != string(sum[:]) {
		t.Errorf("listed x5t %x, want SHA-1 %x", p.Value[0].X509Thumbprint, sum)
	}
	tok := e.token(t, officerID, "https://vault.azure.net")
	raw := e.do(t, http.MethodGet, strings.TrimRight(e.kv.VaultURL("kv-rbac"), "/")+"/certificates?api-version=7.4", tok, "").json(t)
	x5tWire := raw["value"].([]any)[0].(map[string]any)["x5t"].(string)
	if x5tWire != base64.RawURLEncoding.EncodeToString(sum[:]) || len(x5tWire) != 27 {
		t.Errorf("wire x5t %q: want 27 characters of unpadded base64url", x5tWire)
	}
	if exp := got.Attributes.Expires; exp == nil || exp.Sub(*got.Attributes.NotBefore) < 150*24*time.Hour {
		t.Errorf("certificate validity %v-%v, want about 6 months", got.Attributes.NotBefore, got.Attributes.Expires)
	}
	if v := e.kv.SecretVersions("kv-rbac", "app-cert"); len(v) != 1 || !strings.Contains(v[0].Value, "PRIVATE KEY") {
		t.Errorf("the certificate's managed secret is missing")
	}
	secrets := e.do(t, http.MethodGet, strings.TrimRight(e.kv.VaultURL("kv-rbac"), "/")+"/secrets?api-version=7.4", tok, "").json(t)
	managed := 0
	for _, it := range secrets["value"].([]any) {
		if m, _ := it.(map[string]any)["managed"].(bool); m {
			managed++
		}
	}
	if managed != 1 {
		t.Errorf("%d managed secrets listed, want the certificate's one", managed)
	}
}

// TestImportPEMCertificate: a PEM import is taken when its policy says
// PEM and its key is PKCS#8, as Key Vault takes it; anything else is
// refused with a 400 and stores nothing.
func TestImportPEMCertificate(t *testing.T) {
	e := newEnv(t, testVaults(), nil)
	tok := e.token(t, officerID, "https://vault.azure.net")
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "imported"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(90 * 24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(key)
	sec1, _ := x509.MarshalECPrivateKey(key)
	otherPKCS8, _ := x509.MarshalPKCS8PrivateKey(other)
	certPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	bundle := certPEM + string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}))
	pemPolicy := map[string]any{"secret_props": map[string]string{"contentType": "application/x-pem-file"}}
	body, _ := json.Marshal(map[string]any{"value": bundle, "policy": pemPolicy, "tags": map[string]string{"owner": "me"}})
	base := strings.TrimRight(e.kv.VaultURL("kv-rbac"), "/")
	a := e.do(t, http.MethodPost, base+"/certificates/imp/import?api-version=7.4", tok, string(body))
	if a.status != http.StatusOK {
		t.Fatalf("import: %d %s", a.status, a.body)
	}
	sum := sha1.Sum(der)
	if got := a.json(t)["x5t"]; got != base64.RawURLEncoding.EncodeToString(sum[:]) {
		t.Errorf("x5t %v", got)
	}
	if v := e.kv.SecretVersions("kv-rbac", "imp"); len(v) != 1 || v[0].ContentType != "application/x-pem-file" {
		t.Errorf("the certificate's secret: %+v", v)
	}
	for _, c := range []struct {
		name   string
		body   map[string]any
		reason string
	}{
		{"PEM without the PEM content type (PKCS#12 is assumed)", map[string]any{"value": bundle}, "PEM only"},
		{"no private key", map[string]any{"value": certPEM, "policy": pemPolicy}, "unexpected format"},
		{"a SEC 1 key, not PKCS#8", map[string]any{"value": certPEM + string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1})), "policy": pemPolicy}, "unexpected format"},
		{"base64 PKCS#12 declared PEM", map[string]any{"value": base64.StdEncoding.EncodeToString(der), "policy": pemPolicy}, "unexpected format"},
		{"another certificate's key", map[string]any{"value": certPEM + string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: otherPKCS8})), "policy": pemPolicy}, "does not match"},
	} {
		b, _ := json.Marshal(c.body)
		if a := e.do(t, http.MethodPost, base+"/certificates/imp/import?api-version=7.4", tok, string(b)); a.status != http.StatusBadRequest || !strings.Contains(string(a.body), c.reason) {
			t.Errorf("%s: %d %s, want 400 saying %q", c.name, a.status, a.body, c.reason)
		}
	}
	if v := e.kv.SecretVersions("kv-rbac", "imp"); len(v) != 1 {
		t.Errorf("a refused import stored a version: %d", len(v))
	}
	user := e.token(t, userID, "https://vault.azure.net")
	if a := e.do(t, http.MethodPost, base+"/certificates/imp/import?api-version=7.4", user, string(body)); a.status != http.StatusForbidden {
		t.Errorf("import as Secrets User: %d, want 403", a.status)
	}
}

// TestAccessNamesObjectIDs: as in Azure, a role assignment, an access
// policy and a management-plane reader name the caller's service
// principal by object id, in any letter case; one naming its app id, its
// display name or another principal grants nothing and is refused in
// Key Vault's (or Resource Manager's) words, naming the caller's oid.
func TestAccessNamesObjectIDs(t *testing.T) {
	cases := []struct {
		name     string
		assigned string
		allowed  bool
	}{
		{"object id", officerOID, true},
		{"object id in upper case", strings.ToUpper(officerOID), true},
		{"app id", officerID, false},
		{"app id in upper case", strings.ToUpper(officerID), false},
		{"display name", "client " + officerID, false},
		{"another principal's object id", userOID, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			vaults := []Vault{
				{Name: "kv-rbac", EnableRBACAuthorization: true, RoleAssignments: []RoleAssignment{{Principal: tc.assigned, Role: "Key Vault Secrets User"}}},
				{Name: "kv-policies", AccessPolicies: []AccessPolicy{{ObjectID: tc.assigned, Secrets: []string{"get", "list"}}}},
			}
			e := newEnv(t, vaults, []string{tc.assigned})
			data := e.token(t, officerID, "https://vault.azure.net")
			mgmt := e.token(t, officerID, "https://management.azure.com")
			for _, c := range []struct{ plane, url, token, code, inner, names string }{
				{"role assignment", strings.TrimRight(e.kv.VaultURL("kv-rbac"), "/") + "/secrets?api-version=7.4", data,
					"Forbidden", "ForbiddenByRbac", "oid=" + officerOID},
				{"access policy", strings.TrimRight(e.kv.VaultURL("kv-policies"), "/") + "/secrets?api-version=7.4", data,
					"Forbidden", "AccessDenied", "oid=" + officerOID},
				{"management reader", e.kv.ManagementURL() + e.kv.ResourceID("kv-rbac") + "?api-version=2023-07-01", mgmt,
					"AuthorizationFailed", "", "object id '" + officerOID + "'"},
			} {
				a := e.do(t, http.MethodGet, c.url, c.token, "")
				if tc.allowed {
					if a.status != http.StatusOK {
						t.Errorf("%s naming the caller's %s: %d %s, want 200", c.plane, tc.name, a.status, a.body)
					}
					continue
				}
				if a.status != http.StatusForbidden {
					t.Errorf("%s naming the caller's %s: %d %s, want 403", c.plane, tc.name, a.status, a.body)
					continue
				}
				if code, inner := a.errorCodes(t); code != c.code || inner != c.inner || !strings.Contains(string(a.body), c.names) {
					t.Errorf("%s refusal %s/%s %s, want %s/%s naming %s", c.plane, code, inner, a.body, c.code, c.inner, c.names)
				}
			}
		})
	}
}
