package policy

import (
	"cmp"
	"slices"
	"strings"

	"github.com/credwatch/credwatch/internal/inventory"
)

// Helpers for the app-level rules, which look at an application object and
// its service principal together.

// permissions are the app's granted application permissions: the
// application's copy when it has one, else the service principal's.
func (a *appView) permissions() []inventory.Permission {
	if a.app != nil && len(a.app.Permissions) > 0 {
		return a.app.Permissions
	}
	if a.sp != nil {
		return a.sp.Permissions
	}
	return nil
}

type tieredPermission struct {
	p    *inventory.Permission
	tier Tier
}

// privileged returns the app's permissions of tier high or critical, most
// dangerous first, and the highest tier; nil and TierNone when it has none.
// It allocates only when there is something to report.
func (e *evaluator) privileged(a *appView) ([]tieredPermission, Tier) {
	perms := a.permissions()
	top := TierNone
	for i := range perms {
		top = max(top, e.c.tiers.of(&perms[i]))
	}
	if top < TierHigh {
		return nil, top
	}
	var out []tieredPermission
	for i := range perms {
		p := &perms[i]
		t := e.c.tiers.of(p)
		if t < TierHigh {
			continue
		}
		dup := false
		for _, q := range out {
			if q.p.Value == p.Value && strings.EqualFold(q.p.ResourceAppID, p.ResourceAppID) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, tieredPermission{p, t})
		}
	}
	slices.SortFunc(out, func(x, y tieredPermission) int {
		if x.tier != y.tier {
			return cmp.Compare(y.tier, x.tier)
		}
		if c := cmp.Compare(resourceName(x.p), resourceName(y.p)); c != 0 {
			return c
		}
		return cmp.Compare(x.p.Value, y.p.Value)
	})
	return out, top
}

func resourceName(p *inventory.Permission) string {
	if p.Resource != "" {
		return p.Resource
	}
	return p.ResourceAppID
}

func permissionNames(ps []tieredPermission) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.p.Value
	}
	return out
}

// permissionEvidence lists permissions as "Microsoft Graph: Mail.Send
// (critical)", separated by "; ".
func permissionEvidence(ps []tieredPermission) string {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(resourceName(p.p))
		b.WriteString(": ")
		b.WriteString(p.p.Value)
		b.WriteString(" (")
		b.WriteString(p.tier.String())
		b.WriteString(")")
	}
	return b.String()
}

// liveSecretCount counts the unexpired secrets on the app's application
// object and service principal.
func (e *evaluator) liveSecretCount(a *appView) int {
	n := 0
	for _, o := range [2]*inventory.Object{a.app, a.sp} {
		if o == nil {
			continue
		}
		for i := range o.Credentials {
			if o.Credentials[i].Type == inventory.Secret && e.liveAt(o, i) {
				n++
			}
		}
	}
	return n
}

// liveSecretKeys lists the key ids liveSecretCount counts.
func (e *evaluator) liveSecretKeys(a *appView) string {
	var keys []string
	for _, o := range [2]*inventory.Object{a.app, a.sp} {
		if o == nil {
			continue
		}
		for i := range o.Credentials {
			if o.Credentials[i].Type == inventory.Secret && e.liveAt(o, i) {
				keys = append(keys, o.Credentials[i].KeyID)
			}
		}
	}
	return strings.Join(keys, ",")
}

// liveAt reports whether credential i of o is unexpired and usable. The
// current object's credentials are already worked out in e.infos.
func (e *evaluator) liveAt(o *inventory.Object, i int) bool {
	if o == e.cur && i < len(e.infos) {
		return e.infos[i].live
	}
	ci := e.info(&o.Credentials[i])
	return ci.live
}

// owners lists the owners of the application object and the service
// principal, each once.
func (a *appView) owners() []*inventory.Owner {
	var out []*inventory.Owner
	for _, o := range [2]*inventory.Object{a.app, a.sp} {
		if o == nil {
			continue
		}
	next:
		for _, ow := range o.Owners {
			for _, seen := range out {
				if seen.ID != "" && seen.ID == ow.ID {
					continue next
				}
			}
			out = append(out, ow)
		}
	}
	return out
}

// ownerLabel names an owner for people: the sign-in name of a user, else
// the display name, else the id; non-users carry their type.
func ownerLabel(o *inventory.Owner) string {
	name := o.UserPrincipalName
	if name == "" {
		name = o.DisplayName
	}
	if name == "" {
		name = o.ID
	}
	if o.Type != inventory.OwnerUser && o.Type != "" {
		name += " (" + string(o.Type) + ")"
	}
	return name
}

func tierSeverity(t Tier) Severity {
	if t >= TierCritical {
		return High
	}
	return Medium
}
