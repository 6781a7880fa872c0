// Package transient decides which transport failures are worth another
// attempt, for every Azure client credwatch has: resets, early EOFs and
// timeouts are; certificate and name resolution failures are configuration
// problems and are not.
package transient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"syscall"
)

// Is reports whether a transport error is worth another
// attempt: resets, early EOFs and timeouts are; certificate and name
// resolution failures are configuration problems and are not.
func Is(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var (
		verr *tls.CertificateVerificationError
		uerr x509.UnknownAuthorityError
		herr x509.HostnameError
		cerr x509.CertificateInvalidError
		derr *net.DNSError
	)
	if errors.As(err, &verr) || errors.As(err, &uerr) || errors.As(err, &herr) || errors.As(err, &cerr) {
		return false
	}
	if errors.As(err, &derr) {
		return derr.IsTemporary || derr.IsTimeout
	}
	// net.ErrClosed: the peer's close raced our read of the body, which a
	// TLS connection reports without wrapping it in a net.OpError.
	for _, target := range []error{io.EOF, io.ErrUnexpectedEOF, syscall.ECONNRESET, syscall.ECONNABORTED,
		syscall.EPIPE, syscall.ECONNREFUSED, net.ErrClosed} {
		if errors.Is(err, target) {
			return true
		}
	}
	var nerr net.Error
	if errors.As(err, &nerr) && nerr.Timeout() {
		return true
	}
	var operr *net.OpError
	return errors.As(err, &operr)
}
