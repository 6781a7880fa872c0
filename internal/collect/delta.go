package collect

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/credwatch/credwatch/internal/azure/graph"
	"github.com/credwatch/credwatch/internal/inventory"
	"github.com/credwatch/credwatch/internal/msgraph"
)

// ErrDeltaExpired is wrapped by Delta's error when Graph no longer knows
// the sync state the links point at (they are older than Graph keeps
// them, 7 days for directory objects, or otherwise unusable): only a full
// collection can go on.
var ErrDeltaExpired = errors.New("delta state expired")

// Delta brings base, a complete snapshot that Full or an earlier Delta
// produced together with links, up to date: it reads what changed since
// links, applies the changed properties, adds new objects and drops
// removed ones, reads owners, federated credentials and app role
// assignments again for the changed objects only, and reads the resource
// service principals again (a batch or two). base is updated in place and
// returned, with the links for next time. Graph may report a change more
// than once; applying it again changes nothing.
func Delta(ctx context.Context, c *graph.Client, base *inventory.Snapshot, links DeltaLinks, o Options) (*inventory.Snapshot, DeltaLinks, error) {
	if c == nil {
		return nil, DeltaLinks{}, errors.New("collect: no graph client")
	}
	if base == nil || !base.Complete {
		return nil, DeltaLinks{}, errors.New("delta: the base snapshot must be complete")
	}
	if links.Applications == "" || links.ServicePrincipals == "" {
		return nil, DeltaLinks{}, fmt.Errorf("delta: no saved delta links: %w", ErrDeltaExpired)
	}
	col := newCollector(c, o)
	started := col.o.Now().UTC()
	before := c.Stats()
	if o.Interner == nil {
		// Changes read share the strings of the base: share them first.
		for i := range base.Applications {
			col.in.Application(&base.Applications[i])
		}
		for i := range base.ServicePrincipals {
			col.in.ServicePrincipal(&base.ServicePrincipals[i])
		}
	}

	var (
		appChanges, spChanges []change
		next                  DeltaLinks
		appErr, spErr         error
		wg                    sync.WaitGroup
	)
	wg.Go(func() { appChanges, next.Applications, appErr = readChanges(ctx, c, links.Applications) })
	wg.Go(func() { spChanges, next.ServicePrincipals, spErr = readChanges(ctx, c, links.ServicePrincipals) })
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, DeltaLinks{}, err
	}
	for _, e := range []struct {
		what string
		err  error
	}{{"applications", appErr}, {"service principals", spErr}} {
		if e.err == nil {
			continue
		}
		if stateGone(e.err) {
			return nil, DeltaLinks{}, fmt.Errorf("delta of %s: %w: %w", e.what, ErrDeltaExpired, e.err)
		}
		return nil, DeltaLinks{}, fmt.Errorf("delta of %s: %w", e.what, e.err)
	}

	f := newFeed(true)
	apps, err := applyChanges(base.Applications, appChanges, func(a *msgraph.Application) string { return a.ID }, col.in.Application)
	if err != nil {
		return nil, DeltaLinks{}, fmt.Errorf("apply application changes: %w", err)
	}
	sps, err := applyChanges(base.ServicePrincipals, spChanges, func(p *msgraph.ServicePrincipal) string { return p.ID }, col.in.ServicePrincipal)
	if err != nil {
		return nil, DeltaLinks{}, fmt.Errorf("apply service principal changes: %w", err)
	}
	// The slices no longer move: queue the changed objects' lookups.
	for _, ch := range appChanges {
		if !ch.removed {
			f.addApps(apps[ch.index : ch.index+1])
		}
	}
	for _, ch := range spChanges {
		if !ch.removed {
			f.addSPs(sps[ch.index : ch.index+1])
		}
	}
	f.close()
	if err := col.details(ctx, f); err != nil {
		return nil, DeltaLinks{}, err
	}
	resources, err := col.resources(ctx, sps)
	if err != nil {
		return nil, DeltaLinks{}, err
	}
	snap := col.snapshot(base.TenantID, started, apps, sps, resources)
	snap.Activity = nil
	col.summary("collected tenant changes", snap, before)
	col.o.Logger.Info("delta applied", "tenant", snap.TenantID,
		"applications_changed", countChanged(appChanges), "applications_removed", countRemoved(appChanges),
		"service_principals_changed", countChanged(spChanges), "service_principals_removed", countRemoved(spChanges))
	return snap, next, nil
}

