package emulator

import (
	"bytes"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/credwatch/credwatch/internal/emulator/tenantgen"
	"github.com/credwatch/credwatch/internal/msgraph"
)

// Request kinds of certificate changes: the addKey and removeKey actions
// and PATCH of the object (its keyCredentials).
const (
	kindAddKey    = "addKey"
	kindRemoveKey = "removeKey"
	kindUpdateApp = "update-application"
	kindUpdateSP  = "update-servicePrincipal"
)

// A proof of possession is a JWT the caller signs with the private key of
// one of the object's current certificates: aud is Azure AD Graph's app
// id, iss the object's id, and it lives at most ten minutes (the
// addKey/removeKey documentation and its proof-token how-to).
const (
	proofAudience    = "00000002-0000-0000-c000-000000000000"
	proofMaxLifetime = 10 * time.Minute
)

// proofRefused is Graph's answer to any proof it cannot accept: one
// generic message, whatever the reason (seen in reports of real failures).
// The reason goes to the emulator's debug log.
func (s *Server) proofRefused(t target, why string) *graphError {
	s.log.Debug("proof of possession refused", "object", t.id(), "why", why)
	return &graphError{http.StatusUnauthorized, "Authentication_MissingOrMalformed", "Access Token missing or malformed.", nil}
}

// checkProof verifies a proof of possession for t at now: a well-formed
// JWS, RS256 or PS256, for the right audience and issuer, within its
// lifetime of at most ten minutes, signed by the key of a certificate
// that is on t and valid now. The header's x5t (or kid, a hex
// thumbprint) picks the certificate when present.
func (s *Server) checkProof(t target, proof string, now time.Time) *graphError {
	if strings.TrimSpace(proof) == "" {
		return s.proofRefused(t, "no proof")
	}
	j, err := parseJWS(proof)
	if err != nil {
		// Base64 with '=' padding lands here too, as the docs warn.
		return s.proofRefused(t, "not a compact JWS")
	}
	if alg := j.alg(); alg != "RS256" && alg != "PS256" {
		return s.proofRefused(t, "algorithm "+alg)
	}
	if !slices.Contains(j.audiences(), proofAudience) {
		return s.proofRefused(t, "audience")
	}
	if !strings.EqualFold(j.claim("iss"), t.id()) {
		return s.proofRefused(t, "issuer is not the object's id")
	}
	nbf, okNbf := j.numClaim("nbf")
	exp, okExp := j.numClaim("exp")
	switch {
	case !okNbf || !okExp:
		return s.proofRefused(t, "nbf and exp are required")
	case exp < nbf:
		return s.proofRefused(t, "exp before nbf")
	case uint64(exp)-uint64(nbf) > uint64(proofMaxLifetime/time.Second):
		// In seconds and unsigned: exp-nbf as a Duration, or even as
		// an int64, overflows for claims far apart and looks short.
		return s.proofRefused(t, "lifetime over ten minutes")
	case now.Before(time.Unix(nbf, 0).Add(-tokenSkew)):
		return s.proofRefused(t, "not yet valid")
	case now.After(time.Unix(exp, 0).Add(tokenSkew)):
		return s.proofRefused(t, "expired")
	}
	var want []byte
	if x5t := j.str(j.header, "x5t"); x5t != "" {
		if want, err = base64.RawURLEncoding.DecodeString(x5t); err != nil {
			return s.proofRefused(t, "x5t is not base64url")
		}
	} else if kid := j.str(j.header, "kid"); kid != "" {
		want, _ = hex.DecodeString(kid) // a kid that is not a thumbprint picks nothing
	}
	for _, k := range *t.keys() {
		pub, der, ok := currentVerifyKey(k, now)
		if !ok {
			continue
		}
		if sum := sha1.Sum(der); want != nil && !bytes.Equal(want, sum[:]) {
			continue
		}
		if j.verify(pub) == nil {
			return nil
		}
	}
	return s.proofRefused(t, "signed by no current certificate of the object")
}

