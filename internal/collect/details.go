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

// task is one relationship of one object: apps[i] or sps[i].
type task struct {
	kind kind
	i    int
}

// describe names the part for an Incomplete reason.
func (t task) describe(apps []msgraph.Application, sps []msgraph.ServicePrincipal) string {
	switch t.kind {
	case appOwners:
		return "owners of application " + apps[t.i].ID
	case spOwners:
		return "owners of service principal " + sps[t.i].ID
	case appFICs:
		return "federated identity credentials of application " + apps[t.i].ID
	default:
		return "app role assignments of service principal " + sps[t.i].ID
	}
}

// details fills what the lists cannot carry, all in one stream of $batch
// calls so requests of different kinds share batches: federated credentials
// of every application, app role assignments of every service principal,
// and the full owner list of objects whose expansion hit its limit.
func (col *collector) details(ctx context.Context, apps []msgraph.Application, sps []msgraph.ServicePrincipal) error {
	var (
		tasks []task
		reqs  []graph.BatchRequest
	)
	add := func(t task, path string) {
		tasks = append(tasks, t)
		reqs = append(reqs, graph.BatchRequest{ID: strconv.Itoa(len(reqs)), URL: path})
	}
	for i, a := range apps {
		if len(a.Owners) >= maxExpanded {
			add(task{appOwners, i}, objectPath("applications", a.ID)+ownersQuery)
		}
		add(task{appFICs, i}, objectPath("applications", a.ID)+ficQuery)
	}
	for i, sp := range sps {
		if len(sp.Owners) >= maxExpanded {
			add(task{spOwners, i}, objectPath("servicePrincipals", sp.ID)+ownersQuery)
		}
		add(task{spAssignments, i}, objectPath("servicePrincipals", sp.ID)+assignmentsQuery)
	}

	type follow struct {
		t    task
		next string
	}
	var follows []follow
	done := 0
	err := col.c.BatchEach(ctx, reqs, func(k int, r graph.BatchResponse) error {
		done++
		col.progress(StageDetails, done, len(reqs))
		t := tasks[k]
		next, err := firstPage(t, r, apps, sps)
		if err != nil {
			if ctx.Err() == nil {
				col.gap(t.describe(apps, sps), err)
			}
			return nil
		}
		if next != "" {
			follows = append(follows, follow{t, next})
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	// Rare long relationships (an SP granted hundreds of roles) continue
	// on their own nextLink; each chain is read in order, several at once.
	// Every task writes a different field, so chains never share data.
	sem := make(chan struct{}, col.o.Concurrency)
	var wg sync.WaitGroup
	for _, f := range follows {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := col.rest(ctx, f.t, f.next, apps, sps); err != nil && ctx.Err() == nil {
				col.gap(f.t.describe(apps, sps), err)
			}
		})
	}
	wg.Wait()
	return ctx.Err()
}

// firstPage stores a batched first page in its object, replacing what an
// expansion may have put there, and returns the page's nextLink.
func firstPage(t task, r graph.BatchResponse, apps []msgraph.Application, sps []msgraph.ServicePrincipal) (string, error) {
	switch t.kind {
	case appOwners:
		return decodeInto(r, &apps[t.i].Owners)
	case spOwners:
		return decodeInto(r, &sps[t.i].Owners)
	case appFICs:
		return decodeInto(r, &apps[t.i].FederatedIdentityCredentials)
	default:
		return decodeInto(r, &sps[t.i].AppRoleAssignments)
	}
}

// rest appends the pages after the first.
func (col *collector) rest(ctx context.Context, t task, next string, apps []msgraph.Application, sps []msgraph.ServicePrincipal) error {
	switch t.kind {
	case appOwners:
		return appendPages(ctx, col.c, next, &apps[t.i].Owners)
	case spOwners:
		return appendPages(ctx, col.c, next, &sps[t.i].Owners)
	case appFICs:
		return appendPages(ctx, col.c, next, &apps[t.i].FederatedIdentityCredentials)
	default:
		return appendPages(ctx, col.c, next, &sps[t.i].AppRoleAssignments)
	}
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
