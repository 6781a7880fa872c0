package store

import (
	"time"

	"github.com/credwatch/credwatch/internal/inventory"
	"github.com/credwatch/credwatch/internal/policy"
)

// Record is one stored scan: the tenant as collected and the findings
// evaluated on it.
//
// Load gives back exactly what Save was given, with two documented
// normalisations: times come back in UTC (the same instants, without
// monotonic clock readings), and empty slices and maps come back nil.
type Record struct {
	ID        int64 // set by Load; Save ignores it
	Tenant    *inventory.Tenant
	Findings  []policy.Finding
	ScannedAt time.Time // when the scan ran; Save uses the current time if zero
}

// ScanInfo summarises a stored scan without loading it.
type ScanInfo struct {
	ID          int64     `json:"id"`
	TenantID    string    `json:"tenantId"`
	Source      string    `json:"source"`
	ScannedAt   time.Time `json:"scannedAt"`
	CollectedAt time.Time `json:"collectedAt,omitzero"`
	Complete    bool      `json:"complete"`
	Incomplete  []string  `json:"incomplete,omitempty"`
	Objects     int       `json:"objects"`
	Credentials int       `json:"credentials"`
	Findings    int       `json:"findings"`
}

// Filter selects scans. Zero fields select everything.
type Filter struct {
	TenantID string
	Since    time.Time // scans at or after this time
	Limit    int       // at most this many, newest first; 0 = no limit
}

// info summarises a record as Scans would list it.
func (r *Record) info() ScanInfo {
	si := ScanInfo{ID: r.ID, ScannedAt: r.ScannedAt, Findings: len(r.Findings)}
	if t := r.Tenant; t != nil {
		si.TenantID, si.Source = t.ID, t.Source
		si.CollectedAt, si.Complete, si.Incomplete = t.CollectedAt, t.Complete, t.Incomplete
		si.Objects = len(t.Objects)
		for i := range t.Objects {
			si.Credentials += len(t.Objects[i].Credentials)
		}
	}
	return si
}
