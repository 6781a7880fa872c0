package emulator

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// assertion signs a client assertion for certClientID the way a client
// library would; mutate adjusts headers and claims for the error cases.
func assertion(t *testing.T, e *testEnv, c testCert, method jwt.SigningMethod, mutate func(h map[string]any, cl jwt.MapClaims)) string {
	t.Helper()
	now := e.clock.Now()
	claims := jwt.MapClaims{
		"aud": e.tokenURL(), "iss": certClientID, "sub": certClientID,
		"jti": newUUID(), "nbf": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(),
	}
	tok := jwt.NewWithClaims(method, claims)
	if method == jwt.SigningMethodPS256 {
		sum := sha256.Sum256(c.cert.Raw)
		tok.Header["x5t#S256"] = base64.StdEncoding.EncodeToString(sum[:]) // MSAL-Go: standard base64, padded
	} else {
		tok.Header["x5t"] = thumbprintSHA1(c.cert) // most libraries: base64url
	}
	if mutate != nil {
		mutate(tok.Header, claims)
	}
	s, err := tok.SignedString(c.key)
	if err != nil {
		t.Fatalf("sign assertion: %v", err)
	}
	return s
}

func assertionForm(a string) url.Values {
	return url.Values{"grant_type": {"client_credentials"}, "client_id": {certClientID},
		"client_assertion_type": {assertionTypeJWTBearer}, "client_assertion": {a}, "scope": {graphScope}}
}

func TestTokenIssuedForSecretAndAssertions(t *testing.T) {
	e := newEnv(t, Faults{})
	cs := testCerts(t)
	basic := http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(readerID)+":"+url.QueryEscape(certSecret)))}}
	basicForm := url.Values{"grant_type": {"client_credentials"}, "scope": {"https://graph.microsoft.com//.default"}}
	tests := []struct {
		name     string
		form     url.Values
		header   http.Header
		appid    string
		aud      string
		roles    []any
		appidacr string
	}{
		{"secret in form", secretForm(readerID, certSecret, graphScope), nil, readerID, "https://graph.microsoft.com", []any{"Application.Read.All"}, "1"},
		{"secret in basic auth, double-slash scope", basicForm, basic, readerID, "https://graph.microsoft.com", []any{"Application.Read.All"}, "1"},
		{"vault scope", secretForm(readerID, certSecret, "https://vault.azure.net/.default"), nil, readerID, "https://vault.azure.net", []any{"Application.Read.All"}, "1"},
		{"monitor scope double slash", secretForm(readerID, certSecret, "https://monitor.azure.com//.default"), nil, readerID, "https://monitor.azure.com", []any{"Application.Read.All"}, "1"},
		{"assertion RS256 x5t base64url", assertionForm(assertion(t, e, cs[0], jwt.SigningMethodRS256, nil)), nil, certClientID, "https://graph.microsoft.com", []any{"Directory.Read.All"}, "2"},
		{"assertion PS256 x5t#S256 std base64", assertionForm(assertion(t, e, cs[0], jwt.SigningMethodPS256, nil)), nil, certClientID, "https://graph.microsoft.com", []any{"Directory.Read.All"}, "2"},
		{"assertion RS256 x5t std base64 padded", assertionForm(assertion(t, e, cs[0], jwt.SigningMethodRS256, func(h map[string]any, _ jwt.MapClaims) {
			raw, _ := base64.RawURLEncoding.DecodeString(h["x5t"].(string))
			h["x5t"] = base64.StdEncoding.EncodeToString(raw)
		})), nil, certClientID, "https://graph.microsoft.com", []any{"Directory.Read.All"}, "2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := e.postToken(t, tt.form, tt.header)
			if status != 200 {
				t.Fatalf("status %d, body %v", status, body)
			}
			if body["token_type"] != "Bearer" || body["expires_in"] != float64(3599) || body["ext_expires_in"] != float64(3599) {
				t.Errorf("response %v: want Bearer, expires_in and ext_expires_in 3599", body)
			}
			j, err := parseJWS(body["access_token"].(string))
			if err != nil {
				t.Fatalf("access token: %v", err)
			}
			if err := j.verify(&e.srv.signKey.PublicKey); err != nil || j.alg() != "RS256" {
				t.Errorf("access token: alg %s, verify %v", j.alg(), err)
			}
			iat, _ := j.numClaim("iat")
			exp, _ := j.numClaim("exp")
			checks := map[string]any{
				"aud": tt.aud, "iss": "https://sts.windows.net/" + testTenant + "/", "tid": testTenant,
				"appid": tt.appid, "appidacr": tt.appidacr, "idtyp": "app", "ver": "1.0",
			}
			for k, want := range checks {
				if got := j.claims[k]; got != want {
					t.Errorf("claim %s = %v, want %v", k, got, want)
				}
			}
			if iat != testStart.Unix() || exp-iat != 3600 {
				t.Errorf("iat %d exp %d: want iat = now and a one-hour lifetime", iat, exp)
			}
			if roles, _ := j.claims["roles"].([]any); len(roles) != len(tt.roles) || roles[0] != tt.roles[0] {
				t.Errorf("roles %v, want %v", j.claims["roles"], tt.roles)
			}
		})
	}
}

