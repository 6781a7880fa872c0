package policy

import (
	"strings"

	"github.com/credwatch/credwatch/internal/activity"
	"github.com/credwatch/credwatch/internal/inventory"
)

var cw040 = rule{
	id:       "CW040",
	title:    "Tenant app management policy does not limit secrets",
	severity: Medium,
	kind:     tenantRule,
	why: "Entra's app management policy is the tenant-wide guard against long-lived and unnecessary client " +
		"secrets: with it, new secrets cannot outlive a maximum lifetime, or cannot be added at all. " +
		"Without it every app owner can create a secret that never expires, and every rule here can only " +
		"report after the fact.",
	fix: "Enable the default policy with a lifetime limit and, once apps have moved to certificates or " +
		"federated credentials, a block on new secrets: Graph `PATCH /policies/defaultAppManagementPolicy` " +
		"with `isEnabled: true` and `applicationRestrictions.passwordCredentials` holding " +
		"`{\"restrictionType\": \"passwordLifetime\", \"maxLifetime\": \"P180D\"}` and " +
		"`{\"restrictionType\": \"passwordAddition\"}` (each with `restrictForAppsCreatedAfterDateTime` to " +
		"spare existing apps). Needs Policy.ReadWrite.ApplicationConfiguration.",
	details: "Reads the tenant's default app management policy. Fires once for the tenant when the " +
		"policy is disabled, or when its application restrictions lack an enabled `passwordLifetime` " +
		"restriction with a maximum lifetime or an enabled `passwordAddition` restriction. The finding's " +
		"object type is `tenant` and its object id the tenant id; an exception for it names the tenant " +
		"id as `appId`. Silent when the policy could not be read (it needs Policy.Read.All).",
	settings:   func(r *Rules) ruleSettings { return ruleSettings{common: &r.CW040} },
	thresholds: func(*Config) []threshold { return nil },
	needs: func(e *evaluator) bool {
		return e.act != nil && e.act.ev.Policy != nil && e.act.ev.Available(activity.PartDefaultPolicy)
	},
	tenant: checkTenantPolicy,
}

func checkTenantPolicy(e *evaluator, t *inventory.Tenant) {
	p := e.act.ev.Policy
	var missing []string
	if r, ok := p.Application.Find("passwordLifetime"); !ok || !r.Enabled || r.MaxLifetime <= 0 {
		missing = append(missing, "passwordLifetime")
	}
	if r, ok := p.Application.Find("passwordAddition"); !ok || !r.Enabled {
		missing = append(missing, "passwordAddition")
	}
	if p.Enabled && len(missing) == 0 {
		return
	}
	var b strings.Builder
	b.WriteString("the tenant's default app management policy ")
	switch {
	case !p.Enabled:
		b.WriteString("is disabled, so no credential restriction applies")
	default:
		b.WriteString("has no enabled ")
		b.WriteString(strings.Join(missing, " or "))
		b.WriteString(" restriction on applications")
	}
	ev := map[string]string{"isEnabled": boolString(p.Enabled), "policyId": p.ID}
	if len(missing) > 0 {
		ev["missingRestrictions"] = strings.Join(missing, ",")
	}
	e.emitTenant(iCW040, t, b.String(), ev)
}

// emitTenant records a finding about the tenant itself, applying the
// rule's severity override and exceptions (which match the tenant id as
// the app id).
func (e *evaluator) emitTenant(ri int, t *inventory.Tenant, msg string, ev map[string]string) {
	r := &e.c.rules[ri]
	f := Finding{ID: FindingID(r.id, t.ID, ""), RuleID: r.id, Severity: r.severity, ObjectType: TenantObject,
		ObjectID: t.ID, Message: msg, Evidence: ev}
	if len(e.c.exceptions.active[ri]) > 0 {
		f.SuppressionReason, f.Suppressed = e.c.exceptions.suppression(ri, t.ID, "", "")
	}
	e.out.addWhole(f)
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
