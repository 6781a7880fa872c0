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
	"maps"
	"math"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/emulator/tenantgen"
	"github.com/credwatch/credwatch/internal/msgraph"
)

const (
	rollApp   = "a1000000-0000-4000-8000-000000000001" // object id of the app whose keys are rolled
	rollAppID = "b1000000-0000-4000-8000-000000000001" // its app id: a client of its own
	rollSP    = "5b100000-0000-4000-8000-000000000001"
	keyCur    = "f2000000-0000-4000-8000-000000000001" // a current certificate
	keyOld    = "f2000000-0000-4000-8000-000000000002" // an expired one
	ownedID   = "c11e0000-0000-4000-8000-0000000000a4" // Application.ReadWrite.OwnedBy, owns nothing
)

// keyEnv serves one application with a current and an expired RSA
// certificate (and its service principal with the current one), to
// writers, a reader, an OwnedBy client that owns nothing, and the app's
// own client, which has no permission at all.
type keyEnv struct {
	*testEnv
	cur, old, fresh testCert // fresh is on nothing yet
}

func newCert(t *testing.T, cn string) testCert {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: cn},
		NotBefore: testStart.AddDate(-2, 0, 0), NotAfter: testStart.AddDate(2, 0, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return testCert{c, key}
}

func b64(b []byte) *string { s := base64.StdEncoding.EncodeToString(b); return &s }

func keyCred(id string, c testCert, start, end time.Time) msgraph.KeyCredential {
	sum := sha1.Sum(c.cert.Raw)
	return msgraph.KeyCredential{CustomKeyIdentifier: b64(sum[:]), DisplayName: strp(c.cert.Subject.String()), Key: b64(c.cert.Raw),
		KeyID: id, StartDateTime: start.Format(time.RFC3339), EndDateTime: end.Format(time.RFC3339), Type: "AsymmetricX509Cert", Usage: "Verify"}
}

func newKeyEnv(t *testing.T) *keyEnv {
	t.Helper()
	cs := testCerts(t)
	e := &keyEnv{cur: cs[0], old: cs[1], fresh: newCert(t, "fresh")}
	cur := keyCred(keyCur, e.cur, testStart.AddDate(0, -6, 0), testStart.AddDate(0, 0, 20))
	old := keyCred(keyOld, e.old, testStart.AddDate(-2, 0, 0), testStart.AddDate(0, 0, -1))
	dir := &msgraph.Directory{TenantID: testTenant,
		Applications: []msgraph.Application{{ID: rollApp, AppID: rollAppID, DisplayName: "roller", SignInAudience: "AzureADMyOrg",
			PasswordCredentials: []msgraph.PasswordCredential{}, KeyCredentials: []msgraph.KeyCredential{cur, old}}},
		ServicePrincipals: []msgraph.ServicePrincipal{{ID: rollSP, AppID: rollAppID, DisplayName: "roller",
			PasswordCredentials: []msgraph.PasswordCredential{}, KeyCredentials: []msgraph.KeyCredential{cur}}},
	}
	e.testEnv = newEnvOpts(t, Options{Directory: dir, Clients: []Client{
		{ID: readerID, Secret: certSecret, Roles: []string{"Application.Read.All"}},
		{ID: auditClientID, Secret: certSecret, Roles: []string{"AuditLog.Read.All"}},
		{ID: writerID, Secret: certSecret, Roles: []string{"Application.ReadWrite.All"}},
		{ID: ownedID, Secret: certSecret, Roles: []string{"Application.ReadWrite.OwnedBy"}},
		{ID: rollAppID, Secret: certSecret},
	}})
	return e
}

// proof signs a proof of possession for object iss with c's key, valid
// from nbf for life; edit changes header and claims before signing.
func proof(t *testing.T, c testCert, iss string, nbf time.Time, life time.Duration, edit func(h, cl map[string]any)) string {
	t.Helper()
	sum := sha1.Sum(c.cert.Raw)
	h := map[string]any{"alg": "RS256", "typ": "JWT", "x5t": base64.RawURLEncoding.EncodeToString(sum[:])}
	cl := map[string]any{"aud": proofAudience, "iss": iss, "nbf": nbf.Unix(), "exp": nbf.Add(life).Unix()}
	if edit != nil {
		edit(h, cl)
	}
	tok, err := signRS256(c.key, h, cl)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func addKeyBody(t *testing.T, c testCert, proof string) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"keyCredential": map[string]any{"type": "AsymmetricX509Cert", "usage": "Verify",
		"key": base64.StdEncoding.EncodeToString(c.cert.Raw), "displayName": "CN=fresh"}, "passwordCredential": nil, "proof": proof})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// keysNow is the object's certificates as the emulator holds them.