// stateGone reports an answer that says the saved sync state cannot be
// used: expired (410, syncStateNotFound...) or refused as a request (a
// 4xx other than authorisation and throttling). Either way a full
// collection is the way on; a failure that would fail it too is not.
func stateGone(err error) bool {
	if graph.IsDeltaExpired(err) {
		return true
	}
	var ge *graph.Error
	if !errors.As(err, &ge) {
		return errors.Is(err, graph.ErrNoDeltaLink)
	}
	switch s := ge.StatusCode; {
	case s == http.StatusUnauthorized, s == http.StatusForbidden, s == http.StatusTooManyRequests:
		return false
	case s >= 400 && s < 500:
		return true
	}
	return false
}

// change is one object in a delta round: the properties Graph sent
// (merged over repeats, later ones winning) or its removal. index is set
// by applyChanges: where the object now is.
type change struct {
	id      string
	fields  map[string]json.RawMessage
	removed bool
	index   int
}

// readChanges reads one delta round, merging repeats of an object.
func readChanges(ctx context.Context, c *graph.Client, link string) ([]change, string, error) {
	var out []change
	at := map[string]int{}
	next, err := graph.Delta(ctx, c, link, func(items []map[string]json.RawMessage) error {
		for _, it := range items {
			var id string
			if err := json.Unmarshal(it["id"], &id); err != nil || id == "" {
				return errors.New("delta item without an id")
			}
			key := strings.ToLower(id)
			i, seen := at[key]
			if !seen {
				at[key] = len(out)
				i = len(out)
				out = append(out, change{id: id, fields: map[string]json.RawMessage{}})
			}
			ch := &out[i]
			if _, gone := it["@removed"]; gone {
				ch.removed, ch.fields = true, map[string]json.RawMessage{}
				continue
			}
			ch.removed = false
			for k, v := range it {
				if !strings.HasPrefix(k, "@") && !strings.Contains(k, "@") {
					ch.fields[k] = v
				}
			}
		}
		return nil
	})
	return out, next, err
}

// applyChanges updates objs: changed properties overlaid, new objects
// appended, removed ones dropped (order kept). It sets each change's index
// into the returned slice; intern shares the new strings.
func applyChanges[T any](objs []T, changes []change, idOf func(*T) string, intern func(*T)) ([]T, error) {
	where := make(map[string]int, len(objs))
	for i := range objs {
		where[strings.ToLower(idOf(&objs[i]))] = i
	}
	added := 0
	for _, ch := range changes {
		if _, exists := where[strings.ToLower(ch.id)]; !exists && !ch.removed {
			added++
		}
	}
	objs = slices.Grow(objs, added) // one copy at most, not one per growth step
	drop := map[int]bool{}
	for k := range changes {
		ch := &changes[k]
		i, exists := where[strings.ToLower(ch.id)]
		switch {
		case ch.removed:
			if exists {
				drop[i] = true
			}
		case exists:
			if err := overlay(&objs[i], ch.fields); err != nil {
				return nil, fmt.Errorf("%s: %w", ch.id, err)
			}
			intern(&objs[i])
		default:
			var v T
			if err := overlay(&v, ch.fields); err != nil {
				return nil, fmt.Errorf("%s: %w", ch.id, err)
			}
			intern(&v)
			where[strings.ToLower(ch.id)] = len(objs)
			objs = append(objs, v)
		}
	}
	if len(drop) > 0 {
		kept := objs[:0]
		moved := make(map[int]int, len(objs))
		for i := range objs {
			if !drop[i] {
				moved[i] = len(kept)
				kept = append(kept, objs[i])
			}
		}
		clear(objs[len(kept):]) // let the dropped objects go
		objs = kept
		for k, v := range where {
			if n, ok := moved[v]; ok {
				where[k] = n
			} else {
				delete(where, k)
			}
		}
	}
	for k := range changes {
		if !changes[k].removed {
			changes[k].index = where[strings.ToLower(changes[k].id)]
		}
	}
	return objs, nil
}

// overlay sets the properties in fields on *dst, leaving the others as
// they were. Graph sends at least the changed properties of a changed
// object, so only those present may change.
func overlay[T any](dst *T, fields map[string]json.RawMessage) error {
	cur, err := json.Marshal(dst)
	if err != nil {
		return err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(cur, &m); err != nil {
		return err
	}
	for k, v := range fields {
		m[k] = v
	}
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	var fresh T
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&fresh); err != nil {
		return err
	}
	*dst = fresh
	return nil
}

func countChanged(cs []change) (n int) {
	for _, c := range cs {
		if !c.removed {
			n++
		}
	}
	return n
}

func countRemoved(cs []change) int { return len(cs) - countChanged(cs) }
