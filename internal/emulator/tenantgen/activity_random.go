package tenantgen

import (
	"math/rand/v2"
	"strings"
	"time"

	"github.com/credwatch/credwatch/internal/msgraph"
)

// randomActivity draws a generated tenant's activity evidence, after its
// objects and from a generator of its own: audit records for credentials
// added (and some predecessors removed) inside the window, a few owner
// additions, sign-ins and usage records for most credentials (some stale,
// some never used), and app management policies.
func (b *builder) randomActivity(r *rand.Rand) *msgraph.Activity {
	g := newActivityGen(r, b.now, b.dir)
	var members []msgraph.DirectoryObject
	for _, u := range b.users {
		if !strings.Contains(u.UserPrincipalName, "#EXT#") {
			members = append(members, u)
		}
	}
	if len(members) == 0 {
		members = b.users
	}
	admins := []msgraph.DirectoryObject{pick(r, members), pick(r, members)}
	userIP := func() string {
		switch x := r.IntN(100); {
		case x < 3:
			return netAway.addr(r)
		case x < 10:
			return netV6.addr(r)
		}
		return netCorp.addr(r)
	}
	userUA := func() string { return pick(r, []string{uaPortal, uaPortal, uaAzureCLI, uaPowerShell}) }
	who := func(h holder, _ time.Time) (msgraph.AuditActor, string) {
		if h.app != nil {
			var sps, users []msgraph.DirectoryObject
			for _, o := range h.app.Owners {
				switch o.ODataType {
				case odataSP:
					sps = append(sps, o)
				case odataUser:
					users = append(users, o)
				}
			}
			switch x := r.IntN(100); {
			case len(sps) > 0 && x < 50:
				if sp := g.spByAppID[pick(r, sps).AppID]; sp != nil {
					return appActor(sp), pick(r, []string{uaTerraform, uaRequests})
				}
			case len(users) > 0 && x < 75:
				return userActor(pick(r, users), userIP()), userUA()
			}
		}
		return userActor(pick(r, admins), userIP()), userUA()
	}

	holders := g.holders()
	creds := 0
	for _, h := range holders {
		pw, keys := h.creds()
		creds += len(pw) + len(keys)
	}
	g.reserve(creds)
	for _, h := range holders {
		net := pick(r, []network{netCorp, netCorp, netCorp, netCloud, netCloud, netV6})
		g.credentialAudits(h, g.randomRemovals(h), who)
		for _, c := range signingCreds(h) {
			last := g.randomLastUse(c)
			plan := g.spread(c, last, 1+r.IntN(3), net)
			if len(plan) > 1 && chance(r, 0.05) {
				plan[1].net = netAway
			}
			g.use(c, last, plan, last.IsZero() && chance(r, 0.5))
		}
		if h.app == nil {
			continue
		}
		if len(h.app.FederatedIdentityCredentials) > 0 && chance(r, 0.6) {
			last := g.now.Add(-between(r, 10*time.Minute, 2*day))
			g.ficSignIns(h.app, g.spread(credential{start: g.since}, last, 1+r.IntN(3), netCloud))
		}
		if n := len(h.app.Owners); n > 0 && h.app.Owners[n-1].ODataType == odataUser && chance(r, 0.03) {
			at := g.now.Add(-between(r, time.Hour, activityWindow-time.Hour))
			g.ownerAdded(h.app, h.app.Owners[n-1], at, userActor(pick(r, admins), userIP()), uaPortal)
		}
	}
	g.randomPolicies()
	return g.finish()
}

// randomLastUse draws when c last signed in: mostly recently (before its
// end, if it has expired), sometimes more than 30 days ago, sometimes
// never (zero).
func (g *activityGen) randomLastUse(c credential) time.Time {
	r := g.r
	var last time.Time
	switch x := r.IntN(100); {
	case x < 70:
		if c.end.Before(g.now) {
			last = c.end.Add(-between(r, time.Hour, 5*day))
		} else {
			last = g.now.Add(-between(r, 5*time.Minute, 3*day))
		}
	case x < 85 && c.start.Before(g.now.Add(-31*day)):
		end := minTime(c.end, g.now.Add(-31*day))
		last = c.start.Add(between(r, time.Minute, end.Sub(c.start)))
	}
	if !last.IsZero() && (last.Before(c.start.Add(time.Minute)) || last.After(g.now)) {
		return time.Time{} // too new, or expired too soon, to have been used
	}
	return last
}

// randomRemovals draws the secrets an application rotated away inside the
// window: now and then, a secret added there replaced an older one,
// removed shortly after.
func (g *activityGen) randomRemovals(h holder) []removedCred {
	if h.app == nil {
		return nil
	}
	var out []removedCred
	for _, p := range h.app.PasswordCredentials {
		start := parseGraphTime(p.StartDateTime)
		if start.Before(g.since) || start.After(g.now) || !chance(g.r, 0.25) {
			continue
		}
		gone := minTime(start.Add(between(g.r, 10*time.Minute, 2*day)), g.now.Add(-time.Minute))
		if !gone.After(start) {
			continue
		}
		out = append(out, removedCred{
			entry:     keyEntry(guid(g.r), "Password", "Verify", p.DisplayName),
			added:     start.AddDate(0, 0, -pick(g.r, []int{90, 180, 365})),
			removedAt: gone,
		})
	}
	return out
}

// randomPolicies draws the default policy (enabled in about half the
// tenants) and one custom policy on one application.
func (g *activityGen) randomPolicies() {
	r := g.r
	if chance(r, 0.5) {
		after := midnight(g.now.Add(-between(r, 100*day, 3*365*day)))
		pw := []msgraph.CredentialRestriction{restriction("passwordLifetime", "enabled", pick(r, []string{"P90D", "P180D", "P365D"}), after)}
		if chance(r, 0.3) {
			pw = append(pw, restriction("passwordAddition", "enabled", "", midnight(g.now.Add(-between(r, 30*day, 365*day)))))
		}
		keys := []msgraph.CredentialRestriction{restriction("asymmetricKeyLifetime", "enabled", pick(r, []string{"P365D", "P730D"}), after)}
		g.act.DefaultAppManagementPolicy = tenantPolicy(true, pw, keys)
	} else {
		g.act.DefaultAppManagementPolicy = tenantPolicy(false, nil, nil)
	}
	if len(g.dir.Applications) == 0 {
		return
	}
	app := &g.dir.Applications[r.IntN(len(g.dir.Applications))]
	if chance(r, 0.5) {
		g.act.AppManagementPolicies = []msgraph.AppManagementPolicy{customPolicy(guid(r), "Certificates only",
			"No client secrets; certificates for at most a year.",
			[]msgraph.CredentialRestriction{restriction("passwordAddition", "enabled", "", time.Time{})},
			[]msgraph.CredentialRestriction{restriction("asymmetricKeyLifetime", "enabled", "P365D", time.Time{})}, app)}
		return
	}
	g.act.AppManagementPolicies = []msgraph.AppManagementPolicy{customPolicy(guid(r), "Short-lived secrets",
		"Client secrets live at most 90 days.",
		[]msgraph.CredentialRestriction{restriction("passwordLifetime", "enabled", "P90D", time.Time{})}, nil, app)}
}
