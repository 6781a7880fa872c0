package collect

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/credwatch/credwatch/internal/azure/graph"
	"github.com/credwatch/credwatch/internal/inventory"
	"github.com/credwatch/credwatch/internal/msgraph"
)

// Options tune a collection. The zero value is usable.
type Options struct {
	// Concurrency bounds the follow-up page chains read in parallel; the
	// client's own limit still caps requests in flight. Default 4.
	Concurrency int
	// Progress, when set, is told how far each stage is: "applications",
	// "servicePrincipals" (total 0: unknown until the last page), "details"
	// and "resources". Calls are serialised.
	Progress func(stage string, done, total int)
	// Logger gets a summary and one warning per gap; default discards.
	Logger *slog.Logger
	// Now stamps CollectedAt; default time.Now.
	Now func() time.Time
	// Interner, for Delta, is the one the base snapshot's strings were
	// shared through (store.DeltaState's); nil shares them anew.
	Interner *msgraph.Interner
}

// Stages reported to Options.Progress.
const (
	StageApplications      = "applications"
	StageServicePrincipals = "servicePrincipals"
	StageDetails           = "details"
	StageResources         = "resources"
)

// The fields credwatch reads, and nothing more: every extra property costs
// bandwidth on tenants with tens of thousands of objects.
const (
	ownerSelect = "id,displayName,userPrincipalName,mail,appId"
	ownerExpand = "$expand=owners($select=" + ownerSelect + ")"
	top         = "$top=999"

	// requiredResourceAccess (permissions asked for, not granted) is left
	// out: nothing reads it, and it was a tenth of a large snapshot.
	appSelect = "id,appId,displayName,createdDateTime,signInAudience,tags," +
		"passwordCredentials,keyCredentials"
	// The application list leaves keyCredentials to a list of its own:
	// Graph holds lists that select them to 150 requests a minute per
	// tenant, and with owners expanded a page holds only 100 apps, so a
	// 100,000-app list would take seven minutes at that rate. Alone, the
	// key list takes 999 apps a page.
	appListSelect = "id,appId,displayName,createdDateTime,signInAudience,tags,passwordCredentials"
	appKeysPath   = "/applications?$select=id,keyCredentials&" + top
	// servicePrincipal has no createdDateTime in v1.0; selecting it would
	// fail the whole list.
	spSelect = "id,appId,displayName,appDisplayName,appOwnerOrganizationId," +
		"servicePrincipalType,accountEnabled,tags,passwordCredentials,keyCredentials"

	// With $expand Graph returns at most 100 objects a page whatever $top
	// says; $top=999 still takes what it allows.
	appListPath = "/applications?$select=" + appListSelect + "&" + ownerExpand + "&" + top
	spListPath  = "/servicePrincipals?$select=" + spSelect + "&" + ownerExpand + "&" + top

	ownersQuery      = "/owners?$select=" + ownerSelect + "&" + top
	assignmentsQuery = "/appRoleAssignments?$select=id,appRoleId,principalId,principalType,resourceId,resourceDisplayName&" + top
	ficQuery         = "/federatedIdentityCredentials?$select=id,name,issuer,subject,audiences,description"
	resourceQuery    = "?$select=id,appId,displayName,appRoles"

	// Delta queries select what the lists select; the relationships are
	// read again for each changed object.
	appDeltaPath = "/applications/delta?$select=" + appSelect
	spDeltaPath  = "/servicePrincipals/delta?$select=" + spSelect
)

// maxExpanded is how many objects Graph returns in one $expand, with no
// link to the rest: reaching it means the list may be cut.
const maxExpanded = 20

// DeltaLinks are where delta queries of a tenant's applications and
// service principals resume: the @odata.deltaLink of their last rounds.
// They are cursors into the directory, not credentials.
type DeltaLinks struct {
	Applications      string `json:"applications"`
	ServicePrincipals string `json:"servicePrincipals"`
}

// Collect reads tenantID's directory through c. It fails when a list of
// applications or service principals cannot be read; any narrower failure
// is recorded in Incomplete. Cancelling ctx returns ctx.Err().
func Collect(ctx context.Context, c *graph.Client, tenantID string, o Options) (*inventory.Snapshot, error) {
	snap, _, err := collect(ctx, c, tenantID, o, false)
	return snap, err
}

// Full is Collect that also starts delta queries of both collections, so
// a later Delta reads only what changed. The delta links are taken before
// the lists are read ($deltatoken=latest, two requests), so a change made
// while the scan runs shows in the next Delta rather than being lost.
func Full(ctx context.Context, c *graph.Client, tenantID string, o Options) (*inventory.Snapshot, DeltaLinks, error) {
	return collect(ctx, c, tenantID, o, true)
}

