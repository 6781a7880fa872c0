package msgraph

// DirectoryAudit is one record of GET /v1.0/auditLogs/directoryAudits.
type DirectoryAudit struct {
	ID                  string           `json:"id"`
	Category            string           `json:"category,omitempty"`
	CorrelationID       string           `json:"correlationId,omitempty"`
	Result              string           `json:"result,omitempty"`
	ResultReason        string           `json:"resultReason,omitempty"`
	ActivityDisplayName string           `json:"activityDisplayName"`
	ActivityDateTime    string           `json:"activityDateTime"`
	LoggedByService     string           `json:"loggedByService,omitempty"`
	OperationType       string           `json:"operationType,omitempty"`
	InitiatedBy         AuditActor       `json:"initiatedBy"`
	TargetResources     []TargetResource `json:"targetResources"`
	AdditionalDetails   []KeyValue       `json:"additionalDetails,omitempty"`
}

// AuditActor says who did it: a user or an app; the other is null.
type AuditActor struct {
	User *AuditUser `json:"user"`
	App  *AuditApp  `json:"app"`
}

// AuditUser is the user who initiated an audited activity.
type AuditUser struct {
	ID                string `json:"id,omitempty"`
	DisplayName       string `json:"displayName,omitempty"`
	UserPrincipalName string `json:"userPrincipalName,omitempty"`
	IPAddress         string `json:"ipAddress,omitempty"`
}

// AuditApp is the application (service principal) that initiated an
// audited activity.
type AuditApp struct {
	AppID                string `json:"appId,omitempty"`
	DisplayName          string `json:"displayName,omitempty"`
	ServicePrincipalID   string `json:"servicePrincipalId,omitempty"`
	ServicePrincipalName string `json:"servicePrincipalName,omitempty"`
}

// TargetResource is an object an audited activity touched.
type TargetResource struct {
	ID                 string             `json:"id,omitempty"`
	DisplayName        string             `json:"displayName,omitempty"`
	Type               string             `json:"type,omitempty"`
	UserPrincipalName  string             `json:"userPrincipalName,omitempty"`
	ModifiedProperties []ModifiedProperty `json:"modifiedProperties,omitempty"`
}

// ModifiedProperty holds old and new values as strings containing JSON.
type ModifiedProperty struct {
	DisplayName string  `json:"displayName"`
	OldValue    *string `json:"oldValue"`
	NewValue    *string `json:"newValue"`
}

// KeyValue is one additionalDetails entry.
type KeyValue struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// SignIn is one service principal sign-in from GET /beta/auditLogs/signIns
// filtered to signInEventTypes servicePrincipal.
type SignIn struct {
	ID                                   string          `json:"id"`
	CreatedDateTime                      string          `json:"createdDateTime"`
	AppID                                string          `json:"appId"`
	AppDisplayName                       string          `json:"appDisplayName,omitempty"`
	ServicePrincipalID                   string          `json:"servicePrincipalId,omitempty"`
	ServicePrincipalName                 string          `json:"servicePrincipalName,omitempty"`
	IPAddress                            string          `json:"ipAddress,omitempty"`
	Location                             *SignInLocation `json:"location,omitempty"`
	Status                               *SignInStatus   `json:"status,omitempty"`
	ServicePrincipalCredentialKeyID      string          `json:"servicePrincipalCredentialKeyId,omitempty"`
	ServicePrincipalCredentialThumbprint string          `json:"servicePrincipalCredentialThumbprint,omitempty"`
	ClientCredentialType                 string          `json:"clientCredentialType,omitempty"`
	FederatedCredentialID                string          `json:"federatedCredentialId,omitempty"`
	ResourceDisplayName                  string          `json:"resourceDisplayName,omitempty"`
	ResourceID                           string          `json:"resourceId,omitempty"`
	SignInEventTypes                     []string        `json:"signInEventTypes,omitempty"`
	IsInteractive                        bool            `json:"isInteractive"`
}

// SignInLocation is where a sign-in came from.
type SignInLocation struct {
	City            string `json:"city,omitempty"`
	State           string `json:"state,omitempty"`
	CountryOrRegion string `json:"countryOrRegion,omitempty"`
}

// SignInStatus is a sign-in's outcome; ErrorCode 0 is success.
type SignInStatus struct {
	ErrorCode     int     `json:"errorCode"`
	FailureReason *string `json:"failureReason"`
}

