package report

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/credwatch/credwatch/internal/inventory"
)

// credentialRows flattens the tenant into one row per credential, ordered
// by app name, app id, object type (application first), then soonest end.
func credentialRows(t *inventory.Tenant, now time.Time) []CredentialRow {
	rows := []CredentialRow{}
	for _, o := range t.Objects {
		perms := permissionNames(o.Permissions)
		for _, c := range o.Credentials {
			r := CredentialRow{
				ObjectType:     o.Type,
				ObjectID:       o.ID,
				AppID:          o.AppID,
				AppName:        o.DisplayName,
				CredentialType: c.Type,
				KeyID:          c.KeyID,
				Description:    c.DisplayName,
				Hint:           c.Hint,
				Start:          optTime(c.Start),
				End:            optTime(c.End),
				Thumbprint:     c.Thumbprint,
				KeyType:        c.KeyType,
				Usage:          c.Usage,
				Issuer:         c.Issuer,
				Subject:        c.Subject,
				Audiences:      slices.Clone(c.Audiences),
				Owners:         len(o.Owners),
				Permissions:    slices.Clone(perms),
			}
			if r.End != nil {
				d := daysLeft(*r.End, now)
				r.DaysLeft = &d
			}
			rows = append(rows, r)
		}
	}
	slices.SortStableFunc(rows, func(a, b CredentialRow) int {
		if c := cmp.Compare(strings.ToLower(a.AppName), strings.ToLower(b.AppName)); c != 0 {
			return c
		}
		if c := cmp.Compare(a.AppID, b.AppID); c != 0 {
			return c
		}
		if c := cmp.Compare(a.ObjectType, b.ObjectType); c != 0 {
			return c // "application" sorts before "servicePrincipal"
		}
		if c := compareTimes(a.End, b.End); c != 0 {
			return c
		}
		return cmp.Compare(a.KeyID, b.KeyID)
	})
	return rows
}

// permissionNames renders permissions as sorted, unique "Resource/Value".
func permissionNames(ps []inventory.Permission) []string {
	out := []string{}
	for _, p := range ps {
		res := p.Resource
		if res == "" {
			res = p.ResourceAppID
		}
		out = append(out, res+"/"+p.Value)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}
