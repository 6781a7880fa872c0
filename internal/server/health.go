package server

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/credwatch/credwatch/internal/store"
)

// healthz says the process is up and serving; it checks nothing else, so
// a slow store or a failing tenant never gets the process restarted.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

type readyDoc struct {
	Status   string         `json:"status"` // ready | not ready
	Problems []string       `json:"problems,omitempty"`
	Tenants  []readyTenant  `json:"tenants"`
	Checks   map[string]any `json:"checks,omitempty"`
}

type readyTenant struct {
	Tenant     string     `json:"tenant"`
	Ready      bool       `json:"ready"`
	Problem    string     `json:"problem,omitempty"`
	LastScanID int64      `json:"lastScanId,omitempty"`
	ScannedAt  *time.Time `json:"scannedAt,omitempty"`
	Complete   bool       `json:"complete"`
	Scanning   bool       `json:"scanning"`
	LastError  string     `json:"lastError,omitempty"`
}

// readyz answers 200 when every tenant's newest scan is complete and, with
// a scheduler, younger than twice the interval, and Options.Ready agrees;
// otherwise 503. Either way the JSON body says why.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	now := s.now().UTC()
	doc := readyDoc{Status: "ready", Tenants: []readyTenant{}}
	for _, id := range s.tenants {
		rt := readyTenant{Tenant: id}
		st := s.status(id)
		rt.Scanning, rt.LastError = st.Scanning, st.LastErr
		latest, err := s.store.Scans(r.Context(), store.Filter{TenantID: id, Limit: 1})
		switch {
		case err != nil:
			s.log.Error("readiness: read scans", "tenant", id, "err", err)
			rt.Problem = "the scan history could not be read"
		case len(latest) == 0:
			rt.Problem = "no scan stored yet"
		default:
			si := latest[0]
			at := si.ScannedAt
			rt.LastScanID, rt.ScannedAt, rt.Complete = si.ID, &at, si.Complete
			age := now.Sub(si.ScannedAt)
			switch {
			case !si.Complete:
				why := strings.Join(si.Incomplete, "; ")
				if why == "" {
					why = "no reason recorded"
				}
				rt.Problem = "last scan is incomplete: " + why
			case s.o.Interval > 0 && age > 2*s.o.Interval:
				rt.Problem = fmt.Sprintf("last scan is stale: %s old, more than twice the %s interval",
					age.Round(time.Second), s.o.Interval)
			}
		}
		rt.Ready = rt.Problem == ""
		if !rt.Ready {
			doc.Problems = append(doc.Problems, "tenant "+id+": "+rt.Problem)
		}
		doc.Tenants = append(doc.Tenants, rt)
	}
	if s.o.Ready != nil {
		ok, detail := s.o.Ready()
		doc.Checks = detail
		if !ok {
			doc.Problems = append(doc.Problems, "an extra readiness check failed (see checks)")
		}
	}
	status := http.StatusOK
	if len(doc.Problems) > 0 {
		doc.Status, status = "not ready", http.StatusServiceUnavailable
	}
	writeJSON(w, status, doc)
}
