package inventory

import "time"

// Tenant is one scan's immutable result. Complete is false when anything
// could not be fetched; Incomplete then says what, and nothing downstream
// may read the gaps as "removed" or "all clear".
type Tenant struct {
	ID          string
	CollectedAt time.Time
	// Source names where the data came from: "graph", "demo" or
	// "snapshot:<file>".
	Source     string
	Complete   bool
	Incomplete []string
	Objects    []Object
	// Vaults are the Key Vaults read with the tenant, for correlating app
	// credentials with their vault copies; nil when none were read.
	Vaults []Vault
}

// ObjectType tells application registrations from service principals.
type ObjectType string

const (
	Application      ObjectType = "application"
	ServicePrincipal ObjectType = "servicePrincipal"
)

// Object is an application or a service principal.
type Object struct {
	Type        ObjectType
	ID          string // object id
	AppID       string // client id, shared by an app and its service principal
	DisplayName string
	CreatedAt   time.Time // zero when unknown
	// SignInAudience is set on applications (AzureADMyOrg, ...).
	SignInAudience string
	// ServicePrincipalType is set on service principals (Application,
	// ManagedIdentity, Legacy, SocialIdp).
	ServicePrincipalType string
	// AppOwnerOrganizationID is the tenant that owns a service principal's
	// application; FirstParty is true when that is Microsoft.
	AppOwnerOrganizationID string
	FirstParty             bool
	Tags                   []string

	Credentials []Credential
	Owners      []*Owner
	// Permissions are the application permissions granted to the app's
	// service principal in this tenant; an application shows those of its
	// service principal.
	Permissions []Permission
}

// CredentialType is the kind of credential.
type CredentialType string

const (
	Secret      CredentialType = "secret"
	Certificate CredentialType = "certificate"
	Federated   CredentialType = "federated"
)

// Credential is one secret, certificate or federated credential. It never
// holds a secret value or private key: only the hint and ids.
type Credential struct {
	Type        CredentialType
	KeyID       string // keyId; for federated credentials the credential's id
	DisplayName string // the description users type; empty when missing
	Hint        string // first characters of a secret, as Graph reports them
	Start       time.Time
	End         time.Time // zero for federated credentials and missing dates
	// Certificates: uppercase hex SHA-1 thumbprint when it can be derived,
	// the key type (AsymmetricX509Cert, ...) and usage; a Sign/Verify pair
	// sharing a customKeyIdentifier is one credential with Usage "Sign,Verify"
	// and the Verify key's id, the Sign key's id in PairedKeyID.
	Thumbprint  string
	KeyType     string
	Usage       string
	PairedKeyID string
	// Federated credentials.
	Issuer    string
	Subject   string
	Audiences []string
}

// OwnerType is the kind of directory object that owns an app.
type OwnerType string

const (
	OwnerUser             OwnerType = "user"
	OwnerServicePrincipal OwnerType = "servicePrincipal"
	OwnerGroup            OwnerType = "group"
	OwnerOther            OwnerType = "other"
)

// Owner is a user, service principal or group that owns an object. A
// model shares one Owner among the objects a person owns: read-only.
type Owner struct {
	Type        OwnerType
	ID          string
	DisplayName string
	// UserPrincipalName and Mail are set for users.
	UserPrincipalName string
	Mail              string
}

// Permission is an application permission (app role) granted to a service
// principal, resolved to its name from the resource's appRoles.
type Permission struct {
	Resource      string // resource display name, e.g. "Microsoft Graph"
	ResourceAppID string // e.g. 00000003-0000-0000-c000-000000000000
	AppRoleID     string
	Value         string // e.g. "Mail.ReadWrite"; the appRoleId when unresolved
}
