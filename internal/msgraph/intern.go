package msgraph

import (
	"strings"
	"sync"
	"unsafe"
)

// Interner keeps one copy of each string a large read of a directory holds
// many times: owners named on thousands of apps, an app's appId and name
// repeated on its service principal and in every grant to it, resource
// ids, role ids, certificates reused across apps. A 100,000-app tenant
// holds a few hundred thousand such strings; sharing them keeps the
// snapshot, and the inventory built from it, a fraction smaller. It also
// trims the spare capacity the JSON decoder leaves on slices. Use one per
// read and drop it after: its map is as large as the strings it shares.
// Its methods may be called from several goroutines.
//
// What it keeps it also packs: strings into large blocks, lists and the
// targets of optional fields into large arrays. Decoded, each sits among
// the decoder's short-lived garbage, and a large read's left most of the
// heap's small spans partly used, unused yet not reusable. Dates are not
// copied: the inventory parses them and nothing keeps them.
type Interner struct {
	mu    sync.Mutex
	m     map[string]string
	block []byte

	ptrs        slab[string]
	tags        slab[string]
	passwordsS  slab[PasswordCredential]
	keysS       slab[KeyCredential]
	ownersS     slab[DirectoryObject]
	ficsS       slab[FederatedIdentityCredential]
	assignments slab[AppRoleAssignment]
	resources   slab[RequiredResourceAccess]
}

// blockSize is the size of one block of strings; longer strings get a
// copy of their own.
const blockSize = 64 << 10

// NewInterner returns an empty Interner.
func NewInterner() *Interner { return &Interner{m: map[string]string{}} }

