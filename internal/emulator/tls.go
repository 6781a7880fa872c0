package emulator

import (
	"crypto/tls"
	"crypto/x509"
	"time"

	"github.com/credwatch/credwatch/internal/localtls"
)

// pki is the CA generated at start and the server certificate it signed.
type pki struct {
	caPEM []byte
	roots *x509.CertPool
	leaf  tls.Certificate
}

// newPKI makes a fresh CA and a server certificate for loopback (and the
// listen host, when it names something else). TLS validity uses the real
// clock: clients check it against theirs, not against Options.Now.
func newPKI(listenHost string, now time.Time) (*pki, error) {
	p, err := localtls.New(listenHost, now)
	if err != nil {
		return nil, err
	}
	return &pki{caPEM: p.CAPEM, roots: p.Roots, leaf: p.Leaf}, nil
}
