package emulator

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"regexp"
)

// newUUID returns a random version-4 UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return formatUUID(b)
}

// nameUUID derives a stable UUID from a name (version-5 style), for ids
// that must not change between runs, like a client's object id.
func nameUUID(name string) string {
	sum := sha1.Sum([]byte("credwatch-emulator:" + name))
	var b [16]byte
	copy(b[:], sum[:16])
	b[6] = b[6]&0x0f | 0x50
	return formatUUID(b)
}

func formatUUID(b [16]byte) string {
	if b[6]>>4 != 5 {
		b[6] = b[6]&0x0f | 0x40
	}
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

var guidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func isGUID(s string) bool { return guidPattern.MatchString(s) }

// secretAlphabet is the character set of Entra-generated client secrets.
const secretAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.~"

// NewClientSecret returns a random client secret shaped like the ones Entra
// generates: 40 characters, three random ones, a digit, "Q~", then 34 more.
func NewClientSecret() (string, error) {
	const n = 40
	raw := make([]byte, n)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("client secret: %w", err)
	}
	out := make([]byte, n)
	for i, v := range raw {
		out[i] = secretAlphabet[int(v)%len(secretAlphabet)] // 256 % 66 bias is irrelevant here
	}
	out[3] = "0123456789"[int(raw[3])%10]
	out[4], out[5] = 'Q', '~'
	return string(out), nil
}

// keyID names the token signing key in the JWT header (kid and x5t).
func keyID(pub *rsa.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "emulator"
	}
	sum := sha256.Sum256(der)
	return base64.RawURLEncoding.EncodeToString(sum[:20])
}
