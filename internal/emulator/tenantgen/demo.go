package tenantgen

import (
	"slices"
	"time"

	"github.com/credwatch/credwatch/internal/msgraph"
)

// DemoTenantID is the demo tenant's id.
const DemoTenantID = "5f0c6e2a-3b7d-4c1e-9a8f-2d4b6e8c0a13"

// demoSeed fixes the demo tenant's ids and the small jitter in its dates.
const demoSeed = 20250611

// Demo returns the fixed demo tenant: about 40 hand-designed apps in which
// every policy rule fires on a clearly named app while most apps stay
// healthy. Dates are relative to now; the zero time means
// 2025-06-01T09:00:00Z, as for Generate.
//
//	app                            shows
//	legacy-crm-sync                CW001 expired secret still attached (a valid certificate beside it);
//	                               CW001 high: the app signed in with that certificate in the last 36 hours;
//	                               the secret was last used 40 days ago, when it expired
//	old-sharepoint-connector       CW001 expired certificate still attached (SharePoint Sites.FullControl.All, no owners)
//	payroll-export                 CW002 secret expires in under 3 days (high);
//	                               CW030 signs in from its network 198.51.100.0/24 (DemoNetworks), and
//	                               once, four days ago, from 203.0.113.99 (DemoStrayIP)
//	invoice-ocr                    CW002 certificate expires in under 20 days (medium)
//	hr-onboarding-bot              CW002 secret expires in under 5 days, newer secret already added (rotation staged)
//	<img src=x onerror=alert(1)>   CW002 secret expires in under 25 days (medium); hostile name and description
//	data-warehouse-loader          CW003 secret lifetime 2 years (> 180 days)
//	vpn-cert-auth                  CW003 certificate lifetime 3 years (> 365 days)
//	ancient-batch-jobs             CW004 secret ends 2299-12-31 (and CW003)
//	build-agent-legacy             CW004 certificate lifetime 20 years (and CW003)
//	marketing-analytics            CW005 secret with no description
//	=cmd|' /C calc'!A0             CW005 secret with no description; formula-injection name
//	mailbox-archiver               CW006 Mail.ReadWrite and Exchange full_access_as_app with a client secret
//	tenant-provisioning            CW006 Application.ReadWrite.All with a client secret;
//	                               CW020 that secret was added 5 days ago by mallory@contoso.example from
//	                               203.0.113.66, not an allowed actor (DemoAllowedActors), and used from there
//	ci-secrets-sprawl              CW007 four valid secrets
//	reporting-dashboard            CW008 secret on its service principal
//	Office 365 Exchange Online     CW008 secret planted on a Microsoft first-party service principal (critical);
//	                               CW020 planted 4 days ago by the tenant-provisioning app, used from 203.0.113.66
//	directory-sync-admin           CW010 RoleManagement.ReadWrite.Directory and Directory.ReadWrite.All, two owners;
//	                               CW022 the second owner was added 6 days ago
//	feature-flags-svc              CW031 certificate last used 52 days ago
//	helpdesk-ticketing             CW031 certificate never used since it was added, 100 days ago
//	data-warehouse-loader          CW041 (and CW003) created after the tenant policy's
//	                               restrictForAppsCreatedAfterDateTime, secret lifetime 2 years > P180D
//	partner-portal                 CW011 multi-tenant app with a client secret
//	(the tenant)                   CW040 the default app management policy leaves passwordAddition disabled
//	sso-token-signing              Sign+Verify certificate pair (healthy)
//	github-deploy                  GitHub Actions federated credentials only (healthy)
//	platform-shared-services       25 owners: users, groups, service principals (healthy)
//	backup-orchestrator            customKeyIdentifier in hex thumbprint form (healthy)
//	Zahlungsabgleich 💶 — تسوية…   Unicode and right-to-left name (healthy)
//	id-func-orders-prod            managed identity with an Azure-managed certificate
//
// Every other app is healthy: secrets live at most 180 days, certificates
// at most 330, every credential has a description and more than 30 days
// left, and only the apps named above hold high or critical permissions.
// The activity rules (CW020 and up) fire only where the table says.
//
// Activity covers the 30 days before now. Every credential added in that
// window has its audit record, by admin@contoso.example (DemoAdminUPN, from
// 198.51.100.10) or by github-deploy's service principal (DemoPipelineApp)
// except where the table says otherwise; inventory-api's new secret also
// replaced one removed an hour later, and expense-reports gained an owner
// (an ordinary app, so no CW022). Every credential that authenticates signed
// in from 198.51.100.0/24 within the last day and a half unless the table
// says otherwise; the federated apps sign in from 192.0.2.0/24. Credentials
// that never authenticate have no usage record: the Sign+Verify pair of
// sso-token-signing (it signs SAML tokens) and managed identities' certificates.
// The default app management policy is enabled: passwordAddition disabled,
// passwordLifetime P180D and asymmetricKeyLifetime P365D for apps created
// after a date between data-warehouse-loader's creation and the older
// vpn-cert-auth's; one custom policy (certificates only, at most P365D)
// applies to credwatch-scanner, which complies.
func Demo(now time.Time) *msgraph.Directory {
	now = Options{Now: now}.normalize().Now
	r := newRand(demoSeed, streamMain)
	b := newBuilder(r, now, DemoTenantID, newOrg("contoso"), 1<<30)
	b.created = now.AddDate(-7, -3, 0)
	b.users = makeUsers(r, b.org, 60)
	b.groups = makeGroups(r, b.org, 6)
	b.makeFirstParty()
	d := &demo{builder: b, spByName: map[string]*msgraph.DirectoryObject{}}

	b.dir.ServicePrincipals = append(b.dir.ServicePrincipals, b.fp...)
	exo := &b.dir.ServicePrincipals[resExchange]
	planted, _ := d.demoSecret(sec("Exchange sync", -4, 170))
	exo.PasswordCredentials = append(exo.PasswordCredentials, planted)

	for _, a := range demoApps {
		d.add(a)
	}
	d.managedIdentity("id-func-orders-prod", []perm{gperm("User.Read.All")})
	d.managedIdentity("app-billing-api", nil)
	d.foreign("Fabrikam Expense Cloud", []perm{gperm("User.Read.All")})
	d.foreign("Litware Survey Pro", nil)
	dir := b.finish()
	dir.Activity = d.activity()
	return dir
}

