package keyvault

import (
	"crypto"
	"crypto/x509"
	"errors"

	"software.sslmate.com/src/go-pkcs12"
)

// Errors of reading a PKCS#12 file; they name the problem, never the
// content.
var (
	errPFXSyntax      = errors.New("not a PKCS#12 file that can be read")
	errPFXPassword    = errors.New("the password is wrong, or the file is damaged")
	errPFXUnsupported = errors.New("the PKCS#12 file uses an algorithm credwatch does not read")
)

// decodePFX reads a PKCS#12 file as users export it (OpenSSL 3's AES,
// OpenSSL 1.1's and Windows' 3DES and RC2, with or without a password):
// its private key, the certificate for it, then the rest of the chain.
func decodePFX(data []byte, password string) (crypto.PrivateKey, []*x509.Certificate, error) {
	key, leaf, chain, err := pkcs12.DecodeChain(data, password)
	var notImplemented pkcs12.NotImplementedError
	switch {
	case errors.Is(err, pkcs12.ErrIncorrectPassword):
		return nil, nil, errPFXPassword
	case errors.As(err, &notImplemented):
		return nil, nil, errPFXUnsupported
	case err != nil:
		return nil, nil, errPFXSyntax
	}
	return key, append([]*x509.Certificate{leaf}, chain...), nil
}