// AppCredentialSignInActivity is one record of GET
// /beta/reports/appCredentialSignInActivities: the last use of one key.
type AppCredentialSignInActivity struct {
	ID                       string          `json:"id"`
	AppID                    string          `json:"appId"`
	AppObjectID              string          `json:"appObjectId,omitempty"`
	ServicePrincipalObjectID string          `json:"servicePrincipalObjectId,omitempty"`
	KeyID                    string          `json:"keyId"`
	KeyType                  string          `json:"keyType,omitempty"`
	KeyUsage                 string          `json:"keyUsage,omitempty"`
	CredentialOrigin         string          `json:"credentialOrigin,omitempty"`
	CreatedDateTime          string          `json:"createdDateTime,omitempty"`
	ExpirationDateTime       string          `json:"expirationDateTime,omitempty"`
	ResourceID               string          `json:"resourceId,omitempty"`
	SignInActivity           *SignInActivity `json:"signInActivity,omitempty"`
	// ExpirationDate is the spelling Microsoft's own examples use instead
	// of expirationDateTime; readers take whichever is set.
	ExpirationDate string `json:"expirationDate,omitempty"`
}

// SignInActivity holds the last sign-in times of a credential or app.
type SignInActivity struct {
	LastSignInDateTime               string `json:"lastSignInDateTime,omitempty"`
	LastSignInRequestID              string `json:"lastSignInRequestId,omitempty"`
	LastNonInteractiveSignInDateTime string `json:"lastNonInteractiveSignInDateTime,omitempty"`
	LastSuccessfulSignInDateTime     string `json:"lastSuccessfulSignInDateTime,omitempty"`
}

// TenantAppManagementPolicy is GET /v1.0/policies/defaultAppManagementPolicy.
type TenantAppManagementPolicy struct {
	ID                           string           `json:"id"`
	DisplayName                  string           `json:"displayName,omitempty"`
	Description                  string           `json:"description,omitempty"`
	IsEnabled                    bool             `json:"isEnabled"`
	ApplicationRestrictions      *AppRestrictions `json:"applicationRestrictions,omitempty"`
	ServicePrincipalRestrictions *AppRestrictions `json:"servicePrincipalRestrictions,omitempty"`
}

// AppManagementPolicy is a custom policy from
// GET /v1.0/policies/appManagementPolicies, with the objects it applies to.
type AppManagementPolicy struct {
	ID           string            `json:"id"`
	DisplayName  string            `json:"displayName,omitempty"`
	Description  string            `json:"description,omitempty"`
	IsEnabled    bool              `json:"isEnabled"`
	Restrictions *AppRestrictions  `json:"restrictions,omitempty"`
	AppliesTo    []DirectoryObject `json:"appliesTo,omitempty"`
}

// AppRestrictions are the credential restrictions of a policy.
type AppRestrictions struct {
	PasswordCredentials []CredentialRestriction `json:"passwordCredentials"`
	KeyCredentials      []CredentialRestriction `json:"keyCredentials"`
}

// CredentialRestriction is one passwordCredentialConfiguration or
// keyCredentialConfiguration. MaxLifetime is an ISO 8601 duration ("P90D").
type CredentialRestriction struct {
	RestrictionType                     string  `json:"restrictionType"`
	State                               string  `json:"state,omitempty"`
	MaxLifetime                         *string `json:"maxLifetime"`
	RestrictForAppsCreatedAfterDateTime *string `json:"restrictForAppsCreatedAfterDateTime"`
}

// Activity is the evidence a scan reads besides the directory objects:
// audit records, service principal sign-ins, per-credential usage and the
// tenant's app management policies. Each part may be missing (not licensed,
// not permitted, not asked for); Unavailable then says why, by part name.
type Activity struct {
	DirectoryAudits            []DirectoryAudit              `json:"directoryAudits,omitempty"`
	SignIns                    []SignIn                      `json:"signIns,omitempty"`
	CredentialSignInActivities []AppCredentialSignInActivity `json:"credentialSignInActivities,omitempty"`
	DefaultAppManagementPolicy *TenantAppManagementPolicy    `json:"defaultAppManagementPolicy,omitempty"`
	AppManagementPolicies      []AppManagementPolicy         `json:"appManagementPolicies,omitempty"`
	// AuditSince and SignInsSince are the start of the windows read.
	AuditSince   string            `json:"auditSince,omitempty"`
	SignInsSince string            `json:"signInsSince,omitempty"`
	Unavailable  map[string]string `json:"unavailable,omitempty"`
}
