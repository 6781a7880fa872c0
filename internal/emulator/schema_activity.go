package emulator

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/credwatch/credwatch/internal/msgraph"
)

// logPageSize is the default and largest page of the audit log, sign-in
// and report lists. Graph documents it for sign-ins; for directory audits
// it documents no limit and clients use 999 (contract section 6), so the
// emulator takes up to 1,000 there too and serves 1,000 when $top is
// absent.
const logPageSize = 1000

// auditItem and signInItem are log records with their parsed times.
type auditItem struct {
	rec *msgraph.DirectoryAudit
	at  time.Time
}

type signInItem struct {
	rec *msgraph.SignIn
	at  time.Time
}

func asAudit(v any) *msgraph.DirectoryAudit { return v.(*auditItem).rec }
func asSignIn(v any) *msgraph.SignIn        { return v.(*signInItem).rec }
func asUsage(v any) *msgraph.AppCredentialSignInActivity {
	return v.(*msgraph.AppCredentialSignInActivity)
}

func dateProp(f func(v any) time.Time) filterProp {
	return filterProp{typ: "Edm.DateTimeOffset", at: f, get: func(v any) string { return f(v).Format(time.RFC3339Nano) }}
}

func auditUser(v any) *msgraph.AuditUser {
	if u := asAudit(v).InitiatedBy.User; u != nil {
		return u
	}
	return &msgraph.AuditUser{}
}

func auditApp(v any) *msgraph.AuditApp {
	if a := asAudit(v).InitiatedBy.App; a != nil {
		return a
	}
	return &msgraph.AuditApp{}
}

var targetResourceSchema = (&schema{
	typeName: "microsoft.graph.targetResource",
	resource: "TargetResource",
	filters: map[string]filterProp{
		"id":                strProp(func(v any) string { return v.(*msgraph.TargetResource).ID }),
		"displayName":       strProp(func(v any) string { return v.(*msgraph.TargetResource).DisplayName }),
		"type":              strProp(func(v any) string { return v.(*msgraph.TargetResource).Type }),
		"userPrincipalName": strProp(func(v any) string { return v.(*msgraph.TargetResource).UserPrincipalName }),
	},
}).init()

var auditSchema = (&schema{
	typeName: "microsoft.graph.directoryAudit",
	resource: "DirectoryAudit",
	props: []string{"id", "category", "correlationId", "result", "resultReason", "activityDisplayName",
		"activityDateTime", "loggedByService", "operationType", "initiatedBy", "targetResources", "additionalDetails"},
	colls: nameSet("targetResources", "additionalDetails"),
	filters: map[string]filterProp{
		"id":                                 strProp(func(v any) string { return asAudit(v).ID }),
		"category":                           strProp(func(v any) string { return asAudit(v).Category }),
		"correlationId":                      strProp(func(v any) string { return asAudit(v).CorrelationID }),
		"result":                             strProp(func(v any) string { return asAudit(v).Result }),
		"activityDisplayName":                strProp(func(v any) string { return asAudit(v).ActivityDisplayName }),
		"loggedByService":                    strProp(func(v any) string { return asAudit(v).LoggedByService }),
		"operationType":                      strProp(func(v any) string { return asAudit(v).OperationType }),
		"activityDateTime":                   dateProp(func(v any) time.Time { return v.(*auditItem).at }),
		"initiatedBy/user/id":                strProp(func(v any) string { return auditUser(v).ID }),
		"initiatedBy/user/displayName":       strProp(func(v any) string { return auditUser(v).DisplayName }),
		"initiatedBy/user/userPrincipalName": strProp(func(v any) string { return auditUser(v).UserPrincipalName }),
		"initiatedBy/app/appId":              strProp(func(v any) string { return auditApp(v).AppID }),
		"initiatedBy/app/displayName":        strProp(func(v any) string { return auditApp(v).DisplayName }),
		"initiatedBy/app/servicePrincipalId": strProp(func(v any) string { return auditApp(v).ServicePrincipalID }),
		"targetResources": {typ: "Collection", elem: targetResourceSchema, items: func(v any) []any {
			trs := asAudit(v).TargetResources
			out := make([]any, len(trs))
			for i := range trs {
				out[i] = &trs[i]
			}
			return out
		}},
	},
	fields:      func(v any, _ bool) (map[string]json.RawMessage, error) { return rawFields(asAudit(v)) },
	ops:         nameSet("eq", "ge", "gt", "le", "lt", "startswith", "and", "or", "any"),
	pageDefault: logPageSize,
	pageMax:     logPageSize,
	orderBy:     "activityDateTime",
}).init()

