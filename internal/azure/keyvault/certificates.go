package keyvault

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azcertificates"
)

// TagRotationID names, on a certificate version credwatch issued or
// imported, the rotation it was made for: an interrupted rotation finds
// its certificate by it instead of making another.
const TagRotationID = "credwatchRotationId"

// TagReplaces names, on a certificate version credwatch issued or
// imported, the key id of the app's certificate it replaces: a later plan
// may take a vault certificate for a credential only if it was made to
// replace that one.
const TagReplaces = "credwatchReplacesKeyId"

// Content types of a certificate's secret.
const (
	ContentTypePEM    = "application/x-pem-file"
	ContentTypePKCS12 = "application/x-pkcs12"
)

// CertificateRequest is a self-signed certificate for Key Vault to issue:
// RSA 2048, its private key made in the vault.
type CertificateRequest struct {
	Subject        string // e.g. CN=payroll-export
	ValidityMonths int    // default 12
	Tags           map[string]string
	// Poll is how often to ask whether the vault has issued it; default
	// 2 s.
	Poll time.Duration
}

// CreateCertificate asks the vault to issue a new version of certificate
// name with a "Self" issuer policy, waits until it is issued, and returns
// the current version. Its secret is PEM (key and certificate), which
// SignWithCertificate can read.
func (c *VaultClient) CreateCertificate(ctx context.Context, name string, req CertificateRequest) (Certificate, error) {
	poll := req.Poll
	if poll <= 0 {
		poll = 2 * time.Second
	}
	months := req.ValidityMonths
	if months == 0 {
		months = 12
	}
	params := azcertificates.CreateCertificateParameters{
		CertificatePolicy: &azcertificates.CertificatePolicy{
			IssuerParameters: &azcertificates.IssuerParameters{Name: to.Ptr("Self")},
			KeyProperties: &azcertificates.KeyProperties{KeyType: to.Ptr(azcertificates.KeyTypeRSA), KeySize: to.Ptr[int32](2048),
				Exportable: to.Ptr(true), ReuseKey: to.Ptr(false)},
			SecretProperties:          &azcertificates.SecretProperties{ContentType: to.Ptr(ContentTypePEM)},
			X509CertificateProperties: &azcertificates.X509CertificateProperties{Subject: to.Ptr(req.Subject), ValidityInMonths: to.Ptr(int32(months))},
		},
		Tags: tagPtrs(req.Tags),
	}
	op, err := c.certs.CreateCertificate(ctx, name, params, nil)
	if err != nil {
		return Certificate{}, wrapErr("create certificate "+name, c.url, err)
	}
	status := deref(op.Status)
	for !strings.EqualFold(status, "completed") {
		if status != "" && !strings.EqualFold(status, "inProgress") {
			msg := "status " + status
			if op.Error != nil && op.Error.Code != "" {
				msg += " (" + op.Error.Code + ")"
			}
			return Certificate{}, fmt.Errorf("key vault %s: create certificate %s: %s", c.url, name, msg)
		}
		select {
		case <-ctx.Done():
			return Certificate{}, fmt.Errorf("key vault %s: create certificate %s: %w", c.url, name, ctx.Err())
		case <-time.After(poll):
		}
		got, err := c.certs.GetCertificateOperation(ctx, name, nil)
		if err != nil {
			return Certificate{}, wrapErr("read certificate operation "+name, c.url, err)
		}
		op.CertificateOperation = got.CertificateOperation
		status = deref(op.Status)
	}
	cert, err := c.GetCertificate(ctx, name)
	if err == nil {
		c.log.Info("certificate issued", "vault", c.url, "certificate", name, "version", cert.Version, "thumbprint", cert.Thumbprint)
	}
	return cert, err
}

// CertificateImport is a certificate with its private key to import: PEM
// (certificate and key blocks, text around them ignored) or PKCS#12. Data
// and Password are secret: they go to the vault and nowhere else.
type CertificateImport struct {
	Data     []byte
	Password string // of a PKCS#12 file; "" for none
	Tags     map[string]string
}

// ErrCertificatePassword means the password of a certificate file to
// import did not open it.
var ErrCertificatePassword = errPFXPassword

// CertificateFileError is a certificate to import that cannot be read or
// is not one credwatch rotates; nothing was sent to the vault.
type CertificateFileError struct{ Err error }

