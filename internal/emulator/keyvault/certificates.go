package keyvault

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/credwatch/credwatch/internal/localtls"
)

// contentTypePEM is a certificate secret's content type when it is PEM.
const contentTypePEM = "application/x-pem-file"

// certPolicy is the part of a certificate policy the emulator honours.
type certPolicy struct {
	KeyProps *struct {
		Exportable bool   `json:"exportable"`
		Kty        string `json:"kty,omitempty"`
		KeySize    int    `json:"key_size,omitempty"`
		Curve      string `json:"crv,omitempty"`
		ReuseKey   bool   `json:"reuse_key"`
	} `json:"key_props,omitempty"`
	SecretProps *struct {
		ContentType string `json:"contentType,omitempty"`
	} `json:"secret_props,omitempty"`
	X509Props *struct {
		Subject        string   `json:"subject,omitempty"`
		ValidityMonths int      `json:"validity_months,omitempty"`
		KeyUsage       []string `json:"key_usage,omitempty"`
		EKUs           []string `json:"ekus,omitempty"`
	} `json:"x509_props,omitempty"`
	Issuer *struct {
		Name string `json:"name,omitempty"`
	} `json:"issuer,omitempty"`
}

type certBundleJSON struct {
	ID         string            `json:"id"`
	Kid        string            `json:"kid,omitempty"`
	Sid        string            `json:"sid,omitempty"`
	X5t        string            `json:"x5t"`
	Cer        string            `json:"cer"`
	Attributes attributes        `json:"attributes"`
	Policy     *certPolicy       `json:"policy,omitempty"`
	Tags       map[string]string `json:"tags,omitempty"`
}

type certItemJSON struct {
	ID         string            `json:"id"`
	X5t        string            `json:"x5t"`
	Attributes attributes        `json:"attributes"`
	Tags       map[string]string `json:"tags,omitempty"`
}

func (v *vault) certID(name, version string) string {
	id := v.url + "/certificates/" + name
	if version != "" {
		id += "/" + version
	}
	return id
}

// x5t is Key Vault's thumbprint: base64url without padding of the SHA-1.
func x5t(der []byte) string { return base64.RawURLEncoding.EncodeToString(thumbprint(der)) }

func (v *vault) certAttributes(cv *certVersion) attributes {
	return v.attributes(cv.enabled, cv.cert.NotBefore, cv.cert.NotAfter, cv.created, cv.updated)
}

func (v *vault) certBundle(it *certItem, cv *certVersion) certBundleJSON {
	return certBundleJSON{ID: v.certID(it.name, cv.version), Kid: v.url + "/keys/" + it.name + "/" + cv.version,
		Sid: v.secretID(it.name, cv.version), X5t: x5t(cv.der), Cer: base64.StdEncoding.EncodeToString(cv.der),
		Attributes: v.certAttributes(cv), Policy: cv.policy, Tags: cv.tags}
}

func certNotFound(name string) *kvError {
	return &kvError{http.StatusNotFound, "CertificateNotFound", "", "A certificate with (name/id) " + name +
		" was not found in this key vault. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182"}
}

func (s *Server) getCertificate(w http.ResponseWriter, v *vault, name, version string) *kvError {
	it := v.certs[strings.ToLower(name)]
	if it == nil || len(it.versions) == 0 {
		return certNotFound(name)
	}
	cv := it.versions[len(it.versions)-1]
	if version != "" {
		i := slices.IndexFunc(it.versions, func(x *certVersion) bool { return strings.EqualFold(x.version, version) })
		if i < 0 {
			return certNotFound(name + "/" + version)
		}
		cv = it.versions[i]
	}
	writeJSON(w, http.StatusOK, v.certBundle(it, cv))
	return nil
}

func (s *Server) listCertificates(w http.ResponseWriter, r *http.Request, v *vault) *kvError {
	var items []certItemJSON
	for _, k := range sortedKeys(v.certs) {
		it := v.certs[k]
		if len(it.versions) == 0 {
			continue
		}
		cv := it.versions[len(it.versions)-1]
		items = append(items, certItemJSON{ID: v.certID(it.name, ""), X5t: x5t(cv.der), Attributes: v.certAttributes(cv), Tags: cv.tags})
	}
	shown, next, e := page(r, v, items)
	if e != nil {
		return e
	}
	writeJSON(w, http.StatusOK, newList(shown, next))
	return nil
}

func (s *Server) listCertificateVersions(w http.ResponseWriter, r *http.Request, v *vault, name string) *kvError {
	it := v.certs[strings.ToLower(name)]
	if it == nil {
		return certNotFound(name)
	}
	items := make([]certItemJSON, 0, len(it.versions))
	for _, cv := range it.versions {
		items = append(items, certItemJSON{ID: v.certID(it.name, cv.version), X5t: x5t(cv.der), Attributes: v.certAttributes(cv), Tags: cv.tags})
	}
	shown, next, e := page(r, v, items)
	if e != nil {
		return e
	}
	writeJSON(w, http.StatusOK, newList(shown, next))
	return nil
}