// stringElemSchema is the element of a collection of strings in any():
// the range variable itself.
var stringElemSchema = (&schema{
	typeName: "Edm.String",
	resource: "String",
	filters:  map[string]filterProp{"": strProp(func(v any) string { return v.(string) })},
}).init()

// signInProps are the properties of a beta signIn the emulator writes;
// userDisplayName and the like stay null for app sign-ins.
var signInProps = []string{"id", "createdDateTime", "userDisplayName", "userPrincipalName", "userId", "appId",
	"appDisplayName", "ipAddress", "correlationId", "conditionalAccessStatus", "isInteractive", "resourceDisplayName",
	"resourceId", "servicePrincipalId", "servicePrincipalName", "servicePrincipalCredentialKeyId",
	"servicePrincipalCredentialThumbprint", "clientCredentialType", "federatedCredentialId", "signInEventTypes",
	"status", "location"}

var signInFilters = map[string]filterProp{
	"id":                              strProp(func(v any) string { return asSignIn(v).ID }),
	"appId":                           strProp(func(v any) string { return asSignIn(v).AppID }),
	"appDisplayName":                  strProp(func(v any) string { return asSignIn(v).AppDisplayName }),
	"servicePrincipalId":              strProp(func(v any) string { return asSignIn(v).ServicePrincipalID }),
	"servicePrincipalName":            strProp(func(v any) string { return asSignIn(v).ServicePrincipalName }),
	"ipAddress":                       strProp(func(v any) string { return asSignIn(v).IPAddress }),
	"servicePrincipalCredentialKeyId": strProp(func(v any) string { return asSignIn(v).ServicePrincipalCredentialKeyID }),
	"clientCredentialType":            strProp(func(v any) string { return asSignIn(v).ClientCredentialType }),
	"resourceId":                      strProp(func(v any) string { return asSignIn(v).ResourceID }),
	"resourceDisplayName":             strProp(func(v any) string { return asSignIn(v).ResourceDisplayName }),
	"createdDateTime":                 dateProp(func(v any) time.Time { return v.(*signInItem).at }),
	"isInteractive": {typ: "Edm.Boolean", get: func(v any) string {
		return strconv.FormatBool(asSignIn(v).IsInteractive)
	}},
	"status/errorCode": {typ: "Edm.Int32", get: func(v any) string {
		if st := asSignIn(v).Status; st != nil {
			return strconv.Itoa(st.ErrorCode)
		}
		return ""
	}},
	"signInEventTypes": {typ: "Collection", elem: stringElemSchema, items: func(v any) []any {
		types := asSignIn(v).SignInEventTypes
		out := make([]any, len(types))
		for i, t := range types {
			out[i] = t
		}
		return out
	}},
}

var signInSchema = (&schema{
	typeName:    "microsoft.graph.signIn",
	resource:    "SignIn",
	props:       signInProps,
	colls:       nameSet("signInEventTypes"),
	defaults:    map[string]string{"conditionalAccessStatus": `"notApplied"`, "servicePrincipalCredentialThumbprint": `""`, "servicePrincipalCredentialKeyId": `""`},
	filters:     signInFilters,
	fields:      func(v any, _ bool) (map[string]json.RawMessage, error) { return rawFields(asSignIn(v)) },
	ops:         nameSet("eq", "ne", "ge", "gt", "le", "lt", "startswith", "and", "or", "not", "any"),
	pageDefault: logPageSize,
	pageMax:     logPageSize,
	orderBy:     "createdDateTime",
}).init()

