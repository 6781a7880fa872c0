package store

import (
	"errors"
	"fmt"
)

var (
	// ErrInvalidDSN wraps every problem with a store DSN (unknown scheme,
	// unparseable PostgreSQL URL, unusable path): a configuration error.
	ErrInvalidDSN = errors.New("invalid store dsn")
	// ErrNotFound is returned when a scan id does not exist.
	ErrNotFound = errors.New("scan not found")
	// ErrIncompleteScan is returned by Compare for a partial scan: its gaps
	// must not read as removals.
	ErrIncompleteScan = errors.New("scan is incomplete")
	// ErrTenantMismatch is returned by Compare for scans of two tenants.
	ErrTenantMismatch = errors.New("scans are of different tenants")
)

// SchemaTooNewError is returned by Open when the store was migrated by a
// newer credwatch. The store is left as it was.
type SchemaTooNewError struct {
	Version   int64 // the store's schema version
	Supported int64 // the newest version this binary knows
}

func (e *SchemaTooNewError) Error() string {
	return fmt.Sprintf("store schema version %d is newer than this credwatch supports (%d); upgrade credwatch",
		e.Version, e.Supported)
}