type certWriteJSON struct {
	Value      string            `json:"value"` // import only
	Pwd        string            `json:"pwd"`
	Policy     *certPolicy       `json:"policy"`
	Tags       map[string]string `json:"tags"`
	Attributes *struct {
		Enabled *bool `json:"enabled"`
	} `json:"attributes"`
}

func decodeCertWrite(body []byte) (*certWriteJSON, *kvError) {
	var in certWriteJSON
	if len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, &in); err != nil {
			return nil, badParameter("The request body is not valid JSON for a certificate.")
		}
	}
	if e := checkTags(in.Tags); e != nil {
		return nil, e
	}
	return &in, nil
}

// createCertificate issues a self-signed certificate at once. Key Vault
// answers 202 with the operation in progress; the emulator's operation is
// complete by the time the client asks (GET …/pending).
func (s *Server) createCertificate(w http.ResponseWriter, v *vault, name string, body []byte) *kvError {
	in, e := decodeCertWrite(body)
	if e != nil {
		return e
	}
	p := in.Policy
	if p == nil || p.X509Props == nil || strings.TrimSpace(p.X509Props.Subject) == "" {
		return badParameter("Property 'policy.x509_props.subject' is required.")
	}
	if p.Issuer == nil || p.Issuer.Name == "" {
		return badParameter("Property 'policy.issuer.name' is required.")
	}
	if !strings.EqualFold(p.Issuer.Name, "Self") {
		return badParameter("Issuer %q is not configured in this vault; only Self is available.", p.Issuer.Name)
	}
	subject, ok := parseSubject(p.X509Props.Subject)
	if !ok {
		return badParameter("The subject %q is not a valid X.500 name.", p.X509Props.Subject)
	}
	months := p.X509Props.ValidityMonths
	if months == 0 {
		months = 12
	}
	if months < 1 || months > 1200 {
		return badParameter("validity_months must be between 1 and 1200.")
	}
	key, kerr := newCertKey(p)
	if kerr != nil {
		return kerr
	}
	now := s.now().UTC()
	tmpl := &x509.Certificate{
		SerialNumber: localtls.Serial(),
		Subject:      subject,
		NotBefore:    now.Add(-5 * time.Minute),
		NotAfter:     now.AddDate(0, months, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return &kvError{http.StatusInternalServerError, "InternalServerError", "", "The certificate could not be issued."}
	}
	cert, _ := x509.ParseCertificate(der)
	keyPEM, err := privateKeyPEM(key)
	if err != nil {
		return &kvError{http.StatusInternalServerError, "InternalServerError", "", "The certificate key could not be encoded."}
	}
	enabled := in.Attributes == nil || in.Attributes.Enabled == nil || *in.Attributes.Enabled
	s.storeCert(v, name, der, cert, keyPEM, in.Tags, enabled, p, now)
	it := v.certs[strings.ToLower(name)]
	it.pending = &certOperation{id: v.certID(it.name, "pending"), requestID: newVersion(), subject: p.X509Props.Subject, done: true}
	s.log.Info("certificate created", "vault", v.cfg.Name, "certificate", it.name, "x5t", x5t(der))
	writeJSON(w, http.StatusAccepted, s.operationJSON(v, it, false))
	return nil
}

// storeCert adds a certificate version and the managed secret that holds
// its key, as Key Vault does.
func (s *Server) storeCert(v *vault, name string, der []byte, cert *x509.Certificate, keyPEM []byte, tags map[string]string,
	enabled bool, p *certPolicy, now time.Time) {
	cv := &certVersion{der: der, cert: cert, tags: cloneTags(tags), enabled: enabled, created: now, updated: now, policy: p}
	v.addCertVersion(name, cv)
	value := string(keyPEM) + string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	sv := &secretVersion{value: value, contentType: contentTypePEM, tags: cloneTags(tags), enabled: enabled,
		nbf: cert.NotBefore, exp: cert.NotAfter, created: now, updated: now, managed: true}
	v.addSecretVersion(name, sv)
	sv.version = cv.version // the certificate's secret shares its version
}

func (s *Server) operationJSON(v *vault, it *certItem, done bool) map[string]any {
	op := map[string]any{
		"id":                     it.pending.id,
		"issuer":                 map[string]string{"name": "Self"},
		"cancellation_requested": false,
		"request_id":             it.pending.requestID,
	}
	if done {
		op["status"] = "completed"
		op["target"] = v.certID(it.name, "")
	} else {
		op["status"] = "inProgress"
		op["status_details"] = "Pending certificate created. Certificate request is in progress. This may take some time based on the issuer provider. Please check again later."
	}
	return op
}

func (s *Server) getCertificateOperation(w http.ResponseWriter, v *vault, name string) *kvError {
	it := v.certs[strings.ToLower(name)]
	if it == nil || it.pending == nil {
		return &kvError{http.StatusNotFound, "PendingCertificateNotFound", "", "Pending certificate not found: " + name}
	}
	writeJSON(w, http.StatusOK, s.operationJSON(v, it, it.pending.done))
	return nil
}

// importCertificate imports a certificate with its private key. As in
// Key Vault, the policy's secret_props.contentType says what value holds:
// PKCS#12 (base64) unless it is application/x-pem-file, and a PEM key must
// be PKCS#8. The emulator reads PEM only: it refuses PKCS#12 with its own
// message, where Key Vault would take it.
func (s *Server) importCertificate(w http.ResponseWriter, v *vault, name string, body []byte) *kvError {
	in, e := decodeCertWrite(body)
	if e != nil {
		return e
	}
	if in.Value == "" {
		return badParameter("Property 'value' is required.")
	}
	if in.Policy == nil || in.Policy.SecretProps == nil || !strings.EqualFold(in.Policy.SecretProps.ContentType, contentTypePEM) {
		return badParameter("This emulator imports PEM only: send the certificate and its PKCS#8 key as PEM, with policy.secret_props.contentType %s.", contentTypePEM)
	}
	unexpected := badParameter("The specified PEM X.509 certificate content is in an unexpected format. Please check if certificate is in valid PEM format.")
	var der []byte
	var keyPEM []byte
	var key any
	rest := []byte(in.Value)
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		switch {
		case b.Type == "CERTIFICATE" && der == nil:
			der = b.Bytes
		case b.Type == "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
			if err != nil {
				return unexpected
			}
			key, keyPEM = k, pem.EncodeToMemory(b)
		case b.Type == "ENCRYPTED PRIVATE KEY":
			return badParameter("This emulator does not decrypt private keys; import the PKCS#8 key unencrypted.")
		case strings.HasSuffix(b.Type, "PRIVATE KEY"):
			return unexpected // PKCS#1 or SEC 1: Key Vault takes PKCS#8 only
		}
	}
	if der == nil || keyPEM == nil {
		return unexpected
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return unexpected
	}
	pub, ok1 := cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	priv, ok2 := key.(crypto.Signer)
	if !ok1 || !ok2 || !pub.Equal(priv.Public()) {
		return badParameter("The private key does not match the certificate.")
	}
	now := s.now().UTC()
	enabled := in.Attributes == nil || in.Attributes.Enabled == nil || *in.Attributes.Enabled
	s.storeCert(v, name, der, cert, keyPEM, in.Tags, enabled, in.Policy, now)
	it := v.certs[strings.ToLower(name)]
	writeJSON(w, http.StatusOK, v.certBundle(it, it.versions[len(it.versions)-1]))
	return nil
}

