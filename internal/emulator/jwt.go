package emulator

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// A compact-serialised JWS, parsed. The emulator signs its access tokens
// and checks client assertions itself (RS256 and PS256 only), so each
// failure can map to the exact AADSTS code Entra returns.
type jws struct {
	header       map[string]any
	claims       map[string]any
	signingInput string
	signature    []byte
}

var errMalformedJWT = errors.New("JWT is not well formed")

func parseJWS(tok string) (*jws, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, errMalformedJWT
	}
	var j jws
	if err := decodeSegment(parts[0], &j.header); err != nil {
		return nil, err
	}
	if err := decodeSegment(parts[1], &j.claims); err != nil {
		return nil, err
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, errMalformedJWT
	}
	j.signature = sig
	j.signingInput = parts[0] + "." + parts[1]
	return &j, nil
}

func decodeSegment(seg string, dst *map[string]any) error {
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return errMalformedJWT
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(dst); err != nil || *dst == nil {
		return errMalformedJWT
	}
	return nil
}

func (j *jws) alg() string { return j.str(j.header, "alg") }

func (j *jws) str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func (j *jws) claim(k string) string { return j.str(j.claims, k) }

// numClaim reads a NumericDate claim; Entra accepts integers and decimals.
func (j *jws) numClaim(k string) (int64, bool) {
	n, ok := j.claims[k].(json.Number)
	if !ok {
		return 0, false
	}
	if i, err := n.Int64(); err == nil {
		return i, true
	}
	f, err := n.Float64()
	if err != nil {
		return 0, false
	}
	return int64(f), true
}

// audiences returns aud as a list: a string or an array of strings.
func (j *jws) audiences() []string {
	switch v := j.claims["aud"].(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, a := range v {
			if s, ok := a.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// verify checks the signature with pub for RS256 or PS256.
func (j *jws) verify(pub *rsa.PublicKey) error {
	sum := sha256.Sum256([]byte(j.signingInput))
	switch j.alg() {
	case "RS256":
		return rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], j.signature)
	case "PS256":
		return rsa.VerifyPSS(pub, crypto.SHA256, sum[:], j.signature, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto})
	default:
		return fmt.Errorf("unsupported algorithm %q", j.alg())
	}
}

// signRS256 serialises and signs a JWT.
func signRS256(key *rsa.PrivateKey, header, claims map[string]any) (string, error) {
	h, err := json.Marshal(header)
	if err != nil {
		return "", err
	}
	c, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	input := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	sum := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}