// signInSchemaV1 is v1.0's signIn, which has no service principal
// properties: filtering on signInEventTypes there fails, as it does
// against Graph.
var signInSchemaV1 = func() *schema {
	sc := *signInSchema
	sc.props = []string{"id", "createdDateTime", "userDisplayName", "userPrincipalName", "userId", "appId",
		"appDisplayName", "ipAddress", "correlationId", "conditionalAccessStatus", "isInteractive",
		"resourceDisplayName", "resourceId", "status", "location"}
	sc.colls = nil
	sc.filters = map[string]filterProp{}
	for k, f := range signInFilters {
		switch k {
		case "signInEventTypes", "servicePrincipalId", "servicePrincipalName", "servicePrincipalCredentialKeyId", "clientCredentialType":
		default:
			sc.filters[k] = f
		}
	}
	return sc.init()
}()

var usageSchema = (&schema{
	typeName: "microsoft.graph.appCredentialSignInActivity",
	resource: "AppCredentialSignInActivity",
	props: []string{"id", "appId", "appObjectId", "createdDateTime", "credentialOrigin", "expirationDateTime",
		"keyId", "keyType", "keyUsage", "resourceId", "servicePrincipalObjectId", "signInActivity"},
	filters: map[string]filterProp{
		"id":                       strProp(func(v any) string { return asUsage(v).ID }),
		"appId":                    strProp(func(v any) string { return asUsage(v).AppID }),
		"appObjectId":              strProp(func(v any) string { return asUsage(v).AppObjectID }),
		"keyId":                    strProp(func(v any) string { return asUsage(v).KeyID }),
		"keyType":                  strProp(func(v any) string { return asUsage(v).KeyType }),
		"keyUsage":                 strProp(func(v any) string { return asUsage(v).KeyUsage }),
		"credentialOrigin":         strProp(func(v any) string { return asUsage(v).CredentialOrigin }),
		"servicePrincipalObjectId": strProp(func(v any) string { return asUsage(v).ServicePrincipalObjectID }),
		"resourceId":               strProp(func(v any) string { return asUsage(v).ResourceID }),
	},
	fields:      func(v any, _ bool) (map[string]json.RawMessage, error) { return rawFields(asUsage(v)) },
	ops:         nameSet("eq", "in", "and", "or"),
	pageDefault: logPageSize,
	pageMax:     logPageSize,
}).init()

var tenantPolicySchema = (&schema{
	typeName: "microsoft.graph.tenantAppManagementPolicy",
	resource: "TenantAppManagementPolicy",
	props: []string{"id", "deletedDateTime", "description", "displayName", "isEnabled",
		"applicationRestrictions", "servicePrincipalRestrictions"},
	defaults: map[string]string{"isEnabled": "false"},
	fields: func(v any, _ bool) (map[string]json.RawMessage, error) {
		return rawFields(v.(*msgraph.TenantAppManagementPolicy))
	},
}).init()

var appPolicySchema = (&schema{
	typeName: "microsoft.graph.appManagementPolicy",
	resource: "AppManagementPolicy",
	props:    []string{"id", "deletedDateTime", "description", "displayName", "isEnabled", "restrictions"},
	defaults: map[string]string{"isEnabled": "false"},
	navs:     []string{"appliesTo"},
	expand:   nameSet("appliesTo"),
	filters: map[string]filterProp{
		"id":          strProp(func(v any) string { return v.(*msgraph.AppManagementPolicy).ID }),
		"displayName": strProp(func(v any) string { return v.(*msgraph.AppManagementPolicy).DisplayName }),
		"isEnabled": {typ: "Edm.Boolean", get: func(v any) string {
			return strconv.FormatBool(v.(*msgraph.AppManagementPolicy).IsEnabled)
		}},
	},
	fields: func(v any, _ bool) (map[string]json.RawMessage, error) {
		p := *v.(*msgraph.AppManagementPolicy)
		p.AppliesTo = nil
		return rawFields(p)
	},
}).init()
