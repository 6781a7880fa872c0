package transient

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"
)

// A connection closed under a body read surfaces as net.ErrClosed, bare or
// wrapped; it is as transient as a reset. Configuration problems are not.
func TestTransientClassification(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"closed connection", net.ErrClosed, true},
		{"closed connection wrapped", fmt.Errorf("read body: %w", net.ErrClosed), true},
		{"reset", syscall.ECONNRESET, true},
		{"unexpected EOF", io.ErrUnexpectedEOF, true},
		{"cancelled", context.Canceled, false},
		{"unknown authority", x509.UnknownAuthorityError{}, false},
		{"plain error", errors.New("boom"), false},
	}
	for _, tt := range tests {
		if got := Is(tt.err); got != tt.want {
			t.Errorf("%s: Is = %v, want %v", tt.name, got, tt.want)
		}
	}
}
