package tenantgen

import (
	"time"

	"github.com/credwatch/credwatch/internal/msgraph"
)

// activity writes the demo tenant's evidence: see the table on Demo. Every
// credential added in the last 30 days has its audit record, by the
// administrator or the pipeline unless the table says otherwise; every
// credential that signs in is used from the corporate network within the
// last day and a half unless the table says otherwise.
func (d *demo) activity() *msgraph.Activity {
	g := newActivityGen(newRand(demoSeed, streamActivity), d.now, d.dir)
	r := g.r
	admin := msgraph.AuditActor{User: &msgraph.AuditUser{ID: guid(r), DisplayName: "Contoso Admin", UserPrincipalName: DemoAdminUPN, IPAddress: DemoAdminIP}}
	mallory := msgraph.AuditActor{User: &msgraph.AuditUser{ID: guid(r), DisplayName: "Mallory", UserPrincipalName: DemoMalloryUPN, IPAddress: DemoMalloryIP}}
	pipeline := appActor(g.spByAppID[d.app(DemoPipelineApp).AppID])
	provisioner := appActor(g.spByAppID[d.app("tenant-provisioning").AppID])
	type change struct {
		by msgraph.AuditActor
		ua string
	}
	changedBy := map[string]change{
		"tenant-provisioning":        {mallory, uaRequests},
		"Office 365 Exchange Online": {provisioner, uaRequests},
		"partner-portal":             {pipeline, uaAzureCLI},
		"expense-reports":            {pipeline, uaAzureCLI},
		"inventory-api":              {pipeline, uaAzureCLI},
		"qa-test-harness":            {pipeline, uaAzureCLI},
		"contract-signing":           {pipeline, uaAzureCLI},
	}
	who := func(h holder, _ time.Time) (msgraph.AuditActor, string) {
		if c, ok := changedBy[h.name()]; ok {
			return c.by, c.ua
		}
		return admin, uaPortal
	}

	for _, h := range g.holders() {
		var removed []removedCred
		if h.app != nil && h.app.DisplayName == "inventory-api" {
			// The pipeline rotated: its new secret replaced one it removed an
			// hour later.
			p := h.app.PasswordCredentials[0]
			start := parseGraphTime(p.StartDateTime)
			removed = []removedCred{{entry: keyEntry(guid(r), "Password", "Verify", p.DisplayName),
				added: start.AddDate(0, 0, -120), removedAt: start.Add(time.Hour)}}
		}
		g.credentialAudits(h, removed, who)
		for _, c := range signingCreds(h) {
			demoUse(g, h, c)
		}
	}
	for _, f := range []struct {
		name string
		n    int
	}{{DemoPipelineApp, 4}, {"terraform-cloud-runner", 2}, {"k8s-orders-workload", 3}} {
		last := g.now.Add(-between(r, 10*time.Minute, 12*time.Hour))
		g.ficSignIns(d.app(f.name), g.spread(credential{start: g.since}, last, f.n, netCloud))
	}

	// CW022: an owner joined an app holding critical permissions; the
	// other addition is on an ordinary app.
	dsa := d.app("directory-sync-admin")
	g.ownerAdded(dsa, dsa.Owners[1], g.now.Add(-6*day-2*time.Hour), admin, uaPortal)
	exp := d.app("expense-reports")
	g.ownerAdded(exp, exp.Owners[1], g.now.Add(-12*day-5*time.Hour), admin, uaPortal)

	// CW041: the tenant policy restricts apps created from three days
	// before data-warehouse-loader was; its 2-year secret breaks P180D,
	// while the older apps with long credentials predate the restriction.
	after := midnight(parseGraphTime(d.app("data-warehouse-loader").CreatedDateTime).Add(-3 * day))
	g.act.DefaultAppManagementPolicy = tenantPolicy(true,
		[]msgraph.CredentialRestriction{
			restriction("passwordAddition", "disabled", "", time.Time{}),
			restriction("passwordLifetime", "enabled", "P180D", after),
		},
		[]msgraph.CredentialRestriction{restriction("asymmetricKeyLifetime", "enabled", "P365D", after)})
	g.act.AppManagementPolicies = []msgraph.AppManagementPolicy{customPolicy(guid(r), "Scanner: certificates only",
		"The credential scanner authenticates with a certificate of at most a year, never a secret.",
		[]msgraph.CredentialRestriction{restriction("passwordAddition", "enabled", "", time.Time{})},
		[]msgraph.CredentialRestriction{restriction("asymmetricKeyLifetime", "enabled", "P365D", time.Time{})},
		d.app("credwatch-scanner"))}
	return g.finish()
}

// demoUse plans the sign-ins of one demo credential.
func demoUse(g *activityGen, h holder, c credential) {
	r, now := g.r, g.now
	var last time.Time
	var plan []signInAt
	switch name := h.name(); {
	case name == "legacy-crm-sync" && c.keyType == "clientSecret":
		// CW001 high: used until it expired, 40 days ago.
		last = c.end.Add(-2 * time.Hour)
	case name == "old-sharepoint-connector":
		last = c.end.Add(-day)
	case name == "feature-flags-svc":
		last = now.Add(-52*day - 3*time.Hour) // CW031: stale
	case name == "helpdesk-ticketing":
		// CW031: never used since it was added.
	case name == "payroll-export":
		// CW030: its network, and once from outside it.
		last = now.Add(-between(r, 10*time.Minute, 6*time.Hour))
		plan = append(g.spread(c, last, 8, netCorp), signInAt{at: now.Add(-4*day - 3*time.Hour - 17*time.Minute), net: netAway, ip: DemoStrayIP})
	case name == "tenant-provisioning" || (h.app == nil && name == "Office 365 Exchange Online"):
		// CW020: mallory's secret, and the one planted with it, used from
		// mallory's address.
		last = now.Add(-between(r, time.Hour, 20*time.Hour))
		plan = g.spread(c, last, 4, netAway)
		for i := range plan {
			plan[i].ip = DemoMalloryIP
		}
	default:
		last = now.Add(-between(r, 10*time.Minute, 36*time.Hour))
		if last.Before(c.start.Add(time.Hour)) {
			last = c.start.Add(now.Sub(c.start) / 2)
		}
		plan = g.spread(c, last, 3, netCorp)
	}
	g.use(c, last, plan, false)
}

// app is the demo application named name; a missing one is a bug in the
// demo's tables.
func (d *demo) app(name string) *msgraph.Application {
	for i := range d.dir.Applications {
		if d.dir.Applications[i].DisplayName == name {
			return &d.dir.Applications[i]
		}
	}
	panic("tenantgen: demo has no app " + name)
}
