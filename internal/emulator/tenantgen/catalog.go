package tenantgen

import "github.com/credwatch/credwatch/internal/msgraph"

// Well-known first-party application ids.
const (
	ExchangeAppID   = "00000002-0000-0ff1-ce00-000000000000"
	SharePointAppID = "00000003-0000-0ff1-ce00-000000000000"
)

// role is an application permission (app role) a resource defines. The ids
// are Microsoft's real, tenant-independent app role ids, checked against at
// least two independent public sources (the Graph permissions reference,
// published first-party app role dumps, vendors' setup scripts); none is
// made up. Display names follow Microsoft's wording.
type role struct {
	id, value, displayName string
}

var graphRoles = []role{
	{"9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30", "Application.Read.All", "Read all applications"},
	{"1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9", "Application.ReadWrite.All", "Read and write all applications"},
	{"18a4783c-866b-4cc7-a460-3d5e5662c884", "Application.ReadWrite.OwnedBy", "Manage apps that this app creates or owns"},
	{"06b708a9-e830-4db3-a914-8e69da51d44f", "AppRoleAssignment.ReadWrite.All", "Manage app permission grants and app role assignments"},
	{"b0afded3-3588-46d8-8b3d-9842eff778da", "AuditLog.Read.All", "Read all audit log data"},
	{"7ab1d382-f21e-4acd-a863-ba3e13f7da61", "Directory.Read.All", "Read directory data"},
	{"19dbc75e-c2e2-444c-a770-ec69d8559fc7", "Directory.ReadWrite.All", "Read and write directory data"},
	{"01d4889c-1287-42c6-ac1f-5d1e02578ef6", "Files.Read.All", "Read files in all site collections"},
	{"75359482-378d-4052-8f01-80520e7db3cd", "Files.ReadWrite.All", "Read and write files in all site collections"},
	{"5b567255-7703-4780-807c-7be8301ae99b", "Group.Read.All", "Read all groups"},
	{"62a82d76-70ea-41e2-9197-370581804d09", "Group.ReadWrite.All", "Read and write all groups"},
	{"810c84a8-4a9e-49e6-bf7d-12d183f40d01", "Mail.Read", "Read mail in all mailboxes"},
	{"e2a3a72e-5f79-4c64-b1b1-878b674786c9", "Mail.ReadWrite", "Read and write mail in all mailboxes"},
	{"b633e1c5-b582-4048-a93e-9f11b44c7e96", "Mail.Send", "Send mail as any user"},
	{"246dd0d5-5bd0-4def-940b-0421030a5b68", "Policy.Read.All", "Read your organization's policies"},
	{"230c1aed-a721-4c5d-9cb4-a90514e508ef", "Reports.Read.All", "Read all usage reports"},
	{"9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8", "RoleManagement.ReadWrite.Directory", "Read and write all directory RBAC settings"},
	{"a82116e5-55eb-4c41-a434-62fe8a61c773", "Sites.FullControl.All", "Have full control of all site collections"},
	{"332a536c-c7ef-4017-ab91-336970924f0d", "Sites.Read.All", "Read items in all site collections"},
	{"9492366f-7969-46a4-8d15-ed1a20078fff", "Sites.ReadWrite.All", "Read and write items in all site collections"},
	{"df021288-bdef-4463-88db-98f22de89214", "User.Read.All", "Read all users' full profiles"},
	{"741f803b-c850-494e-b5df-cde7c675a1ca", "User.ReadWrite.All", "Read and write all users' full profiles"},
}

// Office 365 Exchange Online reuses Graph's ids for its Mail.* roles.
var exchangeRoles = []role{
	{"dc890d15-9560-4a4c-9b7f-a736ec74ec40", "full_access_as_app", "Use Exchange Web Services with full access to all mailboxes"},
	{"dc50a0fb-09a3-484d-be87-e023b12c6440", "Exchange.ManageAsApp", "Manage Exchange As Application"},
	{"810c84a8-4a9e-49e6-bf7d-12d183f40d01", "Mail.Read", "Read mail in all mailboxes"},
	{"e2a3a72e-5f79-4c64-b1b1-878b674786c9", "Mail.ReadWrite", "Read and write mail in all mailboxes"},
	{"b633e1c5-b582-4048-a93e-9f11b44c7e96", "Mail.Send", "Send mail as any user"},
}

var sharePointRoles = []role{
	{"678536fe-1083-478a-9c59-b99265e6b0d3", "Sites.FullControl.All", "Have full control of all site collections"},
	{"d13f72ca-a275-4b96-b789-48ebcc4da984", "Sites.Read.All", "Read items in all site collections"},
	{"fbcd29d2-fcca-4405-aded-518d457caae4", "Sites.ReadWrite.All", "Read and write items in all site collections"},
}