func collect(ctx context.Context, c *graph.Client, tenantID string, o Options, withLinks bool) (*inventory.Snapshot, DeltaLinks, error) {
	if c == nil {
		return nil, DeltaLinks{}, errors.New("collect: no graph client")
	}
	col := newCollector(c, o)
	started := col.o.Now().UTC()
	before := c.Stats()

	var links DeltaLinks
	if withLinks {
		var err error
		if links, err = startDelta(ctx, c); err != nil {
			return nil, DeltaLinks{}, err
		}
	}
	apps, sps, err := col.lists(ctx)
	if err != nil {
		return nil, DeltaLinks{}, err
	}
	resources, err := col.resources(ctx, sps)
	if err != nil {
		return nil, DeltaLinks{}, err
	}
	snap := col.snapshot(tenantID, started, apps, sps, resources)
	col.summary("collected tenant", snap, before)
	return snap, links, nil
}

// startDelta takes delta links that start from now, for both collections.
func startDelta(ctx context.Context, c *graph.Client) (DeltaLinks, error) {
	var links DeltaLinks
	var appErr, spErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		links.Applications, appErr = graph.Delta(ctx, c, appDeltaPath+"&$deltatoken=latest", func([]json.RawMessage) error { return nil })
	})
	wg.Go(func() {
		links.ServicePrincipals, spErr = graph.Delta(ctx, c, spDeltaPath+"&$deltatoken=latest", func([]json.RawMessage) error { return nil })
	})
	wg.Wait()
	if err := cmp.Or(appErr, spErr); err != nil {
		return DeltaLinks{}, fmt.Errorf("start delta queries: %w", err)
	}
	return links, nil
}

// collector carries one collection's shared state.
type collector struct {
	c  *graph.Client
	o  Options
	in *msgraph.Interner

	mu   sync.Mutex // guards gaps and serialises Progress
	gaps []string
}

func newCollector(c *graph.Client, o Options) *collector {
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	in := o.Interner
	if in == nil {
		in = msgraph.NewInterner()
	}
	return &collector{c: c, o: o, in: in}
}

func (col *collector) snapshot(tenantID string, started time.Time, apps []msgraph.Application, sps []msgraph.ServicePrincipal, resources []msgraph.ServicePrincipal) *inventory.Snapshot {
	slices.Sort(col.gaps)
	return &inventory.Snapshot{
		SchemaVersion: inventory.SnapshotSchemaVersion,
		Kind:          inventory.SnapshotKind,
		CollectedAt:   started,
		Complete:      len(col.gaps) == 0,
		Incomplete:    col.gaps,
		Directory: msgraph.Directory{
			TenantID:          tenantID,
			Applications:      apps,
			ServicePrincipals: sps,
			Resources:         resources,
		},
	}
}

// summary logs what a collection read and what it cost.
func (col *collector) summary(msg string, snap *inventory.Snapshot, before graph.Stats) {
	s := col.c.Stats()
	col.o.Logger.Info(msg, "tenant", snap.TenantID, "applications", len(snap.Applications),
		"service_principals", len(snap.ServicePrincipals), "resources", len(snap.Resources),
		"complete", snap.Complete, "gaps", len(col.gaps), "requests", s.Requests-before.Requests,
		"resource_units", s.ResourceUnits-before.ResourceUnits, "retries", s.Retries-before.Retries,
		"throttled", s.Throttled-before.Throttled, "budget", s.Budget, "paced", (s.Paced - before.Paced).Round(time.Millisecond))
}

// gap records a part that could not be fetched.
func (col *collector) gap(what string, err error) {
	col.o.Logger.Warn("scan incomplete", "part", what, "err", err)
	col.mu.Lock()
	col.gaps = append(col.gaps, what+": "+err.Error())
	col.mu.Unlock()
}

func (col *collector) progress(stage string, done, total int) {
	if col.o.Progress == nil {
		return
	}
	col.mu.Lock()
	defer col.mu.Unlock()
	col.o.Progress(stage, done, total)
}

