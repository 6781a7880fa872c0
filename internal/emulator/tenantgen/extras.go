package tenantgen

import (
	"strconv"
	"time"

	"github.com/credwatch/credwatch/internal/msgraph"
)

var aksRegions = []string{"westeurope", "eastus", "northeurope", "uksouth", "australiaeast"}

// randomFIC draws the k-th federated credential of an app: mostly GitHub
// Actions, some AKS workload identity, Terraform Cloud and GitLab.
func (g *randomTenant) randomFIC(k int) msgraph.FederatedIdentityCredential {
	r := g.r
	var name, issuer, subject string
	var desc *string
	switch x := r.IntN(100); {
	case x < 70:
		subject = githubSubject(r, pick(r, ghOrgs), pick(r, ghRepos))
		name, issuer = "github-deploy", GitHubIssuer
		if chance(r, 0.5) {
			desc = strp("GitHub Actions OIDC")
		}
	case x < 82:
		issuer = "https://" + pick(r, aksRegions) + ".oic.prod-aks.azure.com/" + g.tenantID + "/" + guid(r) + "/"
		ns := pick(r, teams)
		subject = "system:serviceaccount:" + ns + ":" + ns + "-sa"
		name = "aks-" + ns
	case x < 92:
		phase := pick(r, []string{"plan", "apply"})
		issuer = "https://app.terraform.io"
		subject = "organization:" + g.org.name + ":project:Default Project:workspace:" + pick(r, teams) + "-infra:run_phase:" + phase
		name = "tfc-" + phase
	default:
		issuer = "https://gitlab.com"
		subject = "project_path:" + g.org.name + "/" + pick(r, ghRepos) + ":ref_type:branch:ref:main"
		name = "gitlab-main"
	}
	if k > 0 {
		name += "-" + strconv.Itoa(k+1)
	}
	return g.fic(name, issuer, subject, desc)
}

// managedIdentity adds a managed identity: an Azure-managed certificate on
// the service principal and, often, some Graph permissions.
func (g *randomTenant) managedIdentity() {
	r := g.r
	name := pick(r, miPrefixes) + pick(r, teams) + "-" + pick(r, []string{"prod", "dev", "test", "shared"})
	if chance(r, 0.5) {
		name += "-" + strconv.Itoa(r.IntN(100))
	}
	created := g.now.Add(-between(r, days(1), days(4*365)))
	sp := msgraph.ServicePrincipal{
		ID:                   guid(r),
		AppID:                guid(r),
		DisplayName:          name,
		CreatedDateTime:      graphTime(created, fracNone),
		ServicePrincipalType: "ManagedIdentity",
		AccountEnabled:       boolp(true),
		PasswordCredentials:  []msgraph.PasswordCredential{},
	}
	sp.KeyCredentials = []msgraph.KeyCredential{g.keyCred(g.certs.get(sp.AppID, certManaged), false, false)}
	switch x := r.IntN(100); {
	case x < 25:
		g.grant(&sp, drawPerms(r, tierLow), created.Add(time.Hour))
	case x < 30:
		g.grant(&sp, drawPerms(r, tierHigh), created.Add(time.Hour))
	}
	g.dir.ServicePrincipals = append(g.dir.ServicePrincipals, sp)
}

// foreignApp adds the service principal of another tenant's multi-tenant
// app, consented here.
func (g *randomTenant) foreignApp() {
	r := g.r
	if g.vendorTenants == nil {
		for range 6 {
			g.vendorTenants = append(g.vendorTenants, guid(r))
		}
	}
	name := pick(r, vendorNames)
	created := g.now.Add(-between(r, days(1), days(5*365)))
	sp := msgraph.ServicePrincipal{
		ID:                     guid(r),
		AppID:                  guid(r),
		DisplayName:            name,
		AppDisplayName:         name,
		CreatedDateTime:        graphTime(created, fracNone),
		AppOwnerOrganizationID: pick(r, g.vendorTenants),
		ServicePrincipalType:   "Application",
		AccountEnabled:         boolp(true),
		SignInAudience:         "AzureADMultipleOrgs",
		Tags:                   []string{"WindowsAzureActiveDirectoryIntegratedApp"},
		PasswordCredentials:    []msgraph.PasswordCredential{},
		KeyCredentials:         []msgraph.KeyCredential{},
	}
	switch x := r.IntN(100); {
	case x < 45:
		g.grant(&sp, drawPerms(r, tierLow), created.Add(time.Minute))
	case x < 57:
		g.grant(&sp, drawPerms(r, tierHigh), created.Add(time.Minute))
	}
	if chance(r, 0.05) {
		pair := g.signVerifyPair(g.certs.get(name, certNormal))
		sp.KeyCredentials = append(sp.KeyCredentials, pair[:]...)
		sp.Tags = append(sp.Tags, "WindowsAzureActiveDirectoryCustomSingleSignOnApplication")
	}
	g.dir.ServicePrincipals = append(g.dir.ServicePrincipals, sp)
}