// Application interns what a read of a holds, relationships included.
func (n *Interner) Application(a *Application) {
	n.mu.Lock()
	defer n.mu.Unlock()
	a.Tags, a.RequiredResourceAccess = n.tags.pack(a.Tags), n.resources.pack(a.RequiredResourceAccess)
	a.PasswordCredentials, a.KeyCredentials = n.passwordsS.pack(a.PasswordCredentials), n.keysS.pack(a.KeyCredentials)
	a.Owners, a.FederatedIdentityCredentials = n.ownersS.pack(a.Owners), n.ficsS.pack(a.FederatedIdentityCredentials)
	n.own(&a.ID)
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

// ServicePrincipal interns what a read of p holds, relationships included.
func (n *Interner) ServicePrincipal(p *ServicePrincipal) {
	n.mu.Lock()
	defer n.mu.Unlock()
	p.Tags, p.PasswordCredentials, p.KeyCredentials = n.tags.pack(p.Tags), n.passwordsS.pack(p.PasswordCredentials), n.keysS.pack(p.KeyCredentials)
	p.Owners, p.AppRoleAssignments = n.ownersS.pack(p.Owners), n.assignments.pack(p.AppRoleAssignments)
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
	n.grants(p.AppRoleAssignments)
}

// KeyCredentials interns certificates read apart from their object.
func (n *Interner) KeyCredentials(creds []KeyCredential) []KeyCredential {
	return apart(n, &n.keysS, creds, n.keys)
}

// Owners interns owners read apart from their object.
func (n *Interner) Owners(os []DirectoryObject) []DirectoryObject {
	return apart(n, &n.ownersS, os, n.owners)
}

// FederatedIdentityCredentials interns federated credentials read apart
// from their application.
func (n *Interner) FederatedIdentityCredentials(fs []FederatedIdentityCredential) []FederatedIdentityCredential {
	return apart(n, &n.ficsS, fs, n.fics)
}

// AppRoleAssignments interns grants read apart from their service
// principal.
func (n *Interner) AppRoleAssignments(as []AppRoleAssignment) []AppRoleAssignment {
	return apart(n, &n.assignments, as, n.grants)
}

// apart packs a list read apart from its object into sl and interns it.
func apart[T any](n *Interner, sl *slab[T], s []T, intern func([]T)) []T {
	n.mu.Lock()
	defer n.mu.Unlock()
	s = sl.pack(s)
	intern(s)
	return s
}

// str shares *s with every equal string interned before.
func (n *Interner) str(s *string) {
	if *s == "" {
		return
	}
	if v, ok := n.m[*s]; ok {
		*s = v
		return
	}
	n.own(s)
	n.m[*s] = *s
}

// own copies *s into a block without sharing it: for values each object
// has its own of, which a map would only make larger.
func (n *Interner) own(s *string) {
	switch {
	case *s == "":
		return
	case len(*s) > blockSize/8:
		*s = strings.Clone(*s)
		return
	case len(*s) > cap(n.block)-len(n.block):
		n.block = make([]byte, 0, blockSize)
	}
	start := len(n.block)
	n.block = append(n.block, *s...)
	// The bytes are never written again: later strings go after them,
	// and a full block is left for a new one.
	*s = unsafe.String(&n.block[start], len(*s))
}

// How the target of an optional field is kept: interned (str), copied
// for the object alone (own), or only shared, never copied into a block,
// for values the inventory reads but does not keep (a certificate's key
// and custom key identifier), which in a block would live as long as the
// kept strings beside them.
const (
	interned = iota
	owned
	sharedOnly
)

// ptr keeps the target of an optional field as how says and moves it into
// an array.
func (n *Interner) ptr(pp **string, how int) {
	if *pp == nil {
		return
	}
	v := **pp
	switch how {
	case interned:
		n.str(&v)
	case owned:
		n.own(&v)
	default:
		if u, ok := n.m[v]; ok {
			v = u
		} else if v != "" {
			n.m[v] = v
		}
	}
	*pp = n.ptrs.hold(v)
}

func (n *Interner) strs(s []string) {
	for i := range s {
		n.str(&s[i])
	}
}

func (n *Interner) passwords(creds []PasswordCredential) {
	for i := range creds {
		c := &creds[i]
		n.own(&c.KeyID)
		n.ptr(&c.DisplayName, interned)
		n.ptr(&c.CustomKeyIdentifier, sharedOnly)
		n.ptr(&c.Hint, owned)
	}
}

func (n *Interner) keys(creds []KeyCredential) {
	for i := range creds {
		c := &creds[i]
		n.own(&c.KeyID)
		n.ptr(&c.DisplayName, interned)
		n.ptr(&c.CustomKeyIdentifier, sharedOnly)
		n.ptr(&c.Key, sharedOnly)
		n.str(&c.Type)
		n.str(&c.Usage)
	}
}

func (n *Interner) owners(os []DirectoryObject) {
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

func (n *Interner) fics(fs []FederatedIdentityCredential) {
	for i := range fs {
		f := &fs[i]
		n.own(&f.ID)
		n.own(&f.Subject)
		n.str(&f.Name)
		n.str(&f.Issuer)
		n.strs(f.Audiences)
		n.ptr(&f.Description, interned)
	}
}

func (n *Interner) grants(as []AppRoleAssignment) {
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

// slab hands out lists packed one after another in large arrays.
type slab[T any] struct{ chunk []T }

// slabLen is how many items one array of a slab holds; longer lists get
// an array of their own.
const slabLen = 1024

// pack returns a copy of s in the slab, with no spare capacity: an
// append to it copies rather than overwrite the next list.
func (sl *slab[T]) pack(s []T) []T {
	switch {
	case len(s) == 0:
		return s
	case len(s) > slabLen/8:
		return append([]T(nil), s...)[:len(s):len(s)]
	case len(s) > cap(sl.chunk)-len(sl.chunk):
		sl.chunk = make([]T, 0, slabLen)
	}
	start := len(sl.chunk)
	sl.chunk = append(sl.chunk, s...)
	return sl.chunk[start:len(sl.chunk):len(sl.chunk)]
}

// hold returns a pointer to a copy of v in the slab.
func (sl *slab[T]) hold(v T) *T {
	p := sl.pack([]T{v})
	return &p[0]
}
