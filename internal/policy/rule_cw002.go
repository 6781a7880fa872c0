package policy

import (
	"github.com/credwatch/credwatch/internal/inventory"
)

var cw002 = rule{
	id:       "CW002",
	title:    "Credential expires soon",
	severity: High,
	grading:  "high within criticalDays; medium within warningDays; low when rotation is staged",
	kind:     credentialRule,
	why: "When a secret or certificate expires, every workload that signs in with it stops: pipelines, " +
		"integrations and daemons fail, often at night and with an error that does not name the cause. " +
		"Rotation takes a new credential, a deployment and a check, so it needs lead time.",
	fix: "Add a new credential, deploy it where the workload reads it (Key Vault, pipeline variables), " +
		"confirm sign-ins use it, then remove the old one. Azure CLI: " +
		"`az ad app credential reset --id <appId> --append --display-name <name> --end-date <YYYY-MM-DD>`; " +
		"Graph: `POST /applications/{id}/addPassword` then `POST /applications/{id}/removePassword`. " +
		"Better still, move the workload to a certificate or a federated credential.",
	details: "High when the credential ends within `criticalDays` (end − now ≤ criticalDays × 24 h, so " +
		"exactly 7 days is high and 7 days + 1 s is medium); medium within `warningDays` (same boundary " +
		"rule). Low instead when rotation is already staged: the object holds another credential of the " +
		"same type that has started, is not expired, and ends later (or has no end). Expired credentials " +
		"are CW001's; federated credentials never expire.",
	settings: func(r *Rules) ruleSettings { return scoped(&r.CW002.ScopedSettings) },
	thresholds: func(c *Config) []threshold {
		return []threshold{
			{"criticalDays", itoa(c.Rules.CW002.CriticalDays)},
			{"warningDays", itoa(c.Rules.CW002.WarningDays)},
		}
	},
	cred: checkExpiring,
}

func checkExpiring(e *evaluator, o *inventory.Object, c *inventory.Credential, ci *credInfo) {
	if c.Type == inventory.Federated || !ci.hasEnd || !ci.live {
		return
	}
	left := c.End.Sub(e.now)
	var sev Severity
	switch {
	case left <= e.c.critical && e.c.critical > 0:
		sev = High
	case left <= e.c.warning && e.c.warning > 0:
		sev = Medium
	default:
		return
	}
	successor := stagedSuccessor(e, o, c)
	ev := e.c.evExpiring
	e.msgCred(c)
	e.msg(" expires in ")
	e.msgSpan(left)
	e.msg(" (")
	e.msgDate(c.End)
	e.msg(")")
	if successor != nil {
		sev = Low
		ev = map[string]string{"criticalDays": e.c.sCritical, "warningDays": e.c.sWarning, "stagedKeyId": successor.KeyID}
		e.msg("; rotation staged: newer ")
		e.msg(credTypeName(successor.Type))
		e.msg(" ")
		e.msg(shortKey(successor.KeyID))
		e.msg(" is already valid")
		if !successor.End.IsZero() {
			e.msg(" until ")
			e.msgDate(successor.End)
		}
	}
	e.emit(iCW002, o, c.KeyID, sev, c.End, ev)
}

// stagedSuccessor finds a credential of the same type on o that has
// started, is not expired and outlasts c: the replacement is in place.
func stagedSuccessor(e *evaluator, o *inventory.Object, c *inventory.Credential) *inventory.Credential {
	for i := range o.Credentials {
		n := &o.Credentials[i]
		if n == c || n.Type != c.Type || (n.KeyID != "" && n.KeyID == c.KeyID) {
			continue
		}
		ni := &e.infos[i]
		if !ni.live || !ni.started {
			continue
		}
		if !ni.hasEnd || n.End.After(c.End) {
			return n
		}
	}
	return nil
}
