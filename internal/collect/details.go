package collect

import (
	"context"
	"slices"
	"strconv"
	"sync"

	"github.com/credwatch/credwatch/internal/azure/graph"
	"github.com/credwatch/credwatch/internal/msgraph"
)

// kind is a per-object relationship read through $batch.
type kind int

const (
	appOwners kind = iota
	spOwners
	appFICs
	spAssignments
)

// lookup is one relationship of one object. The object lives in a list
// page (or the snapshot a delta updates) that never moves, so the answer
// is stored through the pointer.
type lookup struct {
	kind kind
	app  *msgraph.Application
	sp   *msgraph.ServicePrincipal
}

// describe names the part for an Incomplete reason.
func (l lookup) describe() string {
	switch l.kind {
	case appOwners:
		return "owners of application " + l.app.ID
	case spOwners:
		return "owners of service principal " + l.sp.ID
	case appFICs:
		return "federated identity credentials of application " + l.app.ID
	default:
		return "app role assignments of service principal " + l.sp.ID
	}
}

func (l lookup) path() string {
	switch l.kind {
	case appOwners:
		return objectPath("applications", l.app.ID) + ownersQuery
	case spOwners:
		return objectPath("servicePrincipals", l.sp.ID) + ownersQuery
	case appFICs:
		return objectPath("applications", l.app.ID) + ficQuery
	default:
		return objectPath("servicePrincipals", l.sp.ID) + assignmentsQuery
	}
}

// first stores a batched first page in its object, replacing what an
// expansion may have put there, and returns the page's nextLink.
func (l lookup) first(r graph.BatchResponse) (string, error) {
	switch l.kind {
	case appOwners:
		return decodeInto(r, &l.app.Owners)
	case spOwners:
		return decodeInto(r, &l.sp.Owners)
	case appFICs:
		return decodeInto(r, &l.app.FederatedIdentityCredentials)
	default:
		return decodeInto(r, &l.sp.AppRoleAssignments)
	}
}

// rest appends the pages after the first.
func (l lookup) rest(ctx context.Context, c *graph.Client, next string) error {
	switch l.kind {
	case appOwners:
		return appendPages(ctx, c, next, &l.app.Owners)
	case spOwners:
		return appendPages(ctx, c, next, &l.sp.Owners)
	case appFICs:
		return appendPages(ctx, c, next, &l.app.FederatedIdentityCredentials)
	default:
		return appendPages(ctx, c, next, &l.sp.AppRoleAssignments)
	}
}

// feed hands out the lookups of a collection as a graph.BatchSource,
// made as objects arrive: list pages are still coming in while the first
// lookups are answered, so the budget is spent from the first second and
// no list of 200,000 requests is ever built. An application needs its
// federated credentials, a service principal its app role assignments,
// and either its owners when the expansion may have cut them (or, in a
// delta, always: nothing was expanded).
type feed struct {
	ownersAlways bool
	wake         chan struct{} // a token when objects arrive or the feed closes

	mu      sync.Mutex
	apps    []*msgraph.Application
	sps     []*msgraph.ServicePrincipal
	ai, si  int // next object to make lookups for
	queue   []lookup
	closed  bool
	made    int
	pending map[string]lookup // by request id, until answered
}

func newFeed(ownersAlways bool) *feed {
	return &feed{ownersAlways: ownersAlways, wake: make(chan struct{}, 1), pending: map[string]lookup{}}
}

func (f *feed) signal() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// addApps and addSPs queue objects; their memory must not move after.
func (f *feed) addApps(page []msgraph.Application) {
	f.mu.Lock()
	for i := range page {
		f.apps = append(f.apps, &page[i])
	}
	f.mu.Unlock()
	f.signal()
}

func (f *feed) addSPs(page []msgraph.ServicePrincipal) {
	f.mu.Lock()
	for i := range page {
		f.sps = append(f.sps, &page[i])
	}
	f.mu.Unlock()
	f.signal()
}

// close says no more objects will come.
func (f *feed) close() {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
	f.signal()
}

// next is the graph.BatchSource: the next lookup, waiting for objects
// while the lists are still being read.
func (f *feed) next(ctx context.Context) (graph.BatchRequest, bool, error) {
	for {
		f.mu.Lock()
		if l, ok := f.take(); ok {
			f.made++
			id := strconv.Itoa(f.made)
			f.pending[id] = l
			f.mu.Unlock()
			return graph.BatchRequest{ID: id, URL: l.path()}, true, nil
		}
		closed := f.closed
		f.mu.Unlock()
		if closed {
			return graph.BatchRequest{}, false, nil
		}
		select {
		case <-f.wake:
		case <-ctx.Done():
			return graph.BatchRequest{}, false, ctx.Err()
		}
	}
}

