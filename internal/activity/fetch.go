package activity

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/credwatch/credwatch/internal/azure/graph"
	"github.com/credwatch/credwatch/internal/msgraph"
	"github.com/credwatch/credwatch/internal/wait"
)

// DefaultWindow is how far back Fetch reads audit records and sign-ins
// when no start is given: the 30 days Entra ID P1/P2 keeps them.
const DefaultWindow = 30 * 24 * time.Hour

// Graph error codes Fetch turns into an unavailable part.
const (
	codeNoLicence = "Authentication_RequestFromNonPremiumTenantOrB2CTenant"
	codeDenied    = "Authorization_RequestDenied"
)

// FetchOptions configure Fetch. Every field is optional.
type FetchOptions struct {
	// AuditSince and SignInsSince start the windows of audit records and
	// sign-ins read; zero means Now − DefaultWindow.
	AuditSince, SignInsSince time.Time
	// Logger gets a debug record per part and a warning per unavailable
	// one; default discards.
	Logger *slog.Logger
	// Now is the clock of the default windows and of request pacing;
	// default time.Now.
	Now func() time.Time
	// Sleep waits d or until ctx is done, to pace report requests;
	// default a timer. Tests inject one that advances their clock.
	Sleep func(ctx context.Context, d time.Duration) error
}

// PartError is a part that could not be read for a reason other than a
// missing licence or permission (a server error after retries, a broken
// page). Its text carries Graph's request-id when there was a response.
type PartError struct {
	Part string
	Err  error
}

func (e *PartError) Error() string { return "read activity " + e.Part + ": " + e.Err.Error() }

func (e *PartError) Unwrap() error { return e.Err }

// part is one kind of activity data: how to read it, what it costs in
// throttling terms, and what a user loses without it.
type part struct {
	name       string
	permission string // the least application permission that reads it
	loss       string // what is skipped without it
	read       func(ctx context.Context, f *fetcher) (int, error)
}

var fetchParts = []part{
	{PartAudits, "AuditLog.Read.All", "audit rules skipped", readAudits},
	{PartSignIns, "AuditLog.Read.All", "sign-in rules skipped", readSignIns},
	{PartUsage, "AuditLog.Read.All", "credential usage rules skipped", readUsage},
	{PartDefaultPolicy, "Policy.Read.All", "tenant policy rules skipped", readDefaultPolicy},
	{PartPolicies, "Policy.Read.All", "custom app management policies not considered", readPolicies},
}

type fetcher struct {
	c   *graph.Client
	lim *limiter
	out *msgraph.Activity
}

// Fetch reads the activity data of the tenant c signs in to:
//
//	GET /v1.0/auditLogs/directoryAudits   ApplicationManagement records since AuditSince
//	GET /beta/auditLogs/signIns           service principal sign-ins since SignInsSince
//	GET /beta/reports/appCredentialSignInActivities
//	GET /v1.0/policies/defaultAppManagementPolicy
//	GET /v1.0/policies/appManagementPolicies?$expand=appliesTo
//
// The first three belong to Graph's reports throttling family (5 requests
// per 10 s per app and tenant); Fetch paces them, pages included, so a
// normal run meets no 429. Each part is independent. A tenant without an
// Entra ID P1/P2 licence, or a 403 for a missing permission, leaves the part
// out with a one-line reason in Activity.Unavailable, and is no error. Any
// other failure also leaves the part out with its reason, and is returned
// as a *PartError (joined when several) along with the Activity: the caller
// decides whether that makes the scan incomplete. Only a cancelled ctx or
// a nil client returns no Activity.
func Fetch(ctx context.Context, c *graph.Client, o FetchOptions) (*msgraph.Activity, error) {
	if c == nil {
		return nil, errors.New("fetch activity: no graph client")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = wait.Sleep
	}
	now := o.Now()
	if o.AuditSince.IsZero() {
		o.AuditSince = now.Add(-DefaultWindow)
	}
	if o.SignInsSince.IsZero() {
		o.SignInsSince = now.Add(-DefaultWindow)
	}
	f := &fetcher{c: c, lim: newLimiter(reportRequests, reportWindow, o.Now, o.Sleep), out: &msgraph.Activity{
		AuditSince:   graphTime(o.AuditSince),
		SignInsSince: graphTime(o.SignInsSince),
	}}
	var errs []error
	for _, p := range fetchParts {
		n, err := p.read(ctx, f)
		if ctx.Err() != nil {
			return nil, fmt.Errorf("fetch activity: %w", ctx.Err())
		}
		if err == nil {
			o.Logger.Debug("activity part read", "part", p.name, "records", n)
			continue
		}
		reason, expected := unavailableReason(p, err)
		if f.out.Unavailable == nil {
			f.out.Unavailable = map[string]string{}
		}
		f.out.Unavailable[p.name] = reason
		o.Logger.Warn("activity part unavailable", "part", p.name, "reason", reason)
		if !expected {
			errs = append(errs, &PartError{Part: p.name, Err: err})
		}
	}
	return f.out, errors.Join(errs...)
}

