package emulator

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/credwatch/credwatch/internal/msgraph"
)

// schema describes one Graph entity type: its structural properties in the
// order Graph writes them, which of them are collections, which names may be
// selected, expanded and filtered on.
type schema struct {
	typeName string // "microsoft.graph.application", for $select errors
	resource string // "Application", for $filter errors
	props    []string
	colls    map[string]bool   // collections: [] when absent
	defaults map[string]string // raw JSON when absent, other than null
	hidden   map[string]bool   // only returned when selected
	navs     []string          // navigation properties (selectable, some expandable)
	expand   map[string]bool   // navs this emulator can expand
	filters  map[string]filterProp
	// fields returns the object's properties as raw JSON; withKeys keeps
	// keyCredentials[].key.
	fields func(v any, withKeys bool) (map[string]json.RawMessage, error)

	// ops lists the $filter operators a log or report takes; nil means a
	// directory object's rules (all, some only as advanced queries).
	ops map[string]bool
	// pageDefault and pageMax bound $top; zero means the directory's 100
	// and 999.
	pageDefault, pageMax int
	// orderBy is the one property $orderby may name, when the endpoint
	// takes $orderby.
	orderBy string

	canon       map[string]string // lower-case name -> canonical, props and navs
	filterCanon map[string]string // lower-case filter path -> its key in filters
}

// filterProp is a property $filter may use: its EDM type and its value.
type filterProp struct {
	typ string // "Edm.String", "Edm.Guid", "Edm.Boolean", "Edm.DateTimeOffset", "Edm.Int32", "Collection"
	get func(v any) string
	at  func(v any) time.Time // Edm.DateTimeOffset
	// items and elem serve any() lambdas over a collection: its elements
	// and their schema.
	items func(v any) []any
	elem  *schema
}

func (sc *schema) init() *schema {
	sc.canon = map[string]string{}
	for _, p := range sc.props {
		sc.canon[strings.ToLower(p)] = p
	}
	for _, n := range sc.navs {
		sc.canon[strings.ToLower(n)] = n
	}
	sc.filterCanon = map[string]string{}
	for k := range sc.filters {
		sc.filterCanon[strings.ToLower(k)] = k
	}
	return sc
}

func (sc *schema) pageSizes() (def, max int) {
	def, max = defaultPageSize, maxPageSize
	if sc.pageDefault > 0 {
		def = sc.pageDefault
	}
	if sc.pageMax > 0 {
		max = sc.pageMax
	}
	return def, max
}

func (sc *schema) isNav(name string) bool {
	for _, n := range sc.navs {
		if n == name {
			return true
		}
	}
	return false
}

