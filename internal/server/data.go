package server

import (
	"context"
	"fmt"
	"time"

	"github.com/credwatch/credwatch/internal/inventory"
	"github.com/credwatch/credwatch/internal/policy"
	"github.com/credwatch/credwatch/internal/report"
	"github.com/credwatch/credwatch/internal/store"
)

// tenantView is what the pages show of one tenant: the newest complete
// scan (a partial one's gaps must not read as removals or "all clear"),
// or the newest partial scan, flagged, while there is no complete one.
type tenantView struct {
	ID     string
	Latest *store.ScanInfo // newest scan of any kind; nil when none
	Shown  *store.ScanInfo // the scan whose data is shown
	Record *store.Record   // Shown, loaded; read-only (cached)
	Scan   *report.Scan    // Record as a report document, days counted from now
	Status tenantStatus
	// NewerPartial is set when Latest is incomplete and newer than Shown.
	NewerPartial bool
}

// tenantView loads a tenant's view; a tenant without scans has only ID and
// Status.
func (s *Server) tenantView(ctx context.Context, tenantID string, now time.Time) (*tenantView, error) {
	v := &tenantView{ID: tenantID, Status: s.status(tenantID)}
	latest, err := s.store.Scans(ctx, store.Filter{TenantID: tenantID, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(latest) == 0 {
		return v, nil
	}
	v.Latest, v.Shown = &latest[0], &latest[0]
	if !v.Latest.Complete {
		lc, err := s.store.LatestComplete(ctx, tenantID, 0)
		if err != nil {
			return nil, err
		}
		if lc != nil {
			v.Shown, v.NewerPartial = lc, true
		}
	}
	if v.Record, err = s.record(ctx, v.Shown.ID); err != nil {
		return nil, err
	}
	v.Scan = report.NewScan(v.Record.Tenant, v.Record.Findings, now)
	return v, nil
}

// tenantViews loads every served tenant's view, in configured order.
func (s *Server) tenantViews(ctx context.Context, now time.Time) ([]*tenantView, error) {
	out := make([]*tenantView, 0, len(s.tenants))
	for _, id := range s.tenants {
		v, err := s.tenantView(ctx, id, now)
		if err != nil {
			return nil, fmt.Errorf("tenant %s: %w", id, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// record loads a stored scan through the cache. Callers must not modify it.
func (s *Server) record(ctx context.Context, id int64) (*store.Record, error) {
	if r, ok := s.records.get(id); ok {
		return r, nil
	}
	r, err := s.store.Load(ctx, id)
	if err != nil {
		return nil, err
	}
	s.records.put(id, r)
	return r, nil
}

// diff compares two stored complete scans through the cache.
func (s *Server) diff(ctx context.Context, from, to int64) (*store.Diff, error) {
	key := [2]int64{from, to}
	if d, ok := s.diffs.get(key); ok {
		return d, nil
	}
	a, err := s.record(ctx, from)
	if err != nil {
		return nil, err
	}
	b, err := s.record(ctx, to)
	if err != nil {
		return nil, err
	}
	d, err := store.Compare(a, b)
	if err != nil {
		return nil, err
	}
	s.diffs.put(key, d)
	return d, nil
}

// credRow is a credential row of the dashboard: the report's row plus its
// tenant and the worst unsuppressed finding on that very credential.
type credRow struct {
	Tenant string
	report.CredentialRow
	HasSeverity bool
	Severity    policy.Severity
	Findings    int
}

type credKey struct{ object, key string }

// credRows flattens a tenant view into dashboard rows. Findings about the
// whole object (no key id) do not rank a credential.
func credRows(v *tenantView) []credRow {
	if v.Scan == nil {
		return nil
	}
	worst := map[credKey]policy.Severity{}
	count := map[credKey]int{}
	for _, f := range v.Scan.Findings {
		if f.Suppressed || f.KeyID == "" {
			continue
		}
		k := credKey{f.ObjectID, f.KeyID}
		if n, ok := worst[k]; !ok || f.Severity > n {
			worst[k] = f.Severity
		}
		count[k]++
	}
	rows := make([]credRow, 0, len(v.Scan.Credentials))
	for _, c := range v.Scan.Credentials {
		k := credKey{c.ObjectID, c.KeyID}
		sev, has := worst[k]
		rows = append(rows, credRow{Tenant: v.ID, CredentialRow: c, HasSeverity: has, Severity: sev, Findings: count[k]})
	}
	return rows
}

// findObject finds an object of a type by id in a tenant.
func findObject(t *inventory.Tenant, typ inventory.ObjectType, id string) *inventory.Object {
	if t == nil {
		return nil
	}
	for i := range t.Objects {
		if o := &t.Objects[i]; o.Type == typ && o.ID == id {
			return o
		}
	}
	return nil
}

// sameApp finds the other half of an app: the service principal of an
// application registration, or the registration of a service principal.
func sameApp(t *inventory.Tenant, o *inventory.Object) *inventory.Object {
	if t == nil || o.AppID == "" {
		return nil
	}
	for i := range t.Objects {
		if p := &t.Objects[i]; p.AppID == o.AppID && p.Type != o.Type {
			return p
		}
	}
	return nil
}
