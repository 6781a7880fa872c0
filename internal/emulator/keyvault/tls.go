package keyvault

import (
	"time"

	"github.com/credwatch/credwatch/internal/localtls"
)

// newPKI makes the CA and server certificate every vault listener shares.
// TLS validity uses the real clock: clients check it against theirs, not
// against Options.Now.
func newPKI(listenHost string, now time.Time) (*localtls.PKI, error) {
	return localtls.New(listenHost, now)
}
