package msgraph

// FirstPartyTenantID is the appOwnerOrganizationId of Microsoft's own
// (first-party) service principals.
const FirstPartyTenantID = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"

// MicrosoftCorpTenantID is the Microsoft corporate tenant, which also owns
// some first-party service principals.
const MicrosoftCorpTenantID = "72f988bf-86f1-41af-91ab-2d7cd011db47"

// GraphAppID is the appId of the Microsoft Graph resource service principal.
const GraphAppID = "00000003-0000-0000-c000-000000000000"

// Application is a Graph application (app registration).
// Dates are kept as the strings Graph sent: exports in the wild carry many
// date forms, and inventory parses them in one place.
type Application struct {
	ID                     string                   `json:"id"`
	AppID                  string                   `json:"appId"`
	DisplayName            string                   `json:"displayName"`
	CreatedDateTime        string                   `json:"createdDateTime,omitempty"`
	SignInAudience         string                   `json:"signInAudience,omitempty"`
	PublisherDomain        string                   `json:"publisherDomain,omitempty"`
	Tags                   []string                 `json:"tags,omitempty"`
	Notes                  string                   `json:"notes,omitempty"`
	RequiredResourceAccess []RequiredResourceAccess `json:"requiredResourceAccess,omitempty"`
	PasswordCredentials    []PasswordCredential     `json:"passwordCredentials"`
	KeyCredentials         []KeyCredential          `json:"keyCredentials"`

	// Navigation properties, present when expanded or fetched separately.
	Owners                       []DirectoryObject             `json:"owners,omitempty"`
	FederatedIdentityCredentials []FederatedIdentityCredential `json:"federatedIdentityCredentials,omitempty"`
}

// ServicePrincipal is a Graph servicePrincipal (enterprise application).
type ServicePrincipal struct {
	ID                     string               `json:"id"`
	AppID                  string               `json:"appId"`
	DisplayName            string               `json:"displayName"`
	AppDisplayName         string               `json:"appDisplayName,omitempty"`
	CreatedDateTime        string               `json:"createdDateTime,omitempty"`
	AppOwnerOrganizationID string               `json:"appOwnerOrganizationId,omitempty"`
	ServicePrincipalType   string               `json:"servicePrincipalType,omitempty"`
	AccountEnabled         *bool                `json:"accountEnabled,omitempty"`
	SignInAudience         string               `json:"signInAudience,omitempty"`
	Tags                   []string             `json:"tags,omitempty"`
	Notes                  string               `json:"notes,omitempty"`
	AppRoles               []AppRole            `json:"appRoles,omitempty"`
	PasswordCredentials    []PasswordCredential `json:"passwordCredentials"`
	KeyCredentials         []KeyCredential      `json:"keyCredentials"`

	// Navigation properties, present when expanded or fetched separately.
	Owners             []DirectoryObject   `json:"owners,omitempty"`
	AppRoleAssignments []AppRoleAssignment `json:"appRoleAssignments,omitempty"`
}

// PasswordCredential is a client secret. SecretText is only ever set in the
// response to addPassword; credwatch never stores or prints it.
type PasswordCredential struct {
	CustomKeyIdentifier *string `json:"customKeyIdentifier"`
	DisplayName         *string `json:"displayName"`
	EndDateTime         string  `json:"endDateTime,omitempty"`
	Hint                *string `json:"hint"`
	KeyID               string  `json:"keyId"`
	SecretText          *string `json:"secretText,omitempty"`
	StartDateTime       string  `json:"startDateTime,omitempty"`
}

// KeyCredential is a certificate (or symmetric key). CustomKeyIdentifier is
// base64 of raw bytes: by default the certificate's SHA-1 thumbprint.
type KeyCredential struct {
	CustomKeyIdentifier *string `json:"customKeyIdentifier"`
	DisplayName         *string `json:"displayName"`
	EndDateTime         string  `json:"endDateTime,omitempty"`
	Key                 *string `json:"key"`
	KeyID               string  `json:"keyId"`
	StartDateTime       string  `json:"startDateTime,omitempty"`
	Type                string  `json:"type,omitempty"`
	Usage               string  `json:"usage,omitempty"`
}

// FederatedIdentityCredential trusts tokens from an external issuer.
type FederatedIdentityCredential struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Issuer      string   `json:"issuer"`
	Subject     string   `json:"subject,omitempty"`
	Audiences   []string `json:"audiences,omitempty"`
	Description *string  `json:"description"`
}

// DirectoryObject is an owner: a user, service principal or group,
// distinguished by ODataType (e.g. "#microsoft.graph.user").
type DirectoryObject struct {
	ODataType         string `json:"@odata.type,omitempty"`
	ID                string `json:"id"`
	DisplayName       string `json:"displayName,omitempty"`
	UserPrincipalName string `json:"userPrincipalName,omitempty"`
	Mail              string `json:"mail,omitempty"`
	AppID             string `json:"appId,omitempty"`
}

// AppRoleAssignment grants an app role of a resource service principal to a
// principal; for a service principal principal it is an application
// permission.
type AppRoleAssignment struct {
	ID                   string `json:"id"`
	AppRoleID            string `json:"appRoleId"`
	CreatedDateTime      string `json:"createdDateTime,omitempty"`
	PrincipalDisplayName string `json:"principalDisplayName,omitempty"`
	PrincipalID          string `json:"principalId"`
	PrincipalType        string `json:"principalType,omitempty"`
	ResourceDisplayName  string `json:"resourceDisplayName,omitempty"`
	ResourceID           string `json:"resourceId"`
}

// AppRole is a role a resource service principal defines; Value is the
// permission name (e.g. "Application.ReadWrite.All").
type AppRole struct {
	ID                 string   `json:"id"`
	Value              string   `json:"value"`
	DisplayName        string   `json:"displayName,omitempty"`
	Description        string   `json:"description,omitempty"`
	AllowedMemberTypes []string `json:"allowedMemberTypes,omitempty"`
	IsEnabled          *bool    `json:"isEnabled,omitempty"`
}

// RequiredResourceAccess is a permission an application asks for (not
// necessarily granted).
type RequiredResourceAccess struct {
	ResourceAppID  string           `json:"resourceAppId"`
	ResourceAccess []ResourceAccess `json:"resourceAccess"`
}

// ResourceAccess is one requested permission: Type "Role" is an application
// permission, "Scope" a delegated one.
type ResourceAccess struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

// Directory is everything a scan reads from one tenant, in Graph's own
// shapes: applications with owners and federated credentials expanded,
// service principals with owners and app role assignments, and the resource
// service principals (with appRoles) that those assignments point at.
type Directory struct {
	TenantID          string             `json:"tenantId"`
	Applications      []Application      `json:"applications"`
	ServicePrincipals []ServicePrincipal `json:"servicePrincipals"`
	// Resources are the service principals named as resourceId by some
	// assignment, with id, appId, displayName and appRoles. A resource that
	// is also in ServicePrincipals may appear in both.
	Resources []ServicePrincipal `json:"resources,omitempty"`
	// Activity is present when the scan read audit, sign-in, usage or
	// policy data.
	Activity *Activity `json:"activity,omitempty"`
}
