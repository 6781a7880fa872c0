package policy

import (
	"time"

	"github.com/credwatch/credwatch/internal/inventory"
)

var cw021 = rule{
	id:       "CW021",
	title:    "Credential appeared without an audit record",
	severity: High,
	kind:     credentialRule,
	why: "Every credential added through Graph, the portal or the CLI leaves a directory audit record. A " +
		"credential that appeared since the last scan with no such record was added in a way the audit log " +
		"did not capture, or the record was filtered away: either way nobody can say who added it, which is " +
		"what an attacker persisting in the tenant would want.",
	fix: "Find out who owns the credential (its display name, the app's owners) and whether they added it. " +
		"If nobody can explain it, remove it (`az ad app credential delete --id <appId> --key-id <keyId>`, " +
		"Graph `removePassword` / `removeKey`) and investigate the app's recent sign-ins. Check that audit " +
		"log collection (category ApplicationManagement) covers the whole interval between scans.",
	details: "Needs the previous complete scan of the same tenant and the audit log, and only judges when " +
		"the audit window starts at or before the previous scan, so the log covers the whole interval. " +
		"Fires for each secret or certificate on an object that existed in the previous scan, when neither " +
		"its key id nor its paired key's was there, and the log holds no record of its addition. Objects " +
		"new since the previous scan are not judged: apps created with credentials in one call are logged " +
		"without the key list. Without a previous scan, or with an incomplete one, the rule is silent.",
	settings:   func(r *Rules) ruleSettings { return scoped(&r.CW021) },
	thresholds: func(*Config) []threshold { return nil },
	needs:      func(e *evaluator) bool { return e.act != nil && e.act.prev != nil },
	cred:       checkUnauditedCredential,
}

func checkUnauditedCredential(e *evaluator, o *inventory.Object, c *inventory.Credential, _ *credInfo) {
	if c.Type == inventory.Federated {
		return
	}
	st := e.act
	if !st.prev.hasObject(o.ID) {
		return
	}
	for _, k := range [2]string{c.KeyID, c.PairedKeyID} {
		if k == "" {
			continue
		}
		if st.prev.hasKey(k) {
			return
		}
	}
	if _, audited := e.credentialChange(c); audited {
		return
	}
	e.msgCred(c)
	e.msg(" appeared since the previous scan (")
	e.msgDate(st.prev.CollectedAt)
	e.msg(") with no audit record of its addition")
	ev := map[string]string{"previousScan": timeString(st.prev.CollectedAt), "auditSince": timeString(st.ev.AuditSince)}
	if !c.Start.IsZero() {
		ev["start"] = timeString(c.Start)
	}
	e.emit(iCW021, o, c.KeyID, High, time.Time{}, ev)
}
