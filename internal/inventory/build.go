package inventory

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/credwatch/credwatch/internal/msgraph"
)

// Build turns what a scan read into the domain model. It fails, naming the
// object and field, on data it cannot read (an unparseable date, two
// objects with one id) rather than guessing; a missing date stays zero for
// the rules to report.
func Build(s *Snapshot, source string) (*Tenant, error) {
	return build(s, source, false)
}

// Consume is Build for a snapshot nobody needs afterwards: it releases each
// Graph object once it is converted and leaves s without applications,
// service principals or resources (Activity and Vaults stay), so a large
// tenant is never held twice, once in Graph's shapes and once in the
// model. On error s is left partly consumed.
func Consume(s *Snapshot, source string) (*Tenant, error) {
	return build(s, source, true)
}

func build(s *Snapshot, source string, consume bool) (*Tenant, error) {
	if s == nil {
		return nil, errors.New("build inventory: no snapshot")
	}
	t := &Tenant{
		ID:          s.TenantID,
		CollectedAt: s.CollectedAt.UTC(),
		Source:      source,
		Complete:    s.Complete,
		Incomplete:  cloneOrNil(s.Incomplete),
		Objects:     make([]Object, 0, len(s.Applications)+len(s.ServicePrincipals)),
		Vaults:      cloneOrNil(s.Vaults),
	}
	seen := make(map[string]int, cap(t.Objects)) // object id -> index in t.Objects

	resources := indexResources(s)
	own := owners{}
	// An application shows the permissions of its service principal; the
	// lowest object id wins should a merged file hold two per appId.
	type grant struct {
		spID  string
		perms []Permission
	}
	spPerms := make(map[string]grant)
	for i := range s.ServicePrincipals {
		sp := &s.ServicePrincipals[i]
		obj, err := own.buildServicePrincipal(sp, resources)
		if err != nil {
			return nil, err
		}
		if err := claim(seen, t.Objects, obj); err != nil {
			return nil, err
		}
		if prev, ok := spPerms[sp.AppID]; sp.AppID != "" && (!ok || sp.ID < prev.spID) {
			spPerms[sp.AppID] = grant{sp.ID, obj.Permissions}
		}
		t.Objects = append(t.Objects, obj)
		if consume {
			*sp = msgraph.ServicePrincipal{}
		}
	}
	if consume {
		// resources keeps what permissions need; the largest array of
		// the snapshot goes before the applications are built.
		s.ServicePrincipals, s.Resources = nil, nil
	}
	for i := range s.Applications {
		obj, err := own.buildApplication(&s.Applications[i])
		if err != nil {
			return nil, err
		}
		if err := claim(seen, t.Objects, obj); err != nil {
			return nil, err
		}
		// Shared, not copied: the model is not changed once built.
		obj.Permissions = spPerms[obj.AppID].perms
		t.Objects = append(t.Objects, obj)
		if consume {
			s.Applications[i] = msgraph.Application{}
		}
	}
	if consume {
		s.Applications, s.ServicePrincipals, s.Resources = nil, nil, nil
	}
	// Names compare without letter case first, as people read lists.
	slices.SortFunc(t.Objects, func(a, b Object) int {
		return cmp.Or(
			cmp.Compare(a.Type, b.Type),
			compareFold(a.DisplayName, b.DisplayName),
			cmp.Compare(a.DisplayName, b.DisplayName),
			cmp.Compare(a.ID, b.ID),
		)
	})
	return t, nil
}

// claim records the id of obj, the next of objs, failing on a second
// object with it.
func claim(seen map[string]int, objs []Object, obj Object) error {
	if i, ok := seen[obj.ID]; ok {
		return fmt.Errorf("%s: duplicate object id (also %s %q)", objectName(obj.Type, obj.ID, obj.DisplayName), objs[i].Type, objs[i].DisplayName)
	}
	seen[obj.ID] = len(objs)
	return nil
}

// compareFold orders strings as comparing their strings.ToLower forms
// would, without making those: sorting a large tenant made millions.
func compareFold(a, b string) int {
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if c := cmp.Compare(unicode.ToLower(ra), unicode.ToLower(rb)); c != 0 {
			return c
		}
		a, b = a[na:], b[nb:]
	}
	return cmp.Compare(len(a), len(b))
}

// objectName is how errors name an object: type, id and display name.
func objectName(typ ObjectType, id, displayName string) string {
	name := string(typ)
	if id != "" {
		name += " " + id
	}
	if displayName != "" || id == "" {
		name += " " + strconv.Quote(displayName)
	}
	return name
}

func (own owners) buildApplication(a *msgraph.Application) (Object, error) {
	fail := func(err error) (Object, error) {
		return Object{}, fmt.Errorf("%s: %w", objectName(Application, a.ID, a.DisplayName), err)
	}
	if a.ID == "" {
		return fail(errors.New("id: missing"))
	}
	created, err := optionalTime(a.CreatedDateTime, "createdDateTime")
	if err != nil {
		return fail(err)
	}
	creds, err := buildCredentials(a.PasswordCredentials, a.KeyCredentials, a.FederatedIdentityCredentials)
	if err != nil {
		return fail(err)
	}
	return Object{
		Type:           Application,
		ID:             a.ID,
		AppID:          a.AppID,
		DisplayName:    a.DisplayName,
		CreatedAt:      created,
		SignInAudience: a.SignInAudience,
		Tags:           cloneOrNil(a.Tags),
		Credentials:    creds,
		Owners:         own.buildOwners(a.Owners),
	}, nil
}