func (e *keyEnv) keysNow(sp bool) []msgraph.KeyCredential {
	d := e.srv.Directory()
	if sp {
		return d.ServicePrincipals[0].KeyCredentials
	}
	return d.Applications[0].KeyCredentials
}

func keyIDs(keys []msgraph.KeyCredential) []string {
	var out []string
	for _, k := range keys {
		out = append(out, k.KeyID)
	}
	return out
}

// TestAddKeyThenRemoveKeyWithProofs: addKey with a proof signed by the
// current certificate adds the new public certificate (thumbprint as
// customKeyIdentifier, its validity as the dates), answers with its
// metadata and writes the credential audit records; removeKey with a
// proof removes the expired one.
func TestAddKeyThenRemoveKeyWithProofs(t *testing.T) {
	e := newKeyEnv(t)
	tok := e.token(t, writerID)
	g := e.post(t, tok, "/v1.0/applications/"+rollApp+"/addKey", addKeyBody(t, e.fresh, proof(t, e.cur, rollApp, testStart, 10*time.Minute, nil)))
	if g.status != 200 {
		t.Fatalf("addKey: %d %s", g.status, g.raw)
	}
	newID, _ := g.body["keyId"].(string)
	sum := sha1.Sum(e.fresh.cert.Raw)
	if !isGUID(newID) || g.body["type"] != "AsymmetricX509Cert" || g.body["usage"] != "Verify" || g.body["key"] != nil ||
		g.body["customKeyIdentifier"] != *b64(sum[:]) || g.body["displayName"] != "CN=fresh" ||
		!parseTime(g.body["endDateTime"].(string)).Equal(e.fresh.cert.NotAfter) {
		t.Fatalf("addKey answer: %s", g.raw)
	}
	keys := e.keysNow(false)
	if got := keyIDs(keys); !slices.Equal(got, []string{keyCur, keyOld, newID}) || *keys[2].Key != *b64(e.fresh.cert.Raw) {
		t.Fatalf("keys after addKey: %v", got)
	}
	recs := latestAudits(t, e.testEnv, 2)
	if recs[0].ActivityDisplayName != tenantgen.ActivityAppCredentials || recs[1].ActivityDisplayName != tenantgen.ActivityUpdateApplication {
		t.Errorf("audit: %q, %q", recs[0].ActivityDisplayName, recs[1].ActivityDisplayName)
	}
	if _, after := keyDesc(t, recs[0]); !slices.Contains(after, newID) {
		t.Errorf("the audit's KeyDescription lacks %s: %v", newID, after)
	}
	if !strings.Contains(*recs[0].TargetResources[0].ModifiedProperties[0].NewValue, "KeyIdentifier="+newID+",KeyType=AsymmetricX509Cert,KeyUsage=Verify,DisplayName=CN=fresh]") {
		t.Errorf("KeyDescription: %s", *recs[0].TargetResources[0].ModifiedProperties[0].NewValue)
	}

	// The new certificate may sign the proof that removes the old one.
	g = e.post(t, tok, "/v1.0/applications/"+rollApp+"/removeKey",
		fmt.Sprintf(`{"keyId":%q,"proof":%q}`, keyOld, proof(t, e.fresh, rollApp, testStart, 5*time.Minute, nil)))
	if g.status != http.StatusNoContent {
		t.Fatalf("removeKey: %d %s", g.status, g.raw)
	}
	if got := keyIDs(e.keysNow(false)); !slices.Equal(got, []string{keyCur, newID}) {
		t.Errorf("keys after removeKey: %v", got)
	}
	if before, after := keyDesc(t, latestAudits(t, e.testEnv, 2)[0]); !slices.Contains(before, keyOld) || slices.Contains(after, keyOld) {
		t.Errorf("removal audit: %v -> %v", before, after)
	}
	g = e.post(t, tok, "/v1.0/applications/"+rollApp+"/removeKey",
		fmt.Sprintf(`{"keyId":%q,"proof":%q}`, keyOld, proof(t, e.fresh, rollApp, testStart, 5*time.Minute, nil)))
	if g.status != http.StatusNotFound || g.errCode() != "Request_ResourceNotFound" {
		t.Errorf("removing it again: %d %s", g.status, g.raw)
	}
}