func (e *CertificateFileError) Error() string { return "the certificate to import: " + e.Err.Error() }
func (e *CertificateFileError) Unwrap() error { return e.Err }

// Certificate reads the certificate to import, without sending anything
// anywhere, so a file that cannot be imported is refused before anything
// changes. Its errors are *CertificateFileError.
func (in CertificateImport) Certificate() (*x509.Certificate, error) {
	_, c, err := in.pemBundle()
	return c, err
}

// pemBundle is the import as it is sent: a PEM bundle of the RSA private
// key as PKCS#8 (the only key form Key Vault imports), the certificate
// that matches it, then the rest of the chain as given. A PKCS#12 file is
// converted here rather than sent as is: the import's policy declares
// the content type of the value sent, and a PEM secret is what
// SignWithCertificate reads later.
func (in CertificateImport) pemBundle() ([]byte, *x509.Certificate, error) {
	var key crypto.PrivateKey
	var certs []*x509.Certificate
	var err error
	// Contains, not HasPrefix: openssl pkcs12 -nodes writes "Bag
	// Attributes" lines before each block.
	if bytes.Contains(in.Data, []byte("-----BEGIN")) {
		key, certs, err = readPEMImport(in.Data, in.Password)
	} else if key, certs, err = decodePFX(in.Data, in.Password); errors.Is(err, errPFXSyntax) {
		err = errors.New("neither PEM (no -----BEGIN line) nor a PKCS#12 file credwatch can read")
	}
	if err != nil {
		return nil, nil, &CertificateFileError{err}
	}
	rk, ok := key.(*rsa.PrivateKey)
	if !ok {
		return nil, nil, &CertificateFileError{errors.New("the private key is not RSA; proofs of possession, which rotating the certificate again needs, are signed RS256")}
	}
	leaf := slices.IndexFunc(certs, func(c *x509.Certificate) bool { return rk.PublicKey.Equal(c.PublicKey) })
	if leaf < 0 {
		return nil, nil, &CertificateFileError{errors.New("it holds no certificate for its private key")}
	}
	der, err := x509.MarshalPKCS8PrivateKey(rk)
	if err != nil {
		return nil, nil, &CertificateFileError{errors.New("the private key could not be encoded as PKCS#8")}
	}
	out := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	chain := append([]*x509.Certificate{certs[leaf]}, slices.Delete(slices.Clone(certs), leaf, leaf+1)...)
	for _, c := range chain {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out, certs[leaf], nil
}

// readPEMImport reads the private key and certificates of a PEM file.
func readPEMImport(data []byte, password string) (crypto.PrivateKey, []*x509.Certificate, error) {
	var keys []crypto.PrivateKey
	var certs []*x509.Certificate
	for rest := data; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		var k crypto.PrivateKey
		var err error
		switch b.Type {
		case "CERTIFICATE":
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, nil, errors.New("a certificate in the file could not be parsed")
			}
			certs = append(certs, c)
			continue
		case "PRIVATE KEY":
			k, err = x509.ParsePKCS8PrivateKey(b.Bytes)
		case "RSA PRIVATE KEY", "EC PRIVATE KEY":
			if strings.Contains(b.Headers["Proc-Type"], "ENCRYPTED") {
				return nil, nil, errors.New("the private key is encrypted in OpenSSL's legacy PEM form; convert it with openssl pkcs8 -topk8")
			}
			if b.Type == "EC PRIVATE KEY" {
				k, err = x509.ParseECPrivateKey(b.Bytes)
			} else {
				k, err = x509.ParsePKCS1PrivateKey(b.Bytes)
			}
		case "ENCRYPTED PRIVATE KEY":
			return nil, nil, errors.New("the private key is encrypted (PKCS#8), which credwatch does not read; give the PKCS#12 file, or decrypt the key with openssl pkcs8")
		default:
			continue
		}
		if err != nil {
			return nil, nil, errors.New("the private key could not be parsed")
		}
		keys = append(keys, k)
	}
	switch {
	case len(keys) == 0:
		return nil, nil, errors.New("it holds no private key")
	case len(keys) > 1:
		return nil, nil, errors.New("it holds more than one private key")
	case len(certs) == 0:
		return nil, nil, errors.New("it holds no certificate")
	}
	return keys[0], certs, nil
}

