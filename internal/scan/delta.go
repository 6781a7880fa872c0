package scan

import (
	"context"
	"errors"
	"fmt"

	"github.com/credwatch/credwatch/internal/activity"
	"github.com/credwatch/credwatch/internal/azure"
	"github.com/credwatch/credwatch/internal/azure/graph"
	"github.com/credwatch/credwatch/internal/collect"
	"github.com/credwatch/credwatch/internal/inventory"
	"github.com/credwatch/credwatch/internal/store"
)

// IncrementalOptions tune an incremental source.
type IncrementalOptions struct {
	// Full reads the whole tenant even when the store holds delta state
	// (the CLI's --full): a fresh baseline is saved all the same.
	Full bool
	// ResourceUnits is the Graph budget to pace to, resource units per
	// 10 s; 0 learns it from Graph's answers (graph.Options.ResourceUnits).
	ResourceUnits int
}

// Incremental makes a live source read only what changed since its
// tenant's last scan: with delta state in st (saved by the previous scan
// through this source) it asks Graph's delta queries for the changes,
// applies them to the saved snapshot and reads relationships again for the
// changed objects only; without it, or when Graph has let the state expire
// (after 7 days), it reads the whole tenant, saying so in a log line.
// Either way, a complete result and new delta links are saved for the next
// scan; an incomplete one leaves the last complete state in place. The
// inventory is the same a full scan would read. Sources other than Live
// are returned unchanged, as is any source when st is nil.
func Incremental(src Source, st *store.Store, o IncrementalOptions) Source {
	l, ok := src.(*live)
	if !ok || st == nil {
		return src
	}
	return &incremental{live: l, st: st, o: o}
}

type incremental struct {
	*live
	st *store.Store
	o  IncrementalOptions
}

func (s *incremental) Read(ctx context.Context, w Window) (*inventory.Snapshot, error) {
	log, tenant := s.live.o.Logger, s.auth.TenantID
	gc, err := azure.NewGraphClient(s.auth, s.cred, graph.Options{Logger: log, ResourceUnits: s.o.ResourceUnits})
	if err != nil {
		return nil, err
	}
	co := collect.Options{Logger: log, Now: s.live.o.Now, Progress: s.live.o.Progress}
	var (
		snap  *inventory.Snapshot
		links collect.DeltaLinks
	)
	if !s.o.Full {
		state, err := s.st.LoadDeltaState(ctx, tenant)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			log.Warn("delta state unreadable; running a full scan", "tenant", tenant, "err", err)
		}
		returnMemory() // decoding the snapshot
		if state != nil {
			saved := collect.DeltaLinks{Applications: state.ApplicationsLink, ServicePrincipals: state.ServicePrincipalsLink}
			dco := co
			dco.Interner = state.Interner
			snap, links, err = collect.Delta(ctx, gc, state.Snapshot, saved, dco)
			switch {
			case errors.Is(err, collect.ErrDeltaExpired):
				log.Info("delta token expired; running a full scan", "tenant", tenant, "saved", state.SavedAt, "reason", err)
				snap = nil
			case err != nil:
				return nil, fmt.Errorf("collect changes of tenant %s: %w", tenant, err)
			}
		} else if err == nil {
			log.Info("no delta state yet; running a full scan", "tenant", tenant)
		}
	}
	if snap == nil {
		if snap, links, err = collect.Full(ctx, gc, tenant, co); err != nil {
			return nil, fmt.Errorf("collect tenant %s: %w", tenant, err)
		}
	}
	returnMemory() // reading the tenant
	if snap.Complete {
		err := s.st.SaveDeltaState(ctx, &store.DeltaState{TenantID: tenant, ApplicationsLink: links.Applications,
			ServicePrincipalsLink: links.ServicePrincipals, Snapshot: snap})
		if err != nil {
			// The scan itself is good; the next one will be a full one.
			log.Warn("delta state not saved", "tenant", tenant, "err", err)
		}
	} else {
		log.Info("scan incomplete; the last complete delta state is kept", "tenant", tenant)
	}
	if err := readActivity(ctx, gc, tenant, w, s.live.o, snap); err != nil {
		return nil, err
	}
	return snap, nil
}

// readActivity attaches the evidence over w to snap, as Live does.
func readActivity(ctx context.Context, gc *graph.Client, tenant string, w Window, o ReadOptions, snap *inventory.Snapshot) error {
	if w == (Window{}) {
		return nil
	}
	if o.Progress != nil {
		o.Progress("activity", 0, 0)
	}
	a, err := activity.Fetch(ctx, gc, activity.FetchOptions{AuditSince: w.AuditSince, SignInsSince: w.SignInsSince, Logger: o.Logger, Now: o.Now})
	if a == nil {
		return fmt.Errorf("read activity of tenant %s: %w", tenant, err)
	}
	for part, why := range a.Unavailable {
		o.Logger.Warn("activity evidence unavailable", "part", part, "reason", why)
	}
	snap.Activity = a
	return nil
}
