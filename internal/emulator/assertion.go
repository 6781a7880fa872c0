package emulator

import (
	"bytes"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// assertionSkew is the clock skew allowed on a client assertion's nbf and
// exp, as Entra allows.
const assertionSkew = 5 * time.Minute

// checkAssertion validates a client assertion JWT the way Entra does for a
// certificate credential: a registered certificate found by thumbprint
// (x5t#S256 or x5t), an RS256 or PS256 signature by it, iss == sub ==
// client id, aud == the token endpoint, and the nbf/exp window.
func (s *Server) checkAssertion(r *http.Request, c *Client, assertion string) *stsError {
	j, err := parseJWS(assertion)
	if err != nil {
		return &stsError{400, "invalid_request", 50027, "JWT token is invalid or malformed."}
	}
	if alg := j.alg(); alg != "RS256" && alg != "PS256" {
		return &stsError{401, "invalid_client", 700027, fmt.Sprintf("Client assertion failed signature validation. [Reason - The provided signature algorithm '%s' is not supported.]", alg)}
	}
	cert, thumb, serr := findAssertionCert(j, c)
	if serr != nil {
		return serr
	}
	now := s.now()
	if now.After(cert.NotAfter) {
		return &stsError{401, "invalid_client", 700027, fmt.Sprintf("Client assertion failed signature validation. [Reason - The key used is expired., Thumbprint of key used by client: '%s', Found key 'Start=%s, End=%s']", thumb,
			cert.NotBefore.UTC().Format("01/02/2006 15:04:05"), cert.NotAfter.UTC().Format("01/02/2006 15:04:05"))}
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return &stsError{401, "invalid_client", 700027, fmt.Sprintf("Client assertion failed signature validation. [Reason - The key is not an RSA key., Thumbprint of key used by client: '%s']", thumb)}
	}
	if err := j.verify(pub); err != nil {
		return &stsError{401, "invalid_client", 700027, fmt.Sprintf("Client assertion failed signature validation. [Reason - The signature could not be verified with the key., Thumbprint of key used by client: '%s']", thumb)}
	}
	if !strings.EqualFold(j.claim("iss"), c.ID) || !strings.EqualFold(j.claim("sub"), c.ID) {
		return &stsError{401, "invalid_client", 700021, "Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at https://docs.microsoft.com/azure/active-directory/develop/active-directory-certificate-credentials ."}
	}
	if !audienceMatches(j.audiences(), baseURL(r), tenantSegment(r)) {
		return &stsError{401, "invalid_client", 700023, "Client assertion audience claim does not match Realm issuer. Review the documentation at https://docs.microsoft.com/azure/active-directory/develop/active-directory-certificate-credentials ."}
	}
	exp, hasExp := j.numClaim("exp")
	if !hasExp {
		return &stsError{400, "invalid_request", 50027, "JWT token is invalid or malformed: the 'exp' claim is missing."}
	}
	nbf, hasNbf := j.numClaim("nbf")
	if !hasNbf {
		nbf = exp - int64((10 * time.Minute).Seconds())
	}
	from, until := time.Unix(nbf, 0), time.Unix(exp, 0)
	if now.Before(from.Add(-assertionSkew)) || now.After(until.Add(assertionSkew)) {
		const f = "2006-01-02T15:04:05.0000000Z"
		return &stsError{401, "invalid_client", 700024, fmt.Sprintf("Client assertion is not within its valid time range. Current time: %s, assertion valid from %s, expiry time of assertion %s. Review the documentation at https://docs.microsoft.com/azure/active-directory/develop/active-directory-certificate-credentials .",
			now.UTC().Format(f), from.UTC().Format(f), until.UTC().Format(f))}
	}
	return nil
}

// findAssertionCert picks the registered certificate the assertion's
// thumbprint header names; it returns the thumbprint in upper-case hex for
// messages.
func findAssertionCert(j *jws, c *Client) (*x509.Certificate, string, *stsError) {
	type hint struct {
		header string
		sum    func([]byte) []byte
	}
	hints := []hint{
		{"x5t#S256", func(b []byte) []byte { h := sha256.Sum256(b); return h[:] }},
		{"x5t", func(b []byte) []byte { h := sha1.Sum(b); return h[:] }},
	}
	var used string
	for _, h := range hints {
		v := j.str(j.header, h.header)
		if v == "" {
			continue
		}
		want, ok := decodeThumbprint(v)
		if !ok {
			return nil, "", &stsError{400, "invalid_request", 50027, fmt.Sprintf("JWT token is invalid or malformed: the '%s' header is not base64.", h.header)}
		}
		if used == "" {
			used = strings.ToUpper(hex.EncodeToString(want))
		}
		for _, cert := range c.Certificates {
			if bytes.Equal(h.sum(cert.Raw), want) {
				return cert, strings.ToUpper(hex.EncodeToString(want)), nil
			}
		}
	}
	if used == "" {
		return nil, "", &stsError{401, "invalid_client", 700027, "Client assertion failed signature validation. [Reason - The key was not found., The assertion carries neither an 'x5t' nor an 'x5t#S256' header.]"}
	}
	return nil, "", &stsError{401, "invalid_client", 700027, fmt.Sprintf("The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '%s', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '%s'.]", used, c.ID)}
}

// decodeThumbprint accepts standard base64 (MSAL-Go) and base64url (most
// other libraries), with or without padding.
func decodeThumbprint(v string) ([]byte, bool) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(v); err == nil {
			return b, true
		}
	}
	return nil, false
}

// audienceMatches accepts the v2 token endpoint (what MSAL sends), the v1
// token endpoint and the v2 issuer of the tenant the request named.
func audienceMatches(auds []string, base, tenant string) bool {
	prefix := strings.ToLower(base + "/" + tenant)
	for _, a := range auds {
		switch strings.TrimSuffix(strings.ToLower(a), "/") {
		case prefix + "/oauth2/v2.0/token", prefix + "/oauth2/token", prefix + "/v2.0":
			return true
		}
	}
	return false
}

// tenantSegment is the first path segment of a token service request.
func tenantSegment(r *http.Request) string {
	t, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	return t
}