// ImportCertificate imports a new version of certificate name, as PEM
// (see pemBundle), so its secret is PEM too. A file that cannot be read
// is a *CertificateFileError, and nothing is sent.
func (c *VaultClient) ImportCertificate(ctx context.Context, name string, in CertificateImport) (Certificate, error) {
	bundle, _, err := in.pemBundle()
	if err != nil {
		return Certificate{}, fmt.Errorf("key vault %s: import certificate %s: %w", c.url, name, err)
	}
	p := azcertificates.ImportCertificateParameters{Base64EncodedCertificate: to.Ptr(string(bundle)), Tags: tagPtrs(in.Tags),
		CertificatePolicy: &azcertificates.CertificatePolicy{SecretProperties: &azcertificates.SecretProperties{ContentType: to.Ptr(ContentTypePEM)}}}
	resp, err := c.certs.ImportCertificate(ctx, name, p, nil)
	if err != nil {
		return Certificate{}, wrapErr("import certificate "+name, c.url, err)
	}
	cert := certificate(resp.Certificate)
	c.log.Info("certificate imported", "vault", c.url, "certificate", name, "version", cert.Version, "thumbprint", cert.Thumbprint)
	return cert, nil
}

// CertificateVersions lists the versions of certificate name with their
// thumbprints and tags. A certificate that does not exist is an error
// IsNotFound reports.
func (c *VaultClient) CertificateVersions(ctx context.Context, name string) ([]CertificateMeta, error) {
	var out []CertificateMeta
	pg := c.certs.NewListCertificatePropertiesVersionsPager(name, nil)
	for pg.More() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			return nil, wrapErr("list versions of certificate "+name, c.url, err)
		}
		for _, p := range page.Value {
			if p != nil {
				out = append(out, certMeta(p.ID, p.X509Thumbprint, p.Tags, p.Attributes))
			}
		}
	}
	return out, nil
}

// SignWithCertificate signs a SHA-256 digest (RS256: RSASSA-PKCS1-v1_5)
// with the private key of one version of certificate name. The key is
// read from the certificate's secret, which must be PEM, used once and
// dropped: it never reaches a log, an error or the caller.
func (c *VaultClient) SignWithCertificate(ctx context.Context, name, version string, digest []byte) ([]byte, error) {
	op := "read the key of certificate " + name + "/" + version
	resp, err := c.secrets.GetSecret(ctx, name, version, nil)
	if err != nil {
		return nil, wrapErr(op, c.url, err)
	}
	if resp.Value == nil {
		return nil, fmt.Errorf("key vault %s: %s: the secret has no value", c.url, op)
	}
	key, err := rsaKeyFromPEM([]byte(*resp.Value), deref(resp.ContentType))
	if err != nil {
		return nil, fmt.Errorf("key vault %s: %s: %w", c.url, op, err)
	}
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest)
	if err != nil {
		return nil, fmt.Errorf("key vault %s: sign with certificate %s/%s: %w", c.url, name, version, err)
	}
	return sig, nil
}

// rsaKeyFromPEM finds the RSA private key in a certificate's PEM secret.
// Its errors name the problem, never the content.
func rsaKeyFromPEM(value []byte, contentType string) (*rsa.PrivateKey, error) {
	if strings.EqualFold(contentType, ContentTypePKCS12) || !bytes.Contains(value, []byte("-----BEGIN")) {
		return nil, errors.New("the certificate's secret is PKCS#12; credwatch reads keys from PEM secrets only (content type " + ContentTypePEM + ")")
	}
	rest := value
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return nil, errors.New("the certificate's secret holds no private key (is the key exportable?)")
		}
		var k any
		var err error
		switch b.Type {
		case "PRIVATE KEY":
			k, err = x509.ParsePKCS8PrivateKey(b.Bytes)
		case "RSA PRIVATE KEY":
			k, err = x509.ParsePKCS1PrivateKey(b.Bytes)
		case "EC PRIVATE KEY":
			return nil, errors.New("the certificate's key is EC; proofs of possession are signed RS256 with an RSA key")
		default:
			continue
		}
		if err != nil {
			return nil, errors.New("the certificate's private key could not be parsed")
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, errors.New("the certificate's key is not RSA; proofs of possession are signed RS256 with an RSA key")
		}
		return rk, nil
	}
}
