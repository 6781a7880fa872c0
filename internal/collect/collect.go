package collect

import (
	"context"
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

	appListPath = "/applications?$select=id,appId,displayName,createdDateTime,signInAudience,tags," +
		"passwordCredentials,keyCredentials,requiredResourceAccess&" + ownerExpand + "&" + top
	// servicePrincipal has no createdDateTime in v1.0; selecting it would
	// fail the whole list.
	spListPath = "/servicePrincipals?$select=id,appId,displayName,appDisplayName,appOwnerOrganizationId," +
		"servicePrincipalType,accountEnabled,tags,passwordCredentials,keyCredentials&" + ownerExpand + "&" + top

	ownersQuery      = "/owners?$select=" + ownerSelect + "&" + top
	assignmentsQuery = "/appRoleAssignments?$select=id,appRoleId,principalId,principalType,resourceId,resourceDisplayName&" + top
	ficQuery         = "/federatedIdentityCredentials?$select=id,name,issuer,subject,audiences,description"
	resourceQuery    = "?$select=id,appId,displayName,appRoles"
)

// maxExpanded is how many objects Graph returns in one $expand, with no
// link to the rest: reaching it means the list may be cut.
const maxExpanded = 20

// Collect reads tenantID's directory through c. It fails when a list of
// applications or service principals cannot be read; any narrower failure
// is recorded in Incomplete. Cancelling ctx returns ctx.Err().
func Collect(ctx context.Context, c *graph.Client, tenantID string, o Options) (*inventory.Snapshot, error) {
	if c == nil {
		return nil, errors.New("collect: no graph client")
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	col := &collector{c: c, o: o}
	started := o.Now().UTC()
	before := c.Stats()

	apps, sps, err := col.lists(ctx)
	if err != nil {
		return nil, err
	}
	if err := col.details(ctx, apps, sps); err != nil {
		return nil, err
	}
	resources, err := col.resources(ctx, sps)
	if err != nil {
		return nil, err
	}

	slices.Sort(col.gaps)
	snap := &inventory.Snapshot{
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
	s := c.Stats()
	o.Logger.Info("collected tenant", "tenant", tenantID, "applications", len(apps), "service_principals", len(sps),
		"resources", len(resources), "complete", snap.Complete, "gaps", len(col.gaps),
		"requests", s.Requests-before.Requests, "retries", s.Retries-before.Retries,
		"throttled", s.Throttled-before.Throttled)
	return snap, nil
}

// collector carries one collection's shared state.
type collector struct {
	c *graph.Client
	o Options

	mu   sync.Mutex // guards gaps and serialises Progress
	gaps []string
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

// lists reads both collections at once; either failing fails the scan.
func (col *collector) lists(ctx context.Context) ([]msgraph.Application, []msgraph.ServicePrincipal, error) {
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	apps := []msgraph.Application{}
	sps := []msgraph.ServicePrincipal{}
	var appErr, spErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		appErr = graph.ListPages(lctx, col.c, appListPath, func(page []msgraph.Application) error {
			apps = append(apps, page...)
			col.progress(StageApplications, len(apps), 0)
			return nil
		})
		if appErr != nil {
			cancel() // the scan fails anyway: stop the other list
		}
	})
	wg.Go(func() {
		spErr = graph.ListPages(lctx, col.c, spListPath, func(page []msgraph.ServicePrincipal) error {
			sps = append(sps, page...)
			col.progress(StageServicePrincipals, len(sps), 0)
			return nil
		})
		if spErr != nil {
			cancel()
		}
	})
	wg.Wait()
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
	case appErr != nil:
		return nil, nil, fmt.Errorf("list applications: %w", appErr)
	case spErr != nil:
		return nil, nil, fmt.Errorf("list service principals: %w", spErr)
	}
	col.progress(StageApplications, len(apps), len(apps))
	col.progress(StageServicePrincipals, len(sps), len(sps))
	return apps, sps, nil
}

// objectPath is "/applications/{id}" with the id escaped, so an odd id from
// a snapshot or a fake cannot rewrite the request.
func objectPath(collection, id string) string {
	return "/" + collection + "/" + url.PathEscape(id)
}
