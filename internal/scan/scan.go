package scan

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/credwatch/credwatch/internal/activity"
	"github.com/credwatch/credwatch/internal/inventory"
	"github.com/credwatch/credwatch/internal/policy"
	"github.com/credwatch/credwatch/internal/store"
)

// DefaultLookback is how far back a scan reads audit records and
// sign-ins. A scan reads from the previous scan or from the lookback,
// whichever is earlier: findings drawn from events (CW020, CW022, CW030)
// are judged again by every scan that can still see the event, with the
// configuration in force, rather than flickering out at the next scan.
const DefaultLookback = 7 * 24 * time.Hour

// Options configure one run.
type Options struct {
	Config *policy.Config
	// ConfigFor, when set, picks the policy by the tenant read, for sources
	// that learn their tenant only by reading it (snapshot files); a nil
	// result, or an empty tenant id, falls back to Config.
	ConfigFor func(tenantID string) *policy.Config
	// Store records the scan and supplies the previous one; nil runs
	// without history.
	Store *store.Store
	// Activity reads audit, sign-in, usage and policy evidence from live
	// sources.
	Activity bool
	// Lookback is the least evidence window; default DefaultLookback.
	Lookback time.Duration
	Now      func() time.Time
	Logger   *slog.Logger
}

// Result is one scan's outcome.
type Result struct {
	// At is the instant the tenant was judged: every deadline and "days
	// left" of the findings counts from it.
	At       time.Time
	Tenant   *inventory.Tenant
	Findings []policy.Finding
	// Config is the policy the findings were judged by.
	Config   *policy.Config
	Evidence *activity.Evidence
	// Record is the stored scan (nil without a store); Previous the last
	// complete scan before it, if any; Changes the diff between the two
	// when both are complete.
	Record   *store.Record
	Previous *store.ScanInfo
	Changes  *store.Diff
}

