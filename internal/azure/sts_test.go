package azure

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// fakeSTS is a token service speaking the v2.0 endpoints MSAL uses with
// instance discovery off: the OpenID configuration and the token endpoint.
type fakeSTS struct {
	srv      *httptest.Server
	tenant   string
	clientID string
	secret   string            // accepted client secret, if any
	cert     *x509.Certificate // accepted assertion signer, if any
	token    string

	mu       sync.Mutex
	paths    []string
	verified int // assertions whose signature checked out
	scopes   []string
}

func newFakeSTS(t *testing.T, tenant, clientID string) *fakeSTS {
	t.Helper()
	f := &fakeSTS{tenant: tenant, clientID: clientID, token: "fake-access-token-" + tenant}
	f.srv = httptest.NewTLSServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeSTS) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.paths = append(f.paths, r.Method+" "+r.URL.Path)
	f.mu.Unlock()
	base := "https://" + r.Host + "/" + f.tenant
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/"+f.tenant+"/v2.0/.well-known/openid-configuration":
		writeJSON(w, http.StatusOK, map[string]string{
			"authorization_endpoint": base + "/oauth2/v2.0/authorize",
			"token_endpoint":         base + "/oauth2/v2.0/token",
			"issuer":                 base + "/v2.0",
		})
	case r.Method == http.MethodPost && r.URL.Path == "/"+f.tenant+"/oauth2/v2.0/token":
		if err := r.ParseForm(); err != nil {
			stsError(w, "invalid_request", err.Error())
			return
		}
		if err := f.checkClient(r, base+"/oauth2/v2.0/token"); err != nil {
			stsError(w, "invalid_client", err.Error())
			return
		}
		f.mu.Lock()
		f.scopes = append(f.scopes, r.PostForm.Get("scope"))
		f.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{
			"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": f.token,
		})
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

// checkClient authenticates the client by secret or by a JWT assertion
// signed with f.cert's key.
func (f *fakeSTS) checkClient(r *http.Request, tokenURL string) error {
	form := r.PostForm
	if form.Get("grant_type") != "client_credentials" || form.Get("client_id") != f.clientID {
		return errors.New("AADSTS700016: unknown client")
	}
	if s := form.Get("client_secret"); s != "" {
		if f.secret == "" || s != f.secret {
			return errors.New("AADSTS7000215: Invalid client secret provided")
		}
		return nil
	}
	if form.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" || f.cert == nil {
		return errors.New("AADSTS7000216: client authentication required")
	}
	var claims jwt.RegisteredClaims
	tok, err := jwt.ParseWithClaims(form.Get("client_assertion"), &claims, func(tok *jwt.Token) (any, error) {
		// Accept the SHA-256 thumbprint MSAL sends and the legacy SHA-1 one,
		// in standard or URL base64.
		s256 := sha256.Sum256(f.cert.Raw)
		s1 := sha1.Sum(f.cert.Raw)
		want := map[string]bool{
			base64.StdEncoding.EncodeToString(s256[:]): true, base64.RawURLEncoding.EncodeToString(s256[:]): true,
			base64.StdEncoding.EncodeToString(s1[:]): true, base64.RawURLEncoding.EncodeToString(s1[:]): true,
		}
		tp, _ := tok.Header["x5t#S256"].(string)
		if tp == "" {
			tp, _ = tok.Header["x5t"].(string)
		}
		if !want[tp] {
			return nil, errors.New("AADSTS700027: thumbprint does not match a registered certificate")
		}
		return f.cert.PublicKey, nil
	}, jwt.WithValidMethods([]string{"PS256", "RS256"}), jwt.WithAudience(tokenURL), jwt.WithIssuer(f.clientID), jwt.WithSubject(f.clientID))
	if err != nil || !tok.Valid {
		return fmt.Errorf("AADSTS700027: assertion rejected: %v", err)
	}
	f.mu.Lock()
	f.verified++
	f.mu.Unlock()
	return nil
}

func stsError(w http.ResponseWriter, code, desc string) {
	writeJSON(w, http.StatusUnauthorized, map[string]any{
		"error": code, "error_description": desc + "\r\nTrace ID: 0\r\nCorrelation ID: 0\r\nTimestamp: 2026-01-01 00:00:00Z",
		"error_codes": []int{7000215}, "trace_id": "0", "correlation_id": "0",
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeCAFile writes the server's certificate as a PEM CA file.
func writeCAFile(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ca.pem")
	data := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// newClientCert generates a self-signed RSA certificate and writes it with
// its PKCS#8 key to one PEM file, as users keep them.
func newClientCert(t *testing.T) (*x509.Certificate, string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "credwatch-test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	_ = pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: der})
	_ = pem.Encode(&b, &pem.Block{Type: "PRIVATE KEY", Bytes: pk})
	p := filepath.Join(t.TempDir(), "client.pem")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return cert, p
}
