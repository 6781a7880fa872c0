// Package localtls makes the throwaway CA and server certificate that
// credwatch's local HTTPS endpoints (the Graph emulator, the Key Vault
// emulator, the notification receiver) serve with, so clients trust them
// through an exported CA file and nothing else.
package localtls

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"time"
)

// PKI is a CA made on the spot and the server certificate it signed.
type PKI struct {
	// CAPEM is the CA certificate in PEM, for clients' --ca-file.
	CAPEM []byte
	// Roots trusts the CA alone.
	Roots *x509.CertPool
	// Leaf is the server certificate, with its chain and private key.
	Leaf tls.Certificate
}

// New makes a fresh CA and a server certificate for loopback (and the
// listen host, when it names something else), valid for a year from now.
// The private keys never leave memory.
func New(listenHost string, now time.Time) (*PKI, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("CA key: %w", err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          Serial(),
		Subject:               pkix.Name{CommonName: "credwatch local CA", Organization: []string{"credwatch"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(365 * 24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("CA certificate: %w", err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, fmt.Errorf("CA certificate: %w", err)
	}

	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("server key: %w", err)
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: Serial(),
		Subject:      pkix.Name{CommonName: "credwatch local server"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(364 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	if listenHost != "" && listenHost != "localhost" {
		if ip := net.ParseIP(listenHost); ip == nil {
			leafTmpl.DNSNames = append(leafTmpl.DNSNames, listenHost)
		} else if !ip.IsUnspecified() && !ip.IsLoopback() {
			leafTmpl.IPAddresses = append(leafTmpl.IPAddresses, ip)
		}
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &leafKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("server certificate: %w", err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	return &PKI{
		CAPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		Roots: roots,
		Leaf:  tls.Certificate{Certificate: [][]byte{leafDER, caDER}, PrivateKey: leafKey},
	}, nil
}

func Serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil || n.Sign() == 0 {
		return big.NewInt(time.Now().UnixNano())
	}
	return n
}
