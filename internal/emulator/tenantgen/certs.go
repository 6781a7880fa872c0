package tenantgen

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/big"
	"math/rand/v2"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// signingKey is the one key every generated certificate is self-signed
// with. It is derived from a constant, not drawn at random, so certificates
// are reproducible; ECDSA with a nil random source signs deterministically
// (RFC 6979). Key generation per certificate (RSA above all) would make
// large tenants slow.
var signingKey = sync.OnceValue(func() *ecdsa.PrivateKey {
	for ctr := uint32(0); ; ctr++ {
		var in [4]byte
		binary.BigEndian.PutUint32(in[:], ctr)
		scalar := sha256.Sum256(append([]byte("credwatch tenantgen certificate key "), in[:]...))
		k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), scalar[:])
		if err == nil {
			return k
		}
		// The hash was not a valid scalar (zero or above the order):
		// astronomically unlikely, but try the next one.
	}
})

// cert is an issued certificate, in the forms keyCredentials carry it.
type cert struct {
	subject   string    // "CN=..."
	der       string    // base64 of the DER certificate: keyCredential.key
	thumbB64  string    // base64 of the SHA-1 thumbprint bytes
	thumbHex  string    // upper-case hex thumbprint
	notBefore time.Time // whole seconds, UTC
	notAfter  time.Time
}

// issueCert makes a small self-signed certificate valid from nb to na.
func issueCert(cn string, serial uint64, nb, na time.Time) (cert, error) {
	cn = shortCN(cn)
	// X.509 dates stop at year 9999; clamp so no Now can break issuance.
	nb, na = clampCertTime(nb), clampCertTime(na)
	key := signingKey()
	tmpl := &x509.Certificate{
		SerialNumber:          new(big.Int).SetUint64(serial),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             nb,
		NotAfter:              na,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(nil, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return cert{}, fmt.Errorf("create certificate %q: %w", cn, err)
	}
	sum := sha1.Sum(der)
	return cert{
		subject:   "CN=" + cn,
		der:       base64.StdEncoding.EncodeToString(der),
		thumbB64:  base64.StdEncoding.EncodeToString(sum[:]),
		thumbHex:  strings.ToUpper(hex.EncodeToString(sum[:])),
		notBefore: nb,
		notAfter:  na,
	}, nil
}

var (
	certTimeMin = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	certTimeMax = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
)

func clampCertTime(t time.Time) time.Time {
	switch {
	case t.Before(certTimeMin):
		return certTimeMin
	case t.After(certTimeMax):
		return certTimeMax
	}
	return t
}

// shortCN keeps a common name within X.509's 64-character bound, on a rune
// boundary; very long display names would otherwise make invalid subjects.
func shortCN(cn string) string {
	if cn == "" {
		return "app"
	}
	for len(cn) > 64 || !utf8.ValidString(cn) {
		_, size := utf8.DecodeLastRuneInString(cn)
		cn = cn[:len(cn)-size]
	}
	return cn
}

// certClass is a certificate's lifetime shape; a reused certificate must
// be of the class asked for, so the findings a tenant shows do not depend on
// whether its certificates were reused.
type certClass uint8

const (
	certNormal  certClass = iota // 1 year or less, valid for a while
	certTwoYear                  // 2 years, valid
	certLong                     // 3 or 5 years
	certDecades                  // 20 to 30 years, so more than 10
	certExpired                  // ended 1 to 400 days ago
	certSoon7                    // ends within 7 days
	certSoon30                   // ends in 8 to 30 days
	certManaged                  // Azure-managed identity certificate, 90 days
	numCertClasses
)

// certPool issues certificates for one run. Up to perClassUnique
// certificates per class are distinct; after that it hands out earlier ones
// again, so a 100k-app tenant costs a few hundred signatures, not 100k.
type certPool struct {
	r              *rand.Rand
	now            time.Time
	perClassUnique int
	issued         [numCertClasses][]cert
	serial         uint64
}

func newCertPool(r *rand.Rand, now time.Time, perClassUnique int) *certPool {
	return &certPool{r: r, now: now, perClassUnique: perClassUnique}
}

// get returns a certificate of the class for a credential named cn.
func (p *certPool) get(cn string, class certClass) cert {
	if n := len(p.issued[class]); n >= p.perClassUnique {
		return p.issued[class][p.r.IntN(n)]
	}
	nb, na := p.dates(class)
	return p.issue(cn, class, nb, na)
}

// issue makes a new certificate with exact dates and remembers it for reuse.
func (p *certPool) issue(cn string, class certClass, nb, na time.Time) cert {
	p.serial++
	c, err := issueCert(cn, p.serial<<20|uint64(p.r.IntN(1<<20)), nb, na)
	if err != nil {
		// Only a broken signer fails here; the inputs are all ours.
		panic(err)
	}
	p.issued[class] = append(p.issued[class], c)
	return c
}

// dates draws validity dates for a class, relative to now.
func (p *certPool) dates(class certClass) (nb, na time.Time) {
	r, now := p.r, p.now
	switch class {
	case certTwoYear:
		nb = now.Add(-between(r, days(1), days(600)))
		return nb, nb.AddDate(2, 0, 0)
	case certLong:
		nb = now.Add(-between(r, days(30), days(900)))
		return nb, nb.AddDate(pick(r, []int{3, 5}), 0, 0)
	case certDecades:
		nb = now.Add(-between(r, days(100), days(2500)))
		return nb, nb.AddDate(pick(r, []int{20, 25, 30}), 0, 0)
	case certExpired:
		na = now.Add(-between(r, days(1), days(400)))
		return na.AddDate(-pick(r, []int{1, 1, 2}), 0, 0), na
	case certSoon7:
		na = now.Add(between(r, time.Hour, days(7)))
		return na.Add(-days(pick(r, []int{180, 330, 365}))), na
	case certSoon30:
		na = now.Add(between(r, days(8), days(30)))
		return na.Add(-days(pick(r, []int{180, 330, 365}))), na
	case certManaged:
		nb = now.Add(-between(r, 0, days(45)))
		return nb, nb.Add(days(90))
	default:
		life := pick(r, []int{90, 180, 330, 365})
		nb = now.Add(-between(r, 0, days(life-40)))
		return nb, nb.Add(days(life))
	}
}
