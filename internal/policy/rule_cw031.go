package policy

import (
	"strings"

	"github.com/credwatch/credwatch/internal/inventory"
)

var cw031 = rule{
	id:       "CW031",
	title:    "Credential unused",
	severity: Medium,
	kind:     credentialRule,
	why: "A secret or certificate nobody signs in with does nothing but wait to leak: it still works for " +
		"whoever finds it in an old pipeline, config file or backup. Unused credentials are also the easiest " +
		"to remove, since nothing breaks.",
	fix: "Confirm with the app's owners that nothing depends on it (the usage report counts every sign-in " +
		"with the key), then remove it: `az ad app credential delete --id <appId> --key-id <keyId>` " +
		"(`--cert` for a certificate), or Graph `removePassword` / `removeKey`.",
	details: "Reads the credential usage report (`appCredentialSignInActivities`, Entra ID P1/P2), merged " +
		"with the successful sign-ins read. Fires for an unexpired secret or authentication certificate " +
		"whose last sign-in is more than `unusedDays` × 24 h ago (exactly that long is not reported), or " +
		"that never signed in and was created (the report's creation time, else its start) more than " +
		"`unusedDays` ago. Not judged: credentials not yet valid, federated credentials, signing " +
		"certificates (usage Sign, as SAML uses) and managed identities' certificates. Silent when the " +
		"usage report could not be read.",
	settings: func(r *Rules) ruleSettings { return scoped(&r.CW031.ScopedSettings) },
	thresholds: func(c *Config) []threshold {
		return []threshold{{"unusedDays", itoa(c.Rules.CW031.UnusedDays)}}
	},
	needs: func(e *evaluator) bool { return e.act != nil && e.act.usage },
	cred:  checkUnused,
}

func checkUnused(e *evaluator, o *inventory.Object, c *inventory.Credential, ci *credInfo) {
	switch {
	case c.Type == inventory.Federated, !ci.live, !ci.started:
		return
	case c.Type == inventory.Certificate && strings.Contains(c.Usage, "Sign"):
		return
	}
	if last, used := e.lastUse(c); used {
		idle := e.now.Sub(last)
		if idle <= e.c.unused {
			return
		}
		e.msgCred(c)
		e.msg(" last signed in ")
		e.msgSpan(idle)
		e.msg(" ago (")
		e.msgDate(last)
		e.msg("), over the ")
		e.msg(e.c.sUnused)
		e.msg("-day limit")
		e.emit(iCW031, o, c.KeyID, Medium, c.End, map[string]string{"lastSignIn": timeString(last), "unusedDays": e.c.sUnused})
		return
	}
	created := c.Start
	if k, ok := e.act.ev.Usage.Keys[evKey(c.KeyID)]; ok && !k.Created.IsZero() {
		created = k.Created
	}
	if created.IsZero() {
		return
	}
	age := e.now.Sub(created)
	if age <= e.c.unused {
		return
	}
	e.msgCred(c)
	e.msg(" has never signed in since it was created ")
	e.msgSpan(age)
	e.msg(" ago (")
	e.msgDate(created)
	e.msg(")")
	e.emit(iCW031, o, c.KeyID, Medium, c.End, map[string]string{"lastSignIn": "never", "created": timeString(created), "unusedDays": e.c.sUnused})
}
