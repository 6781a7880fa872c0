package server

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/credwatch/credwatch/internal/policy"
	"github.com/credwatch/credwatch/internal/report"
	"github.com/credwatch/credwatch/internal/store"
)

// APISchemaVersion versions the JSON API's own documents (the scan list
// and the findings). /api/v1/scans/{id} returns the scan document of
// `credwatch scan --format json`, versioned by report.SchemaVersion.
const APISchemaVersion = 1

const maxAPIScans = 1000

type apiScanList struct {
	SchemaVersion int              `json:"schemaVersion"`
	Kind          string           `json:"kind"`
	Scans         []store.ScanInfo `json:"scans"`
}

// apiScans lists scans of the served tenants, newest first: ?tenant=
// narrows to one, ?limit= (default 100, at most 1000) caps the list.
func (s *Server) apiScans(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	tenant := v.Get("tenant")
	if tenant != "" && !s.serves(tenant) {
		apiError(w, http.StatusNotFound, fmt.Sprintf("tenant %q is not served here", tenant))
		return
	}
	limit, err := positive(v, "limit", 100, maxAPIScans)
	if err != nil {
		apiError(w, http.StatusBadRequest, err.Error())
		return
	}
	out := apiScanList{SchemaVersion: APISchemaVersion, Kind: "credwatch.scans", Scans: []store.ScanInfo{}}
	for _, id := range s.tenants {
		if tenant != "" && id != tenant {
			continue
		}
		got, err := s.store.Scans(r.Context(), store.Filter{TenantID: id, Limit: limit})
		if err != nil {
			s.log.Error("api: list scans", "tenant", id, "err", err)
			apiError(w, http.StatusInternalServerError, "the scan history could not be read")
			return
		}
		out.Scans = append(out.Scans, got...)
	}
	slices.SortFunc(out.Scans, func(a, b store.ScanInfo) int {
		return cmp.Or(b.ScannedAt.Compare(a.ScannedAt), cmp.Compare(b.ID, a.ID))
	})
	out.Scans = out.Scans[:min(len(out.Scans), limit)]
	writeJSON(w, http.StatusOK, out)
}

// apiScan is one stored scan as the scan JSON document, days left counted
// from the scan's own time, exactly as the CLI wrote it then.
func (s *Server) apiScan(w http.ResponseWriter, r *http.Request) {
	rec, err := s.loadServedScan(r)
	if errors.Is(err, store.ErrNotFound) {
		apiError(w, http.StatusNotFound, "no such scan of a tenant served here")
		return
	}
	if err != nil {
		s.log.Error("api: load scan", "path", r.URL.Path, "err", err)
		apiError(w, http.StatusInternalServerError, "the scan could not be read")
		return
	}
	writeJSON(w, http.StatusOK, report.NewScan(rec.Tenant, rec.Findings, rec.ScannedAt))
}

type apiFindingsDoc struct {
	SchemaVersion int                 `json:"schemaVersion"`
	Kind          string              `json:"kind"`
	Tenants       []apiTenantFindings `json:"tenants"`
}

// apiTenantFindings are the findings of a tenant's newest complete scan (or
// of its newest partial one, marked, while it has no complete scan).
type apiTenantFindings struct {
	Tenant     string           `json:"tenant"`
	ScanID     int64            `json:"scanId,omitempty"`
	ScannedAt  time.Time        `json:"scannedAt,omitzero"`
	Complete   bool             `json:"complete"`
	Incomplete []string         `json:"incomplete,omitempty"`
	Findings   []policy.Finding `json:"findings"`
}

// apiFindings returns the current findings of every served tenant, or of
// ?tenant= only.
func (s *Server) apiFindings(w http.ResponseWriter, r *http.Request) {
	tenant := r.URL.Query().Get("tenant")
	if tenant != "" && !s.serves(tenant) {
		apiError(w, http.StatusNotFound, fmt.Sprintf("tenant %q is not served here", tenant))
		return
	}
	doc := apiFindingsDoc{SchemaVersion: APISchemaVersion, Kind: "credwatch.findings", Tenants: []apiTenantFindings{}}
	now := s.now().UTC()
	for _, id := range s.tenants {
		if tenant != "" && id != tenant {
			continue
		}
		v, err := s.tenantView(r.Context(), id, now)
		if err != nil {
			s.log.Error("api: findings", "tenant", id, "err", err)
			apiError(w, http.StatusInternalServerError, "the scan history could not be read")
			return
		}
		tf := apiTenantFindings{Tenant: id, Findings: []policy.Finding{}}
		if v.Scan != nil {
			tf.ScanID, tf.ScannedAt = v.Shown.ID, v.Shown.ScannedAt
			tf.Complete, tf.Incomplete = v.Shown.Complete, v.Shown.Incomplete
			tf.Findings = v.Scan.Findings
		}
		doc.Tenants = append(doc.Tenants, tf)
	}
	writeJSON(w, http.StatusOK, doc)
}
