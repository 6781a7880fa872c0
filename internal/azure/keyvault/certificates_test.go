package keyvault

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"strings"
	"testing"
	"time"
)

// selfSigned makes a certificate and its key in PEM, as a user would
// import them.
func selfSigned(t *testing.T, key crypto.Signer, pkcs1 bool) (*x509.Certificate, []byte) {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "imported"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(1, 0, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	var block *pem.Block
	if rk, ok := key.(*rsa.PrivateKey); ok && pkcs1 {
		block = &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rk)}
	} else if ek, ok := key.(*ecdsa.PrivateKey); ok {
		b, _ := x509.MarshalECPrivateKey(ek)
		block = &pem.Block{Type: "EC PRIVATE KEY", Bytes: b}
	} else {
		b, _ := x509.MarshalPKCS8PrivateKey(key)
		block = &pem.Block{Type: "PRIVATE KEY", Bytes: b}
	}
	return cert, append(pem.EncodeToMemory(block), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
}

// TestCertificateVersionsSignAndImport: two issued versions are listed
// with their thumbprints and tags, each can be read back and signs with
// its own key; an imported PEM certificate does too; the key never shows
// in the client's log.
func TestCertificateVersionsSignAndImport(t *testing.T) {
	f := newFixture(t)
	ctx := ctxT(t)
	var logs bytes.Buffer
	opts := f.opts
	opts.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	vc, _ := NewVaultClient(f.kv.VaultURL("kv-app"), f.cred, opts)

	var issued []Certificate
	for i, rot := range []string{"r1", "r2"} {
		c, err := vc.CreateCertificate(ctx, "app-cert", CertificateRequest{Subject: "CN=app", ValidityMonths: 6,
			Tags: map[string]string{TagRotationID: rot}, Poll: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if c.Tags[TagRotationID] != rot || len(c.Thumbprint) != 40 {
			t.Fatalf("issue %d: %+v", i, c.CertificateMeta)
		}
		issued = append(issued, c)
	}
	versions, err := vc.CertificateVersions(ctx, "app-cert")
	if err != nil || len(versions) != 2 {
		t.Fatalf("versions = %+v, %v", versions, err)
	}
	for i, v := range versions {
		if v.Version != issued[i].Version || v.Thumbprint != issued[i].Thumbprint || v.Tags[TagRotationID] != issued[i].Tags[TagRotationID] {
			t.Errorf("version %d = %+v, want %+v", i, v, issued[i].CertificateMeta)
		}
	}
	digest := sha256.Sum256([]byte("header.claims"))
	for _, c := range issued {
		got, err := vc.GetCertificateVersion(ctx, "app-cert", c.Version)
		if err != nil || !bytes.Equal(got.DER, c.DER) {
			t.Fatalf("read version %s: %v", c.Version, err)
		}
		cert, _ := x509.ParseCertificate(c.DER)
		sig, err := vc.SignWithCertificate(ctx, "app-cert", c.Version, digest[:])
		if err != nil {
			t.Fatal(err)
		}
		if err := rsa.VerifyPKCS1v15(cert.PublicKey.(*rsa.PublicKey), crypto.SHA256, digest[:], sig); err != nil {
			t.Errorf("version %s signed with another key: %v", c.Version, err)
		}
	}

	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	cert, pemData := selfSigned(t, key, true)
	imp, err := vc.ImportCertificate(ctx, "app-cert", CertificateImport{Data: pemData, Tags: map[string]string{TagRotationID: "r3"}})
	if err != nil || !bytes.Equal(imp.DER, cert.Raw) || imp.Tags[TagRotationID] != "r3" {
		t.Fatalf("import = %+v, %v", imp.CertificateMeta, err)
	}
	sig, err := vc.SignWithCertificate(ctx, "app-cert", imp.Version, digest[:])
	if err != nil || rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, digest[:], sig) != nil {
		t.Errorf("signing with the imported key: %v", err)
	}
	keyLine := strings.Split(string(pemData), "\n")[1]
	if strings.Contains(logs.String(), keyLine) {
		t.Error("the log holds the imported private key")
	}
	if !strings.Contains(logs.String(), "certificate imported") {
		t.Error("the log should record the import (it is searched for the key)")
	}
	if _, err := vc.SignWithCertificate(ctx, "app-cert", "0123456789abcdef0123456789abcdef", digest[:]); !IsNotFound(err) {
		t.Errorf("signing with a version that does not exist = %v, want not found", err)
	}
}

// TestKeyFromSecret: which certificate secrets give a key to sign a
// proof of possession with, and the one-line reason when they do not.
func TestKeyFromSecret(t *testing.T) {
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	ek, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, pkcs1 := selfSigned(t, rk, true)
	_, pkcs8 := selfSigned(t, rk, false)
	_, ec := selfSigned(t, ek, false)
	certOnly := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1, 2, 3}})
	tests := []struct {
		name        string
		value       []byte
		contentType string
		want        string // "" = a key
	}{
		{"PKCS#1", pkcs1, ContentTypePEM, ""},
		{"PKCS#8, no content type", pkcs8, "", ""},
		{"PKCS#12", []byte("MIIKpAIBAzCCCl4GCSqGSIb3DQEHAaCCCk8="), ContentTypePKCS12, "PKCS#12"},
		{"EC key", ec, ContentTypePEM, "is EC"},
		{"certificate only", certOnly, ContentTypePEM, "no private key"},
		{"damaged key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{0, 0, 0}}), ContentTypePEM, "could not be parsed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := rsaKeyFromPEM(tt.value, tt.contentType)
			switch {
			case tt.want == "" && (err != nil || k == nil || !k.PublicKey.Equal(&rk.PublicKey)):
				t.Errorf("got %v, want the RSA key", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("error %v, want one saying %q", err, tt.want)
			case err != nil && strings.Contains(err.Error(), "MII"):
				t.Errorf("the error quotes the secret: %v", err)
			}
		})
	}
}
