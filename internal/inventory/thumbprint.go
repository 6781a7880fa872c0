package inventory

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// Thumbprint derives a certificate's SHA-1 thumbprint as uppercase hex, the
// form the portal, Key Vault and PowerShell show. It prefers hashing key
// (base64 DER), which is authoritative. Without it, customKeyIdentifier is
// read in the three shapes it takes in practice: base64 of the 20 thumbprint
// bytes (Graph's default), the 40-character hex text Microsoft's how-to
// sends (which Graph echoes back), or base64 of that hex text. Anything
// else yields "", since a wrong thumbprint is worse than none.
func Thumbprint(customKeyIdentifier, key *string) string {
	if key != nil {
		if der, ok := decodeBase64(*key); ok && len(der) > 0 {
			sum := sha1.Sum(der)
			return strings.ToUpper(hex.EncodeToString(sum[:]))
		}
	}
	if customKeyIdentifier == nil {
		return ""
	}
	cki := strings.TrimSpace(*customKeyIdentifier)
	if isHexThumbprint(cki) {
		return strings.ToUpper(cki)
	}
	raw, ok := decodeBase64(cki)
	if !ok {
		return ""
	}
	switch {
	case len(raw) == sha1.Size:
		return strings.ToUpper(hex.EncodeToString(raw))
	case isHexThumbprint(string(raw)):
		return strings.ToUpper(string(raw))
	}
	return ""
}

func isHexThumbprint(s string) bool {
	if len(s) != 2*sha1.Size {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// decodeBase64 accepts standard base64 with or without padding, which is
// what Graph, az CLI and PowerShell write.
func decodeBase64(s string) ([]byte, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, false
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, true
	}
	if b, err := base64.RawStdEncoding.DecodeString(s); err == nil {
		return b, true
	}
	return nil, false
}
