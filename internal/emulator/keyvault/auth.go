package keyvault

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Audiences of the two planes' tokens.
const (
	vaultResource      = "https://vault.azure.net"
	managementResource = "https://management.azure.com"
	// vaultAppID is Key Vault's first-party app id, also a valid audience.
	vaultAppID = "cfa8b339-82a2-471a-a3c9-0fc0be7a4093"
)

const (
	tokenSkew = 5 * time.Minute
	// keyRefetch bounds how often an unknown key id triggers a fetch of
	// the key set, so garbage tokens cannot make the server hammer the
	// token service.
	keyRefetch = 10 * time.Second
)

// principal is who a valid token names.
type principal struct {
	appID string
	oid   string
	iss   string
}

// matches reports whether id names the principal (object id or app id).
func (p *principal) matches(id string) bool {
	id = strings.TrimSpace(id)
	return id != "" && (strings.EqualFold(id, p.oid) || strings.EqualFold(id, p.appID))
}

// describe is how Key Vault names a caller in refusals.
func (p *principal) describe() string {
	return "appid=" + p.appID + ";oid=" + p.oid + ";iss=" + p.iss
}

// authError is a refused token; the message never holds the token.
type authError struct{ msg string }

func (e *authError) Error() string { return e.msg }

// authenticate checks the bearer token for audience aud. A request with
// no token at all returns (nil, nil): the caller answers with the
// challenge.
func (s *Server) authenticate(r *http.Request, audiences ...string) (*principal, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, nil
	}
	scheme, tok, _ := strings.Cut(h, " ")
	tok = strings.TrimSpace(tok)
	if !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return nil, &authError{"AKV10000: Request is missing a Bearer or PoP token."}
	}
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(tok, claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		return s.signingKey(r.Context(), kid)
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithLeeway(tokenSkew), jwt.WithTimeFunc(s.now),
		jwt.WithExpirationRequired(), jwt.WithIssuer("https://sts.windows.net/"+s.tenant+"/"))
	switch {
	case err == nil:
	case errors.Is(err, jwt.ErrTokenExpired):
		return nil, &authError{"AKV10022: Invalid audience or token expired."}
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return nil, &authError{"AKV10032: Invalid issuer."}
	default:
		return nil, &authError{"AKV10037: Token signature or format is invalid."}
	}
	if tid, _ := claims["tid"].(string); !strings.EqualFold(tid, s.tenant) {
		return nil, &authError{"AKV10032: Invalid issuer. Expected one of the tenant's issuers."}
	}
	auds, _ := claims.GetAudience()
	ok := false
	for _, a := range auds {
		for _, want := range audiences {
			ok = ok || strings.EqualFold(strings.TrimRight(a, "/"), want)
		}
	}
	if !ok {
		return nil, &authError{"AKV10022: Invalid audience."}
	}
	p := &principal{}
	p.appID, _ = claims["appid"].(string)
	p.oid, _ = claims["oid"].(string)
	p.iss, _ = claims["iss"].(string)
	return p, nil
}

// signingKey returns the key with id kid, fetching the token service's
// key set when it is not known yet.
func (s *Server) signingKey(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	s.keysMu.Lock()
	defer s.keysMu.Unlock()
	if k, ok := s.keys[kid]; ok {
		return k, nil
	}
	if s.fixedKeys || (!s.fetchedAt.IsZero() && time.Since(s.fetchedAt) < keyRefetch) {
		return nil, fmt.Errorf("unknown signing key %q", kid)
	}
	s.fetchedAt = time.Now()
	keys, err := s.fetchKeys(ctx)
	if err != nil {
		s.log.Warn("fetch token signing keys", "err", err)
		return nil, err
	}
	s.keys = keys
	if k, ok := s.keys[kid]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("unknown signing key %q", kid)
}

// fetchKeys reads the token service's JWKS.
func (s *Server) fetchKeys(ctx context.Context) (map[string]*rsa.PublicKey, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.authz+"/"+s.tenant+"/discovery/v2.0/keys", nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("key set: status %d", resp.StatusCode)
	}
	var set struct {
		Keys []struct {
			Kty string `json:"kty"`
			Kid string `json:"kid"`
			N   string `json:"n"`
			E   string `json:"e"`
		} `json:"keys"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&set); err != nil {
		return nil, fmt.Errorf("key set: %w", err)
	}
	out := map[string]*rsa.PublicKey{}
	for _, k := range set.Keys {
		if k.Kty != "RSA" || k.Kid == "" {
			continue
		}
		n, err1 := base64.RawURLEncoding.DecodeString(k.N)
		e, err2 := base64.RawURLEncoding.DecodeString(k.E)
		if err1 != nil || err2 != nil || len(e) == 0 || len(e) > 4 {
			continue
		}
		out[k.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	}
	return out, nil
}

// challenge is the WWW-Authenticate value that starts the SDK's
// authentication: the tenant's authority and the Key Vault resource.
func (s *Server) challenge() string {
	return fmt.Sprintf(`Bearer authorization="%s/%s", resource="%s"`, s.authz, s.tenant, vaultResource)
}
