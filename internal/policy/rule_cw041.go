package policy

import (
	"time"

	"github.com/credwatch/credwatch/internal/activity"
	"github.com/credwatch/credwatch/internal/inventory"
)

var cw041 = rule{
	id:       "CW041",
	title:    "Credential violates the tenant's app management policy",
	severity: Medium,
	kind:     credentialRule,
	why: "An app management policy only stops credentials being added; it does not remove ones that " +
		"already break it. A secret older than the policy, or on an app an exclusion let through, keeps " +
		"working with a lifetime (or at all) that the tenant has decided against, and is easy to miss " +
		"because the policy looks enforced.",
	fix: "Replace the credential with one the policy allows, preferably a certificate or federated " +
		"credential, then remove it: `az ad app credential delete --id <appId> --key-id <keyId>` (Graph " +
		"`removePassword` / `removeKey`). If an exclusion is deliberate, record it as an exception with a " +
		"reason and an end date.",
	details: "Reads the default app management policy and the custom policies assigned to objects; a " +
		"custom policy takes the default's place for the objects it is assigned to, and service principals " +
		"follow the servicePrincipalRestrictions. A restriction applies to an object created after its " +
		"`restrictForAppsCreatedAfterDateTime` (to every object when that is not set; a service principal " +
		"without a creation time counts as created on 2019-01-01, as Entra treats it; an application " +
		"without one is not judged). Fires for an unexpired secret or certificate on such an object when " +
		"its lifetime (end − start) exceeds the restriction's maxLifetime (`passwordLifetime` for secrets, " +
		"`asymmetricKeyLifetime` for certificates; exactly the maximum is allowed), or for a secret when " +
		"`passwordAddition` forbids secrets: the credential predates the restriction or the object is " +
		"excluded from it. Disabled policies and restrictions are ignored.",
	settings:   func(r *Rules) ruleSettings { return scoped(&r.CW041) },
	thresholds: func(*Config) []threshold { return nil },
	needs:      func(e *evaluator) bool { return e.act != nil && e.act.policies },
	cred:       checkPolicyViolation,
}

// legacySPCreated is when Entra takes a service principal without a
// creation time to have been created, for policy enforcement.
var legacySPCreated = time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)

func checkPolicyViolation(e *evaluator, o *inventory.Object, c *inventory.Credential, ci *credInfo) {
	if c.Type == inventory.Federated || !ci.live {
		return
	}
	rs, policyID := e.restrictionsFor(o)
	if rs == nil {
		return
	}
	created := o.CreatedAt
	if created.IsZero() && o.Type == inventory.ServicePrincipal {
		created = legacySPCreated
	}
	lifeType := "passwordLifetime"
	if c.Type == inventory.Certificate {
		lifeType = "asymmetricKeyLifetime"
	}
	var life, addition activity.Restriction
	lifeHit, addHit := false, false
	if r, ok := rs.Find(lifeType); ok && r.Enabled && r.MaxLifetime > 0 && ci.hasStart && ci.hasEnd &&
		c.End.Sub(c.Start) > r.MaxLifetime && r.AppliesTo(created) {
		life, lifeHit = r, true
	}
	if c.Type == inventory.Secret {
		if r, ok := rs.Find("passwordAddition"); ok && r.Enabled && r.AppliesTo(created) {
			addition, addHit = r, true
		}
	}
	if !lifeHit && !addHit {
		return
	}
	ev := map[string]string{"policy": policyID}
	if !o.CreatedAt.IsZero() {
		ev["objectCreated"] = timeString(o.CreatedAt)
	}
	e.msgCred(c)
	if lifeHit {
		lifetime := c.End.Sub(c.Start)
		e.msg(" is valid for ")
		if lifetime%day != 0 {
			e.msg("more than ")
		}
		e.msgSpan(lifetime)
		e.msg(", over the policy's ")
		e.msg(dayCount(life.MaxLifetime))
		e.msg("-day ")
		e.msg(lifeType)
		e.msg(" limit")
		ev["restriction"] = lifeType
		ev["maxLifetimeDays"] = dayCount(life.MaxLifetime)
		ev["lifetimeDays"] = itoa(int((lifetime + day - 1) / day))
		msgCutoff(e, life)
	}
	if addHit {
		if lifeHit {
			e.msg("; and")
			ev["restriction"] += ",passwordAddition"
		} else {
			ev["restriction"] = "passwordAddition"
		}
		e.msg(" exists although the policy blocks new client secrets (passwordAddition)")
		msgCutoff(e, addition)
	}
	e.msg("; it predates the restriction or the app is excluded")
	e.emit(iCW041, o, c.KeyID, Medium, c.End, ev)
}

func msgCutoff(e *evaluator, r activity.Restriction) {
	if r.CreatedAfter.IsZero() {
		return
	}
	e.msg(" for apps created after ")
	e.msgDate(r.CreatedAfter)
}

// restrictionsFor returns the restrictions that govern o and the policy
// they come from: its assigned custom policy when enabled, else (as when
// a custom policy is disabled) the tenant default's for its object type
// when enabled; nil when none.
func (e *evaluator) restrictionsFor(o *inventory.Object) (*activity.Restrictions, string) {
	st := e.act
	if p, ok := st.customPolicy[evKey(o.ID)]; ok && p.Enabled {
		return &p.Restrictions, p.ID
	}
	tp := st.ev.Policy
	if tp == nil || !tp.Enabled || !st.ev.Available(activity.PartDefaultPolicy) {
		return nil, ""
	}
	if o.Type == inventory.ServicePrincipal {
		return &tp.ServicePrincipal, "default"
	}
	return &tp.Application, "default"
}
