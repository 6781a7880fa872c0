package store

import (
	"cmp"
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
	for _, r := range []*Record{from, to} {
		if !r.Tenant.Complete {
			why := strings.Join(r.Tenant.Incomplete, "; ")
			if why == "" {
				why = "no reason recorded"
			}
			return nil, fmt.Errorf("compare scans: scan %d: %w (%s)", r.ID, ErrIncompleteScan, why)
		}
	}
	if from.Tenant.ID != to.Tenant.ID {
		return nil, fmt.Errorf("compare scans: %w: scan %d is of tenant %q, scan %d of %q",
			ErrTenantMismatch, from.ID, from.Tenant.ID, to.ID, to.Tenant.ID)
	}
	d := &Diff{From: from.info(), To: to.info()}
	a, b := indexObjects(from.Tenant), indexObjects(to.Tenant)

	d.ObjectsRemoved = missing(a.objects, b.objects)
	d.ObjectsAdded = missing(b.objects, a.objects)
	d.CredentialsRemoved = missing(a.creds, b.creds)
	d.CredentialsAdded = missing(b.creds, a.creds)
	d.OwnersRemoved = missing(a.owners, b.owners)
	d.OwnersAdded = missing(b.owners, a.owners)
	d.PermissionsRemoved = missing(a.perms, b.perms)
	d.PermissionsAdded = missing(b.perms, a.perms)
	for _, k := range a.creds.keys {
		after, ok := b.creds.byKey[k]
		if !ok {
			continue
		}
		before := a.creds.byKey[k]
		if fields := changedFields(before, after); len(fields) > 0 {
			d.CredentialsChanged = append(d.CredentialsChanged, CredentialChange{Before: before, After: after, Fields: fields})
		}
	}
	d.FindingsResolved = missingFindings(from.Findings, to.Findings)
	d.FindingsOpened = missingFindings(to.Findings, from.Findings)

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

// keyed is a set of items in first-seen order; a repeated key keeps the
// first item, so the result does not depend on map order.
type keyed[K comparable, V any] struct {
	keys  []K
	byKey map[K]V
}

func (k *keyed[K, V]) add(key K, v V) {
	if k.byKey == nil {
		k.byKey = make(map[K]V)
	}
	if _, dup := k.byKey[key]; dup {
		return
	}
	k.keys = append(k.keys, key)
	k.byKey[key] = v
}

// missing is the items of a whose keys b lacks.
func missing[K comparable, V any](a, b keyed[K, V]) []V {
	var out []V
	for _, k := range a.keys {
		if _, ok := b.byKey[k]; !ok {
			out = append(out, a.byKey[k])
		}
	}
	return out
}

type credKey struct{ object, key string }
type ownerKey struct{ object, owner string }
type permKey struct{ object, resourceApp, role string }

type objectIndex struct {
	objects keyed[string, ObjectRef]
	creds   keyed[credKey, CredentialRef]
	owners  keyed[ownerKey, OwnerChange]
	perms   keyed[permKey, PermissionChange]
}

func indexObjects(t *inventory.Tenant) objectIndex {
	var ix objectIndex
	for i := range t.Objects {
		o := &t.Objects[i]
		ref := ObjectRef{Type: o.Type, ID: o.ID, AppID: o.AppID, DisplayName: o.DisplayName}
		ix.objects.add(o.ID, ref)
		for _, c := range o.Credentials {
			ix.creds.add(credKey{o.ID, c.KeyID}, CredentialRef{Object: ref, Type: c.Type, KeyID: c.KeyID,
				DisplayName: c.DisplayName, Hint: c.Hint, Thumbprint: c.Thumbprint, Start: c.Start, End: c.End})
		}
		for _, ow := range o.Owners {
			ix.owners.add(ownerKey{o.ID, ow.ID}, OwnerChange{Object: ref, Type: ow.Type, ID: ow.ID,
				DisplayName: ow.DisplayName, UserPrincipalName: ow.UserPrincipalName, Mail: ow.Mail})
		}
		for _, p := range o.Permissions {
			ix.perms.add(permKey{o.ID, p.ResourceAppID, p.AppRoleID}, PermissionChange{Object: ref,
				Resource: p.Resource, ResourceAppID: p.ResourceAppID, AppRoleID: p.AppRoleID, Value: p.Value})
		}
	}
	return ix
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

func missingFindings(a, b []policy.Finding) []policy.Finding {
	var ka, kb keyed[string, policy.Finding]
	for _, f := range a {
		ka.add(f.ID, f)
	}
	for _, f := range b {
		kb.add(f.ID, f)
	}
	return missing(ka, kb)
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