// lists reads both collections at once and, as their pages arrive, looks
// up what the lists cannot carry; either list failing fails the scan.
func (col *collector) lists(ctx context.Context) ([]msgraph.Application, []msgraph.ServicePrincipal, error) {
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	f := newFeed(false)
	var (
		appPages [][]msgraph.Application
		spPages  [][]msgraph.ServicePrincipal
		nApps    int
		nSPs     int
		appErr   error
		spErr    error
		keyErr   error
		wg       sync.WaitGroup
		// keys are the key credentials of each app the key list held (an
		// entry, maybe empty, for every app it held).
		keys = map[string][]msgraph.KeyCredential{}
	)
	wg.Go(func() {
		appErr = graph.ListPages(lctx, col.c, appListPath, func(page []msgraph.Application) error {
			// Kept to the end of the list: without the decoder's slack
			// (a page of 100 grows to 128).
			page = slices.Clone(page)
			for i := range page {
				col.in.Application(&page[i])
			}
			appPages = append(appPages, page)
			nApps += len(page)
			f.addApps(page)
			col.progress(StageApplications, nApps, 0)
			return nil
		})
		if appErr != nil {
			cancel() // the scan fails anyway: stop the rest
		}
	})
	wg.Go(func() {
		spErr = graph.ListPages(lctx, col.c, spListPath, func(page []msgraph.ServicePrincipal) error {
			for i := range page {
				col.in.ServicePrincipal(&page[i])
			}
			spPages = append(spPages, page)
			nSPs += len(page)
			f.addSPs(page)
			col.progress(StageServicePrincipals, nSPs, 0)
			return nil
		})
		if spErr != nil {
			cancel()
		}
	})
	wg.Go(func() {
		keyErr = graph.ListPages(lctx, col.c, appKeysPath, func(page []msgraph.Application) error {
			for i := range page {
				keys[page[i].ID] = col.in.KeyCredentials(page[i].KeyCredentials)
			}
			return nil
		})
		if keyErr != nil {
			cancel()
		}
	})
	listsDone := make(chan struct{})
	go func() {
		wg.Wait()
		f.close()
		close(listsDone)
	}()
	detailErr := col.details(lctx, f)
	<-listsDone
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	// The list that failed first is the cause; the other may only have
	// been cancelled because of it.
	cause := func(err error) bool { return err != nil && !errors.Is(err, context.Canceled) }
	switch {
	case cause(appErr):
		return nil, nil, fmt.Errorf("list applications: %w", appErr)
	case cause(spErr):
		return nil, nil, fmt.Errorf("list service principals: %w", spErr)
	case cause(keyErr):
		return nil, nil, fmt.Errorf("list application certificates: %w", keyErr)
	case appErr != nil:
		return nil, nil, fmt.Errorf("list applications: %w", appErr)
	case spErr != nil:
		return nil, nil, fmt.Errorf("list service principals: %w", spErr)
	case keyErr != nil:
		return nil, nil, fmt.Errorf("list application certificates: %w", keyErr)
	case detailErr != nil:
		return nil, nil, detailErr
	}
	apps := flatten(appPages, nApps)
	if err := col.joinKeys(ctx, apps, keys); err != nil {
		return nil, nil, err
	}
	// Nothing more is interned: the map goes before the largest copy.
	keys, col.in = nil, nil
	sps := flatten(spPages, nSPs)
	col.progress(StageApplications, nApps, nApps)
	col.progress(StageServicePrincipals, nSPs, nSPs)
	return apps, sps, nil
}

// joinKeys gives each app its key credentials from the key list. An app
// the key list did not hold (created while the lists were read) has its
// own read, a few at a time; one deleted since is left without, as the
// next scan will not find it either.
func (col *collector) joinKeys(ctx context.Context, apps []msgraph.Application, keys map[string][]msgraph.KeyCredential) error {
	var missed []*msgraph.Application
	for i := range apps {
		if k, ok := keys[apps[i].ID]; ok {
			apps[i].KeyCredentials = k
		} else {
			missed = append(missed, &apps[i])
		}
	}
	if len(missed) == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		sem   = make(chan struct{}, col.o.Concurrency)
	)
	for _, a := range missed {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			one, err := graph.Get[msgraph.Application](ctx, col.c, "/applications/"+url.PathEscape(a.ID)+"?$select=id,keyCredentials")
			switch {
			case graph.IsNotFound(err):
				col.o.Logger.Debug("application deleted while the tenant was read", "id", a.ID)
			case err != nil:
				mu.Lock()
				if first == nil {
					first = fmt.Errorf("read certificates of application %s: %w", a.ID, err)
					cancel()
				}
				mu.Unlock()
			default:
				a.KeyCredentials = col.in.KeyCredentials(one.KeyCredentials)
			}
		})
	}
	wg.Wait()
	return first
}

// flatten joins pages into one slice; the pages are garbage after.
func flatten[T any](pages [][]T, n int) []T {
	out := make([]T, 0, n)
	for i, p := range pages {
		out = append(out, p...)
		pages[i] = nil
	}
	return out
}

// objectPath is "/applications/{id}" with the id escaped, so an odd id from
// a snapshot or a fake cannot rewrite the request.
func objectPath(collection, id string) string {
	return "/" + collection + "/" + url.PathEscape(id)
}
