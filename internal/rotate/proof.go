package rotate

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// proofAudience is the aud of a proof of possession: Azure AD Graph's app
// id, as the addKey and removeKey documentation asks.
const proofAudience = "00000002-0000-0000-c000-000000000000"

// proofLifetime is how long a proof is valid: Graph takes at most ten
// minutes.
const proofLifetime = 10 * time.Minute

// proofKey is a certificate of the application whose key is in the
// vault: version of the vault certificate, SHA-1 thumbprint in hex.
type proofKey struct {
	certificate, version, thumbprint string
}

// proofToken makes the JWT addKey and removeKey take as proof of
// possession for the object objectID: aud Azure AD Graph, iss the
// object's id, valid from now for ten minutes, signed RS256 by k's
// private key, which the vault uses and credwatch never holds beyond the
// signing. The header's x5t names the certificate. The token grants
// changes to the app's keys for its lifetime: it is never logged or
// stored.
func proofToken(ctx context.Context, cs CertificateStore, k proofKey, objectID string, now time.Time) (string, error) {
	thumb, err := hex.DecodeString(k.thumbprint)
	if err != nil || len(thumb) != 20 {
		return "", fmt.Errorf("certificate %s/%s: thumbprint %q is not a SHA-1 in hex", k.certificate, k.version, k.thumbprint)
	}
	header, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "x5t": base64.RawURLEncoding.EncodeToString(thumb)})
	claims, _ := json.Marshal(map[string]any{"aud": proofAudience, "iss": objectID,
		"nbf": now.Unix(), "exp": now.Add(proofLifetime).Unix()})
	// Unpadded base64url: Graph refuses '=' in either part.
	input := base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(claims)
	digest := sha256.Sum256([]byte(input))
	sig, err := cs.SignWithCertificate(ctx, k.certificate, k.version, digest[:])
	if err != nil {
		return "", fmt.Errorf("sign the proof of possession with certificate %s/%s: %w", k.certificate, k.version, err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}