// take pops a queued lookup, making those of the next object when the
// queue is empty. The caller holds mu.
func (f *feed) take() (lookup, bool) {
	for len(f.queue) == 0 {
		switch {
		case f.ai < len(f.apps):
			a := f.apps[f.ai]
			f.apps[f.ai] = nil
			f.ai++
			if f.ownersAlways || len(a.Owners) >= maxExpanded {
				f.queue = append(f.queue, lookup{kind: appOwners, app: a})
			}
			f.queue = append(f.queue, lookup{kind: appFICs, app: a})
		case f.si < len(f.sps):
			sp := f.sps[f.si]
			f.sps[f.si] = nil
			f.si++
			if f.ownersAlways || len(sp.Owners) >= maxExpanded {
				f.queue = append(f.queue, lookup{kind: spOwners, sp: sp})
			}
			f.queue = append(f.queue, lookup{kind: spAssignments, sp: sp})
		default:
			return lookup{}, false
		}
	}
	l := f.queue[0]
	f.queue = f.queue[1:]
	return l, true
}

// answered removes and returns the lookup a request was for, with how
// many were made so far and whether more may come.
func (f *feed) answered(id string) (l lookup, made int, final bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l = f.pending[id]
	delete(f.pending, id)
	return l, f.made, f.closed && f.ai == len(f.apps) && f.si == len(f.sps) && len(f.queue) == 0
}

// details answers the feed's lookups through one stream of $batch calls,
// lookups of every kind sharing batches, then follows the rare
// relationships longer than a page (an SP granted hundreds of roles) on
// their own nextLinks, several chains at once.
func (col *collector) details(ctx context.Context, f *feed) error {
	type follow struct {
		l    lookup
		next string
	}
	var follows []follow
	done := 0
	err := col.c.BatchStream(ctx, f.next, func(req graph.BatchRequest, r graph.BatchResponse) error {
		l, made, final := f.answered(req.ID)
		done++
		if final {
			col.progress(StageDetails, done, made)
		} else if done%100 == 0 {
			col.progress(StageDetails, done, made)
		}
		next, err := l.first(r)
		if err != nil {
			if ctx.Err() == nil {
				col.gap(l.describe(), err)
			}
			return nil
		}
		intern(col.in, l)
		if next != "" {
			follows = append(follows, follow{l, next})
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	sem := make(chan struct{}, col.o.Concurrency)
	var wg sync.WaitGroup
	for _, fl := range follows {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := fl.l.rest(ctx, col.c, fl.next); err != nil && ctx.Err() == nil {
				col.gap(fl.l.describe(), err)
				return
			}
			intern(col.in, fl.l)
		})
	}
	wg.Wait()
	return ctx.Err()
}

func decodeInto[T any](r graph.BatchResponse, dst *[]T) (string, error) {
	var p graph.Page[T]
	if err := r.Decode(&p); err != nil {
		return "", err
	}
	*dst = p.Value
	return p.NextLink, nil
}

func appendPages[T any](ctx context.Context, c *graph.Client, next string, dst *[]T) error {
	return graph.ListPages(ctx, c, next, func(items []T) error {
		*dst = append(*dst, items...)
		return nil
	})
}

// resources reads each service principal named as a resource by some app
// role assignment, once, for the appRoles that turn appRoleIds into
// permission names.
func (col *collector) resources(ctx context.Context, sps []msgraph.ServicePrincipal) ([]msgraph.ServicePrincipal, error) {
	seen := map[string]bool{}
	var ids []string
	for _, sp := range sps {
		for _, a := range sp.AppRoleAssignments {
			if a.ResourceID != "" && !seen[a.ResourceID] {
				seen[a.ResourceID] = true
				ids = append(ids, a.ResourceID)
			}
		}
	}
	slices.Sort(ids)
	reqs := make([]graph.BatchRequest, len(ids))
	for i, id := range ids {
		reqs[i] = graph.BatchRequest{ID: id, URL: objectPath("servicePrincipals", id) + resourceQuery}
	}
	got := make([]*msgraph.ServicePrincipal, len(ids))
	done := 0
	err := col.c.BatchEach(ctx, reqs, func(k int, r graph.BatchResponse) error {
		done++
		col.progress(StageResources, done, len(reqs))
		var sp msgraph.ServicePrincipal
		if err := r.Decode(&sp); err != nil {
			if ctx.Err() == nil {
				col.gap("resource service principal "+ids[k], err)
			}
			return nil
		}
		got[k] = &sp
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := []msgraph.ServicePrincipal{}
	for _, sp := range got {
		if sp != nil {
			out = append(out, *sp)
		}
	}
	return out, nil
}
