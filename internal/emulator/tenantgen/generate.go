package tenantgen

import (
	"time"

	"github.com/credwatch/credwatch/internal/msgraph"
)

// Options shape a generated tenant.
type Options struct {
	Seed int64
	// Apps is the number of application registrations, each with its
	// service principal. Negative counts are taken as zero.
	Apps int
	// ExtraSPs is the number of service principals with no app
	// registration here: Microsoft's first-party apps first, then managed
	// identities and multi-tenant apps from other tenants.
	ExtraSPs int
	// Now anchors every date, so output is deterministic for a given Now.
	// The zero value means 2025-06-01T09:00:00Z.
	Now time.Time
	// TenantID is the tenant's id; "" derives one from the seed.
	TenantID string
}

// defaultNow is the clock used when none is given, so callers that do
// not care still get reproducible output.
var defaultNow = time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)

// uniqueCertsPerClass bounds the distinct certificates of one lifetime
// class in a generated tenant; beyond it certificates are reused.
const uniqueCertsPerClass = 128

// normalize applies defaults: counts at least zero, Now in UTC and whole
// seconds (certificates cannot carry more).
func (o Options) normalize() Options {
	o.Apps = max(o.Apps, 0)
	o.ExtraSPs = max(o.ExtraSPs, 0)
	if o.Now.IsZero() {
		o.Now = defaultNow
	}
	o.Now = o.Now.UTC().Truncate(time.Second)
	return o
}

// Generate builds a random but realistic tenant. The same Options always
// give byte-identical JSON; a different seed gives a different tenant.
//
// The directory holds opts.Apps applications, and opts.Apps+opts.ExtraSPs
// service principals: one per application (same appId, owned by this
// tenant), then Microsoft's first-party apps, managed identities and other
// tenants' multi-tenant apps. Resources holds the Microsoft Graph, Exchange
// Online and SharePoint Online service principals with their app roles
// whenever some assignment names them, even if ExtraSPs is too small to
// list them among ServicePrincipals.
//
// Activity holds 30 days of evidence consistent with those objects: audit
// records for the credentials added (and a few removed) in that window and
// for some owner additions, service principal sign-ins naming the key each
// used, a usage record per credential (most used lately, some stale, some
// never), the default app management policy and one custom policy.
func Generate(opts Options) *msgraph.Directory {
	o := opts.normalize()
	r := newRand(o.Seed, streamMain)
	tenantID := o.TenantID
	if tenantID == "" {
		tenantID = guid(newRand(o.Seed, streamTenant))
	}
	b := newBuilder(r, o.Now, tenantID, newOrg(pick(r, orgNames)), uniqueCertsPerClass)
	b.created = o.Now.Add(-between(r, days(8*365), days(10*365)))
	b.users = makeUsers(r, b.org, min(50+o.Apps/5, 20000))
	b.groups = makeGroups(r, b.org, min(8+o.Apps/100, 2000))
	b.makeFirstParty()

	nfp := min(o.ExtraSPs, len(b.fp))
	b.dir.Applications = make([]msgraph.Application, 0, o.Apps)
	b.dir.ServicePrincipals = make([]msgraph.ServicePrincipal, 0, o.Apps+o.ExtraSPs)
	b.dir.ServicePrincipals = append(b.dir.ServicePrincipals, b.fp[:nfp]...)

	g := &randomTenant{builder: b, forced: forcedFeatures(r, o.Apps)}
	for i := range o.Apps {
		g.app(i)
	}
	for range o.ExtraSPs - nfp {
		if chance(r, 0.6) {
			g.managedIdentity()
		} else {
			g.foreignApp()
		}
	}
	// An attacker's secret on a Microsoft service principal, in about a
	// quarter of tenants that list Exchange Online.
	if nfp > int(resExchange) && chance(r, 0.25) {
		sp := &b.dir.ServicePrincipals[resExchange]
		start := o.Now.Add(-between(r, days(1), days(60)))
		sp.PasswordCredentials = append(sp.PasswordCredentials, b.secret(secretSpec{
			desc: strp(pick(r, []string{"Exchange sync", "svc", "backup"})), start: start, end: start.AddDate(1, 0, 0), frac: frac7,
		}))
	}
	d := b.finish()
	d.Activity = b.randomActivity(newRand(o.Seed, streamActivity))
	return d
}
