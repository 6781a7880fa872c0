package collect

import (
	"fmt"

	"github.com/credwatch/credwatch/internal/msgraph"
)

func str(s string) *string { return &s }

func user(n int) msgraph.DirectoryObject {
	return msgraph.DirectoryObject{ODataType: "#microsoft.graph.user", ID: fmt.Sprintf("user-%02d", n),
		DisplayName: fmt.Sprintf("User %02d", n), UserPrincipalName: fmt.Sprintf("user%02d@contoso.example", n),
		Mail: fmt.Sprintf("user%02d@contoso.example", n)}
}

// testTenant is a small directory that exercises every follow-up: an app
// and an SP with more owners than an expansion returns, an SP with more
// assignments than a page holds, a federated credential, and two resources.
func testTenant() ([]msgraph.Application, []msgraph.ServicePrincipal) {
	var many []msgraph.DirectoryObject
	for i := 1; i <= 25; i++ {
		many = append(many, user(i))
	}
	var spOwners []msgraph.DirectoryObject
	for i := 1; i <= 21; i++ {
		spOwners = append(spOwners, msgraph.DirectoryObject{ODataType: "#microsoft.graph.servicePrincipal",
			ID: fmt.Sprintf("owner-sp-%02d", i), DisplayName: fmt.Sprintf("automation %02d", i), AppID: fmt.Sprintf("owner-app-%02d", i)})
	}
	apps := []msgraph.Application{
		{
			ID: "app-1", AppID: "client-1", DisplayName: "billing-sync", CreatedDateTime: "2023-05-11T08:12:45Z",
			SignInAudience: "AzureADMyOrg", Tags: []string{"prod"},
			PublisherDomain: "contoso.example", Notes: "not selected, must not be collected",
			RequiredResourceAccess: []msgraph.RequiredResourceAccess{{ResourceAppID: msgraph.GraphAppID,
				ResourceAccess: []msgraph.ResourceAccess{{ID: "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30", Type: "Role"}}}},
			PasswordCredentials: []msgraph.PasswordCredential{{DisplayName: str("ci-deploy"), EndDateTime: "2026-05-11T08:12:45Z",
				Hint: str("Q8w"), KeyID: "f0b0b335-1d71-4883-8f98-567911bfdca6", StartDateTime: "2024-05-11T08:12:45Z"}},
			KeyCredentials: []msgraph.KeyCredential{{CustomKeyIdentifier: str("u10QZEN9hyClxTB4GF5qNhp4sQo="),
				DisplayName: str("CN=billing-sync"), EndDateTime: "2025-12-19T15:31:26Z",
				KeyID: "3c9a1e55-0000-4000-8000-000000000003", StartDateTime: "2024-12-20T15:31:26Z",
				Type: "AsymmetricX509Cert", Usage: "Verify"}},
			Owners: []msgraph.DirectoryObject{user(1)},
			FederatedIdentityCredentials: []msgraph.FederatedIdentityCredential{{ID: "fic-1", Name: "github-main",
				Issuer: "https://token.actions.githubusercontent.com", Subject: "repo:contoso/billing:ref:refs/heads/main",
				Audiences: []string{"api://AzureADTokenExchange"}}},
		},
		{ID: "app-2", AppID: "client-2", DisplayName: "many-owners", CreatedDateTime: "2024-01-02T03:04:05Z",
			SignInAudience: "AzureADMultipleOrgs", PasswordCredentials: []msgraph.PasswordCredential{},
			KeyCredentials: []msgraph.KeyCredential{}, Owners: many},
		{ID: "app-3", AppID: "client-3", DisplayName: "no-credentials", CreatedDateTime: "2025-02-03T04:05:06Z",
			SignInAudience: "AzureADMyOrg", PasswordCredentials: []msgraph.PasswordCredential{}, KeyCredentials: []msgraph.KeyCredential{}},
	}
	yes := true
	graphRoles := []msgraph.AppRole{
		{ID: "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30", Value: "Application.Read.All", AllowedMemberTypes: []string{"Application"}, IsEnabled: &yes},
		{ID: "7ab1d382-f21e-4acd-a863-ba3e13f7da61", Value: "Directory.Read.All", AllowedMemberTypes: []string{"Application"}, IsEnabled: &yes},
		{ID: "b0afded3-3588-46d8-8b3d-9842eff778da", Value: "AuditLog.Read.All", AllowedMemberTypes: []string{"Application"}, IsEnabled: &yes},
	}
	assign := func(n int, principal, role, resource, resourceName string) msgraph.AppRoleAssignment {
		return msgraph.AppRoleAssignment{ID: fmt.Sprintf("assignment-%d", n), AppRoleID: role, PrincipalID: principal,
			PrincipalType: "ServicePrincipal", ResourceID: resource, ResourceDisplayName: resourceName,
			CreatedDateTime: "2024-01-01T00:00:00Z", PrincipalDisplayName: "not selected"}
	}
	sps := []msgraph.ServicePrincipal{
		{ID: "sp-1", AppID: "client-1", DisplayName: "billing-sync", AppDisplayName: "billing-sync",
			AppOwnerOrganizationID: "tenant-1", ServicePrincipalType: "Application", AccountEnabled: &yes,
			PasswordCredentials: []msgraph.PasswordCredential{}, KeyCredentials: []msgraph.KeyCredential{},
			AppRoleAssignments: []msgraph.AppRoleAssignment{
				assign(1, "sp-1", graphRoles[0].ID, "sp-graph", "Microsoft Graph"),
				assign(2, "sp-1", graphRoles[1].ID, "sp-graph", "Microsoft Graph"),
				assign(3, "sp-1", graphRoles[2].ID, "sp-graph", "Microsoft Graph"),
			}},
		{ID: "sp-2", AppID: "client-2", DisplayName: "many-owners", AppDisplayName: "many-owners",
			AppOwnerOrganizationID: "tenant-1", ServicePrincipalType: "Application", AccountEnabled: &yes,
			PasswordCredentials: []msgraph.PasswordCredential{}, KeyCredentials: []msgraph.KeyCredential{},
			Owners:             spOwners,
			AppRoleAssignments: []msgraph.AppRoleAssignment{assign(4, "sp-2", "role-orders", "sp-custom", "custom-api")}},
		{ID: "sp-graph", AppID: msgraph.GraphAppID, DisplayName: "Microsoft Graph", AppDisplayName: "Microsoft Graph",
			AppOwnerOrganizationID: msgraph.FirstPartyTenantID, ServicePrincipalType: "Application", AccountEnabled: &yes,
			PasswordCredentials: []msgraph.PasswordCredential{}, KeyCredentials: []msgraph.KeyCredential{}, AppRoles: graphRoles},
		{ID: "sp-custom", AppID: "client-9", DisplayName: "custom-api", AppDisplayName: "custom-api",
			AppOwnerOrganizationID: "tenant-1", ServicePrincipalType: "Application", AccountEnabled: &yes,
			PasswordCredentials: []msgraph.PasswordCredential{}, KeyCredentials: []msgraph.KeyCredential{},
			AppRoles: []msgraph.AppRole{{ID: "role-orders", Value: "Orders.Read.All", AllowedMemberTypes: []string{"Application"}}}},
	}
	return apps, sps
}