// demoCred is a secret or certificate valid from now+from to now+to days
// (to = 0 with never set: ends 2299-12-31).
type demoCred struct {
	desc     string
	noDesc   bool
	from, to int
	never    bool
	pair     bool // certificate: add as a Sign+Verify pair
}

func sec(desc string, from, to int) demoCred { return demoCred{desc: desc, from: from, to: to} }
func secNoDesc(from, to int) demoCred        { return demoCred{noDesc: true, from: from, to: to} }
func crt(from, to int) demoCred              { return demoCred{from: from, to: to} }

type demoFIC struct{ name, issuer, subject, desc string }

type demoApp struct {
	name      string
	audience  string // "" is AzureADMyOrg
	secrets   []demoCred
	certs     []demoCred
	fics      []demoFIC
	hexThumb  bool
	users     int      // user owners
	groups    int      // group owners
	ownerSPs  []string // names of earlier apps whose service principals own this one
	perms     []perm
	spSecrets []demoCred
	tags      []string
	notes     string
}

var demoApps = []demoApp{
	{name: "github-deploy", users: 2, tags: []string{"env:prod"}, fics: []demoFIC{
		{"github-main", GitHubIssuer, "repo:contoso/infra:ref:refs/heads/main", "Deploys from main"},
		{"github-production", GitHubIssuer, "repo:contoso/infra:environment:production", ""},
	}},
	{name: "terraform-cloud-runner", users: 1, tags: []string{"terraform"}, fics: []demoFIC{
		{"tfc-plan", "https://app.terraform.io", "organization:contoso:project:Default Project:workspace:identity:run_phase:plan", ""},
		{"tfc-apply", "https://app.terraform.io", "organization:contoso:project:Default Project:workspace:identity:run_phase:apply", ""},
	}},
	{name: "k8s-orders-workload", users: 1, fics: []demoFIC{
		{"aks-orders", "https://westeurope.oic.prod-aks.azure.com/" + DemoTenantID + "/0b8e3f5c-9d21-4c6a-8e47-1f2a3b4c5d6e/", "system:serviceaccount:orders:orders-api", "AKS workload identity"},
	}},
	{name: "credwatch-scanner", users: 2, certs: []demoCred{crt(-12, 318)}, perms: []perm{gperm("Application.Read.All"), gperm("AuditLog.Read.All")}},
	{name: "legacy-crm-sync", users: 1, secrets: []demoCred{sec("crm sync", -220, -40)}, certs: []demoCred{crt(-41, 289)}},
	{name: "old-sharepoint-connector", certs: []demoCred{crt(-400, -70)},
		perms: []perm{{resSharePoint, "Sites.FullControl.All"}}},
	{name: "payroll-export", users: 2, secrets: []demoCred{sec("payroll-prod", -177, 3)}, tags: []string{"pci"}},
	{name: "invoice-ocr", users: 1, certs: []demoCred{crt(-310, 20)}},
	{name: "hr-onboarding-bot", users: 1, secrets: []demoCred{sec("bot secret (old)", -175, 5), sec("bot secret (new)", -2, 178)}},
	{name: "data-warehouse-loader", users: 1, secrets: []demoCred{sec("dwh-loader", -100, 630)}},
	{name: "vpn-cert-auth", users: 1, certs: []demoCred{crt(-200, 895)}},
	{name: "ancient-batch-jobs", users: 1, secrets: []demoCred{{desc: "batch", from: -1500, never: true}},
		notes: "Created for the 2019 migration; ask Identity before deleting."},
	{name: "build-agent-legacy", users: 1, certs: []demoCred{crt(-2000, 5300)}},
	{name: "marketing-analytics", users: 1, secrets: []demoCred{secNoDesc(-20, 130)}},
	{name: "mailbox-archiver", secrets: []demoCred{sec("archiver", -20, 130)},
		perms: []perm{gperm("Mail.ReadWrite"), {resExchange, "full_access_as_app"}}},
	{name: "tenant-provisioning", secrets: []demoCred{sec("provisioning", -5, 150)}, perms: []perm{gperm("Application.ReadWrite.All")}},
	{name: "ci-secrets-sprawl", users: 1, secrets: []demoCred{
		sec("jenkins", -60, 100), sec("github", -40, 120), sec("azure devops", -30, 140), sec("local dev", -10, 160),
	}},
	{name: "reporting-dashboard", users: 1, certs: []demoCred{crt(-75, 255)}, perms: []perm{gperm("Reports.Read.All")},
		spSecrets: []demoCred{sec("dashboard-sp", -20, 130)}},
	{name: "directory-sync-admin", users: 2, certs: []demoCred{crt(-45, 285)},
		perms: []perm{gperm("RoleManagement.ReadWrite.Directory"), gperm("Directory.ReadWrite.All")}},
	{name: "partner-portal", audience: "AzureADMultipleOrgs", users: 1, secrets: []demoCred{sec("partner-prod", -20, 130)}},
	{name: "sso-token-signing", users: 1, certs: []demoCred{{from: -64, to: 266, pair: true}}},
	{name: "platform-shared-services", users: 20, groups: 3, ownerSPs: []string{"github-deploy", "terraform-cloud-runner"},
		certs: []demoCred{crt(-60, 270)}},
	{name: `<img src=x onerror=alert(1)>`, users: 1, secrets: []demoCred{sec(`=HYPERLINK("http://x")`, -150, 25)}},
	{name: `=cmd|' /C calc'!A0`, users: 1, secrets: []demoCred{secNoDesc(-20, 130)}},
	{name: "Zahlungsabgleich 💶 — تسوية المدفوعات", users: 1, certs: []demoCred{crt(-22, 308)}},
	{name: "expense-reports", users: 2, secrets: []demoCred{sec("expenses-prod", -20, 130)}},
	{name: "intranet-portal", users: 2},
	{name: "customer-portal-spa", audience: "AzureADandPersonalMicrosoftAccount", users: 1},
	{name: "helpdesk-ticketing", users: 1, groups: 1, certs: []demoCred{crt(-100, 230)}},
	{name: "inventory-api", users: 1, secrets: []demoCred{sec("inventory", -10, 110)}},
	{name: "backup-orchestrator", users: 1, certs: []demoCred{crt(-50, 280)}, hexThumb: true},
	{name: "teams-notifier", users: 1, secrets: []demoCred{sec("teams webhook", -5, 85)}},
	{name: "log-shipper", users: 1, certs: []demoCred{crt(-120, 210)}},
	{name: "contract-signing", users: 2, certs: []demoCred{crt(-20, 310)}},
	{name: "wiki-search-indexer", users: 1, secrets: []demoCred{sec("indexer", -30, 60)}},
	{name: "feature-flags-svc", users: 1, certs: []demoCred{crt(-90, 240)}},
	{name: "travel-booking", users: 1},
	{name: "identity-governance-reports", users: 1, certs: []demoCred{crt(-140, 190)},
		perms: []perm{gperm("AuditLog.Read.All"), gperm("Reports.Read.All")}},
	{name: "qa-test-harness", users: 1, secrets: []demoCred{sec("qa", -10, 80)}},
	{name: "budget-planner", users: 1, secrets: []demoCred{sec("planner", -40, 110)}},
}

