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
	t := to.Tenant
	objects := newIDIndex(len(t.Objects), func(i int) string { return t.Objects[i].ID })
	objSeen := make([]bool, len(t.Objects))
	creds := newChildren(t, func(o *inventory.Object) []inventory.Credential { return o.Credentials },
		func(c *inventory.Credential) string { return c.KeyID })
	owners := newChildren(t, func(o *inventory.Object) []*inventory.Owner { return o.Owners },
		func(ow **inventory.Owner) string { return (*ow).ID })
	perms := newChildren(t, func(o *inventory.Object) []inventory.Permission { return o.Permissions },
		func(p *inventory.Permission) permKey { return permKey{p.ResourceAppID, p.AppRoleID} })

	// from is read once, table by table; each of its rows is matched
	// against to. A repeated key keeps its first row on either side, so
	// the result does not depend on duplicates' order.
	// From's objects by ordinal: the index in to of each, or -1, and
	// the refs of those that to does not hold as they were (removed or
	// renamed); the rest are to's.
	var inTo []int32
	refs := map[int32]ObjectRef{}
	removedObj := map[string]bool{}
	err := from.objects(func(ord int, o *inventory.Object) error {
		ref, at := objectRef(o), int32(-1)
		if i, ok := objects.first(o.ID); ok {
			at, objSeen[i] = int32(i), true
		} else if !removedObj[o.ID] {
			removedObj[o.ID] = true
			d.ObjectsRemoved = append(d.ObjectsRemoved, ref)
		}
		if at < 0 || objectRef(&t.Objects[at]) != ref {
			refs[int32(len(inTo))] = ref
		}
		inTo = append(inTo, at)
		return nil
	})
	if err != nil {
		return nil, err
	}
	parentOf := func(ord int) (ObjectRef, int32, error) {
		if ord < 0 || ord >= len(inTo) {
			return ObjectRef{}, 0, fmt.Errorf("row refers to object %d of %d", ord, len(inTo))
		}
		if ref, ok := refs[int32(ord)]; ok {
			return ref, inTo[ord], nil
		}
		return objectRef(&t.Objects[inTo[ord]]), inTo[ord], nil
	}
	removedCred := map[[2]string]bool{}
	err = from.credentials(func(ord int, c *inventory.Credential) error {
		ref, oi, err := parentOf(ord)
		if err != nil {
			return err
		}
		before := credentialRef(ref, c)
		switch j, found, first := creds.match(oi, c.KeyID); {
		case !found && !removedCred[[2]string{ref.ID, c.KeyID}]:
			removedCred[[2]string{ref.ID, c.KeyID}] = true
			d.CredentialsRemoved = append(d.CredentialsRemoved, before)
		case found && first:
			o := &t.Objects[oi]
			after := credentialRef(objectRef(o), &o.Credentials[j])
			if fields := changedFields(before, after); len(fields) > 0 {
				d.CredentialsChanged = append(d.CredentialsChanged, CredentialChange{Before: before, After: after, Fields: fields})
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	removedOwner := map[[2]string]bool{}
	err = from.owners(func(ord int, ow *inventory.Owner) error {
		ref, oi, err := parentOf(ord)
		if err != nil {
			return err
		}
		if _, found, _ := owners.match(oi, ow.ID); !found && !removedOwner[[2]string{ref.ID, ow.ID}] {
			removedOwner[[2]string{ref.ID, ow.ID}] = true
			d.OwnersRemoved = append(d.OwnersRemoved, ownerChange(ref, ow))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	removedPerm := map[[3]string]bool{}
	err = from.permissions(func(ord int, p *inventory.Permission) error {
		ref, oi, err := parentOf(ord)
		if err != nil {
			return err
		}
		k := [3]string{ref.ID, p.ResourceAppID, p.AppRoleID}
		if _, found, _ := perms.match(oi, permKey{p.ResourceAppID, p.AppRoleID}); !found && !removedPerm[k] {
			removedPerm[k] = true
			d.PermissionsRemoved = append(d.PermissionsRemoved, permissionChange(ref, p))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	refs, inTo = nil, nil
	found := newIDIndex(len(to.Findings), func(i int) string { return to.Findings[i].ID })
	findSeen := make([]bool, len(to.Findings))
	resolved := map[string]bool{}
	err = from.findings(func(f *policy.Finding) error {
		if i, ok := found.first(f.ID); ok {
			findSeen[i] = true
		} else if !resolved[f.ID] {
			resolved[f.ID] = true
			d.FindingsResolved = append(d.FindingsResolved, *f)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i := range t.Objects {
		if o := &t.Objects[i]; !objSeen[i] && objects.isFirst(o.ID, i) {
			d.ObjectsAdded = append(d.ObjectsAdded, objectRef(o))
		}
	}
	creds.unseen(func(o *inventory.Object, c *inventory.Credential) {
		d.CredentialsAdded = append(d.CredentialsAdded, credentialRef(objectRef(o), c))
	})
	owners.unseen(func(o *inventory.Object, ow **inventory.Owner) {
		d.OwnersAdded = append(d.OwnersAdded, ownerChange(objectRef(o), *ow))
	})
	perms.unseen(func(o *inventory.Object, p *inventory.Permission) {
		d.PermissionsAdded = append(d.PermissionsAdded, permissionChange(objectRef(o), p))
	})
	for i := range to.Findings {
		if !findSeen[i] && found.isFirst(to.Findings[i].ID, i) {
			d.FindingsOpened = append(d.FindingsOpened, to.Findings[i])
		}
	}

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
