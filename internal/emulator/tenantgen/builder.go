package tenantgen

import (
	"encoding/base64"
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"time"
	"unicode/utf16"

	"github.com/credwatch/credwatch/internal/msgraph"
)

// GitHubIssuer and TokenExchangeAudience are what a GitHub Actions
// federated credential trusts.
const (
	GitHubIssuer          = "https://token.actions.githubusercontent.com"
	TokenExchangeAudience = "api://AzureADTokenExchange"
)

// builder holds what Generate and Demo share: the generator, the clock,
// the tenant's people and its Microsoft service principals.
type builder struct {
	r        *rand.Rand
	now      time.Time
	tenantID string
	org      org
	certs    *certPool
	// created is when the tenant was created; nothing in it is older.
	created time.Time

	users  []msgraph.DirectoryObject
	groups []msgraph.DirectoryObject
	// fp holds every first-party service principal with its tenant-specific
	// object id, in firstParty order.
	fp      []msgraph.ServicePrincipal
	resUsed [numResources]bool

	dir *msgraph.Directory
}

func newBuilder(r *rand.Rand, now time.Time, tenantID string, o org, perClassUnique int) *builder {
	b := &builder{
		r:        r,
		now:      now,
		tenantID: tenantID,
		org:      o,
		certs:    newCertPool(r, now, perClassUnique),
		dir:      &msgraph.Directory{TenantID: tenantID},
	}
	return b
}

// makeFirstParty gives each Microsoft service principal its object id in
// this tenant; the ids are drawn for all of them, however many are placed,
// so the count placed does not shift later draws.
func (b *builder) makeFirstParty() {
	b.fp = make([]msgraph.ServicePrincipal, len(firstParty))
	for i, a := range firstParty {
		b.fp[i] = msgraph.ServicePrincipal{
			ID:                     guid(b.r),
			AppID:                  a.appID,
			DisplayName:            a.name,
			AppDisplayName:         a.name,
			CreatedDateTime:        graphTime(b.created.Add(between(b.r, 0, time.Hour)), fracNone),
			AppOwnerOrganizationID: a.owner,
			ServicePrincipalType:   "Application",
			AccountEnabled:         boolp(true),
			SignInAudience:         "AzureADMultipleOrgs",
			AppRoles:               appRoles(a.roles),
			PasswordCredentials:    []msgraph.PasswordCredential{},
			KeyCredentials:         []msgraph.KeyCredential{},
		}
	}
}

// finish lists the resource service principals some assignment names.
func (b *builder) finish() *msgraph.Directory {
	for k := resourceKind(0); k < numResources; k++ {
		if !b.resUsed[k] {
			continue
		}
		sp := b.fp[k]
		b.dir.Resources = append(b.dir.Resources, msgraph.ServicePrincipal{
			ID:                     sp.ID,
			AppID:                  sp.AppID,
			DisplayName:            sp.DisplayName,
			AppDisplayName:         sp.AppDisplayName,
			AppOwnerOrganizationID: sp.AppOwnerOrganizationID,
			ServicePrincipalType:   sp.ServicePrincipalType,
			AppRoles:               slices.Clone(sp.AppRoles),
			PasswordCredentials:    []msgraph.PasswordCredential{},
			KeyCredentials:         []msgraph.KeyCredential{},
		})
	}
	return b.dir
}

// newApp starts an application registration with no credentials.
func (b *builder) newApp(name, audience string, created time.Time) msgraph.Application {
	return msgraph.Application{
		ID:                  guid(b.r),
		AppID:               guid(b.r),
		DisplayName:         name,
		CreatedDateTime:     graphTime(created, fracNone),
		SignInAudience:      audience,
		PublisherDomain:     b.org.domain,
		PasswordCredentials: []msgraph.PasswordCredential{},
		KeyCredentials:      []msgraph.KeyCredential{},
	}
}

// appSP makes the service principal of an app registered in this tenant.
func (b *builder) appSP(app *msgraph.Application, created time.Time) msgraph.ServicePrincipal {
	return msgraph.ServicePrincipal{
		ID:                     guid(b.r),
		AppID:                  app.AppID,
		DisplayName:            app.DisplayName,
		AppDisplayName:         app.DisplayName,
		CreatedDateTime:        graphTime(created.Add(between(b.r, time.Second, 5*time.Minute)), fracNone),
		AppOwnerOrganizationID: b.tenantID,
		ServicePrincipalType:   "Application",
		AccountEnabled:         boolp(true),
		SignInAudience:         app.SignInAudience,
		Tags:                   []string{"WindowsAzureActiveDirectoryIntegratedApp"},
		PasswordCredentials:    []msgraph.PasswordCredential{},
		KeyCredentials:         []msgraph.KeyCredential{},
	}
}

// secretSpec describes a client secret to create.
type secretSpec struct {
	desc       *string // nil: no description
	start, end time.Time
	frac       fraction
	// legacyKeyID puts the description, UTF-16 encoded, in
	// customKeyIdentifier instead of displayName, as the old Azure AD
	// PowerShell module and portal did.
	legacyKeyID bool
}

const hintChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func (b *builder) secret(s secretSpec) msgraph.PasswordCredential {
	var hint [3]byte
	for i := range hint {
		hint[i] = hintChars[b.r.IntN(len(hintChars))]
	}
	sub := subSecond(b.r, s.frac)
	pc := msgraph.PasswordCredential{
		DisplayName:   s.desc,
		KeyID:         guid(b.r),
		Hint:          strp(string(hint[:])),
		StartDateTime: graphTime(s.start.Add(sub), s.frac),
		EndDateTime:   graphTime(s.end.Add(sub), s.frac),
	}
	if s.legacyKeyID && s.desc != nil {
		pc.CustomKeyIdentifier = strp(utf16Base64(*s.desc))
		pc.DisplayName = nil
	}
	return pc
}