func (own owners) buildServicePrincipal(sp *msgraph.ServicePrincipal, resources map[string]resource) (Object, error) {
	fail := func(err error) (Object, error) {
		return Object{}, fmt.Errorf("%s: %w", objectName(ServicePrincipal, sp.ID, sp.DisplayName), err)
	}
	if sp.ID == "" {
		return fail(errors.New("id: missing"))
	}
	created, err := optionalTime(sp.CreatedDateTime, "createdDateTime")
	if err != nil {
		return fail(err)
	}
	creds, err := buildCredentials(sp.PasswordCredentials, sp.KeyCredentials, nil)
	if err != nil {
		return fail(err)
	}
	return Object{
		Type:                   ServicePrincipal,
		ID:                     sp.ID,
		AppID:                  sp.AppID,
		DisplayName:            sp.DisplayName,
		CreatedAt:              created,
		SignInAudience:         sp.SignInAudience,
		ServicePrincipalType:   sp.ServicePrincipalType,
		AppOwnerOrganizationID: sp.AppOwnerOrganizationID,
		FirstParty:             isFirstParty(sp.AppOwnerOrganizationID),
		Tags:                   cloneOrNil(sp.Tags),
		Credentials:            creds,
		Owners:                 own.buildOwners(sp.Owners),
		Permissions:            buildPermissions(sp.AppRoleAssignments, resources),
	}, nil
}

func isFirstParty(ownerOrg string) bool {
	return strings.EqualFold(ownerOrg, msgraph.FirstPartyTenantID) ||
		strings.EqualFold(ownerOrg, msgraph.MicrosoftCorpTenantID)
}

// optionalTime parses a date field; an empty one is zero, not an error.
func optionalTime(v, field string) (time.Time, error) {
	if strings.TrimSpace(v) == "" {
		return time.Time{}, nil
	}
	t, err := ParseTime(v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %w", field, err)
	}
	return t, nil
}

// owners holds one copy of each owner a build meets: the same people own
// many apps.
type owners map[Owner]*Owner

func (seen owners) buildOwners(in []msgraph.DirectoryObject) []*Owner {
	if len(in) == 0 {
		return nil
	}
	out := make([]*Owner, 0, len(in))
	for _, o := range in {
		ow := Owner{
			Type:              ownerType(o.ODataType),
			ID:                o.ID,
			DisplayName:       o.DisplayName,
			UserPrincipalName: o.UserPrincipalName,
			Mail:              o.Mail,
		}
		p, ok := seen[ow]
		if !ok {
			p = &ow
			seen[ow] = p
		}
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b *Owner) int {
		return cmp.Or(cmp.Compare(a.DisplayName, b.DisplayName), cmp.Compare(a.ID, b.ID))
	})
	return out
}

func ownerType(odataType string) OwnerType {
	switch strings.ToLower(strings.TrimPrefix(odataType, "#")) {
	case "microsoft.graph.user":
		return OwnerUser
	case "microsoft.graph.serviceprincipal":
		return OwnerServicePrincipal
	case "microsoft.graph.group":
		return OwnerGroup
	}
	return OwnerOther
}

// resource is what permission names need of a resource service principal.
// It copies no Graph object, so a consuming build may release them.
type resource struct {
	displayName, appID string
	roles              []msgraph.AppRole
}

// indexResources maps the object ids of the resources some assignment
// names to what permission names need of them, preferring a copy that
// carries appRoles: a resource may be in both Resources and
// ServicePrincipals, and only one may be complete.
func indexResources(s *Snapshot) map[string]resource {
	wanted := make(map[string]struct{})
	for i := range s.ServicePrincipals {
		for _, a := range s.ServicePrincipals[i].AppRoleAssignments {
			wanted[a.ResourceID] = struct{}{}
		}
	}
	idx := make(map[string]resource, len(wanted))
	add := func(list []msgraph.ServicePrincipal) {
		for i := range list {
			sp := &list[i]
			if _, ok := wanted[sp.ID]; !ok {
				continue
			}
			if prev, ok := idx[sp.ID]; !ok || len(prev.roles) == 0 && len(sp.AppRoles) > 0 {
				idx[sp.ID] = resource{displayName: sp.DisplayName, appID: sp.AppID, roles: sp.AppRoles}
			}
		}
	}
	add(s.Resources)
	add(s.ServicePrincipals)
	return idx
}

// buildPermissions resolves application permissions granted to a service
// principal. An assignment whose role cannot be resolved keeps its
// appRoleId as the name: dropping it would hide a grant.
func buildPermissions(assignments []msgraph.AppRoleAssignment, resources map[string]resource) []Permission {
	if len(assignments) == 0 {
		return nil
	}
	out := make([]Permission, 0, len(assignments))
	for _, a := range assignments {
		if a.PrincipalType != "" && !strings.EqualFold(a.PrincipalType, "ServicePrincipal") {
			continue
		}
		p := Permission{Resource: a.ResourceDisplayName, AppRoleID: a.AppRoleID, Value: a.AppRoleID}
		if res, ok := resources[a.ResourceID]; ok {
			p.Resource = cmp.Or(res.displayName, p.Resource)
			p.ResourceAppID = res.appID
			for _, role := range res.roles {
				if strings.EqualFold(role.ID, a.AppRoleID) && role.Value != "" {
					p.Value = role.Value
					break
				}
			}
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil
	}
	slices.SortFunc(out, func(a, b Permission) int {
		return cmp.Or(
			cmp.Compare(a.Resource, b.Resource),
			cmp.Compare(a.Value, b.Value),
			cmp.Compare(a.AppRoleID, b.AppRoleID),
		)
	})
	return out
}

// cloneOrNil copies a slice, making empty ones nil so that a model reads
// the same whichever source wrote [] or left the field out.
func cloneOrNil[S ~[]E, E any](s S) S {
	if len(s) == 0 {
		return nil
	}
	return slices.Clone(s)
}
