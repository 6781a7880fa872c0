package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/credwatch/credwatch/internal/inventory"
	"github.com/credwatch/credwatch/internal/policy"
)

// Diff is what changed between two complete scans of one tenant. Every
// list is sorted: objects by display name (ignoring case), type and id;
// the rest by their object, then their own key; findings by severity
// (highest first), rule, object and key.
type Diff struct {
	From ScanInfo `json:"from"`
	To   ScanInfo `json:"to"`

	ObjectsAdded   []ObjectRef `json:"objectsAdded,omitempty"`
	ObjectsRemoved []ObjectRef `json:"objectsRemoved,omitempty"`
	// Credentials are matched by object id and key id; those of an added or
	// removed object are listed too.
	CredentialsAdded   []CredentialRef    `json:"credentialsAdded,omitempty"`
	CredentialsRemoved []CredentialRef    `json:"credentialsRemoved,omitempty"`
	CredentialsChanged []CredentialChange `json:"credentialsChanged,omitempty"`
	// Owners are matched by object id and owner id.
	OwnersAdded   []OwnerChange `json:"ownersAdded,omitempty"`
	OwnersRemoved []OwnerChange `json:"ownersRemoved,omitempty"`
	// Permissions are matched by object id, resource app id and app role id.
	PermissionsAdded   []PermissionChange `json:"permissionsAdded,omitempty"`
	PermissionsRemoved []PermissionChange `json:"permissionsRemoved,omitempty"`
	// Findings are matched by their stable id: opened are in To only,
	// resolved in From only. A change of suppression is neither.
	FindingsOpened   []policy.Finding `json:"findingsOpened,omitempty"`
	FindingsResolved []policy.Finding `json:"findingsResolved,omitempty"`
}

// ObjectRef names an application or service principal.
type ObjectRef struct {
	Type        inventory.ObjectType `json:"type"`
	ID          string               `json:"id"`
	AppID       string               `json:"appId"`
	DisplayName string               `json:"displayName"`
}

// CredentialRef names a credential and the fields a change is judged on.
type CredentialRef struct {
	Object      ObjectRef                `json:"object"`
	Type        inventory.CredentialType `json:"type"`
	KeyID       string                   `json:"keyId"`
	DisplayName string                   `json:"displayName,omitempty"`
	Hint        string                   `json:"hint,omitempty"`
	Thumbprint  string                   `json:"thumbprint,omitempty"`
	Start       time.Time                `json:"start,omitzero"`
	End         time.Time                `json:"end,omitzero"`
}

// CredentialChange is one credential (same object, same key id) whose
// dates, description, hint or thumbprint differ between the scans.
type CredentialChange struct {
	Before CredentialRef `json:"before"`
	After  CredentialRef `json:"after"`
	// Fields names what differs, in this order: displayName, hint, start,
	// end, thumbprint.
	Fields []string `json:"fields"`
}

// OwnerChange is an owner added to or removed from an object.
type OwnerChange struct {
	Object            ObjectRef           `json:"object"`
	Type              inventory.OwnerType `json:"type"`
	ID                string              `json:"id"`
	DisplayName       string              `json:"displayName,omitempty"`
	UserPrincipalName string              `json:"userPrincipalName,omitempty"`
	Mail              string              `json:"mail,omitempty"`
}

// PermissionChange is an application permission granted or revoked.
type PermissionChange struct {
	Object        ObjectRef `json:"object"`
	Resource      string    `json:"resource"`
	ResourceAppID string    `json:"resourceAppId"`
	AppRoleID     string    `json:"appRoleId"`
	Value         string    `json:"value"`
}

// Compare diffs two scans of one tenant. It refuses a partial scan
// (ErrIncompleteScan), whose gaps would read as removals, and scans of two
// tenants (ErrTenantMismatch).
func Compare(from, to *Record) (*Diff, error) {
	if from == nil || from.Tenant == nil || to == nil || to.Tenant == nil {
		return nil, errors.New("compare scans: a scan has no tenant")
	}
	return compare(memoryRows{from}, to)
}