type demo struct {
	*builder
	spByName map[string]*msgraph.DirectoryObject
}

// window turns day offsets into dates. Both ends share one time of day,
// so a credential's lifetime is exactly to-from days.
func (d *demo) window(c demoCred) (start, end time.Time) {
	base := d.now.Add(-between(d.r, time.Minute, 20*time.Hour))
	start = base.Add(days(c.from))
	if c.never {
		return start, time.Date(2299, 12, 31, 5, 0, 0, 0, time.UTC)
	}
	return start, base.Add(days(c.to))
}

// demoSecret makes a secret and returns its start too.
func (d *demo) demoSecret(c demoCred) (msgraph.PasswordCredential, time.Time) {
	start, end := d.window(c)
	s := secretSpec{desc: strp(c.desc), start: start, end: end, frac: frac7}
	if c.noDesc {
		s.desc = nil
	}
	if c.never {
		s.frac = fracNone
	}
	return d.secret(s), start
}

func (d *demo) add(a demoApp) {
	audience := a.audience
	if audience == "" {
		audience = "AzureADMyOrg"
	}
	app := d.newApp(a.name, audience, d.now)
	earliest := d.now
	for _, c := range a.secrets {
		pc, start := d.demoSecret(c)
		app.PasswordCredentials = append(app.PasswordCredentials, pc)
		earliest = minTime(earliest, start)
	}
	for _, c := range a.certs {
		nb, na := d.window(c)
		ct := d.certs.issue(a.name, certNormal, nb, na)
		if c.pair {
			pair := d.signVerifyPair(ct)
			app.KeyCredentials = append(app.KeyCredentials, pair[:]...)
		} else {
			app.KeyCredentials = append(app.KeyCredentials, d.keyCred(ct, a.hexThumb, false))
		}
		earliest = minTime(earliest, nb)
	}
	for _, f := range a.fics {
		var desc *string
		if f.desc != "" {
			desc = strp(f.desc)
		}
		app.FederatedIdentityCredentials = append(app.FederatedIdentityCredentials, d.fic(f.name, f.issuer, f.subject, desc))
	}
	created := earliest.Add(-between(d.r, days(1), days(90)))
	app.CreatedDateTime = graphTime(created, fracNone)
	app.Tags = slices.Clone(a.tags)
	app.Notes = a.notes

	// Owners: distinct users first, then groups, then named service
	// principals, so counts are exact.
	for _, u := range d.pickDistinct(d.users, a.users) {
		app.Owners = append(app.Owners, u)
	}
	for _, g := range d.pickDistinct(d.groups, a.groups) {
		app.Owners = append(app.Owners, g)
	}
	for _, n := range a.ownerSPs {
		app.Owners = append(app.Owners, *d.spByName[n])
	}
	app.RequiredResourceAccess = requiredAccess(a.perms, true)

	sp := d.appSP(&app, created)
	if len(a.perms) > 0 {
		d.grant(&sp, a.perms, created.Add(2*time.Hour))
	}
	for _, c := range a.spSecrets {
		pc, _ := d.demoSecret(c)
		sp.PasswordCredentials = append(sp.PasswordCredentials, pc)
	}
	if len(app.Owners) > 0 {
		sp.Owners = []msgraph.DirectoryObject{app.Owners[0]}
	}
	d.dir.Applications = append(d.dir.Applications, app)
	d.dir.ServicePrincipals = append(d.dir.ServicePrincipals, sp)
	o := spOwner(&sp)
	d.spByName[a.name] = &o
}