func utf16Base64(s string) string {
	u := utf16.Encode([]rune(s))
	raw := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(raw[2*i:], c)
	}
	return base64.StdEncoding.EncodeToString(raw)
}

// keyCred makes a Verify (public certificate) keyCredential. hexThumb
// writes customKeyIdentifier as the hex thumbprint, as Microsoft's own
// how-to has users send it; noName leaves displayName null.
func (b *builder) keyCred(c cert, hexThumb, noName bool) msgraph.KeyCredential {
	cki := c.thumbB64
	if hexThumb {
		cki = c.thumbHex
	}
	k := msgraph.KeyCredential{
		CustomKeyIdentifier: strp(cki),
		DisplayName:         strp(c.subject),
		EndDateTime:         graphTime(c.notAfter, fracNone),
		Key:                 strp(c.der),
		KeyID:               guid(b.r),
		StartDateTime:       graphTime(c.notBefore, fracNone),
		Type:                "AsymmetricX509Cert",
		Usage:               "Verify",
	}
	if noName {
		k.DisplayName = nil
	}
	return k
}

// signVerifyPair makes the two keyCredentials Entra stores for a
// certificate with its private key (SAML token signing, for one): a Sign key
// whose key material is never returned, and a Verify key with the public
// certificate, sharing one customKeyIdentifier.
func (b *builder) signVerifyPair(c cert) [2]msgraph.KeyCredential {
	verify := b.keyCred(c, false, false)
	sign := verify
	sign.KeyID = guid(b.r)
	sign.Key = nil
	sign.Type = "X509CertAndPassword"
	sign.Usage = "Sign"
	// Own pointers, so editing one key of the pair never changes the other.
	sign.CustomKeyIdentifier = strp(c.thumbB64)
	sign.DisplayName = strp(c.subject)
	return [2]msgraph.KeyCredential{sign, verify}
}

func (b *builder) fic(name, issuer, subject string, desc *string) msgraph.FederatedIdentityCredential {
	return msgraph.FederatedIdentityCredential{
		ID:          guid(b.r),
		Name:        name,
		Issuer:      issuer,
		Subject:     subject,
		Audiences:   []string{TokenExchangeAudience},
		Description: desc,
	}
}

// grant gives a service principal application permissions, as admin
// consent does: one appRoleAssignment per permission, no duplicates.
func (b *builder) grant(sp *msgraph.ServicePrincipal, perms []perm, at time.Time) {
	for _, p := range perms {
		id := roleID(p)
		res := &b.fp[p.res]
		dup := false
		for _, a := range sp.AppRoleAssignments {
			if a.AppRoleID == id && a.ResourceID == res.ID {
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		b.resUsed[p.res] = true
		sp.AppRoleAssignments = append(sp.AppRoleAssignments, msgraph.AppRoleAssignment{
			ID:                   assignmentID(b.r),
			AppRoleID:            id,
			CreatedDateTime:      graphTime(at.Add(subSecond(b.r, frac7)), frac7),
			PrincipalDisplayName: sp.DisplayName,
			PrincipalID:          sp.ID,
			PrincipalType:        "ServicePrincipal",
			ResourceDisplayName:  res.DisplayName,
			ResourceID:           res.ID,
		})
	}
}

// requiredAccess is what an app registration requests: the permissions,
// grouped by resource in catalog order, and optionally delegated User.Read.
func requiredAccess(perms []perm, userRead bool) []msgraph.RequiredResourceAccess {
	var out []msgraph.RequiredResourceAccess
	for k := resourceKind(0); k < numResources; k++ {
		var acc []msgraph.ResourceAccess
		if k == resGraph && userRead {
			acc = append(acc, msgraph.ResourceAccess{ID: userReadScope, Type: "Scope"})
		}
		for _, p := range perms {
			if p.res != k {
				continue
			}
			ra := msgraph.ResourceAccess{ID: roleID(p), Type: "Role"}
			dup := false
			for _, x := range acc {
				dup = dup || x == ra
			}
			if !dup {
				acc = append(acc, ra)
			}
		}
		if len(acc) > 0 {
			out = append(out, msgraph.RequiredResourceAccess{ResourceAppID: firstParty[k].appID, ResourceAccess: acc})
		}
	}
	return out
}

// distinctOwners picks n distinct owners from the people pools and the
// given service principals, mostly users.
func (b *builder) distinctOwners(n int, sps []msgraph.DirectoryObject) []msgraph.DirectoryObject {
	if n <= 0 {
		return nil
	}
	out := make([]msgraph.DirectoryObject, 0, n)
	for tries := 0; len(out) < n && tries < 20*n; tries++ {
		var o msgraph.DirectoryObject
		switch x := b.r.IntN(100); {
		case x < 4 && len(sps) > 0:
			o = pick(b.r, sps)
		case x < 15 && len(b.groups) > 0:
			o = pick(b.r, b.groups)
		default:
			o = pick(b.r, b.users)
		}
		dup := false
		for _, e := range out {
			dup = dup || e.ID == o.ID
		}
		if !dup {
			out = append(out, o)
		}
	}
	return out
}