// TestProofsRefused: every proof Graph must not accept gets 401
// Authentication_MissingOrMalformed and changes nothing.
func TestProofsRefused(t *testing.T) {
	e := newKeyEnv(t)
	tok := e.token(t, writerID)
	stranger := newCert(t, "stranger")
	tests := []struct {
		name  string
		proof string
	}{
		{"none", ""},
		{"not a JWT", "not-a-jwt"},
		{"wrong audience (Microsoft Graph's)", proof(t, e.cur, rollApp, testStart, 10*time.Minute, func(_, c map[string]any) { c["aud"] = "00000003-0000-0000-c000-000000000000" })},
		{"issuer is the app id, not the object id", proof(t, e.cur, rollAppID, testStart, 10*time.Minute, nil)},
		{"lives longer than ten minutes", proof(t, e.cur, rollApp, testStart, 11*time.Minute, nil)},
		{"expired", proof(t, e.cur, rollApp, testStart.Add(-time.Hour), 10*time.Minute, nil)},
		{"not valid yet", proof(t, e.cur, rollApp, testStart.Add(time.Hour), 10*time.Minute, nil)},
		{"no exp", proof(t, e.cur, rollApp, testStart, 10*time.Minute, func(_, c map[string]any) { delete(c, "exp") })},
		// 2^55 seconds is 2^64 (a zero) in nanoseconds: a lifetime of
		// ages that must not pass for none.
		{"lives 2^55 seconds", proof(t, e.cur, rollApp, testStart, 10*time.Minute, func(_, c map[string]any) { c["exp"] = testStart.Unix() + 1<<55 })},
		{"exp before nbf", proof(t, e.cur, rollApp, testStart, 10*time.Minute, func(_, c map[string]any) { c["exp"] = testStart.Unix() - 1 })},
		{"nbf and exp far apart (exp-nbf overflows)", proof(t, e.cur, rollApp, testStart, 10*time.Minute, func(_, c map[string]any) {
			c["nbf"], c["exp"] = int64(math.MinInt64)+1, testStart.Add(5*time.Minute).Unix()
		})},
		{"signed by the expired certificate", proof(t, e.old, rollApp, testStart, 10*time.Minute, nil)},
		{"signed by a key the app does not have", proof(t, stranger, rollApp, testStart, 10*time.Minute, nil)},
		{"x5t names another certificate", proof(t, e.cur, rollApp, testStart, 10*time.Minute, func(h, _ map[string]any) {
			sum := sha1.Sum(e.old.cert.Raw)
			h["x5t"] = base64.RawURLEncoding.EncodeToString(sum[:])
		})},
		{"unsigned", proof(t, e.cur, rollApp, testStart, 10*time.Minute, func(h, _ map[string]any) { h["alg"] = "none" })},
		{"padded base64", strings.Replace(proof(t, e.cur, rollApp, testStart, 10*time.Minute, nil), ".", "=.", 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, c := range []struct{ path, body string }{
				{"/v1.0/applications/" + rollApp + "/addKey", addKeyBody(t, e.fresh, tt.proof)},
				{"/v1.0/applications/" + rollApp + "/removeKey", fmt.Sprintf(`{"keyId":%q,"proof":%q}`, keyOld, tt.proof)},
			} {
				g := e.post(t, tok, c.path, c.body)
				if g.status != http.StatusUnauthorized || g.errCode() != "Authentication_MissingOrMalformed" {
					t.Errorf("%s: %d %s", c.path, g.status, g.raw)
				}
			}
			if got := keyIDs(e.keysNow(false)); !slices.Equal(got, []string{keyCur, keyOld}) {
				t.Errorf("keys changed: %v", got)
			}
		})
	}
}

