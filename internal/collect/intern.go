package collect

import (
	"sync"

	"github.com/credwatch/credwatch/internal/msgraph"
)

// fit returns s with no spare capacity: the JSON decoder grows slices by
// doubling, and across a large tenant's owners, credentials and grants the
// slack came to a fifth of the snapshot.
func fit[T any](s []T) []T {
	if cap(s) == len(s) {
		return s
	}
	out := make([]T, len(s))
	copy(out, s)
	return out
}

// interner keeps one copy of each string a collection holds many times:
// owners named on thousands of apps, an app's appId and name repeated on
// its service principal and in every grant to it, resource ids, role ids,
// certificates reused across apps. A 100,000-app tenant holds a few
// hundred thousand such strings; sharing them keeps the snapshot, and the
// inventory built from it, a fraction smaller. It lives only as long as
// one collection.
type interner struct {
	mu sync.Mutex
	m  map[string]string
}

func newInterner() *interner { return &interner{m: map[string]string{}} }

func (n *interner) str(s *string) {
	if *s == "" {
		return
	}
	if v, ok := n.m[*s]; ok {
		*s = v
		return
	}
	n.m[*s] = *s
}

func (n *interner) ptr(p *string) {
	if p != nil {
		n.str(p)
	}
}

func (n *interner) strs(s []string) {
	for i := range s {
		n.str(&s[i])
	}
}

func (n *interner) app(a *msgraph.Application) {
	n.mu.Lock()
	defer n.mu.Unlock()
	a.Tags, a.RequiredResourceAccess = fit(a.Tags), fit(a.RequiredResourceAccess)
	a.PasswordCredentials, a.KeyCredentials = fit(a.PasswordCredentials), fit(a.KeyCredentials)
	a.Owners, a.FederatedIdentityCredentials = fit(a.Owners), fit(a.FederatedIdentityCredentials)
	n.str(&a.AppID)
	n.str(&a.DisplayName)
	n.str(&a.SignInAudience)
	n.str(&a.PublisherDomain)
	n.strs(a.Tags)
	for i := range a.RequiredResourceAccess {
		r := &a.RequiredResourceAccess[i]
		n.str(&r.ResourceAppID)
		for j := range r.ResourceAccess {
			n.str(&r.ResourceAccess[j].ID)
			n.str(&r.ResourceAccess[j].Type)
		}
	}
	n.passwords(a.PasswordCredentials)
	n.keys(a.KeyCredentials)
	n.owners(a.Owners)
	n.fics(a.FederatedIdentityCredentials)
}

func (n *interner) sp(p *msgraph.ServicePrincipal) {
	n.mu.Lock()
	defer n.mu.Unlock()
	p.Tags, p.PasswordCredentials, p.KeyCredentials = fit(p.Tags), fit(p.PasswordCredentials), fit(p.KeyCredentials)
	p.Owners, p.AppRoleAssignments = fit(p.Owners), fit(p.AppRoleAssignments)
	n.str(&p.ID) // grants name it as their principal
	n.str(&p.AppID)
	n.str(&p.DisplayName)
	n.str(&p.AppDisplayName)
	n.str(&p.AppOwnerOrganizationID)
	n.str(&p.ServicePrincipalType)
	n.str(&p.SignInAudience)
	n.strs(p.Tags)
	n.passwords(p.PasswordCredentials)
	n.keys(p.KeyCredentials)
	n.owners(p.Owners)
	n.assignments(p.AppRoleAssignments)
}

func (n *interner) passwords(creds []msgraph.PasswordCredential) {
	for i := range creds {
		c := &creds[i]
		n.ptr(c.DisplayName)
		n.ptr(c.CustomKeyIdentifier)
	}
}

// appKeys interns what the application key list holds of an app.
func (n *interner) appKeys(a *msgraph.Application) {
	n.mu.Lock()
	defer n.mu.Unlock()
	a.KeyCredentials = fit(a.KeyCredentials)
	n.keys(a.KeyCredentials)
}

func (n *interner) keys(creds []msgraph.KeyCredential) {
	for i := range creds {
		c := &creds[i]
		n.ptr(c.DisplayName)
		n.ptr(c.CustomKeyIdentifier)
		n.ptr(c.Key)
		n.str(&c.Type)
		n.str(&c.Usage)
	}
}

func (n *interner) owners(os []msgraph.DirectoryObject) {
	for i := range os {
		o := &os[i]
		n.str(&o.ODataType)
		n.str(&o.ID)
		n.str(&o.DisplayName)
		n.str(&o.UserPrincipalName)
		n.str(&o.Mail)
		n.str(&o.AppID)
	}
}

func (n *interner) fics(fs []msgraph.FederatedIdentityCredential) {
	for i := range fs {
		f := &fs[i]
		n.str(&f.Name)
		n.str(&f.Issuer)
		n.strs(f.Audiences)
		n.ptr(f.Description)
	}
}

func (n *interner) assignments(as []msgraph.AppRoleAssignment) {
	for i := range as {
		a := &as[i]
		n.str(&a.AppRoleID)
		n.str(&a.PrincipalID)
		n.str(&a.PrincipalType)
		n.str(&a.PrincipalDisplayName)
		n.str(&a.ResourceID)
		n.str(&a.ResourceDisplayName)
	}
}

// lookupResult interns what one lookup stored.
func (n *interner) lookupResult(l lookup) {
	n.mu.Lock()
	defer n.mu.Unlock()
	switch l.kind {
	case appOwners:
		l.app.Owners = fit(l.app.Owners)
		n.owners(l.app.Owners)
	case spOwners:
		l.sp.Owners = fit(l.sp.Owners)
		n.owners(l.sp.Owners)
	case appFICs:
		l.app.FederatedIdentityCredentials = fit(l.app.FederatedIdentityCredentials)
		n.fics(l.app.FederatedIdentityCredentials)
	default:
		l.sp.AppRoleAssignments = fit(l.sp.AppRoleAssignments)
		n.assignments(l.sp.AppRoleAssignments)
	}
}