// pickDistinct draws n distinct entries of pool (n <= len(pool)).
func (d *demo) pickDistinct(pool []msgraph.DirectoryObject, n int) []msgraph.DirectoryObject {
	idx := d.r.Perm(len(pool))[:n]
	out := make([]msgraph.DirectoryObject, n)
	for i, j := range idx {
		out[i] = pool[j]
	}
	return out
}

func (d *demo) managedIdentity(name string, perms []perm) {
	sp := msgraph.ServicePrincipal{
		ID:                   guid(d.r),
		AppID:                guid(d.r),
		DisplayName:          name,
		CreatedDateTime:      graphTime(d.now.AddDate(-1, -2, 0), fracNone),
		ServicePrincipalType: "ManagedIdentity",
		AccountEnabled:       boolp(true),
		PasswordCredentials:  []msgraph.PasswordCredential{},
	}
	nb := d.now.Add(-days(20) - between(d.r, 0, 12*time.Hour))
	ct := d.certs.issue(sp.AppID, certManaged, nb, nb.Add(days(90)))
	sp.KeyCredentials = []msgraph.KeyCredential{d.keyCred(ct, false, false)}
	if len(perms) > 0 {
		d.grant(&sp, perms, d.now.AddDate(-1, -1, 0))
	}
	d.dir.ServicePrincipals = append(d.dir.ServicePrincipals, sp)
}

func (d *demo) foreign(name string, perms []perm) {
	sp := msgraph.ServicePrincipal{
		ID:                     guid(d.r),
		AppID:                  guid(d.r),
		DisplayName:            name,
		AppDisplayName:         name,
		CreatedDateTime:        graphTime(d.now.AddDate(-2, 0, -10), fracNone),
		AppOwnerOrganizationID: guid(d.r),
		ServicePrincipalType:   "Application",
		AccountEnabled:         boolp(true),
		SignInAudience:         "AzureADMultipleOrgs",
		Tags:                   []string{"WindowsAzureActiveDirectoryIntegratedApp"},
		PasswordCredentials:    []msgraph.PasswordCredential{},
		KeyCredentials:         []msgraph.KeyCredential{},
	}
	if len(perms) > 0 {
		d.grant(&sp, perms, d.now.AddDate(-2, 0, -9))
	}
	d.dir.ServicePrincipals = append(d.dir.ServicePrincipals, sp)
}
