package keyvault

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azcertificates"
)

// TagRotationID names, on a certificate version credwatch issued or
// imported, the rotation it was made for: an interrupted rotation finds
// its certificate by it instead of making another.
const TagRotationID = "credwatchRotationId"

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
// (certificate and key blocks) or PKCS#12. Data and Password are secret:
// they go to the vault and nowhere else.
type CertificateImport struct {
	Data     []byte
	Password string // of a PKCS#12 file; "" for none
	Tags     map[string]string
}

// ImportCertificate imports a new version of certificate name.
func (c *VaultClient) ImportCertificate(ctx context.Context, name string, in CertificateImport) (Certificate, error) {
	value, ct := base64.StdEncoding.EncodeToString(in.Data), ContentTypePKCS12
	if bytes.HasPrefix(bytes.TrimSpace(in.Data), []byte("-----BEGIN")) {
		value, ct = string(in.Data), ContentTypePEM
	}
	p := azcertificates.ImportCertificateParameters{Base64EncodedCertificate: to.Ptr(value), Tags: tagPtrs(in.Tags),
		CertificatePolicy: &azcertificates.CertificatePolicy{SecretProperties: &azcertificates.SecretProperties{ContentType: to.Ptr(ct)}}}
	if in.Password != "" {
		p.Password = to.Ptr(in.Password)
	}
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