// userReadScope is Graph's delegated User.Read, which most apps request.
const userReadScope = "e1fe6dd8-ba31-4d61-89e7-88639da4683d"

// resourceKind indexes the resource service principals apps get
// permissions on.
type resourceKind uint8

const (
	resGraph resourceKind = iota
	resExchange
	resSharePoint
	numResources
)

// firstPartyApp is a Microsoft service principal present in every tenant.
type firstPartyApp struct {
	appID, name string
	owner       string // appOwnerOrganizationId
	roles       []role
}

// firstParty lists Microsoft's service principals in the order Generate
// places them: the three resources first, so small ExtraSPs counts still
// include them. Which first-party apps Microsoft's corporate tenant owns is
// not verified; one carries it here so consumers meet both owner ids.
var firstParty = []firstPartyApp{
	resGraph:      {msgraph.GraphAppID, "Microsoft Graph", msgraph.FirstPartyTenantID, graphRoles},
	resExchange:   {ExchangeAppID, "Office 365 Exchange Online", msgraph.FirstPartyTenantID, exchangeRoles},
	resSharePoint: {SharePointAppID, "Office 365 SharePoint Online", msgraph.FirstPartyTenantID, sharePointRoles},
	{"00000002-0000-0000-c000-000000000000", "Windows Azure Active Directory", msgraph.FirstPartyTenantID, nil},
	{"c5393580-f805-4401-95e8-94b7a6ef2fc2", "Office 365 Management APIs", msgraph.FirstPartyTenantID, nil},
	{"797f4846-ba00-4fd7-ba43-dac1f8f63013", "Windows Azure Service Management API", msgraph.FirstPartyTenantID, nil},
	{"cfa8b339-82a2-471a-a3c9-0fc0be7a4093", "Azure Key Vault", msgraph.FirstPartyTenantID, nil},
	{"04b07795-8ddb-461a-bbee-02f9e1bf7b46", "Microsoft Azure CLI", msgraph.FirstPartyTenantID, nil},
	{"14d82eec-204b-4c2f-b7e8-296a70dab67e", "Microsoft Graph Command Line Tools", msgraph.MicrosoftCorpTenantID, nil},
}

// perm names an application permission by resource and value.
type perm struct {
	res   resourceKind
	value string
}

func gperm(v string) perm { return perm{resGraph, v} }

// Permission tiers for the random mix. The policy package decides what is
// critical; these only make sure a tenant has some of each kind.
var (
	lowPerms = []perm{
		gperm("Application.Read.All"), gperm("AuditLog.Read.All"), gperm("Reports.Read.All"),
		gperm("Policy.Read.All"), gperm("Directory.Read.All"), gperm("User.Read.All"),
		gperm("Group.Read.All"), gperm("Sites.Read.All"), {resSharePoint, "Sites.Read.All"},
	}
	highPerms = []perm{
		gperm("Mail.Read"), gperm("Mail.Send"), gperm("Files.Read.All"), gperm("Files.ReadWrite.All"),
		gperm("Sites.ReadWrite.All"), gperm("Group.ReadWrite.All"), gperm("User.ReadWrite.All"),
		gperm("Application.ReadWrite.OwnedBy"), {resSharePoint, "Sites.ReadWrite.All"},
		{resExchange, "Mail.Send"}, {resExchange, "Mail.Read"},
	}
	criticalPerms = []perm{
		gperm("Application.ReadWrite.All"), gperm("AppRoleAssignment.ReadWrite.All"),
		gperm("Directory.ReadWrite.All"), gperm("RoleManagement.ReadWrite.Directory"),
		gperm("Mail.ReadWrite"), gperm("Sites.FullControl.All"),
		{resExchange, "full_access_as_app"}, {resExchange, "Mail.ReadWrite"},
		{resExchange, "Exchange.ManageAsApp"}, {resSharePoint, "Sites.FullControl.All"},
	}
)

// roleID returns the app role id of a permission; it panics on a name not
// in the catalog, which is a bug in this package's tables.
func roleID(p perm) string {
	for _, r := range firstParty[p.res].roles {
		if r.value == p.value {
			return r.id
		}
	}
	panic("tenantgen: no app role " + p.value + " on " + firstParty[p.res].name)
}

// appRoles renders a role table as Graph appRoles.
func appRoles(roles []role) []msgraph.AppRole {
	out := make([]msgraph.AppRole, len(roles))
	for i, r := range roles {
		out[i] = msgraph.AppRole{
			ID:                 r.id,
			Value:              r.value,
			DisplayName:        r.displayName,
			Description:        "Allows the app to " + lowerFirst(r.displayName) + " without a signed-in user.",
			AllowedMemberTypes: []string{"Application"},
			IsEnabled:          boolp(true),
		}
	}
	return out
}

func lowerFirst(s string) string {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return s
	}
	return string(s[0]+'a'-'A') + s[1:]
}