func nameSet(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

func strProp(f func(v any) string) filterProp  { return filterProp{typ: "Edm.String", get: f} }
func guidProp(f func(v any) string) filterProp { return filterProp{typ: "Edm.Guid", get: f} }

func asApp(v any) *msgraph.Application       { return v.(*msgraph.Application) }
func asSP(v any) *msgraph.ServicePrincipal   { return v.(*msgraph.ServicePrincipal) }
func asOwner(v any) *msgraph.DirectoryObject { return v.(*msgraph.DirectoryObject) }

var applicationSchema = (&schema{
	typeName: "microsoft.graph.application",
	resource: "Application",
	props: []string{"id", "deletedDateTime", "appId", "applicationTemplateId", "disabledByMicrosoftStatus",
		"createdDateTime", "displayName", "description", "groupMembershipClaims", "identifierUris",
		"isDeviceOnlyAuthSupported", "isFallbackPublicClient", "nativeAuthenticationApisEnabled", "notes",
		"oauth2RequirePostResponse", "publisherDomain", "serviceManagementReference", "signInAudience", "tags",
		"tokenEncryptionKeyId", "uniqueName", "samlMetadataUrl", "defaultRedirectUri", "certification",
		"optionalClaims", "servicePrincipalLockConfiguration", "requestSignatureVerification", "addIns", "api",
		"appRoles", "info", "keyCredentials", "parentalControlSettings", "passwordCredentials", "publicClient",
		"requiredResourceAccess", "verifiedPublisher", "web", "spa", "logo"},
	colls: nameSet("identifierUris", "tags", "addIns", "appRoles", "keyCredentials", "passwordCredentials",
		"requiredResourceAccess"),
	defaults: map[string]string{"oauth2RequirePostResponse": "false"},
	hidden:   nameSet("logo"),
	navs: []string{"owners", "federatedIdentityCredentials", "appManagementPolicies", "createdOnBehalfOf",
		"extensionProperties", "homeRealmDiscoveryPolicies", "tokenIssuancePolicies", "tokenLifetimePolicies",
		"synchronization"},
	expand: nameSet("owners", "federatedIdentityCredentials"),
	filters: map[string]filterProp{
		"id":              strProp(func(v any) string { return asApp(v).ID }),
		"appId":           strProp(func(v any) string { return asApp(v).AppID }),
		"displayName":     strProp(func(v any) string { return asApp(v).DisplayName }),
		"publisherDomain": strProp(func(v any) string { return asApp(v).PublisherDomain }),
		"signInAudience":  strProp(func(v any) string { return asApp(v).SignInAudience }),
	},
	fields: func(v any, withKeys bool) (map[string]json.RawMessage, error) {
		a := *asApp(v)
		if !withKeys {
			a.KeyCredentials = withoutKeys(a.KeyCredentials)
		}
		a.Owners, a.FederatedIdentityCredentials = nil, nil
		return rawFields(a)
	},
}).init()

// servicePrincipalSchema has no createdDateTime: v1.0 does not define it
// (beta does), so selecting it fails as it does against Graph.
var servicePrincipalSchema = (&schema{
	typeName: "microsoft.graph.servicePrincipal",
	resource: "ServicePrincipal",
	props: []string{"id", "deletedDateTime", "accountEnabled", "alternativeNames", "appDisplayName",
		"appDescription", "appId", "applicationTemplateId", "appOwnerOrganizationId", "appRoleAssignmentRequired",
		"description", "disabledByMicrosoftStatus", "displayName", "homepage", "loginUrl",
		"logoutUrl", "notes", "notificationEmailAddresses", "preferredSingleSignOnMode",
		"preferredTokenSigningKeyThumbprint", "replyUrls", "servicePrincipalNames", "servicePrincipalType",
		"signInAudience", "tags", "tokenEncryptionKeyId", "samlSingleSignOnSettings", "addIns", "appRoles", "info",
		"keyCredentials", "oauth2PermissionScopes", "passwordCredentials", "resourceSpecificApplicationPermissions",
		"verifiedPublisher", "customSecurityAttributes"},
	colls: nameSet("alternativeNames", "notificationEmailAddresses", "replyUrls", "servicePrincipalNames", "tags",
		"addIns", "appRoles", "keyCredentials", "oauth2PermissionScopes", "passwordCredentials",
		"resourceSpecificApplicationPermissions"),
	defaults: map[string]string{"appRoleAssignmentRequired": "false"},
	hidden:   nameSet("customSecurityAttributes"),
	navs: []string{"owners", "appRoleAssignments", "appRoleAssignedTo", "appManagementPolicies",
		"claimsMappingPolicies", "createdObjects", "delegatedPermissionClassifications", "endpoints",
		"federatedIdentityCredentials", "homeRealmDiscoveryPolicies", "memberOf", "oauth2PermissionGrants",
		"ownedObjects", "remoteDesktopSecurityConfiguration", "synchronization", "tokenIssuancePolicies",
		"tokenLifetimePolicies", "transitiveMemberOf"},
	expand: nameSet("owners", "appRoleAssignments"),
	filters: map[string]filterProp{
		"id":                     strProp(func(v any) string { return asSP(v).ID }),
		"appId":                  strProp(func(v any) string { return asSP(v).AppID }),
		"displayName":            strProp(func(v any) string { return asSP(v).DisplayName }),
		"servicePrincipalType":   strProp(func(v any) string { return asSP(v).ServicePrincipalType }),
		"signInAudience":         strProp(func(v any) string { return asSP(v).SignInAudience }),
		"appOwnerOrganizationId": guidProp(func(v any) string { return asSP(v).AppOwnerOrganizationID }),
		"accountEnabled": {typ: "Edm.Boolean", get: func(v any) string {
			if e := asSP(v).AccountEnabled; e != nil && *e {
				return "true"
			}
			return "false"
		}},
	},
	fields: func(v any, withKeys bool) (map[string]json.RawMessage, error) {
		p := *asSP(v)
		if !withKeys {
			p.KeyCredentials = withoutKeys(p.KeyCredentials)
		}
		p.Owners, p.AppRoleAssignments = nil, nil
		return rawFields(p)
	},
}).init()

// servicePrincipalBetaSchema is beta's servicePrincipal, which has
// createdDateTime.
var servicePrincipalBetaSchema = func() *schema {
	sc := *servicePrincipalSchema
	i := slices.Index(sc.props, "appRoleAssignmentRequired")
	sc.props = slices.Insert(slices.Clone(sc.props), i+1, "createdDateTime")
	return sc.init()
}()

// directoryObjectSchema covers owners: users, service principals, groups.
// Which properties an item carries depends on its @odata.type (ownerProps).
var directoryObjectSchema = (&schema{
	typeName: "microsoft.graph.directoryObject",
	resource: "DirectoryObject",
	props: []string{"id", "deletedDateTime", "accountEnabled", "appId", "businessPhones", "displayName",
		"givenName", "jobTitle", "mail", "mobilePhone", "officeLocation", "preferredLanguage",
		"servicePrincipalType", "surname", "userPrincipalName"},
	colls: nameSet("businessPhones"),
	filters: map[string]filterProp{
		"id":                strProp(func(v any) string { return asOwner(v).ID }),
		"displayName":       strProp(func(v any) string { return asOwner(v).DisplayName }),
		"userPrincipalName": strProp(func(v any) string { return asOwner(v).UserPrincipalName }),
		"mail":              strProp(func(v any) string { return asOwner(v).Mail }),
		"appId":             strProp(func(v any) string { return asOwner(v).AppID }),
	},
	fields: func(v any, _ bool) (map[string]json.RawMessage, error) {
		o := *asOwner(v)
		o.ODataType = ""
		return rawFields(o)
	},
}).init()

// ownerProps lists, per @odata.type, the properties Graph returns for an
// owner by default, in order.
var ownerProps = map[string][]string{
	"#microsoft.graph.user": {"id", "businessPhones", "displayName", "givenName", "jobTitle", "mail",
		"mobilePhone", "officeLocation", "preferredLanguage", "surname", "userPrincipalName"},
	"#microsoft.graph.servicePrincipal": {"id", "deletedDateTime", "accountEnabled", "appId", "displayName",
		"servicePrincipalType"},
	"#microsoft.graph.group":           {"id", "deletedDateTime", "displayName", "mail"},
	"#microsoft.graph.application":     {"id", "deletedDateTime", "appId", "displayName"},
	"#microsoft.graph.directoryObject": {"id", "deletedDateTime"},
}

// ownerType is the owner's @odata.type, inferred when the Directory left
// it out.
func ownerType(o *msgraph.DirectoryObject) string {
	switch {
	case o.ODataType != "":
		return o.ODataType
	case o.UserPrincipalName != "":
		return "#microsoft.graph.user"
	case o.AppID != "":
		return "#microsoft.graph.servicePrincipal"
	}
	return "#microsoft.graph.directoryObject"
}

var appRoleAssignmentSchema = (&schema{
	typeName: "microsoft.graph.appRoleAssignment",
	resource: "AppRoleAssignment",
	props: []string{"id", "deletedDateTime", "appRoleId", "createdDateTime", "principalDisplayName", "principalId",
		"principalType", "resourceDisplayName", "resourceId"},
	filters: map[string]filterProp{
		"id":         strProp(func(v any) string { return v.(*msgraph.AppRoleAssignment).ID }),
		"resourceId": guidProp(func(v any) string { return v.(*msgraph.AppRoleAssignment).ResourceID }),
		"appRoleId":  guidProp(func(v any) string { return v.(*msgraph.AppRoleAssignment).AppRoleID }),
	},
	fields: func(v any, _ bool) (map[string]json.RawMessage, error) {
		return rawFields(v)
	},
}).init()

var ficSchema = (&schema{
	typeName: "microsoft.graph.federatedIdentityCredential",
	resource: "FederatedIdentityCredential",
	props:    []string{"id", "audiences", "description", "issuer", "name", "subject"},
	colls:    nameSet("audiences"),
	filters: map[string]filterProp{
		"id":      strProp(func(v any) string { return v.(*msgraph.FederatedIdentityCredential).ID }),
		"name":    strProp(func(v any) string { return v.(*msgraph.FederatedIdentityCredential).Name }),
		"issuer":  strProp(func(v any) string { return v.(*msgraph.FederatedIdentityCredential).Issuer }),
		"subject": strProp(func(v any) string { return v.(*msgraph.FederatedIdentityCredential).Subject }),
	},
	fields: func(v any, _ bool) (map[string]json.RawMessage, error) {
		return rawFields(v)
	},
}).init()

// withoutKeys copies creds with key set to null, as Graph returns them
// unless keyCredentials is selected.
func withoutKeys(creds []msgraph.KeyCredential) []msgraph.KeyCredential {
	if creds == nil {
		return nil
	}
	out := make([]msgraph.KeyCredential, len(creds))
	for i, c := range creds {
		c.Key = nil
		out[i] = c
	}
	return out
}

func rawFields(v any) (map[string]json.RawMessage, error) {
	b, err := marshalJSON(v)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return m, nil
}