// CompareStored diffs the stored scan fromID with to, reading the stored
// one row by row rather than loading it: a scan of a large tenant is never
// held twice. It refuses what Compare refuses.
func (s *Store) CompareStored(ctx context.Context, fromID int64, to *Record) (*Diff, error) {
	if to == nil || to.Tenant == nil {
		return nil, errors.New("compare scans: a scan has no tenant")
	}
	si, err := scanInfo(s.db.QueryRowContext(ctx, s.backend.rebind(`SELECT `+scanCols+` FROM scans WHERE id = ?`), fromID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("compare scans: scan %d: %w", fromID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("compare scans: scan %d: %w", fromID, err)
	}
	d, err := compare(storedRows{si, reader{ctx: ctx, db: s.db, b: s.backend, id: fromID}}, to)
	if err != nil && !errors.Is(err, ErrIncompleteScan) && !errors.Is(err, ErrTenantMismatch) {
		return nil, fmt.Errorf("compare scans: read scan %d: %w", fromID, err)
	}
	return d, err
}

// scanRows is a scan as Compare reads it: its summary, then each table in
// saved order, children naming their object by its ordinal.
type scanRows interface {
	info() ScanInfo
	objects(func(ord int, o *inventory.Object) error) error
	credentials(func(ord int, c *inventory.Credential) error) error
	owners(func(ord int, ow *inventory.Owner) error) error
	permissions(func(ord int, p *inventory.Permission) error) error
	findings(func(f *policy.Finding) error) error
}

type storedRows struct {
	si ScanInfo
	reader
}

func (r storedRows) info() ScanInfo { return r.si }

type memoryRows struct{ r *Record }

func (m memoryRows) info() ScanInfo { return m.r.info() }

func (m memoryRows) objects(fn func(int, *inventory.Object) error) error {
	for i := range m.r.Tenant.Objects {
		if err := fn(i, &m.r.Tenant.Objects[i]); err != nil {
			return err
		}
	}
	return nil
}

// children calls fn with each child of each object, picked by list.
func children[T any](m memoryRows, list func(*inventory.Object) []T, fn func(int, *T) error) error {
	for i := range m.r.Tenant.Objects {
		items := list(&m.r.Tenant.Objects[i])
		for j := range items {
			if err := fn(i, &items[j]); err != nil {
				return err
			}
		}
	}
	return nil
}

func (m memoryRows) credentials(fn func(int, *inventory.Credential) error) error {
	return children(m, func(o *inventory.Object) []inventory.Credential { return o.Credentials }, fn)
}

func (m memoryRows) owners(fn func(int, *inventory.Owner) error) error {
	return children(m, func(o *inventory.Object) []inventory.Owner { return o.Owners }, fn)
}

func (m memoryRows) permissions(fn func(int, *inventory.Permission) error) error {
	return children(m, func(o *inventory.Object) []inventory.Permission { return o.Permissions }, fn)
}

func (m memoryRows) findings(fn func(*policy.Finding) error) error {
	for i := range m.r.Findings {
		if err := fn(&m.r.Findings[i]); err != nil {
			return err
		}
	}
	return nil
}

func compare(from scanRows, to *Record) (*Diff, error) {
	fi, ti := from.info(), to.info()
	for _, si := range []ScanInfo{fi, ti} {
		if !si.Complete {
			why := strings.Join(si.Incomplete, "; ")
			if why == "" {
				why = "no reason recorded"
			}
			return nil, fmt.Errorf("compare scans: scan %d: %w (%s)", si.ID, ErrIncompleteScan, why)
		}
	}
	if fi.TenantID != ti.TenantID {
		return nil, fmt.Errorf("compare scans: %w: scan %d is of tenant %q, scan %d of %q",
			ErrTenantMismatch, fi.ID, fi.TenantID, ti.ID, ti.TenantID)
	}
	d := &Diff{From: fi, To: ti}
	ix := indexObjects(to.Tenant)

	// from is read once, table by table; each of its rows is matched
	// against to's index. A repeated key keeps its first row on either
	// side, so the result does not depend on duplicates' order.
	var refs []ObjectRef // from's objects by ordinal
	removedObj := map[string]bool{}
	err := from.objects(func(ord int, o *inventory.Object) error {
		ref := objectRef(o)
		if i, ok := ix.objects.pos[o.ID]; ok {
			ix.objects.seen[i] = true
			if now := ix.object(ix.objects.at[i]); now == ref {
				ref = now // to's strings: the row's are garbage at once
			}
		} else if !removedObj[o.ID] {
			removedObj[o.ID] = true
			d.ObjectsRemoved = append(d.ObjectsRemoved, ref)
		}
		refs = append(refs, ref)
		return nil
	})
	if err != nil {
		return nil, err
	}
	refOf := func(ord int) (ObjectRef, error) {
		if ord < 0 || ord >= len(refs) {
			return ObjectRef{}, fmt.Errorf("row refers to object %d of %d", ord, len(refs))
		}
		return refs[ord], nil
	}
	removedCred := map[credKey]bool{}
	err = from.credentials(func(ord int, c *inventory.Credential) error {
		ref, err := refOf(ord)
		if err != nil {
			return err
		}
		k := credKey{ref.ID, c.KeyID}
		before := credentialRef(ref, c)
		i, ok := ix.creds.pos[k]
		switch {
		case !ok && !removedCred[k]:
			removedCred[k] = true
			d.CredentialsRemoved = append(d.CredentialsRemoved, before)
		case ok && !ix.creds.seen[i]:
			ix.creds.seen[i] = true
			after := ix.credential(ix.creds.at[i])
			if fields := changedFields(before, after); len(fields) > 0 {
				d.CredentialsChanged = append(d.CredentialsChanged, CredentialChange{Before: before, After: after, Fields: fields})
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	removedOwner := map[ownerKey]bool{}
	err = from.owners(func(ord int, ow *inventory.Owner) error {
		ref, err := refOf(ord)
		if err != nil {
			return err
		}
		k := ownerKey{ref.ID, ow.ID}
		if i, ok := ix.owners.pos[k]; ok {
			ix.owners.seen[i] = true
		} else if !removedOwner[k] {
			removedOwner[k] = true
			d.OwnersRemoved = append(d.OwnersRemoved, ownerChange(ref, ow))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	removedPerm := map[permKey]bool{}
	err = from.permissions(func(ord int, p *inventory.Permission) error {
		ref, err := refOf(ord)
		if err != nil {
			return err
		}
		k := permKey{ref.ID, p.ResourceAppID, p.AppRoleID}
		if i, ok := ix.perms.pos[k]; ok {
			ix.perms.seen[i] = true
		} else if !removedPerm[k] {
			removedPerm[k] = true
			d.PermissionsRemoved = append(d.PermissionsRemoved, permissionChange(ref, p))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	refs = nil
	var found positions[string]
	for i := range to.Findings {
		found.add(to.Findings[i].ID, loc{item: int32(i)})
	}
	resolved := map[string]bool{}
	err = from.findings(func(f *policy.Finding) error {
		if i, ok := found.pos[f.ID]; ok {
			found.seen[i] = true
		} else if !resolved[f.ID] {
			resolved[f.ID] = true
			d.FindingsResolved = append(d.FindingsResolved, *f)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	d.ObjectsAdded = unseen(&ix.objects, ix.object)
	d.CredentialsAdded = unseen(&ix.creds, ix.credential)
	d.OwnersAdded = unseen(&ix.owners, ix.owner)
	d.PermissionsAdded = unseen(&ix.perms, ix.permission)
	d.FindingsOpened = unseen(&found, func(l loc) policy.Finding { return to.Findings[l.item] })

	slices.SortFunc(d.ObjectsAdded, compareObjects)
	slices.SortFunc(d.ObjectsRemoved, compareObjects)
	slices.SortFunc(d.CredentialsAdded, compareCredentials)
	slices.SortFunc(d.CredentialsRemoved, compareCredentials)
	slices.SortFunc(d.CredentialsChanged, func(x, y CredentialChange) int { return compareCredentials(x.After, y.After) })
	slices.SortFunc(d.OwnersAdded, compareOwners)
	slices.SortFunc(d.OwnersRemoved, compareOwners)
	slices.SortFunc(d.PermissionsAdded, comparePermissions)
	slices.SortFunc(d.PermissionsRemoved, comparePermissions)
	slices.SortFunc(d.FindingsOpened, compareFindings)
	slices.SortFunc(d.FindingsResolved, compareFindings)
	return d, nil
}

// Empty reports whether nothing changed between the scans.
func (d *Diff) Empty() bool {
	return len(d.ObjectsAdded)+len(d.ObjectsRemoved)+
		len(d.CredentialsAdded)+len(d.CredentialsRemoved)+len(d.CredentialsChanged)+
		len(d.OwnersAdded)+len(d.OwnersRemoved)+
		len(d.PermissionsAdded)+len(d.PermissionsRemoved)+
		len(d.FindingsOpened)+len(d.FindingsResolved) == 0
}

// positions is where each key of one side first occurs, with a flag for
// each that the other side matched; a repeated key keeps the first.
type positions[K comparable] struct {
	at   []loc
	pos  map[K]int
	seen []bool
}

// loc is an object's index and the index of an item in one of its lists.
type loc struct{ object, item int32 }

func (p *positions[K]) add(key K, l loc) {
	if p.pos == nil {
		p.pos = make(map[K]int)
	}
	if _, dup := p.pos[key]; dup {
		return
	}
	p.pos[key] = len(p.at)
	p.at = append(p.at, l)
	p.seen = append(p.seen, false)
}

// unseen is what nothing matched, each made by mk.
func unseen[K comparable, V any](p *positions[K], mk func(loc) V) []V {
	var out []V
	for i, l := range p.at {
		if !p.seen[i] {
			out = append(out, mk(l))
		}
	}
	return out
}

type credKey struct{ object, key string }
type ownerKey struct{ object, owner string }
type permKey struct{ object, resourceApp, role string }

// objectIndex locates to's items by key; the refs a diff lists are made
// only for what it lists, so the index of a large tenant stays small.
type objectIndex struct {
	t       *inventory.Tenant
	objects positions[string]
	creds   positions[credKey]
	owners  positions[ownerKey]
	perms   positions[permKey]
}

func indexObjects(t *inventory.Tenant) objectIndex {
	ix := objectIndex{t: t}
	for i := range t.Objects {
		o := &t.Objects[i]
		ix.objects.add(o.ID, loc{int32(i), 0})
		for j := range o.Credentials {
			ix.creds.add(credKey{o.ID, o.Credentials[j].KeyID}, loc{int32(i), int32(j)})
		}
		for j := range o.Owners {
			ix.owners.add(ownerKey{o.ID, o.Owners[j].ID}, loc{int32(i), int32(j)})
		}
		for j := range o.Permissions {
			p := &o.Permissions[j]
			ix.perms.add(permKey{o.ID, p.ResourceAppID, p.AppRoleID}, loc{int32(i), int32(j)})
		}
	}
	return ix
}

func (ix *objectIndex) object(l loc) ObjectRef { return objectRef(&ix.t.Objects[l.object]) }

func (ix *objectIndex) credential(l loc) CredentialRef {
	o := &ix.t.Objects[l.object]
	return credentialRef(objectRef(o), &o.Credentials[l.item])
}

func (ix *objectIndex) owner(l loc) OwnerChange {
	o := &ix.t.Objects[l.object]
	return ownerChange(objectRef(o), &o.Owners[l.item])
}

func (ix *objectIndex) permission(l loc) PermissionChange {
	o := &ix.t.Objects[l.object]
	return permissionChange(objectRef(o), &o.Permissions[l.item])
}

func objectRef(o *inventory.Object) ObjectRef {
	return ObjectRef{Type: o.Type, ID: o.ID, AppID: o.AppID, DisplayName: o.DisplayName}
}

func credentialRef(ref ObjectRef, c *inventory.Credential) CredentialRef {
	return CredentialRef{Object: ref, Type: c.Type, KeyID: c.KeyID, DisplayName: c.DisplayName, Hint: c.Hint,
		Thumbprint: c.Thumbprint, Start: c.Start, End: c.End}
}

func ownerChange(ref ObjectRef, ow *inventory.Owner) OwnerChange {
	return OwnerChange{Object: ref, Type: ow.Type, ID: ow.ID, DisplayName: ow.DisplayName,
		UserPrincipalName: ow.UserPrincipalName, Mail: ow.Mail}
}

func permissionChange(ref ObjectRef, p *inventory.Permission) PermissionChange {
	return PermissionChange{Object: ref, Resource: p.Resource, ResourceAppID: p.ResourceAppID,
		AppRoleID: p.AppRoleID, Value: p.Value}
}

func changedFields(a, b CredentialRef) []string {
	var f []string
	if a.DisplayName != b.DisplayName {
		f = append(f, "displayName")
	}
	if a.Hint != b.Hint {
		f = append(f, "hint")
	}
	if !a.Start.Equal(b.Start) {
		f = append(f, "start")
	}
	if !a.End.Equal(b.End) {
		f = append(f, "end")
	}
	if a.Thumbprint != b.Thumbprint {
		f = append(f, "thumbprint")
	}
	return f
}

func compareObjects(a, b ObjectRef) int {
	return cmp.Or(
		cmp.Compare(strings.ToLower(a.DisplayName), strings.ToLower(b.DisplayName)),
		cmp.Compare(a.DisplayName, b.DisplayName),
		cmp.Compare(a.Type, b.Type),
		cmp.Compare(a.ID, b.ID),
	)
}

func compareCredentials(a, b CredentialRef) int {
	return cmp.Or(compareObjects(a.Object, b.Object), cmp.Compare(a.KeyID, b.KeyID))
}

func compareOwners(a, b OwnerChange) int {
	return cmp.Or(compareObjects(a.Object, b.Object), cmp.Compare(a.ID, b.ID))
}

func comparePermissions(a, b PermissionChange) int {
	return cmp.Or(compareObjects(a.Object, b.Object),
		cmp.Compare(a.ResourceAppID, b.ResourceAppID), cmp.Compare(a.AppRoleID, b.AppRoleID))
}

func compareFindings(a, b policy.Finding) int {
	return cmp.Or(
		cmp.Compare(b.Severity, a.Severity),
		cmp.Compare(a.RuleID, b.RuleID),
		cmp.Compare(strings.ToLower(a.AppName), strings.ToLower(b.AppName)),
		cmp.Compare(a.ObjectID, b.ObjectID),
		cmp.Compare(a.KeyID, b.KeyID),
		cmp.Compare(a.ID, b.ID),
	)
}
