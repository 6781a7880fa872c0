package policy

import (
	"time"
)

var cw006 = rule{
	id:       "CW006",
	title:    "Privileged app authenticates with a client secret",
	severity: Medium,
	grading:  "high for critical permissions; medium for high ones",
	kind:     appRule,
	why: "A client secret is a password: it is copied into config files, pipelines and chat, and " +
		"anyone holding it signs in as the app from anywhere. For an app with powerful application " +
		"permissions (write every mailbox, every site, the directory itself), that one string is a key " +
		"to the tenant. Certificates keep the private key in a store or HSM; federated credentials " +
		"(workload identity federation) remove the secret altogether.",
	fix: "Move the workload to a federated credential (GitHub Actions, Kubernetes, another cloud: " +
		"`az ad app federated-credential create --id <appId> --parameters <file>.json`) or a certificate " +
		"(`az ad app credential reset --id <appId> --append --cert @<cert>.pem`), then remove the secrets " +
		"(`az ad app credential delete --id <appId> --key-id <keyId>`, Graph `removePassword`). Also " +
		"check the permissions are all needed.",
	details: "Fires once per app whose granted application permissions include one of tier high or " +
		"critical (see the permission tiers) and that has at least one unexpired client secret on its " +
		"application object or service principal. High when a critical permission is held, medium for " +
		"high ones. Reported on the application object, or on the service principal when the tenant has " +
		"no application object for it.",
	settings:   func(r *Rules) ruleSettings { return scoped(&r.CW006) },
	thresholds: func(*Config) []threshold { return nil },
	app:        checkPrivilegedSecret,
}

func checkPrivilegedSecret(e *evaluator, a *appView) {
	n := e.liveSecretCount(a)
	if n == 0 {
		return
	}
	perms, top := e.privileged(a)
	if top < TierHigh {
		return
	}
	e.buf = e.buf[:0]
	e.msg("app holds ")
	e.msg(top.String())
	e.msg(" application permissions (")
	e.msgList(permissionNames(perms))
	e.msg(") and signs in with ")
	e.msgInt(n)
	e.msg(plural(n, " client secret", " client secrets"))
	e.msg("; use a certificate or federated credential")
	e.emit(iCW006, a.report, "", tierSeverity(top), time.Time{}, map[string]string{
		"permissions": permissionEvidence(perms),
		"secrets":     e.liveSecretKeys(a),
	})
}
