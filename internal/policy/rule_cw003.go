package policy

import (
	"time"

	"github.com/credwatch/credwatch/internal/inventory"
)

var cw003 = rule{
	id:       "CW003",
	title:    "Credential lifetime over policy",
	severity: Medium,
	kind:     credentialRule,
	why: "The longer a secret or certificate lives, the longer a leaked copy (in a repository, a log, a " +
		"laptop) stays useful to an attacker, and the less practised the rotation. Microsoft recommends " +
		"secrets of at most 6 months; Entra app management policies can enforce a maximum lifetime.",
	fix: "Replace it with a shorter-lived credential and remove the old one: " +
		"`az ad app credential reset --id <appId> --append --display-name <name> --end-date <YYYY-MM-DD>` " +
		"(within the limit), then `az ad app credential delete --id <appId> --key-id <keyId>`. " +
		"To stop new long-lived credentials, set a `passwordLifetime` / `asymmetricKeyLifetime` restriction " +
		"in the tenant's app management policy (Graph `PATCH /policies/defaultAppManagementPolicy`).",
	details: "Lifetime is end − start. A secret is over policy when its lifetime is more than " +
		"`secretMaxDays` × 24 h, a certificate when more than `certificateMaxDays` × 24 h: exactly 180 " +
		"days is within policy, 180 days + 1 s is not, matching how Entra's maxLifetime restriction " +
		"(an ISO 8601 duration such as P180D) treats a credential lasting exactly that long. Days are " +
		"24-hour periods, so a certificate valid for one calendar year that spans 29 February lasts 366 " +
		"days and exceeds a 365-day limit. Skipped when the start or end is missing, the end is before the " +
		"start, or the credential has expired (CW001 covers those). With `thresholds: fromTenantPolicy`, the " +
		"limits are the tenant default app management policy's own: its enabled `passwordLifetime` and " +
		"`asymmetricKeyLifetime` restrictions on applications replace `secretMaxDays` and " +
		"`certificateMaxDays` (which still apply when the policy is disabled, unreadable or lacks one).",
	settings: func(r *Rules) ruleSettings { return scoped(&r.CW003.ScopedSettings) },
	thresholds: func(c *Config) []threshold {
		return []threshold{
			{"secretMaxDays", itoa(c.Rules.CW003.SecretMaxDays)},
			{"certificateMaxDays", itoa(c.Rules.CW003.CertificateMaxDays)},
			{"thresholds", c.Rules.CW003.Thresholds},
		}
	},
	cred: checkLifetime,
}

func checkLifetime(e *evaluator, o *inventory.Object, c *inventory.Credential, ci *credInfo) {
	if !ci.hasStart || !ci.hasEnd || !ci.live {
		return
	}
	var limit time.Duration
	var sLimit string
	var fromPolicy bool
	switch c.Type {
	case inventory.Secret:
		limit, sLimit, fromPolicy = e.c.secretMax, e.c.sSecretMax, e.c.secretFromPolicy
	case inventory.Certificate:
		limit, sLimit, fromPolicy = e.c.certMax, e.c.sCertMax, e.c.certFromPolicy
	default:
		return
	}
	life := c.End.Sub(c.Start)
	if life <= limit {
		return
	}
	e.msgCred(c)
	e.msg(" is valid for ")
	if life%day != 0 {
		e.msg("more than ")
	}
	e.msgSpan(life)
	e.msg(" (")
	e.msgDate(c.Start)
	e.msg(" to ")
	e.msgDate(c.End)
	e.msg("), over the ")
	if fromPolicy {
		e.msg("tenant policy's ")
	}
	e.msg(sLimit)
	e.msg("-day maximum")
	e.emit(iCW003, o, c.KeyID, Medium, c.End, e.lifetimeEvidence(c.Type, int((life+day-1)/day), sLimit, fromPolicy))
}

type lifetimeKey struct {
	t    inventory.CredentialType
	days int
}

// lifetimeEvidence gives the lifetime in days, rounded up (180 days and
// 1 s is 181: over a 180-day limit), and the limit's source when it is the
// tenant policy. It shares one evidence map among the findings with the same
// credential type and whole-day lifetime: lifetimes cluster on a few values
// (1 and 2 years...), and large tenants have many such findings.
func (e *evaluator) lifetimeEvidence(t inventory.CredentialType, days int, limit string, fromPolicy bool) map[string]string {
	k := lifetimeKey{t, days}
	if ev, ok := e.lifetimeEv[k]; ok {
		return ev
	}
	ev := map[string]string{"lifetimeDays": itoa(days), "maxDays": limit}
	if fromPolicy {
		ev["source"] = "tenantPolicy"
	}
	if e.lifetimeEv == nil {
		e.lifetimeEv = map[lifetimeKey]map[string]string{}
	}
	e.lifetimeEv[k] = ev
	return ev
}