// TestAddKeyWhoMayAndWhat: the app may roll its own keys without any
// permission; a reader, or an OwnedBy client that does not own the app,
// may not; a service principal's proof names the principal; bad
// certificates are refused with 400.
func TestAddKeyWhoMayAndWhat(t *testing.T) {
	e := newKeyEnv(t)
	good := proof(t, e.cur, rollApp, testStart, 10*time.Minute, nil)
	body := func(typ, usage, key string) string {
		return fmt.Sprintf(`{"keyCredential":{"type":%q,"usage":%q,"key":%q},"passwordCredential":null,"proof":%q}`, typ, usage, key, good)
	}
	freshKey := base64.StdEncoding.EncodeToString(e.fresh.cert.Raw)
	tests := []struct {
		name, client, path, body string
		status                   int
		code                     string
	}{
		{"the app itself, no permission", rollAppID, "/v1.0/applications/" + rollApp + "/addKey", addKeyBody(t, e.fresh, good), 200, ""},
		{"by appId", writerID, "/v1.0/applications(appId='" + rollAppID + "')/addKey", addKeyBody(t, e.fresh, good), 200, ""},
		{"service principal, its own proof", writerID, "/v1.0/servicePrincipals/" + rollSP + "/addKey",
			addKeyBody(t, e.fresh, proof(t, e.cur, rollSP, testStart, 10*time.Minute, nil)), 200, ""},
		{"service principal, the application's proof", writerID, "/v1.0/servicePrincipals/" + rollSP + "/addKey", addKeyBody(t, e.fresh, good), 401, "Authentication_MissingOrMalformed"},
		{"reader", readerID, "/v1.0/applications/" + rollApp + "/addKey", addKeyBody(t, e.fresh, good), 403, "Authorization_RequestDenied"},
		{"OwnedBy, not an owner", ownedID, "/v1.0/applications/" + rollApp + "/addKey", addKeyBody(t, e.fresh, good), 403, "Authorization_RequestDenied"},
		{"usage Sign", writerID, "/v1.0/applications/" + rollApp + "/addKey", body("AsymmetricX509Cert", "Sign", freshKey), 400, "Request_BadRequest"},
		{"unknown usage", writerID, "/v1.0/applications/" + rollApp + "/addKey", body("AsymmetricX509Cert", "Encrypt", freshKey), 400, "Request_BadRequest"},
		{"key is not a certificate", writerID, "/v1.0/applications/" + rollApp + "/addKey", body("AsymmetricX509Cert", "Verify", "MIIKpfxNotDER"), 400, "Request_BadRequest"},
		{"no keyCredential", writerID, "/v1.0/applications/" + rollApp + "/addKey", fmt.Sprintf(`{"proof":%q}`, good), 400, "Request_BadRequest"},
		{"GET is not allowed", writerID, "/v1.0/applications/" + rollApp + "/addKey", "", 405, "Request_BadRequest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := http.MethodPost
			if tt.status == 405 {
				method = http.MethodGet
			}
			g := e.send(t, e.token(t, tt.client), method, tt.path, tt.body)
			if g.status != tt.status || (tt.code != "" && g.errCode() != tt.code) {
				t.Errorf("%d %s; want %d %s", g.status, g.raw, tt.status, tt.code)
			}
		})
	}
	if n := len(e.keysNow(false)); n != 4 {
		t.Errorf("the application has %d keys, want its 2 and the 2 added", n)
	}
	if n := len(e.keysNow(true)); n != 2 {
		t.Errorf("the service principal has %d keys, want 2", n)
	}
}

