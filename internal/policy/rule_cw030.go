package policy

import (
	"cmp"
	"net/netip"
	"slices"
	"strconv"
	"time"

	"github.com/credwatch/credwatch/internal/activity"
	"github.com/credwatch/credwatch/internal/inventory"
)

var cw030 = rule{
	id:       "CW030",
	title:    "Sign-in from outside the app's declared networks",
	severity: High,
	kind:     tenantRule,
	subject:  "sign-in",
	why: "A workload signs in from where it runs: a data centre, a cloud region, a pipeline's runners. A " +
		"secret or certificate used from anywhere else has most likely been copied, and whoever holds it " +
		"is acting as the app right now.",
	fix: "Check the sign-in (the finding gives the key id, address, location and time) against where the " +
		"workload runs. If it is not yours, rotate the credential at once (add a new one, deploy it, remove " +
		"the old: `az ad app credential delete --id <appId> --key-id <keyId>`) and review what the app did. " +
		"If the address is legitimate, add its range to the app's declaration. Conditional Access for " +
		"workload identities can enforce the same networks.",
	details: "Reads the service principal sign-ins (Entra ID P1/P2). Each entry of `networks` declares, " +
		"for the apps whose app id equals `appId` or whose name matches the glob `app`, the address ranges " +
		"(`cidrs`) they sign in from; several matching entries add up. Apps without a declaration are not " +
		"judged. Fires once per app and credential key id that signed in from an address outside every " +
		"declared range, failed sign-ins included, with the number of such sign-ins and the latest one. " +
		"Reported on the object holding the key, else the application object, else the service principal. " +
		"Silent when the sign-ins could not be read.",
	settings: func(r *Rules) ruleSettings { return scoped(&r.CW030.ScopedSettings) },
	thresholds: func(c *Config) []threshold {
		n := ""
		if k := len(c.Rules.CW030.Networks); k > 0 {
			n = itoa(k) + plural(k, " declaration", " declarations")
		}
		return []threshold{{"networks", n}}
	},
	needs: func(e *evaluator) bool {
		return e.act != nil && e.act.signIns && len(e.c.networks) > 0 && len(e.act.ev.SignIns) > 0
	},
	tenant: checkSignInNetworks,
}

// strayGroup gathers the offending sign-ins of one app and key.
type strayGroup struct {
	appID, keyID string
	n            int
	last         *activity.SignIn
	cidrs        string
}

func checkSignInNetworks(e *evaluator, t *inventory.Tenant) {
	sis := e.act.ev.SignIns
	objs := objectsByAppID(t, sis)
	type decl struct {
		prefixes []netip.Prefix
		cidrs    string
	}
	decls := map[string]decl{}
	groups := map[[2]string]*strayGroup{}
	for i := range sis {
		s := &sis[i]
		d, ok := decls[s.AppID]
		if !ok {
			// An app the tenant does not hold has nothing to report on.
			p, text := e.c.declared(s.AppID, namedObject(t, objs[s.AppID]))
			d = decl{p, text}
			decls[s.AppID] = d
		}
		if d.prefixes == nil || inAny(d.prefixes, s.IP) {
			continue
		}
		k := [2]string{s.AppID, s.KeyID}
		g := groups[k]
		if g == nil {
			g = &strayGroup{appID: s.AppID, keyID: s.KeyID, cidrs: d.cidrs}
			groups[k] = g
		}
		g.n++
		if g.last == nil || s.When.After(g.last.When) || (s.When.Equal(g.last.When) && s.ID > g.last.ID) {
			g.last = s
		}
	}
	list := make([]*strayGroup, 0, len(groups))
	for _, g := range groups {
		list = append(list, g)
	}
	slices.SortFunc(list, func(a, b *strayGroup) int {
		return cmp.Or(cmp.Compare(a.appID, b.appID), cmp.Compare(a.keyID, b.keyID))
	})
	for _, g := range list {
		o, c := holderOf(t, objs[g.appID], g.keyID)
		if o == nil || !e.inScope(iCW030, o) {
			continue
		}
		e.buf = e.buf[:0]
		switch {
		case c != nil:
			e.msgCred(c)
		case g.keyID != "":
			e.msg("credential with key ")
			e.msg(shortKey(g.keyID))
		default:
			e.msg("app (")
			e.msg(orDefault(g.last.CredentialType, "no key id"))
			e.msg(")")
		}
		e.msg(" signed in ")
		e.msgInt(g.n)
		e.msg(plural(g.n, " time", " times"))
		e.msg(" from outside the declared networks; latest from ")
		e.msg(g.last.IP.String())
		if g.last.Location != "" {
			e.msg(" (")
			e.msg(oneLine(g.last.Location))
			e.msg(")")
		}
		e.msg(" on ")
		e.msgDate(g.last.When)
		ev := map[string]string{
			"ip": g.last.IP.String(), "when": timeString(g.last.When), "count": strconv.Itoa(g.n),
			"networks": g.cidrs, "signIn": g.last.ID,
		}
		if g.keyID != "" {
			ev["keyId"] = g.keyID
		}
		if g.last.Location != "" {
			ev["location"] = g.last.Location
		}
		if !g.last.Success {
			ev["latestFailed"] = "true"
		}
		e.emit(iCW030, o, g.keyID, High, time.Time{}, ev)
	}
}

func inAny(ps []netip.Prefix, ip netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// objectsByAppID indexes the tenant's objects of the apps that signed in
// by lower-case app id: sign-ins concern a few apps of a large tenant.
func objectsByAppID(t *inventory.Tenant, sis []activity.SignIn) map[string][]int {
	m := map[string][]int{}
	for i := range sis {
		m[sis[i].AppID] = nil
	}
	for i := range t.Objects {
		if id := t.Objects[i].AppID; id != "" {
			k := evKey(id)
			if idx, ok := m[k]; ok {
				m[k] = append(idx, i)
			}
		}
	}
	return m
}

// namedObject is the object whose name stands for an app: its
// application object, else its first service principal.
func namedObject(t *inventory.Tenant, idx []int) *inventory.Object {
	var sp *inventory.Object
	for _, i := range idx {
		o := &t.Objects[i]
		if o.Type == inventory.Application {
			return o
		}
		if sp == nil {
			sp = o
		}
	}
	return sp
}

// holderOf finds the object of an app that holds keyID and the
// credential; without one, the app's named object and no credential.
func holderOf(t *inventory.Tenant, idx []int, keyID string) (*inventory.Object, *inventory.Credential) {
	if keyID != "" {
		for _, i := range idx {
			o := &t.Objects[i]
			for j := range o.Credentials {
				c := &o.Credentials[j]
				if sameID(c.KeyID, keyID) || (c.PairedKeyID != "" && sameID(c.PairedKeyID, keyID)) {
					return o, c
				}
			}
		}
	}
	return namedObject(t, idx), nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
