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
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// importFile reads a file made by testdata/import/make.sh.
func importFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "import", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const importPassword = "test-password"

// TestImportFiles: the files users export (OpenSSL 3 and 1.1 PKCS#12,
// Windows' 3DES, no password, nothing encrypted; PEM with openssl's "Bag
// Attributes", a PKCS#1 key) become the one PEM
// bundle Key Vault imports: a PKCS#8 key, then the certificate that
// matches it, then the rest of the chain.
func TestImportFiles(t *testing.T) {
	leaf, _ := pem.Decode(importFile(t, "leaf.crt"))
	tests := []struct {
		file, password string
		certs          int
	}{
		{"aes256.pfx", importPassword, 2},
		{"legacy.pfx", importPassword, 1},
		{"3des.pfx", importPassword, 1},
		{"nopassword.pfx", "", 1},
		{"plain.pfx", "", 1},
		{"bag-attributes.pem", "", 2},
		{"pkcs1.pem", "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			bundle, cert, err := CertificateImport{Data: importFile(t, tt.file), Password: tt.password}.pemBundle()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(cert.Raw, leaf.Bytes) {
				t.Errorf("certificate %s, want the leaf", cert.Subject)
			}
			var types []string
			var key *rsa.PrivateKey
			var first *x509.Certificate
			for rest := bundle; ; {
				var b *pem.Block
				if b, rest = pem.Decode(rest); b == nil {
					if len(bytes.TrimSpace(rest)) > 0 {
						t.Errorf("text outside PEM blocks: %q", rest)
					}
					break
				}
				types = append(types, b.Type)
				switch b.Type {
				case "PRIVATE KEY":
					k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
					if err != nil {
						t.Fatal(err)
					}
					key = k.(*rsa.PrivateKey)
				case "CERTIFICATE":
					if first == nil {
						first, _ = x509.ParseCertificate(b.Bytes)
					}
				}
			}
			want := append([]string{"PRIVATE KEY"}, strings.Split(strings.Repeat("CERTIFICATE ", tt.certs), " ")[:tt.certs]...)
			if strings.Join(types, ",") != strings.Join(want, ",") {
				t.Errorf("blocks %v, want %v", types, want)
			}
			if key == nil || first == nil || !key.PublicKey.Equal(first.PublicKey) {
				t.Error("the first certificate is not the key's")
			}
		})
	}
}

// TestImportFileRefusals: a file that cannot be imported is refused with
// a one-line reason, before anything is sent, and the reason quotes
// neither the password nor the file.
func TestImportFileRefusals(t *testing.T) {
	ek, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, ecPEM := selfSigned(t, ek, false)
	pkcs1 := importFile(t, "pkcs1.pem")
	keyOnly := pkcs1[:bytes.Index(pkcs1, []byte("-----BEGIN CERTIFICATE"))]
	certOnly := importFile(t, "leaf.crt")
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	_, otherPEM := selfSigned(t, other, false)
	mismatched := append(append([]byte{}, keyOnly...), otherPEM[bytes.Index(otherPEM, []byte("-----BEGIN CERTIFICATE")):]...)
	pfx := importFile(t, "aes256.pfx")
	tests := []struct {
		name     string
		data     []byte
		password string
		want     string
		wrongPW  bool
	}{
		{"PKCS#12, wrong password", pfx, "not-the-password", "password is wrong", true},
		{"PKCS#12, no password given", pfx, "", "password is wrong", true},
		{"PKCS#12 under RC2, wrong password", importFile(t, "legacy.pfx"), "nope", "password is wrong", true},
		{"PKCS#12, truncated", pfx[:len(pfx)/2], importPassword, "neither PEM", false},
		{"encrypted PEM key", importFile(t, "encrypted.pem"), importPassword, "encrypted (PKCS#8)", false},
		{"certificate only", certOnly, "", "no private key", false},
		{"key only", keyOnly, "", "no certificate", false},
		{"key and someone else's certificate", mismatched, "", "no certificate for its private key", false},
		{"EC key", ecPEM, "", "not RSA", false},
		{"not a certificate", []byte("hello"), "", "neither PEM", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := CertificateImport{Data: tt.data, Password: tt.password}.Certificate()
			var fe *CertificateFileError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want a *CertificateFileError saying %q", err, tt.want)
			}
			if errors.Is(err, ErrCertificatePassword) != tt.wrongPW {
				t.Errorf("errors.Is(err, ErrCertificatePassword) = %v", !tt.wrongPW)
			}
			if strings.Contains(err.Error(), "\n") || (tt.password != "" && strings.Contains(err.Error(), tt.password)) ||
				strings.Contains(err.Error(), "MII") {
				t.Errorf("the error is not one clean line: %q", err)
			}
		})
	}
}

// TestImportPKCS12SignsAfterwards is the end the import is for: a PFX
// imported through the vault leaves a PEM secret whose key signs, so a
// later proof of possession can be made with it.
func TestImportPKCS12SignsAfterwards(t *testing.T) {
	f := newFixture(t)
	ctx := ctxT(t)
	vc, _ := NewVaultClient(f.kv.VaultURL("kv-app"), f.cred, f.opts)
	for _, file := range []string{"aes256.pfx", "legacy.pfx", "bag-attributes.pem"} {
		imp, err := vc.ImportCertificate(ctx, "given", CertificateImport{Data: importFile(t, file), Password: importPassword})
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		digest := sha256.Sum256([]byte("header.claims"))
		sig, err := vc.SignWithCertificate(ctx, "given", imp.Version, digest[:])
		if err != nil {
			t.Fatalf("%s: signing with the imported key: %v", file, err)
		}
		cert, _ := x509.ParseCertificate(imp.DER)
		if rsa.VerifyPKCS1v15(cert.PublicKey.(*rsa.PublicKey), crypto.SHA256, digest[:], sig) != nil {
			t.Errorf("%s: the signature is not the certificate's key's", file)
		}
	}
	vs := f.kv.SecretVersions("kv-app", "given")
	for _, v := range vs {
		if v.ContentType != ContentTypePEM {
			t.Errorf("the imported certificate's secret is %q, want PEM", v.ContentType)
		}
	}
}

// FuzzCertificateImport: no file, however damaged, panics the reader or
// yields a bundle without a key and its certificate.
func FuzzCertificateImport(f *testing.F) {
	for _, name := range []string{"aes256.pfx", "legacy.pfx", "plain.pfx", "bag-attributes.pem", "encrypted.pem"} {
		b, err := os.ReadFile(filepath.Join("testdata", "import", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, importPassword)
	}
	f.Fuzz(func(t *testing.T, data []byte, password string) {
		bundle, cert, err := CertificateImport{Data: data, Password: password}.pemBundle()
		if err != nil {
			var fe *CertificateFileError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a *CertificateFileError", err)
			}
			return
		}
		if b, _ := pem.Decode(bundle); cert == nil || b == nil || b.Type != "PRIVATE KEY" {
			t.Fatal("a bundle without its key or certificate")
		}
	})
}
