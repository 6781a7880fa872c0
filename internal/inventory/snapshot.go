package inventory

import (
	"time"

	"github.com/credwatch/credwatch/internal/msgraph"
)

// SnapshotKind and SnapshotSchemaVersion identify credwatch's own snapshot
// format: everything a live scan fetched, in Graph's shapes, so an offline
// run takes the same path after loading as a live one.
const (
	SnapshotKind          = "credwatch.snapshot"
	SnapshotSchemaVersion = 1
)

// Snapshot is what one collection read from a tenant, before it is turned
// into a Tenant. It is the on-disk snapshot format and the output of live
// collection alike.
type Snapshot struct {
	SchemaVersion int       `json:"schemaVersion"`
	Kind          string    `json:"kind"`
	CollectedAt   time.Time `json:"collectedAt"`
	// Complete is false when some part could not be fetched; Incomplete
	// lists each reason.
	Complete   bool     `json:"complete"`
	Incomplete []string `json:"incomplete,omitempty"`
	// Vaults are the Key Vaults read beside the directory (optional;
	// files without the section load as before).
	Vaults []Vault `json:"vaults,omitempty"`
	msgraph.Directory
}
