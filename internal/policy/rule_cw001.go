package policy

import (
	"time"

	"github.com/credwatch/credwatch/internal/inventory"
)

var cw001 = rule{
	id:       "CW001",
	title:    "Credential expired but still attached",
	severity: Medium,
	grading:  "medium; high when usage evidence shows a sign-in within recentSignInDays",
	kind:     credentialRule,
	why: "An expired secret or certificate can no longer sign in, yet it stays on the object: it clutters " +
		"every review, hides which credential is really in use, and often means a workload is failing or " +
		"was moved to another credential without cleanup. A credential whose end date is before its start " +
		"date can never be used at all.",
	fix: "Confirm nothing still depends on it, then remove it: " +
		"`az ad app credential delete --id <appId> --key-id <keyId>` (add `--cert` for a certificate), " +
		"or Graph `POST /applications/{id}/removePassword` / `removeKey` with the keyId " +
		"(`/servicePrincipals/{id}/...` for a service principal).",
	details: "Fires for a secret or certificate whose end date is at or before now, and for one whose end " +
		"is before its start. Federated credentials have no end date and are never reported. With usage " +
		"evidence (credwatch's activity data), the finding is high when the app or this credential signed " +
		"in within `recentSignInDays`: something is likely still trying to use it.",
	settings: func(r *Rules) ruleSettings { return scoped(&r.CW001.ScopedSettings) },
	thresholds: func(c *Config) []threshold {
		return []threshold{{"recentSignInDays", itoa(c.Rules.CW001.RecentSignInDays)}}
	},
	cred: checkExpired,
}

func checkExpired(e *evaluator, o *inventory.Object, c *inventory.Credential, ci *credInfo) {
	if c.Type == inventory.Federated {
		return
	}
	if ci.broken {
		e.msgCred(c)
		e.msg(" ends (")
		e.msgDate(c.End)
		e.msg(") before it starts (")
		e.msgDate(c.Start)
		e.msg("); it can never be used")
		e.emit(iCW001, o, c.KeyID, Medium, time.Time{}, map[string]string{
			"start": timeString(c.Start), "end": timeString(c.End),
		})
		return
	}
	if !ci.expired {
		return
	}
	sev := Medium
	// The end is the finding's deadline; evidence adds usage when known.
	var ev map[string]string
	last, used := e.lastSignIn(o.AppID, c.KeyID)
	if used {
		ev = map[string]string{"lastSignIn": timeString(last), "recentSignInDays": e.c.sRecentSignIn}
		if e.now.Sub(last) <= e.c.recentSignIn {
			sev = High
		}
	}
	e.msgCred(c)
	e.msg(" expired ")
	e.msgSpan(e.now.Sub(c.End))
	e.msg(" ago (")
	e.msgDate(c.End)
	e.msg(") and is still attached")
	if sev == High {
		e.msg("; the app last signed in ")
		e.msgDate(last)
	}
	e.emit(iCW001, o, c.KeyID, sev, c.End, ev)
}

// lastSignIn is the latest sign-in usage evidence knows for the app or the
// credential.
func (e *evaluator) lastSignIn(appID, keyID string) (time.Time, bool) {
	if e.usage == nil {
		return time.Time{}, false
	}
	var last time.Time
	// Evidence keeps ids in lower case; look up the other spelling too.
	for _, id := range [2]string{appID, evKey(appID)} {
		if t, ok := e.usage.AppLastSignIn[id]; ok && t.After(last) {
			last = t
		}
	}
	for _, id := range [2]string{keyID, evKey(keyID)} {
		if t, ok := e.usage.CredentialLastSignIn[id]; ok && t.After(last) {
			last = t
		}
	}
	return last, !last.IsZero()
}
