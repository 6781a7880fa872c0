package activity

import (
	"net/netip"
	"time"

	"github.com/credwatch/credwatch/internal/inventory"
)

// Part names: the keys of msgraph.Activity.Unavailable and of
// Evidence.Unavailable, one per kind of data Fetch reads.
const (
	PartAudits        = "directoryAudits"
	PartSignIns       = "signIns"
	PartUsage         = "credentialSignInActivities"
	PartDefaultPolicy = "defaultAppManagementPolicy"
	PartPolicies      = "appManagementPolicies"
)

// Parts lists every part, in the order Fetch reads them.
var Parts = []string{PartAudits, PartSignIns, PartUsage, PartDefaultPolicy, PartPolicies}

// Evidence is the activity data of one scan in the shape rules read. Times
// are UTC; lists are sorted by time, then id.
type Evidence struct {
	// AuditSince and SignInsSince start the windows the audit records and
	// sign-ins cover; zero when unknown.
	AuditSince, SignInsSince time.Time

	// CredentialAdded and CredentialRemoved hold the latest addition and
	// removal of each credential in the audit window, by key id.
	CredentialAdded   map[string]Change
	CredentialRemoved map[string]Change
	// OwnerAdded are the owners added to applications and service
	// principals in the audit window.
	OwnerAdded []OwnerChange

	// SignIns are the service principal sign-ins in the sign-in window.
	// SkippedSignIns counts those left out because their IP address could
	// not be read.
	SignIns        []SignIn
	SkippedSignIns int

	Usage Usage

	// Policy is the tenant's default app management policy; nil when it
	// is unavailable. Policies are the custom (assignable) ones.
	Policy   *TenantPolicy
	Policies []CustomPolicy

	// Unavailable says, by part name, why a part is missing.
	Unavailable map[string]string
}

// Available reports whether a part was read. A part that was read may
// still be empty: no records in the window.
func (e *Evidence) Available(part string) bool {
	if e == nil {
		return false
	}
	_, missing := e.Unavailable[part]
	return !missing
}

// ActorType tells users from applications.
type ActorType string

const (
	ActorUser ActorType = "user"
	ActorApp  ActorType = "app"
)

// Actor is who made a change.
type Actor struct {
	Type ActorType // "" when the record names nobody
	// ID is the user's object id, or the service principal's.
	ID string
	// Name is the user principal name (the display name when there is
	// none), or the app's display name.
	Name string
	// AppID is set for apps.
	AppID string
	// IP is the address a user acted from, as the record gives it.
	IP string
}

// Change is a credential added to or removed from an object.
type Change struct {
	RecordID   string // the audit record's id
	ObjectID   string
	ObjectType inventory.ObjectType
	// AppID is the object's app id, when the tenant holds the object.
	AppID string
	KeyID string
	// KeyType is the audit record's own word (Password,
	// AsymmetricX509Cert...); CredentialType the same as inventory
	// names it ("" for other key types).
	KeyType        string
	CredentialType inventory.CredentialType
	KeyUsage       string
	DisplayName    string
	When           time.Time
	Actor          Actor
	UserAgent      string
}

// OwnerChange is an owner added to an application or service principal.
type OwnerChange struct {
	RecordID   string
	ObjectID   string
	ObjectType inventory.ObjectType
	AppID      string
	// Owner is the new owner: its object id, type and, for users, the
	// user principal name as Name.
	OwnerID   string
	OwnerType inventory.OwnerType
	OwnerName string
	When      time.Time
	Actor     Actor
	UserAgent string
}

// SignIn is one service principal sign-in.
type SignIn struct {
	ID                 string
	AppID              string
	AppName            string
	ServicePrincipalID string
	// KeyID is the secret's or certificate's key id; Thumbprint a
	// certificate's thumbprint. Both are empty for federated and managed
	// identity sign-ins.
	KeyID          string
	Thumbprint     string
	CredentialType string // clientSecret, certificate, federatedIdentityCredential...
	IP             netip.Addr
	// Location is "city, state, country" with the parts Graph gave.
	Location string
	When     time.Time
	Success  bool
}

// Usage is when credentials and apps were last used.
type Usage struct {
	// Keys are the usage report's records, by key id.
	Keys map[string]KeyUsage
	// KeyLastSignIn is each key's last sign-in, from the usage report
	// and the sign-ins together.
	KeyLastSignIn map[string]time.Time
	// AppLastSignIn is each app's last sign-in with any credential, by
	// app id, from the usage report and the sign-ins together.
	AppLastSignIn map[string]time.Time
}

// KeyUsage is the usage report's record of one credential.
type KeyUsage struct {
	KeyID string
	AppID string
	// KeyType is clientSecret or certificate (the docs' "secret" is read
	// as clientSecret).
	KeyType string
	// Origin is application or servicePrincipal: where the key is.
	Origin  string
	Created time.Time
	Expires time.Time
	// LastSignIn is the latest of the record's last sign-in, last
	// non-interactive sign-in and last successful sign-in; zero when the
	// key was never used.
	LastSignIn time.Time
}

// TenantPolicy is the default app management policy.
type TenantPolicy struct {
	ID      string
	Enabled bool
	// Application restricts application objects; ServicePrincipal service
	// principals.
	Application      Restrictions
	ServicePrincipal Restrictions
}

// CustomPolicy is an app management policy assigned to some objects; it
// takes the place of the tenant default for them.
type CustomPolicy struct {
	ID           string
	Name         string
	Enabled      bool
	Restrictions Restrictions
	// AppliesTo are the object ids of the applications and service
	// principals it is assigned to.
	AppliesTo []string
}

// Restrictions are a policy's restrictions on secrets (Password) and
// certificates (Key).
type Restrictions struct {
	Password []Restriction
	Key      []Restriction
}

// Restriction is one credential restriction.
type Restriction struct {
	// Type is passwordAddition, passwordLifetime, symmetricKeyAddition,
	// symmetricKeyLifetime, customPasswordAddition, asymmetricKeyLifetime...
	Type string
	// Enabled is state "enabled"; a missing state counts as enabled.
	Enabled bool
	// MaxLifetime is the longest a credential may last; zero when the
	// restriction sets none.
	MaxLifetime time.Duration
	// CreatedAfter limits the restriction to objects created after it;
	// zero means every object.
	CreatedAfter time.Time
}

// Find returns the restriction of type typ among the secret and
// certificate restrictions.
func (r *Restrictions) Find(typ string) (Restriction, bool) {
	for _, list := range [2][]Restriction{r.Password, r.Key} {
		for _, x := range list {
			if x.Type == typ {
				return x, true
			}
		}
	}
	return Restriction{}, false
}

// AppliesTo reports whether the restriction covers an object created at
// created. An object of unknown creation time is covered only when the
// restriction covers every object.
func (x Restriction) AppliesTo(created time.Time) bool {
	if x.CreatedAfter.IsZero() {
		return true
	}
	return !created.IsZero() && created.After(x.CreatedAfter)
}