func TestTokenErrorsCarryAADSTSCodes(t *testing.T) {
	e := newEnv(t, Faults{})
	cs := testCerts(t)
	signedByOther := assertion(t, e, cs[1], jwt.SigningMethodRS256, func(h map[string]any, _ jwt.MapClaims) {
		h["x5t"] = thumbprintSHA1(cs[0].cert) // claims the registered cert, signed by another key
	})
	tests := []struct {
		name   string
		tenant string
		form   url.Values
		status int
		err    string
		code   float64
	}{
		{"wrong secret", testTenant, secretForm(readerID, "wrong-secret-value", graphScope), 401, "invalid_client", 7000215},
		{"expired secret", testTenant, secretForm(expiredSecretID, certSecret, graphScope), 401, "invalid_client", 7000222},
		{"secret for a certificate-only client", testTenant, secretForm(certClientID, certSecret, graphScope), 401, "invalid_client", 7000215},
		{"unknown client", testTenant, secretForm("00000000-0000-4000-8000-00000000dead", certSecret, graphScope), 400, "unauthorized_client", 700016},
		{"unknown tenant", "00000000-0000-4000-8000-0000000000aa", secretForm(readerID, certSecret, graphScope), 400, "invalid_request", 90002},
		{"scope without .default", testTenant, secretForm(readerID, certSecret, "https://graph.microsoft.com/User.Read"), 400, "invalid_scope", 70011},
		{"two resources", testTenant, secretForm(readerID, certSecret, "https://graph.microsoft.com/.default https://vault.azure.net/.default"), 400, "invalid_scope", 70011},
		{"unknown resource", testTenant, secretForm(readerID, certSecret, "https://example.test/.default"), 400, "invalid_resource", 500011},
		{"missing scope", testTenant, url.Values{"grant_type": {"client_credentials"}, "client_id": {readerID}, "client_secret": {certSecret}}, 400, "invalid_request", 900144},
		{"missing grant_type", testTenant, url.Values{"client_id": {readerID}, "client_secret": {certSecret}, "scope": {graphScope}}, 400, "invalid_request", 900144},
		{"unsupported grant", testTenant, url.Values{"grant_type": {"password"}, "client_id": {readerID}, "scope": {graphScope}}, 400, "unsupported_grant_type", 70003},
		{"no credential", testTenant, url.Values{"grant_type": {"client_credentials"}, "client_id": {readerID}, "scope": {graphScope}}, 401, "invalid_client", 7000218},
		{"assertion signed by another key", testTenant, assertionForm(signedByOther), 401, "invalid_client", 700027},
		{"assertion with unregistered thumbprint", testTenant, assertionForm(assertion(t, e, cs[1], jwt.SigningMethodPS256, nil)), 401, "invalid_client", 700027},
		{"assertion expired", testTenant, assertionForm(assertion(t, e, cs[0], jwt.SigningMethodPS256, func(_ map[string]any, c jwt.MapClaims) {
			c["nbf"], c["exp"] = testStart.Add(-time.Hour).Unix(), testStart.Add(-50*time.Minute).Unix()
		})), 401, "invalid_client", 700024},
		{"assertion not yet valid", testTenant, assertionForm(assertion(t, e, cs[0], jwt.SigningMethodRS256, func(_ map[string]any, c jwt.MapClaims) {
			c["nbf"], c["exp"] = testStart.Add(time.Hour).Unix(), testStart.Add(70*time.Minute).Unix()
		})), 401, "invalid_client", 700024},
		{"assertion for another audience", testTenant, assertionForm(assertion(t, e, cs[0], jwt.SigningMethodPS256, func(_ map[string]any, c jwt.MapClaims) {
			c["aud"] = "https://login.microsoftonline.com/" + testTenant + "/oauth2/v2.0/token"
		})), 401, "invalid_client", 700023},
		{"assertion issuer is not the client", testTenant, assertionForm(assertion(t, e, cs[0], jwt.SigningMethodPS256, func(_ map[string]any, c jwt.MapClaims) {
			c["iss"] = readerID
		})), 401, "invalid_client", 700021},
		{"assertion not a JWT", testTenant, assertionForm("not-a-jwt"), 400, "invalid_request", 50027},
	}
	timestamp := regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, e.srv.URL()+"/"+tt.tenant+"/oauth2/v2.0/token", strings.NewReader(tt.form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("client-request-id", "0c0ffee0-0000-4000-8000-000000000001")
			g := e.do(t, req)
			if g.status != tt.status || g.body["error"] != tt.err {
				t.Fatalf("status %d error %v, want %d %s (%v)", g.status, g.body["error"], tt.status, tt.err, g.body["error_description"])
			}
			codes, _ := g.body["error_codes"].([]any)
			if len(codes) != 1 || codes[0] != tt.code {
				t.Errorf("error_codes %v, want [%v]", g.body["error_codes"], tt.code)
			}
			desc, _ := g.body["error_description"].(string)
			if want := "AADSTS" + strconv.FormatFloat(tt.code, 'f', -1, 64) + ": "; !strings.HasPrefix(desc, want) || !strings.Contains(desc, "\r\nTrace ID: ") {
				t.Errorf("error_description %q: want prefix %q and a trace id line", desc, want)
			}
			if g.body["correlation_id"] != "0c0ffee0-0000-4000-8000-000000000001" {
				t.Errorf("correlation_id %v: want the client-request-id echoed", g.body["correlation_id"])
			}
			if ts, _ := g.body["timestamp"].(string); !timestamp.MatchString(ts) || g.body["trace_id"] == "" {
				t.Errorf("timestamp %q trace_id %v", ts, g.body["trace_id"])
			}
		})
	}
}