// Run reads src, judges the tenant and records the scan.
func Run(ctx context.Context, src Source, o Options) (*Result, error) {
	if o.Now == nil {
		o.Now = func() time.Time { return time.Now().UTC() }
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Config == nil {
		o.Config = policy.DefaultConfig()
	}
	if o.Lookback <= 0 {
		o.Lookback = DefaultLookback
	}
	started := o.Now()

	var prev *store.ScanInfo
	var err error
	if id := src.TenantID(); id != "" {
		if prev, err = previous(ctx, o.Store, id); err != nil {
			return nil, err
		}
	}
	var w Window
	if o.Activity {
		since := started.Add(-o.Lookback)
		if prev != nil && !prev.CollectedAt.IsZero() && prev.CollectedAt.Before(since) {
			since = prev.CollectedAt // nothing between the scans is missed
		}
		w = Window{AuditSince: since, SignInsSince: since}
	}
	snap, err := src.Read(ctx, w)
	if err != nil {
		return nil, err
	}
	t, err := Build(src, snap)
	if err != nil {
		return nil, err
	}
	o.Logger.Debug("inventory built", "tenant", t.ID, "objects", len(t.Objects))
	returnMemory() // the snapshot, consumed
	if src.TenantID() == "" && t.ID != "" {
		if prev, err = previous(ctx, o.Store, t.ID); err != nil {
			return nil, err
		}
	}
	var ev *activity.Evidence
	if snap.Activity != nil {
		if ev, err = activity.Parse(snap.Activity, t); err != nil {
			return nil, fmt.Errorf("activity evidence: %w", err)
		}
	}
	var prov *provenance
	if o.Store != nil && t.ID != "" && ev.Available(activity.PartAudits) {
		// The audit log keeps 30 days and a scan reads less: who added a
		// credential still there comes from earlier scans once its record
		// is out of the window, so CW020 keeps reporting it.
		if prov, err = recall(ctx, o.Store, t, ev); err != nil {
			return nil, err
		}
	}
	in := policy.Input{Tenant: t, Evidence: ev, Now: started}
	if prev != nil && ev.Available(activity.PartAudits) {
		// Only CW021 reads the previous scan, and only with the audit log.
		if in.Previous, err = o.Store.Baseline(ctx, prev.ID); err != nil {
			return nil, fmt.Errorf("previous scan: %w", err)
		}
	}
	cfg := o.Config
	if o.ConfigFor != nil && t.ID != "" {
		cfg = cmp.Or(o.ConfigFor(t.ID), cfg)
	}
	res := &Result{At: started, Tenant: t, Findings: policy.EvaluateInput(in, cfg), Config: cfg, Evidence: ev, Previous: prev}
	o.Logger.Debug("policy evaluated", "tenant", t.ID, "findings", len(res.Findings))
	if o.Store == nil {
		return res, nil
	}
	rec := &store.Record{Tenant: t, Findings: res.Findings, ScannedAt: started}
	if prev != nil && t.Complete {
		// Before saving, so a failure leaves this scan unrecorded and the
		// next one diffs from prev again. Read row by row: the previous
		// scan of a large tenant is never held beside this one.
		if res.Changes, err = o.Store.CompareStored(ctx, prev.ID, rec); err != nil {
			return nil, fmt.Errorf("compare with scan %d: %w", prev.ID, err)
		}
		o.Logger.Debug("compared with the previous scan", "tenant", t.ID, "previous", prev.ID)
	}
	// Only the newest view of the tenant writes: an old snapshot file
	// must not undo what later scans learnt.
	if prov != nil && (prev == nil || !t.CollectedAt.Before(prev.CollectedAt)) {
		if err := prov.save(ctx, o.Store, t, ev); err != nil {
			// The scan is right; the next one may lose a record that
			// leaves the audit window before it is kept.
			o.Logger.Warn("who added the credentials was not kept", "tenant", t.ID, "err", err)
		}
	}
	id, err := o.Store.Save(ctx, rec)
	if err != nil {
		return nil, fmt.Errorf("record scan: %w", err)
	}
	rec.ID = id
	res.Record = rec
	if res.Changes != nil {
		res.Changes.To.ID = id
	}
	o.Logger.Info("scan recorded", "scan", id, "tenant", t.ID, "complete", t.Complete, "findings", len(res.Findings))
	return res, nil
}

// Build turns what src read into the inventory, consuming snap: only its
// Activity and Vaults are left. Bad data in a file is the user's to fix
// (an InputError); bad data from Graph is a scan failure.
func Build(src Source, snap *inventory.Snapshot) (*inventory.Tenant, error) {
	t, err := inventory.Consume(snap, src.Name())
	if err != nil {
		if _, ok := src.(files); ok {
			return nil, &InputError{err}
		}
		return nil, fmt.Errorf("build inventory: %w", err)
	}
	return t, nil
}

// returnMemory hands the heap's free pages back to the system between the
// steps of a scan. Each step leaves the garbage of a large tenant (the
// read's decoding, the Graph-shaped snapshot the inventory replaced); the
// collector frees it, but the runtime returns freed pages only slowly, so
// the next step's allocations came on top of pages the system still
// counted (20–25 MiB of a 100,000-app scan's peak). It costs one
// collection a step: a few hundred milliseconds at that size, against
// minutes of reading.
func returnMemory() { debug.FreeOSMemory() }

// previous is the last complete scan of tenantID, or nil.
func previous(ctx context.Context, st *store.Store, tenantID string) (*store.ScanInfo, error) {
	if st == nil {
		return nil, nil
	}
	info, err := st.LatestComplete(ctx, tenantID, 0)
	if err != nil {
		return nil, fmt.Errorf("find previous scan: %w", err)
	}
	return info, nil
}

// provenance is what the store held of a tenant's credential additions
// when the scan began.
type provenance struct {
	known  map[string]activity.Change // of the keys the tenant holds
	stored []string                   // every key with a record
	held   map[string]struct{}        // the keys the tenant holds
}

// recall adds to ev the additions earlier scans read of the credentials t
// holds.
func recall(ctx context.Context, st *store.Store, t *inventory.Tenant, ev *activity.Evidence) (*provenance, error) {
	held := activity.HeldKeys(t)
	known, stored, err := st.Provenance(ctx, t.ID, func(k string) bool { _, ok := held[k]; return ok })
	if err != nil {
		return nil, err
	}
	ev.Recall(known, t)
	return &provenance{known: known, stored: stored, held: held}, nil
}

// save keeps the additions ev holds that the store did not, and, after a
// complete scan, drops the records of credentials that are gone.
func (p *provenance) save(ctx context.Context, st *store.Store, t *inventory.Tenant, ev *activity.Evidence) error {
	held := ev.Provenance(t)
	upsert := map[string]activity.Change{}
	for k, ch := range held {
		if old, ok := p.known[k]; !ok || old.RecordID != ch.RecordID || !old.When.Equal(ch.When) {
			upsert[k] = ch
		}
	}
	var remove []string
	if t.Complete {
		for _, k := range p.stored {
			if _, ok := p.held[k]; !ok {
				remove = append(remove, k)
			}
		}
	}
	return st.UpdateProvenance(ctx, t.ID, upsert, remove)
}