// unavailableReason says in one line why a part is missing, and whether
// that is an expected state of the tenant (licence, permission) rather
// than a failure.
func unavailableReason(p part, err error) (string, bool) {
	var ge *graph.Error
	if errors.As(err, &ge) && ge.StatusCode == http.StatusForbidden {
		if strings.EqualFold(ge.Code, codeNoLicence) {
			return "tenant has no Microsoft Entra ID P1/P2 licence; " + p.loss, true
		}
		code := ge.Code
		if code == "" {
			code = "403"
		}
		return fmt.Sprintf("permission denied (%s): grant %s; %s", code, p.permission, p.loss), true
	}
	return strings.Join(strings.Fields(err.Error()), " ") + "; " + p.loss, false
}

// graphTime formats a filter or window instant as Graph writes it.
func graphTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// filterQuery encodes an OData $filter value, spaces as %20.
func filterQuery(f string) string {
	return strings.ReplaceAll(url.QueryEscape(f), "+", "%20")
}

func readAudits(ctx context.Context, f *fetcher) (int, error) {
	path := "/auditLogs/directoryAudits?$filter=" +
		filterQuery("activityDateTime ge "+f.out.AuditSince+" and category eq 'ApplicationManagement'") + "&$top=999"
	f.out.DirectoryAudits = []msgraph.DirectoryAudit{}
	return listPaced(ctx, f.c, f.lim, path, &f.out.DirectoryAudits)
}

func readSignIns(ctx context.Context, f *fetcher) (int, error) {
	path := f.c.BetaURL("/auditLogs/signIns?$filter=" +
		filterQuery("signInEventTypes/any(t: t eq 'servicePrincipal') and createdDateTime ge "+f.out.SignInsSince) + "&$top=1000")
	f.out.SignIns = []msgraph.SignIn{}
	return listPaced(ctx, f.c, f.lim, path, &f.out.SignIns)
}

func readUsage(ctx context.Context, f *fetcher) (int, error) {
	f.out.CredentialSignInActivities = []msgraph.AppCredentialSignInActivity{}
	return listPaced(ctx, f.c, f.lim, f.c.BetaURL("/reports/appCredentialSignInActivities"), &f.out.CredentialSignInActivities)
}

func readDefaultPolicy(ctx context.Context, f *fetcher) (int, error) {
	p, err := graph.Get[msgraph.TenantAppManagementPolicy](ctx, f.c, "/policies/defaultAppManagementPolicy")
	if err != nil {
		return 0, err
	}
	f.out.DefaultAppManagementPolicy = &p
	return 1, nil
}

func readPolicies(ctx context.Context, f *fetcher) (int, error) {
	var out []msgraph.AppManagementPolicy
	// Policies are directory reads, outside the reports family: unpaced.
	n, err := listPaced(ctx, f.c, nil, "/policies/appManagementPolicies?$expand=appliesTo", &out)
	if err == nil {
		f.out.AppManagementPolicies = out
	}
	return n, err
}

// listPaced reads a collection page by page into *dst, waiting for lim
// (when not nil) before every page. On failure *dst is left
// empty: a part is read whole or not at all.
func listPaced[T any](ctx context.Context, c *graph.Client, lim *limiter, first string, dst *[]T) (int, error) {
	var all []T
	seen := map[string]bool{}
	for next := first; next != ""; {
		if strings.HasPrefix(next, "/") {
			next = c.BaseURL() + next // one spelling per page, for the loop check
		}
		if seen[next] {
			*dst = nil
			return 0, fmt.Errorf("graph GET %s: %w", pathOnly(next), graph.ErrRepeatedNextLink)
		}
		seen[next] = true
		if lim != nil {
			if err := lim.wait(ctx); err != nil {
				*dst = nil
				return 0, err
			}
		}
		page, err := graph.Get[graph.Page[T]](ctx, c, next)
		if err != nil {
			*dst = nil
			return 0, err
		}
		all = append(all, page.Value...)
		next = page.NextLink
	}
	if all == nil {
		all = []T{}
	}
	*dst = all
	return len(all), nil
}

// pathOnly is a URL's path for messages: queries carry skip tokens.
func pathOnly(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable url)"
	}
	return u.EscapedPath()
}
