package tenantgen

import (
	"time"

	"github.com/credwatch/credwatch/internal/msgraph"
)

// DefaultAppManagementPolicyID is the id of every tenant's default app
// management policy.
const DefaultAppManagementPolicyID = "00000000-0000-0000-0000-000000000000"

const (
	defaultPolicyName = "Default app management tenant policy"
	defaultPolicyDesc = "Default tenant policy that enforces app management restrictions on applications and service principals. To apply policy to targeted resources, create a new policy under appManagementPolicies collection."
)

// tenantPolicy is the default app management policy with the given
// application restrictions; service principals are left unrestricted, as
// most tenants leave them.
func tenantPolicy(enabled bool, pw, keys []msgraph.CredentialRestriction) *msgraph.TenantAppManagementPolicy {
	return &msgraph.TenantAppManagementPolicy{
		ID:          DefaultAppManagementPolicyID,
		DisplayName: defaultPolicyName,
		Description: defaultPolicyDesc,
		IsEnabled:   enabled,
		ApplicationRestrictions: &msgraph.AppRestrictions{
			PasswordCredentials: nonNil(pw),
			KeyCredentials:      nonNil(keys),
		},
		ServicePrincipalRestrictions: &msgraph.AppRestrictions{
			PasswordCredentials: []msgraph.CredentialRestriction{},
			KeyCredentials:      []msgraph.CredentialRestriction{},
		},
	}
}

// restriction is one credential configuration. maxLifetime "" is null (a
// restriction on adding, not on lifetime); a zero after is null (applies
// to every app, whenever created).
func restriction(typ, state, maxLifetime string, after time.Time) msgraph.CredentialRestriction {
	r := msgraph.CredentialRestriction{RestrictionType: typ, State: state}
	if maxLifetime != "" {
		r.MaxLifetime = strp(maxLifetime)
	}
	if !after.IsZero() {
		r.RestrictForAppsCreatedAfterDateTime = strp(graphTime(after, fracNone))
	}
	return r
}

// customPolicy is an assignable app management policy applied to app.
func customPolicy(id, name, desc string, pw, keys []msgraph.CredentialRestriction, app *msgraph.Application) msgraph.AppManagementPolicy {
	return msgraph.AppManagementPolicy{
		ID:          id,
		DisplayName: name,
		Description: desc,
		IsEnabled:   true,
		Restrictions: &msgraph.AppRestrictions{
			PasswordCredentials: nonNil(pw),
			KeyCredentials:      nonNil(keys),
		},
		AppliesTo: []msgraph.DirectoryObject{{ODataType: "#microsoft.graph.application", ID: app.ID, DisplayName: app.DisplayName, AppID: app.AppID}},
	}
}

func nonNil(rs []msgraph.CredentialRestriction) []msgraph.CredentialRestriction {
	if rs == nil {
		return []msgraph.CredentialRestriction{}
	}
	return rs
}

// midnight is t at the start of its UTC day, as admins set policy dates.
func midnight(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
