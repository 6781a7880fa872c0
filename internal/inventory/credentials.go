package inventory

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/credwatch/credwatch/internal/msgraph"
)

// buildCredentials turns an object's secrets, keys and federated
// credentials into Credentials, sorted by end date then key id.
func buildCredentials(pw []msgraph.PasswordCredential, keys []msgraph.KeyCredential, fics []msgraph.FederatedIdentityCredential) ([]Credential, error) {
	if len(pw)+len(keys)+len(fics) == 0 {
		return nil, nil
	}
	out := make([]Credential, 0, len(pw)+len(keys)+len(fics))
	for i, p := range pw {
		c := Credential{
			Type:        Secret,
			KeyID:       p.KeyID,
			DisplayName: deref(p.DisplayName),
			Hint:        deref(p.Hint),
		}
		var err error
		if c.Start, err = optionalTime(p.StartDateTime, "startDateTime"); err != nil {
			return nil, fmt.Errorf("passwordCredentials[%d].%w", i, err)
		}
		if c.End, err = optionalTime(p.EndDateTime, "endDateTime"); err != nil {
			return nil, fmt.Errorf("passwordCredentials[%d].%w", i, err)
		}
		out = append(out, c)
	}
	certs, err := buildKeys(keys)
	if err != nil {
		return nil, err
	}
	out = append(out, certs...)
	for _, f := range fics {
		out = append(out, Credential{
			Type:        Federated,
			KeyID:       f.ID,
			DisplayName: f.Name,
			Issuer:      f.Issuer,
			Subject:     f.Subject,
			Audiences:   cloneOrNil(f.Audiences),
		})
	}
	slices.SortFunc(out, func(a, b Credential) int {
		return cmp.Or(
			a.End.Compare(b.End),
			cmp.Compare(a.KeyID, b.KeyID),
			cmp.Compare(a.Type, b.Type),
		)
	})
	return out, nil
}

// buildKeys converts keyCredentials and folds each Sign key into the Verify
// key that shares its customKeyIdentifier: Entra stores a certificate with
// its private key (SAML signing, for one) as such a pair, and reporting it
// twice would double every finding. Display names are never used to pair,
// since two different certificates often share a subject.
func buildKeys(keys []msgraph.KeyCredential) ([]Credential, error) {
	creds := make([]Credential, len(keys))
	for i, k := range keys {
		var key *string
		if hasPublicKeyOnly(k.Type) {
			// Only a public certificate may be hashed; other types' key
			// holds secret material.
			key = k.Key
		}
		c := Credential{
			Type:        Certificate,
			KeyID:       k.KeyID,
			DisplayName: deref(k.DisplayName),
			Thumbprint:  Thumbprint(k.CustomKeyIdentifier, key),
			KeyType:     k.Type,
			Usage:       k.Usage,
		}
		var err error
		if c.Start, err = optionalTime(k.StartDateTime, "startDateTime"); err != nil {
			return nil, fmt.Errorf("keyCredentials[%d].%w", i, err)
		}
		if c.End, err = optionalTime(k.EndDateTime, "endDateTime"); err != nil {
			return nil, fmt.Errorf("keyCredentials[%d].%w", i, err)
		}
		creds[i] = c
	}

	// Pair each Sign key with the first not yet paired Verify key of the
	// same customKeyIdentifier, in file order.
	paired := make([]bool, len(keys))
	dropped := make([]bool, len(keys))
	for s, sk := range keys {
		cki := strings.TrimSpace(deref(sk.CustomKeyIdentifier))
		if cki == "" || !strings.EqualFold(sk.Usage, "Sign") {
			continue
		}
		for v, vk := range keys {
			if paired[v] || !strings.EqualFold(vk.Usage, "Verify") || strings.TrimSpace(deref(vk.CustomKeyIdentifier)) != cki {
				continue
			}
			creds[v] = mergePair(creds[v], creds[s])
			paired[v], dropped[s] = true, true
			break
		}
	}
	out := make([]Credential, 0, len(creds))
	for i, c := range creds {
		if !dropped[i] {
			out = append(out, c)
		}
	}
	return out, nil
}

// mergePair makes one credential of a Verify key and its Sign twin; the
// Verify key's id is the one users see and rotate.
func mergePair(verify, sign Credential) Credential {
	c := verify
	c.Usage = "Sign,Verify"
	c.PairedKeyID = sign.KeyID
	c.Thumbprint = cmp.Or(c.Thumbprint, sign.Thumbprint)
	c.DisplayName = cmp.Or(c.DisplayName, sign.DisplayName)
	if c.Start.IsZero() {
		c.Start = sign.Start
	}
	if c.End.IsZero() {
		c.End = sign.End
	}
	return c
}

// hasPublicKeyOnly reports whether a keyCredential type's key is a public
// certificate. Symmetric keys and X509CertAndPassword carry secrets.
func hasPublicKeyOnly(keyType string) bool {
	return keyType == "" || strings.EqualFold(keyType, "AsymmetricX509Cert")
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
