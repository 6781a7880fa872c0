package policy

import (
	"strconv"
	"strings"
	"time"

	"github.com/credwatch/credwatch/internal/activity"
	"github.com/credwatch/credwatch/internal/inventory"
)

// Input is everything one evaluation reads.
type Input struct {
	Tenant *inventory.Tenant
	// Previous is the previous scan's baseline (BaselineOf, or the store's),
	// for CW021; ignored unless it is complete and of the same tenant.
	Previous *Baseline
	// Evidence is the scan's activity evidence (activity.Parse); nil runs
	// only the rules that need none.
	Evidence *activity.Evidence
	// Now is the instant judged; zero means the tenant's CollectedAt.
	Now time.Time
}

// EvaluateInput is Evaluate with activity evidence and the previous scan:
// besides the inventory rules, it runs the audit, sign-in, usage and
// tenant policy rules (CW020–CW041) whose evidence is available, feeds
// CW001 the usage, and lets CW003 take its limits from the tenant policy
// when configured to. Rules whose evidence is missing stay silent.
func EvaluateInput(in Input, cfg *Config) []Finding {
	if in.Now.IsZero() && in.Tenant != nil {
		in.Now = in.Tenant.CollectedAt
	}
	var u *Usage
	if ev := in.Evidence; ev != nil && (ev.Available(activity.PartUsage) || ev.Available(activity.PartSignIns)) {
		u = &Usage{AppLastSignIn: ev.Usage.AppLastSignIn, CredentialLastSignIn: ev.Usage.KeyLastSignIn}
	}
	return evaluate(in, cfg, u)
}

// TenantObject is the ObjectType of findings about the tenant itself
// (CW040); their ObjectID is the tenant id.
const TenantObject inventory.ObjectType = "tenant"

// activityState is what the activity rules need, worked out once per
// evaluation. Each rule's needs function reads it to decide whether the
// rule can judge anything.
type activityState struct {
	ev *activity.Evidence

	audits  bool // the audit part was read
	signIns bool
	usage   bool

	// CW021: the previous complete scan, set only when the audit window
	// covers the whole time since that scan.
	prev *Baseline

	// CW022: owner additions by object id, as indexes into ev.OwnerAdded.
	ownerAdds map[string][]int

	// CW041: the custom policy of each object it is assigned to.
	customPolicy map[string]*activity.CustomPolicy
	policies     bool // some policy (default or custom) is known
}

func prepareActivity(c *compiled, cfg *Config, in *Input) *activityState {
	ev := in.Evidence
	st := &activityState{
		ev:      ev,
		audits:  ev.Available(activity.PartAudits),
		signIns: ev.Available(activity.PartSignIns),
		usage:   ev.Available(activity.PartUsage),
	}
	if prev, t := in.Previous, in.Tenant; st.audits && prev != nil && prev.Complete && t != nil &&
		(prev.TenantID == "" || t.ID == "" || strings.EqualFold(prev.TenantID, t.ID)) &&
		!ev.AuditSince.IsZero() && !prev.CollectedAt.Before(ev.AuditSince) && c.rules[iCW021].enabled {
		st.prev = prev
	}
	if st.audits && len(ev.OwnerAdded) > 0 {
		st.ownerAdds = map[string][]int{}
		for i := range ev.OwnerAdded {
			oc := &ev.OwnerAdded[i]
			if !ev.AuditSince.IsZero() && oc.When.Before(ev.AuditSince) {
				continue
			}
			k := evKey(oc.ObjectID)
			st.ownerAdds[k] = append(st.ownerAdds[k], i)
		}
	}
	if ev.Available(activity.PartPolicies) && len(ev.Policies) > 0 {
		st.customPolicy = map[string]*activity.CustomPolicy{}
		for i := range ev.Policies {
			p := &ev.Policies[i]
			for _, id := range p.AppliesTo {
				if _, dup := st.customPolicy[evKey(id)]; !dup {
					st.customPolicy[evKey(id)] = p
				}
			}
		}
	}
	st.policies = (ev.Available(activity.PartDefaultPolicy) && ev.Policy != nil) || len(st.customPolicy) > 0
	if cfg.Rules.CW003.Thresholds == ThresholdsFromTenantPolicy && ev.Policy != nil && ev.Policy.Enabled {
		c.lifetimesFromPolicy(ev.Policy)
	}
	return st
}

// lifetimesFromPolicy takes CW003's limits from the tenant policy's
// enabled lifetime restrictions on applications.
func (c *compiled) lifetimesFromPolicy(p *activity.TenantPolicy) {
	if r, ok := p.Application.Find("passwordLifetime"); ok && r.Enabled && r.MaxLifetime > 0 {
		c.secretMax, c.sSecretMax, c.secretFromPolicy = r.MaxLifetime, dayCount(r.MaxLifetime), true
	}
	if r, ok := p.Application.Find("asymmetricKeyLifetime"); ok && r.Enabled && r.MaxLifetime > 0 {
		c.certMax, c.sCertMax, c.certFromPolicy = r.MaxLifetime, dayCount(r.MaxLifetime), true
	}
}

// dayCount writes a duration in days: "90", or "4.52" when not whole.
func dayCount(d time.Duration) string {
	if d%day == 0 {
		return itoa(int(d / day))
	}
	return strings.TrimRight(strings.TrimRight(strconv.FormatFloat(float64(d)/float64(day), 'f', 2, 64), "0"), ".")
}

// evKey is a key or object id as evidence holds it: lower case. It
// allocates only for ids that have capitals.
func evKey(k string) string {
	if hasUpper(k) {
		return strings.ToLower(k)
	}
	return k
}

// credentialChange is the audited addition of c (or of its paired key).
func (e *evaluator) credentialChange(c *inventory.Credential) (activity.Change, bool) {
	for _, k := range [2]string{c.KeyID, c.PairedKeyID} {
		if k == "" {
			continue
		}
		if ch, ok := e.act.ev.CredentialAdded[evKey(k)]; ok {
			return ch, true
		}
	}
	return activity.Change{}, false
}

// lastUse is the last sign-in with c (or its paired key) the evidence
// knows.
func (e *evaluator) lastUse(c *inventory.Credential) (time.Time, bool) {
	var last time.Time
	for _, k := range [2]string{c.KeyID, c.PairedKeyID} {
		if k == "" {
			continue
		}
		if t, ok := e.act.ev.Usage.KeyLastSignIn[evKey(k)]; ok && t.After(last) {
			last = t
		}
	}
	return last, !last.IsZero()
}

// inScope reports whether rule ri may report on o: the rules that do not
// run per object check scopes themselves.
func (e *evaluator) inScope(ri int, o *inventory.Object) bool {
	return e.c.global.contains(o) && e.c.rules[ri].scope.contains(o)
}
