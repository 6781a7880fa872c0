package policy

import (
	"strings"
	"time"
)

var cw010 = rule{
	id:       "CW010",
	title:    "Privileged app has owners",
	severity: High,
	grading:  "high for critical permissions; medium for high ones",
	kind:     appRule,
	why: "An owner of an app registration or service principal can add a secret or certificate to it " +
		"and then sign in as the app, with all its application permissions, without being an admin. " +
		"An app holding critical permissions therefore makes each owner a hidden tenant admin, and an " +
		"owner's compromised account a path to the whole tenant.",
	fix: "Remove owners from privileged apps and manage them through admin roles instead: " +
		"`az ad app owner remove --id <appId> --owner-object-id <ownerId>` or Graph " +
		"`DELETE /applications/{id}/owners/{ownerId}/$ref` (and `/servicePrincipals/{id}/owners/{ownerId}/$ref`). " +
		"If an owner must stay, reduce the app's permissions.",
	details: "Fires once per app whose granted application permissions include one of tier high or " +
		"critical and whose application object or service principal has at least one owner (users, " +
		"service principals or groups). High for critical permissions, medium for high ones. The " +
		"evidence lists the owners and the privileged permissions.",
	settings:   func(r *Rules) ruleSettings { return scoped(&r.CW010) },
	thresholds: func(*Config) []threshold { return nil },
	app:        checkPrivilegedOwners,
}

func checkPrivilegedOwners(e *evaluator, a *appView) {
	if (a.app == nil || len(a.app.Owners) == 0) && (a.sp == nil || len(a.sp.Owners) == 0) {
		return
	}
	perms, top := e.privileged(a)
	if top < TierHigh {
		return
	}
	owners := a.owners()
	labels := make([]string, len(owners))
	ids := make([]string, len(owners))
	for i, o := range owners {
		labels[i] = ownerLabel(o)
		ids[i] = o.ID
	}
	e.buf = e.buf[:0]
	e.msg("app with ")
	e.msg(top.String())
	e.msg(" application permissions (")
	e.msgList(permissionNames(perms))
	e.msg(") has ")
	e.msgInt(len(owners))
	e.msg(plural(len(owners), " owner", " owners"))
	e.msg(" who can add credentials to it: ")
	e.msgList(labels)
	e.emit(iCW010, a.report, "", tierSeverity(top), time.Time{}, map[string]string{
		"owners":      strings.Join(labels, "; "),
		"ownerIds":    strings.Join(ids, ","),
		"permissions": permissionEvidence(perms),
	})
}
