package tenantgen

import (
	"fmt"
	"slices"
	"time"

	"github.com/credwatch/credwatch/internal/msgraph"
)

// ChurnOptions shape the changes Churn makes.
type ChurnOptions struct {
	Seed int64
	// Apps is how many applications change; each gets one change, and
	// some changes touch its service principal too.
	Apps int
	// Now dates new credentials; the zero value is 2025-06-01T09:00:00Z.
	Now time.Time
}

// Churn makes the day-to-day changes of a tenant in d, in place, to
// opts.Apps applications picked at random: secrets added and removed,
// certificates added, renames, owners added and removed (sometimes past
// the 20 an expansion returns), federated credentials added and removed,
// application permissions granted and revoked on the service principal,
// service principals disabled or retagged, applications deleted with
// their service principal, and new applications registered with one. The
// same d and options always make the same changes. It returns how many
// changes of each kind it made.
func Churn(d *msgraph.Directory, opts ChurnOptions) map[string]int {
	r := newRand(opts.Seed, streamMain^0x5bd1e995)
	now := opts.Now
	if now.IsZero() {
		now = defaultNow
	}
	now = now.UTC().Truncate(time.Second)
	made := map[string]int{}
	spOf := map[string]int{}
	for i := range d.ServicePrincipals {
		spOf[d.ServicePrincipals[i].AppID] = i
	}
	var users []msgraph.DirectoryObject
	seen := map[string]bool{}
	for _, a := range d.Applications {
		for _, o := range a.Owners {
			if o.UserPrincipalName != "" && !seen[o.ID] {
				seen[o.ID] = true
				users = append(users, o)
			}
		}
	}
	if len(users) == 0 {
		users = append(users, msgraph.DirectoryObject{ODataType: "#microsoft.graph.user", ID: guid(r), DisplayName: "Churn Owner", UserPrincipalName: "churn.owner@example.test"})
	}
	var roles []struct{ resource, name, role string }
	for _, res := range d.Resources {
		for _, ar := range res.AppRoles {
			roles = append(roles, struct{ resource, name, role string }{res.ID, res.DisplayName, ar.ID})
		}
	}
	n := min(opts.Apps, len(d.Applications))
	picked := r.Perm(len(d.Applications))[:n]
	slices.Sort(picked)
	var remove []string
	for _, i := range picked {
		a := &d.Applications[i]
		var sp *msgraph.ServicePrincipal
		if j, ok := spOf[a.AppID]; ok {
			sp = &d.ServicePrincipals[j]
		}
		kind := pick(r, []string{"secret-added", "secret-added", "secret-removed", "certificate-added", "renamed",
			"owner-added", "owner-removed", "owners-over-20", "federated-added", "federated-removed",
			"permission-granted", "permission-revoked", "sp-disabled", "sp-retagged", "deleted", "registered"})
		switch kind {
		case "secret-added":
			start := now.Add(-between(r, 0, days(3)))
			a.PasswordCredentials = append(slices.Clip(a.PasswordCredentials), msgraph.PasswordCredential{
				DisplayName: strp("rotated"), Hint: strp(fmt.Sprintf("%c%c%d", 'a'+r.IntN(26), 'A'+r.IntN(26), r.IntN(10))),
				KeyID: guid(r), StartDateTime: graphTime(start, fracNone), EndDateTime: graphTime(start.AddDate(1, 0, 0), fracNone)})
		case "secret-removed":
			if len(a.PasswordCredentials) == 0 {
				kind = "renamed"
				a.DisplayName += "-v2"
				break
			}
			a.PasswordCredentials = slices.Delete(slices.Clone(a.PasswordCredentials), 0, 1)
		case "certificate-added":
			start := now.Add(-between(r, 0, days(3)))
			a.KeyCredentials = append(slices.Clip(a.KeyCredentials), msgraph.KeyCredential{
				DisplayName: strp("CN=" + a.DisplayName), KeyID: guid(r), Type: "AsymmetricX509Cert", Usage: "Verify",
				CustomKeyIdentifier: strp(fmt.Sprintf("%040X", r.Uint64())),
				StartDateTime:       graphTime(start, fracNone), EndDateTime: graphTime(start.AddDate(1, 0, 0), fracNone)})
		case "renamed":
			a.DisplayName += "-v2"
			if sp != nil {
				sp.DisplayName, sp.AppDisplayName = a.DisplayName, a.DisplayName
			}
		case "owner-added":
			o := pick(r, users)
			if !slices.ContainsFunc(a.Owners, func(x msgraph.DirectoryObject) bool { return x.ID == o.ID }) {
				a.Owners = append(slices.Clip(a.Owners), o)
			}
		case "owner-removed":
			if len(a.Owners) > 0 {
				a.Owners = slices.Delete(slices.Clone(a.Owners), 0, 1)
			}
		case "owners-over-20":
			owners := slices.Clone(a.Owners)
			for _, o := range users {
				if len(owners) > 21 {
					break
				}
				if !slices.ContainsFunc(owners, func(x msgraph.DirectoryObject) bool { return x.ID == o.ID }) {
					owners = append(owners, o)
				}
			}
			a.Owners = owners
		case "federated-added":
			a.FederatedIdentityCredentials = append(slices.Clip(a.FederatedIdentityCredentials), msgraph.FederatedIdentityCredential{
				ID: guid(r), Name: fmt.Sprintf("deploy-%d", r.IntN(1000)), Issuer: "https://token.actions.githubusercontent.com",
				Subject: "repo:contoso/" + a.DisplayName + ":environment:prod", Audiences: []string{"api://AzureADTokenExchange"}})
		case "federated-removed":
			if len(a.FederatedIdentityCredentials) > 0 {
				a.FederatedIdentityCredentials = slices.Delete(slices.Clone(a.FederatedIdentityCredentials), 0, 1)
			} else {
				kind = "owner-removed"
				if len(a.Owners) > 0 {
					a.Owners = slices.Delete(slices.Clone(a.Owners), 0, 1)
				}
			}
		case "permission-granted":
			if sp == nil || len(roles) == 0 {
				kind = "renamed"
				a.DisplayName += "-v2"
				break
			}
			role := pick(r, roles)
			sp.AppRoleAssignments = append(slices.Clip(sp.AppRoleAssignments), msgraph.AppRoleAssignment{
				ID: assignmentID(r), AppRoleID: role.role, CreatedDateTime: graphTime(now, fracNone),
				PrincipalDisplayName: sp.DisplayName, PrincipalID: sp.ID, PrincipalType: "ServicePrincipal",
				ResourceDisplayName: role.name, ResourceID: role.resource})
		case "permission-revoked":
			if sp == nil || len(sp.AppRoleAssignments) == 0 {
				kind = "secret-added"
				a.PasswordCredentials = append(slices.Clip(a.PasswordCredentials), msgraph.PasswordCredential{
					DisplayName: strp("rotated"), Hint: strp("xY1"), KeyID: guid(r),
					StartDateTime: graphTime(now, fracNone), EndDateTime: graphTime(now.AddDate(1, 0, 0), fracNone)})
				break
			}
			sp.AppRoleAssignments = slices.Delete(slices.Clone(sp.AppRoleAssignments), 0, 1)
		case "sp-disabled":
			if sp == nil {
				kind = "renamed"
				a.DisplayName += "-v2"
				break
			}
			sp.AccountEnabled = boolp(false)
		case "sp-retagged":
			if sp == nil {
				kind = "renamed"
				a.DisplayName += "-v2"
				break
			}
			sp.Tags = append(slices.Clip(sp.Tags), "HideApp")
		case "deleted":
			remove = append(remove, a.AppID)
		case "registered":
			appID := guid(r)
			owner := pick(r, users)
			name := fmt.Sprintf("new-app-%04d", r.IntN(10000))
			start := now.Add(-between(r, 0, days(1)))
			d.Applications = append(d.Applications, msgraph.Application{
				ID: guid(r), AppID: appID, DisplayName: name, CreatedDateTime: graphTime(start, fracNone), SignInAudience: "AzureADMyOrg",
				PasswordCredentials: []msgraph.PasswordCredential{{DisplayName: strp("initial"), Hint: strp("nW3"), KeyID: guid(r),
					StartDateTime: graphTime(start, fracNone), EndDateTime: graphTime(start.AddDate(0, 6, 0), fracNone)}},
				KeyCredentials: []msgraph.KeyCredential{},
				Owners:         []msgraph.DirectoryObject{owner},
			})
			nsp := msgraph.ServicePrincipal{ID: guid(r), AppID: appID, DisplayName: name, AppDisplayName: name,
				AppOwnerOrganizationID: d.TenantID, ServicePrincipalType: "Application", AccountEnabled: boolp(true),
				PasswordCredentials: []msgraph.PasswordCredential{}, KeyCredentials: []msgraph.KeyCredential{},
				Owners: []msgraph.DirectoryObject{owner}}
			if len(roles) > 0 {
				role := pick(r, roles)
				nsp.AppRoleAssignments = []msgraph.AppRoleAssignment{{ID: assignmentID(r), AppRoleID: role.role,
					CreatedDateTime: graphTime(start, fracNone), PrincipalDisplayName: name, PrincipalID: nsp.ID,
					PrincipalType: "ServicePrincipal", ResourceDisplayName: role.name, ResourceID: role.resource}}
			}
			d.ServicePrincipals = append(d.ServicePrincipals, nsp)
			// Appending may move the slices: find the service principals
			// again by index from here on.
			spOf[appID] = len(d.ServicePrincipals) - 1
		}
		made[kind]++
	}
	if len(remove) > 0 {
		d.Applications = slices.DeleteFunc(d.Applications, func(a msgraph.Application) bool { return slices.Contains(remove, a.AppID) })
		d.ServicePrincipals = slices.DeleteFunc(d.ServicePrincipals, func(p msgraph.ServicePrincipal) bool { return slices.Contains(remove, p.AppID) })
	}
	return made
}
