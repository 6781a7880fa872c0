package tokencheck

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	tenant   = "7a1c0de5-0000-4000-8000-00000000tc01"
	audience = "https://monitor.azure.com"
)

var (
	now      = time.Date(2026, 11, 20, 8, 30, 0, 0, time.UTC)
	key, _   = rsa.GenerateKey(rand.Reader, 2048)
	other, _ = rsa.GenerateKey(rand.Reader, 2048)
)

// claims are those of a valid app-only token; tweak changes them.
func sign(t *testing.T, signer *rsa.PrivateKey, method jwt.SigningMethod, kid string, tweak func(jwt.MapClaims)) string {
	t.Helper()
	c := jwt.MapClaims{
		"aud": audience, "iss": Issuer(tenant), "tid": tenant, "appid": "app-1", "oid": "oid-1",
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}
	if tweak != nil {
		tweak(c)
	}
	tok := jwt.NewWithClaims(method, c)
	tok.Header["kid"] = kid
	var k any = signer
	if method == jwt.SigningMethodHS256 {
		k = []byte("shared-secret-shared-secret-32by")
	}
	s, err := tok.SignedString(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func fixed() KeyFunc {
	return NewKeySet(KeySetOptions{Fixed: map[string]*rsa.PublicKey{"k1": &key.PublicKey}}).Key
}

func TestVerifyRefusesEachBadTokenForItsReason(t *testing.T) {
	rs := jwt.SigningMethodRS256
	cases := []struct {
		name string
		tok  func(t *testing.T) string
		want Reason // 0 = accepted
	}{
		{"valid", func(t *testing.T) string { return sign(t, key, rs, "k1", nil) }, 0},
		{"audience with trailing slash", func(t *testing.T) string {
			return sign(t, key, rs, "k1", func(c jwt.MapClaims) { c["aud"] = audience + "/" })
		}, 0},
		{"audience in a list", func(t *testing.T) string {
			return sign(t, key, rs, "k1", func(c jwt.MapClaims) { c["aud"] = []string{"x", strings.ToUpper(audience)} })
		}, 0},
		{"expired within the skew", func(t *testing.T) string {
			return sign(t, key, rs, "k1", func(c jwt.MapClaims) { c["exp"] = now.Add(-4 * time.Minute).Unix() })
		}, 0},
		{"expired", func(t *testing.T) string {
			return sign(t, key, rs, "k1", func(c jwt.MapClaims) { c["exp"] = now.Add(-6 * time.Minute).Unix() })
		}, Expired},
		{"no expiry", func(t *testing.T) string { return sign(t, key, rs, "k1", func(c jwt.MapClaims) { delete(c, "exp") }) }, Malformed},
		{"not yet valid", func(t *testing.T) string {
			return sign(t, key, rs, "k1", func(c jwt.MapClaims) { c["nbf"] = now.Add(10 * time.Minute).Unix() })
		}, NotYetValid},
		{"v2 issuer", func(t *testing.T) string {
			return sign(t, key, rs, "k1", func(c jwt.MapClaims) { c["iss"] = "https://login.microsoftonline.com/" + tenant + "/v2.0" })
		}, WrongIssuer},
		{"other tenant", func(t *testing.T) string {
			return sign(t, key, rs, "k1", func(c jwt.MapClaims) { c["tid"] = "someone-else" })
		}, WrongTenant},
		{"graph audience", func(t *testing.T) string {
			return sign(t, key, rs, "k1", func(c jwt.MapClaims) { c["aud"] = "https://graph.microsoft.com" })
		}, WrongAudience},
		{"audience with a path", func(t *testing.T) string {
			return sign(t, key, rs, "k1", func(c jwt.MapClaims) { c["aud"] = audience + "/x" })
		}, WrongAudience},
		{"signed by another key", func(t *testing.T) string { return sign(t, other, rs, "k1", nil) }, Malformed},
		{"unknown key id", func(t *testing.T) string { return sign(t, key, rs, "k2", nil) }, Malformed},
		{"PS256", func(t *testing.T) string { return sign(t, key, jwt.SigningMethodPS256, "k1", nil) }, Malformed},
		{"HS256", func(t *testing.T) string { return sign(t, key, jwt.SigningMethodHS256, "k1", nil) }, Malformed},
		{"not a JWT", func(*testing.T) string { return "eyJhbGciOi.not-a-token" }, Malformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tok := tc.tok(t)
			p, err := Verify(context.Background(), tok, fixed(), Expect{TenantID: tenant, Audiences: []string{audience}, Now: func() time.Time { return now }})
			if tc.want == 0 {
				if err != nil || p.AppID != "app-1" || p.ObjectID != "oid-1" || p.TenantID != tenant {
					t.Fatalf("Verify = %+v, %v; want the principal app-1/oid-1", p, err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Reason != tc.want {
				t.Fatalf("Verify error = %v, want %v", err, tc.want)
			}
			if strings.Contains(err.Error(), tok) || (len(tok) > 40 && strings.Contains(err.Error(), tok[len(tok)-20:])) {
				t.Errorf("the error %q shows the token", err)
			}
		})
	}
}

// TestPrincipalMatchesRoleAssignmentsByObjectID: Azure role assignments
// name a service principal's object id; its app id grants nothing.
func TestPrincipalMatchesRoleAssignmentsByObjectID(t *testing.T) {
	p := &Principal{AppID: "app-1", ObjectID: "oid-1", TenantID: tenant}
	cases := []struct {
		assigned string
		want     bool
	}{
		{"oid-1", true},
		{" OID-1 ", true},
		{"app-1", false},
		{"", false},
		{"oid-2", false},
	}
	for _, tc := range cases {
		if got := p.Matches(tc.assigned); got != tc.want {
			t.Errorf("Matches(%q) = %v, want %v", tc.assigned, got, tc.want)
		}
	}
	if (&Principal{AppID: "app-1"}).Matches("") {
		t.Error("a principal without an object id matches an empty assignment")
	}
}

// jwks serves key under kid and counts fetches.
func jwks(t *testing.T, kid string, fetches *atomic.Int32) *httptest.Server {
	t.Helper()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/"+tenant+"/discovery/v2.0/keys" {
			http.NotFound(w, r)
			return
		}
		fetches.Add(1)
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{
			{"kty": "EC", "kid": "ec-key"},
			{"kty": "RSA", "kid": kid, "n": base64.RawURLEncoding.EncodeToString(key.N.Bytes()),
				"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes())},
		}})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestKeySetFetchesOnceAndNotForEveryUnknownKey(t *testing.T) {
	var fetches atomic.Int32
	srv := jwks(t, "k1", &fetches)
	ks := NewKeySet(KeySetOptions{AuthorityHost: srv.URL + "/", TenantID: strings.ToUpper(tenant), HTTPClient: srv.Client()})
	want := Expect{TenantID: tenant, Audiences: []string{audience}, Now: func() time.Time { return now }}
	for range 3 {
		if _, err := Verify(context.Background(), sign(t, key, jwt.SigningMethodRS256, "k1", nil), ks.Key, want); err != nil {
			t.Fatalf("Verify with a fetched key: %v", err)
		}
	}
	// Garbage key ids must not make the server fetch again and again.
	for range 5 {
		if _, err := Verify(context.Background(), sign(t, key, jwt.SigningMethodRS256, "nope", nil), ks.Key, want); err == nil {
			t.Fatal("a token naming an unknown key was accepted")
		}
	}
	if n := fetches.Load(); n != 1 {
		t.Errorf("key set fetched %d times, want 1", n)
	}
}

func TestKeySetWithFixedKeysNeverFetches(t *testing.T) {
	var fetches atomic.Int32
	srv := jwks(t, "k2", &fetches)
	ks := NewKeySet(KeySetOptions{AuthorityHost: srv.URL, TenantID: tenant, HTTPClient: srv.Client(),
		Fixed: map[string]*rsa.PublicKey{"k1": &key.PublicKey}})
	if _, err := ks.Key(context.Background(), "k2"); err == nil || fetches.Load() != 0 {
		t.Errorf("Key(k2) = %v after %d fetches; want an error and no fetch", err, fetches.Load())
	}
}

func TestKeySetReportsAnUnreachableTokenService(t *testing.T) {
	var fetches atomic.Int32
	srv := jwks(t, "k1", &fetches)
	// The default client does not trust the test server's certificate.
	ks := NewKeySet(KeySetOptions{AuthorityHost: srv.URL, TenantID: tenant})
	if _, err := ks.Key(context.Background(), "k1"); err == nil || !strings.Contains(err.Error(), "key set") {
		t.Errorf("Key = %v, want a key set error", err)
	}
}