func TestOpenIDConfiguration(t *testing.T) {
	e := newEnv(t, Faults{})
	g := e.get(t, "", "/"+testTenant+"/v2.0/.well-known/openid-configuration")
	if g.status != 200 {
		t.Fatalf("status %d", g.status)
	}
	base := e.srv.URL() + "/" + testTenant
	want := map[string]string{
		"issuer":                 base + "/v2.0",
		"token_endpoint":         base + "/oauth2/v2.0/token",
		"authorization_endpoint": base + "/oauth2/v2.0/authorize",
	}
	for k, v := range want {
		if g.body[k] != v {
			t.Errorf("%s = %v, want %s", k, g.body[k], v)
		}
	}
	bad := e.get(t, "", "/not-a-tenant/v2.0/.well-known/openid-configuration")
	if bad.status != 400 || bad.body["error"] != "invalid_tenant" {
		t.Errorf("unknown tenant: status %d error %v, want 400 invalid_tenant", bad.status, bad.body["error"])
	}
}

func TestNewClientSecretLooksLikeEntras(t *testing.T) {
	shape := regexp.MustCompile(`^[A-Za-z0-9_.~-]{3}[0-9]Q~[A-Za-z0-9_.~-]{34}$`)
	seen := map[string]bool{}
	for range 20 {
		s, err := NewClientSecret()
		if err != nil {
			t.Fatal(err)
		}
		if !shape.MatchString(s) || seen[s] {
			t.Fatalf("secret of length %d does not have Entra's shape or repeats", len(s))
		}
		seen[s] = true
	}
}