// TestPatchKeyCredentials: the array replaces the collection. Existing
// certificates sent back with their key (as the single object's
// $select=keyCredentials lists them) are kept as they are, one sent back
// by keyId alone is refused, a new one may carry a key id the client
// chose, and those left out are removed; the audit records show each
// change.
func TestPatchKeyCredentials(t *testing.T) {
	e := newKeyEnv(t)
	tok := e.token(t, writerID)
	chosen := "f3000000-0000-4000-8000-00000000000c"
	// As a client sends them back: as Graph listed them, keys included.
	var listed map[string]any
	g := e.get(t, tok, "/v1.0/applications/"+rollApp+"?$select=keyCredentials")
	if g.status != 200 {
		t.Fatalf("read: %d %s", g.status, g.raw)
	}
	if err := json.Unmarshal(g.raw, &listed); err != nil {
		t.Fatal(err)
	}
	existing := listed["keyCredentials"].([]any)
	if existing[0].(map[string]any)["key"] == nil {
		t.Fatal("the single object's $select=keyCredentials lists no key")
	}
	keyless := maps.Clone(existing[0].(map[string]any))
	keyless["key"] = nil
	fresh := map[string]any{"keyId": chosen, "type": "AsymmetricX509Cert", "usage": "Verify", "displayName": "CN=fresh",
		"key": base64.StdEncoding.EncodeToString(e.fresh.cert.Raw), "startDateTime": testStart.Format(time.RFC3339),
		"endDateTime": testStart.AddDate(1, 0, 0).Format(time.RFC3339)}
	patch := func(keys ...any) graphResp {
		b, _ := json.Marshal(map[string]any{"keyCredentials": keys})
		return e.send(t, tok, http.MethodPatch, "/v1.0/applications/"+rollApp, string(b))
	}
	if g := patch(existing[0], existing[1], fresh); g.status != http.StatusNoContent {
		t.Fatalf("PATCH adding one: %d %s", g.status, g.raw)
	}
	keys := e.keysNow(false)
	if got := keyIDs(keys); !slices.Equal(got, []string{keyCur, keyOld, chosen}) {
		t.Fatalf("after adding: %v", got)
	}
	if keys[0].Key == nil || *keys[0].Key != *b64(e.cur.cert.Raw) || *keys[2].Key != *b64(e.fresh.cert.Raw) ||
		!parseTime(keys[2].EndDateTime).Equal(testStart.AddDate(1, 0, 0)) {
		t.Errorf("kept key material %v, new credential %+v", keys[0].Key != nil, keys[2])
	}
	if _, after := keyDesc(t, latestAudits(t, e.testEnv, 2)[0]); !slices.Contains(after, chosen) {
		t.Errorf("audit after adding: %v", after)
	}
	if g := patch(existing[0], fresh); g.status != http.StatusNoContent {
		t.Fatalf("PATCH dropping one: %d %s", g.status, g.raw)
	}
	if got := keyIDs(e.keysNow(false)); !slices.Equal(got, []string{keyCur, chosen}) {
		t.Errorf("after dropping the expired one: %v", got)
	}
	if before, after := keyDesc(t, latestAudits(t, e.testEnv, 2)[0]); !slices.Contains(before, keyOld) || slices.Contains(after, keyOld) {
		t.Errorf("audit after dropping: %v -> %v", before, after)
	}

	changedKey := map[string]any{"keyId": keyCur, "type": "AsymmetricX509Cert", "usage": "Verify", "key": base64.StdEncoding.EncodeToString(e.old.cert.Raw)}
	for _, c := range []struct {
		name, client, method, body string
		status                     int
	}{
		{"changing an existing certificate's key", writerID, http.MethodPatch, mustMarshal(t, map[string]any{"keyCredentials": []any{changedKey}}), 400},
		{"an existing certificate without its key", writerID, http.MethodPatch, mustMarshal(t, map[string]any{"keyCredentials": []any{keyless, fresh}}), 400},
		{"a new certificate without its key", writerID, http.MethodPatch, `{"keyCredentials":[{"type":"AsymmetricX509Cert","usage":"Verify"}]}`, 400},
		{"not an array", writerID, http.MethodPatch, `{"keyCredentials":{"keyId":"x"}}`, 400},
		{"null", writerID, http.MethodPatch, `{"keyCredentials":null}`, 400},
		{"passwordCredentials", writerID, http.MethodPatch, `{"passwordCredentials":[]}`, 400},
		{"a property applications do not have", writerID, http.MethodPatch, `{"colour":"blue"}`, 400},
		{"a reader", readerID, http.MethodPatch, `{"keyCredentials":[]}`, 403},
		{"the app itself, with no permission", rollAppID, http.MethodPatch, `{"keyCredentials":[]}`, 403},
		{"DELETE is not served", writerID, http.MethodDelete, ``, 405},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := e.send(t, e.token(t, c.client), c.method, "/v1.0/applications/"+rollApp, c.body)
			if g.status != c.status {
				t.Errorf("%d %s, want %d", g.status, g.raw, c.status)
			}
		})
	}
	if got := keyIDs(e.keysNow(false)); !slices.Equal(got, []string{keyCur, chosen}) {
		t.Errorf("a refused PATCH changed the keys: %v", got)
	}
	if g := e.get(t, tok, "/v1.0/applications/"+rollApp+"?$select=displayName"); g.status != 200 {
		t.Errorf("GET of the object after PATCH: %d", g.status)
	}
}