func newCertKey(p *certPolicy) (crypto.Signer, *kvError) {
	kty, size, curve := "RSA", 2048, "P-256"
	if kp := p.KeyProps; kp != nil {
		if kp.Kty != "" {
			kty = strings.ToUpper(kp.Kty)
		}
		if kp.KeySize != 0 {
			size = kp.KeySize
		}
		if kp.Curve != "" {
			curve = kp.Curve
		}
	}
	switch kty {
	case "RSA", "RSA-HSM":
		if size != 2048 && size != 3072 && size != 4096 {
			return nil, badParameter("key_size %d is not supported for RSA; use 2048, 3072 or 4096.", size)
		}
		k, err := rsa.GenerateKey(rand.Reader, size)
		if err != nil {
			return nil, &kvError{http.StatusInternalServerError, "InternalServerError", "", "Key generation failed."}
		}
		return k, nil
	case "EC", "EC-HSM":
		c := map[string]elliptic.Curve{"P-256": elliptic.P256(), "P-384": elliptic.P384(), "P-521": elliptic.P521()}[curve]
		if c == nil {
			return nil, badParameter("Curve %q is not supported.", curve)
		}
		k, err := ecdsa.GenerateKey(c, rand.Reader)
		if err != nil {
			return nil, &kvError{http.StatusInternalServerError, "InternalServerError", "", "Key generation failed."}
		}
		return k, nil
	}
	return nil, badParameter("Key type %q is not supported.", kty)
}

func privateKeyPEM(k crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// parseSubject reads the simple X.500 names Key Vault policies use:
// "CN=name", optionally with O=, OU=, L=, ST=, C= parts.
func parseSubject(s string) (pkix.Name, bool) {
	var n pkix.Name
	for _, part := range strings.Split(s, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || strings.TrimSpace(val) == "" {
			return n, false
		}
		val = strings.TrimSpace(val)
		switch strings.ToUpper(strings.TrimSpace(k)) {
		case "CN":
			n.CommonName = val
		case "O":
			n.Organization = append(n.Organization, val)
		case "OU":
			n.OrganizationalUnit = append(n.OrganizationalUnit, val)
		case "L":
			n.Locality = append(n.Locality, val)
		case "ST":
			n.Province = append(n.Province, val)
		case "C":
			n.Country = append(n.Country, val)
		default:
			return n, false
		}
	}
	return n, n.CommonName != ""
}