// currentVerifyKey returns the RSA public key of a Verify certificate
// valid at now, and its DER.
func currentVerifyKey(k msgraph.KeyCredential, now time.Time) (*rsa.PublicKey, []byte, bool) {
	if !strings.EqualFold(k.Usage, "Verify") || k.Key == nil {
		return nil, nil, false
	}
	start, err1 := time.Parse(time.RFC3339Nano, k.StartDateTime)
	end, err2 := time.Parse(time.RFC3339Nano, k.EndDateTime)
	if err1 != nil || err2 != nil || now.Before(start) || !now.Before(end) {
		return nil, nil, false
	}
	der, err := base64.StdEncoding.DecodeString(*k.Key)
	if err != nil {
		return nil, nil, false
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, false
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	return pub, der, ok
}

// keyCredentialIn is a keyCredential in a request body.
type keyCredentialIn struct {
	CustomKeyIdentifier *string `json:"customKeyIdentifier"`
	DisplayName         *string `json:"displayName"`
	EndDateTime         *string `json:"endDateTime"`
	Key                 *string `json:"key"`
	KeyID               *string `json:"keyId"`
	StartDateTime       *string `json:"startDateTime"`
	Type                *string `json:"type"`
	Usage               *string `json:"usage"`
}

// newKeyCredential makes a new public-certificate credential from a
// request: type AsymmetricX509Cert with usage Verify and key, the base64
// DER of the certificate (never a PFX). customKeyIdentifier defaults to
// the certificate's SHA-1 thumbprint, the dates to the certificate's
// validity. keyIDs lets the caller choose the key id (PATCH does).
func newKeyCredential(in keyCredentialIn, keyIDs bool) (msgraph.KeyCredential, *graphError) {
	typ, usage := deref(in.Type), deref(in.Usage)
	switch {
	case typ == "" || usage == "" || in.Key == nil:
		return msgraph.KeyCredential{}, badRequest("A new key credential needs type, usage and key.")
	case !strings.EqualFold(usage, "Verify") && !strings.EqualFold(usage, "Sign"):
		return msgraph.KeyCredential{}, badRequest(`The value for the property "usage" in one of your credentials is invalid. Acceptable values are Sign, Verify.`)
	case strings.EqualFold(typ, "X509CertAndPassword"):
		// A certificate with its private key (SAML signing) is not what
		// an app uses to sign in; the emulator does not take one.
		return msgraph.KeyCredential{}, badRequest("Key credentials of type X509CertAndPassword are not supported by this emulator; add the public certificate as AsymmetricX509Cert.")
	case !strings.EqualFold(typ, "AsymmetricX509Cert"):
		return msgraph.KeyCredential{}, badRequest(`The value for the property "type" in one of your credentials is invalid. Acceptable values are AsymmetricX509Cert, X509CertAndPassword.`)
	case !strings.EqualFold(usage, "Verify"):
		return msgraph.KeyCredential{}, badRequest("Key credentials of type AsymmetricX509Cert must have usage Verify.")
	}
	der, err := base64.StdEncoding.DecodeString(strings.TrimSpace(*in.Key))
	if err != nil {
		return msgraph.KeyCredential{}, badRequest("Invalid value specified for property 'key' of resource 'KeyCredential'.")
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return msgraph.KeyCredential{}, badRequest("Invalid value specified for property 'key' of resource 'KeyCredential'.")
	}
	start, end := cert.NotBefore.UTC(), cert.NotAfter.UTC()
	for _, f := range []struct {
		prop string
		v    *string
		dst  *time.Time
	}{{"startDateTime", in.StartDateTime, &start}, {"endDateTime", in.EndDateTime, &end}} {
		if f.v == nil {
			continue
		}
		tm, err := time.Parse(time.RFC3339Nano, *f.v)
		if err != nil {
			return msgraph.KeyCredential{}, badRequest("Invalid value '%s' for property '%s' of resource 'KeyCredential'.", *f.v, f.prop)
		}
		*f.dst = tm.UTC()
	}
	if !end.After(start) {
		return msgraph.KeyCredential{}, badRequest("Invalid value specified for property 'endDateTime' of resource 'KeyCredential': it must be after startDateTime.")
	}
	sum := sha1.Sum(der)
	k := msgraph.KeyCredential{
		CustomKeyIdentifier: strPtr(base64.StdEncoding.EncodeToString(sum[:])),
		DisplayName:         in.DisplayName,
		EndDateTime:         end.Format(credTime),
		Key:                 strPtr(base64.StdEncoding.EncodeToString(der)),
		KeyID:               newUUID(),
		StartDateTime:       start.Format(credTime),
		Type:                "AsymmetricX509Cert",
		Usage:               "Verify",
	}
	if in.CustomKeyIdentifier != nil && *in.CustomKeyIdentifier != "" {
		k.CustomKeyIdentifier = strPtr(*in.CustomKeyIdentifier)
	}
	if keyIDs && in.KeyID != nil && *in.KeyID != "" {
		if !isGUID(*in.KeyID) {
			return msgraph.KeyCredential{}, badRequest("Invalid value '%s' for property 'keyId' of resource 'KeyCredential': want a GUID.", *in.KeyID)
		}
		k.KeyID = strings.ToLower(*in.KeyID)
	}
	return k, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return strings.TrimSpace(*s)
}

// writeKeyCredential answers addKey with the new credential's metadata;
// key is null, as in every answer that does not select keyCredentials.
func writeKeyCredential(w http.ResponseWriter, r *http.Request, k msgraph.KeyCredential) {
	var o jsonObject
	o.str("@odata.context", metadataURL(r)+"microsoft.graph.keyCredential")
	optional := func(name string, v *string) {
		if v == nil {
			o.raw(name, []byte("null"))
		} else {
			o.str(name, *v)
		}
	}
	optional("customKeyIdentifier", k.CustomKeyIdentifier)
	optional("displayName", k.DisplayName)
	o.str("endDateTime", k.EndDateTime)
	o.raw("key", []byte("null"))
	o.str("keyId", k.KeyID)
	o.str("startDateTime", k.StartDateTime)
	o.str("type", k.Type)
	o.str("usage", k.Usage)
	writeGraphJSON(w, o.bytes(), 1)
}

// auditKeys records a change of t's credentials from before to its
// current ones.
func (s *Server) auditKeys(t target, before []string, removed bool, by msgraph.AuditActor, ua string) {
	s.audit(tenantgen.CredentialChange{CorrelationID: newUUID(), At: s.now().UTC(), By: by, UserAgent: ua,
		TargetID: t.id(), TargetName: t.name(), ServicePrincipal: t.sp != nil, Removed: removed,
		Before: before, After: t.keyEntries()}.Records())
}

// addKey adds a public certificate after checking the proof of
// possession.
func (s *Server) addKey(w http.ResponseWriter, r *http.Request, t target, body []byte, by msgraph.AuditActor, ua string) *graphError {
	var in struct {
		KeyCredential      *keyCredentialIn `json:"keyCredential"`
		PasswordCredential json.RawMessage  `json:"passwordCredential"`
		Proof              string           `json:"proof"`
	}
	if gerr := decodeBody(body, &in); gerr != nil {
		return gerr
	}
	if gerr := s.checkProof(t, in.Proof, s.now().UTC()); gerr != nil {
		return gerr
	}
	if in.KeyCredential == nil {
		return badRequest("The request body needs 'keyCredential' with type, usage and key.")
	}
	k, gerr := newKeyCredential(*in.KeyCredential, false)
	if gerr != nil {
		return gerr
	}
	before := t.keyEntries()
	keys := t.keys()
	*keys = append(slices.Clip(*keys), k)
	s.auditKeys(t, before, false, by, ua)
	writeKeyCredential(w, r, k)
	return nil
}

// removeKey removes a certificate after checking the proof of possession.
func (s *Server) removeKey(w http.ResponseWriter, t target, body []byte, by msgraph.AuditActor, ua string) *graphError {
	var in struct {
		KeyID string `json:"keyId"`
		Proof string `json:"proof"`
	}
	if gerr := decodeBody(body, &in); gerr != nil {
		return gerr
	}
	if !isGUID(in.KeyID) {
		return badRequest("Invalid value '%s' for parameter 'keyId': want a GUID.", in.KeyID)
	}
	if gerr := s.checkProof(t, in.Proof, s.now().UTC()); gerr != nil {
		return gerr
	}
	keys := t.keys()
	i := slices.IndexFunc(*keys, func(k msgraph.KeyCredential) bool { return strings.EqualFold(k.KeyID, in.KeyID) })
	if i < 0 {
		return &graphError{http.StatusNotFound, "Request_ResourceNotFound", "No key credential with keyId '" + in.KeyID + "' exists on this object.", nil}
	}
	before := t.keyEntries()
	*keys = slices.Delete(slices.Clone(*keys), i, i+1)
	s.auditKeys(t, before, true, by, ua)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// update is PATCH of an application or service principal. The emulator
// changes keyCredentials only: the array replaces the whole collection,
// and credentials left out are removed. Graph documents each item with
// its type, usage and key. An item whose keyId names a credential already
// there keeps that credential as it is when it carries the same key (a
// different key is Graph's "Update to existing credential" refusal).
// Whether Graph keeps a credential sent back by keyId without its key is
// not documented, so the emulator refuses such an item rather than
// guess. Any other item is a new certificate.
func (s *Server) update(w http.ResponseWriter, t target, body []byte, by msgraph.AuditActor, ua string) *graphError {
	var in map[string]json.RawMessage
	if gerr := decodeBody(body, &in); gerr != nil {
		return gerr
	}
	sc := applicationSchema
	if t.sp != nil {
		sc = servicePrincipalSchema
	}
	names := make([]string, 0, len(in))
	for name := range in {
		names = append(names, name)
	}
	slices.Sort(names)
	var keysRaw json.RawMessage
	for _, name := range names {
		if strings.HasPrefix(name, "@") {
			continue // annotations such as @odata.type
		}
		switch canon, ok := sc.canon[strings.ToLower(name)]; {
		case !ok:
			return badRequest("The property '%s' does not exist on type '%s'. Make sure to only use property names that are defined by the type.", name, sc.typeName)
		case canon == "keyCredentials":
			keysRaw = in[name]
		case canon == "passwordCredentials":
			return badRequest("Updating passwordCredentials is not supported; use the addPassword and removePassword actions.")
		case canon == "id":
			var id string
			if json.Unmarshal(in[name], &id) != nil || !strings.EqualFold(id, t.id()) {
				return badRequest("Property 'id' is read-only and cannot be set.")
			}
		default:
			return badRequest("Property '%s' cannot be updated by this emulator; it changes keyCredentials only.", canon)
		}
	}
	if keysRaw != nil {
		if gerr := s.replaceKeys(t, keysRaw, by, ua); gerr != nil {
			return gerr
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) replaceKeys(t target, raw json.RawMessage, by msgraph.AuditActor, ua string) *graphError {
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return badRequest("Property 'keyCredentials' is not nullable.")
	}
	var items []keyCredentialIn
	if json.Unmarshal(raw, &items) != nil {
		return badRequest("Property keyCredentials in payload has a value that does not match schema.")
	}
	existing := *t.keys()
	out := make([]msgraph.KeyCredential, 0, len(items))
	seen := map[string]bool{}
	for _, it := range items {
		id := strings.ToLower(deref(it.KeyID))
		if i := slices.IndexFunc(existing, func(k msgraph.KeyCredential) bool { return id != "" && strings.EqualFold(k.KeyID, id) }); i >= 0 {
			cur := existing[i]
			if deref(it.Key) == "" {
				return badRequest("Invalid value specified for property 'key' of resource 'KeyCredential': the key of the existing credential with KeyId '%s' is required.", cur.KeyID)
			}
			if cur.Key != nil && deref(it.Key) != *cur.Key {
				return badRequest("Update to existing credential with KeyId '%s' is not allowed.", cur.KeyID)
			}
			if seen[id] {
				return badRequest("The keyId '%s' appears twice in keyCredentials.", cur.KeyID)
			}
			seen[id] = true
			out = append(out, cur)
			continue
		}
		k, gerr := newKeyCredential(it, true)
		if gerr != nil {
			return gerr
		}
		if seen[k.KeyID] {
			return badRequest("The keyId '%s' appears twice in keyCredentials.", k.KeyID)
		}
		seen[k.KeyID] = true
		out = append(out, k)
	}
	before := t.keyEntries()
	*t.keys() = out
	after := t.keyEntries()
	if !slices.Equal(before, after) {
		s.auditKeys(t, before, len(after) < len(before), by, ua)
	}
	return nil
}
