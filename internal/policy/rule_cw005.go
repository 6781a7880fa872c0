package policy

import (
	"strings"
	"time"

	"github.com/credwatch/credwatch/internal/inventory"
)

var cw005 = rule{
	id:       "CW005",
	title:    "Credential has no description",
	severity: Low,
	kind:     credentialRule,
	why: "The description is the only place Entra keeps what a credential is for and who uses it. " +
		"Without one, the person rotating it at 2 a.m. cannot tell which pipeline or server to update, and " +
		"an attacker's added credential does not stand out among the unnamed ones.",
	fix: "Secrets cannot be renamed: when next rotating, create the replacement with a description " +
		"(`az ad app credential reset --id <appId> --append --display-name \"<what uses it, runbook URL>\"`, " +
		"or Graph `addPassword` with `passwordCredential.displayName`). For certificates, set `displayName` " +
		"when uploading; for federated credentials, set `description`.",
	details: "Fires when the description (displayName) is empty or only whitespace. When " +
		"`descriptionPattern` is set (a regular expression, RE2 syntax, unanchored), a description that " +
		"does not match it is reported too, e.g. `https://runbooks\\.example\\.com/` to require a runbook " +
		"link. Applies to secrets, certificates and federated credentials that have not expired.",
	settings: func(r *Rules) ruleSettings { return scoped(&r.CW005.ScopedSettings) },
	thresholds: func(c *Config) []threshold {
		return []threshold{{"descriptionPattern", c.Rules.CW005.DescriptionPattern}}
	},
	cred: checkDescription,
}

func checkDescription(e *evaluator, o *inventory.Object, c *inventory.Credential, ci *credInfo) {
	if !ci.live {
		return
	}
	if e.c.descPattern == nil && hasVisibleEnds(c.DisplayName) {
		return // the common case, decided without trimming
	}
	desc := strings.TrimSpace(c.DisplayName)
	if desc == "" {
		e.msgCred(c)
		e.msg(" has no description")
		e.emit(iCW005, o, c.KeyID, Low, time.Time{}, e.c.evDescription)
		return
	}
	if e.c.descPattern == nil || e.c.descPattern.MatchString(desc) {
		return
	}
	e.msgCred(c)
	e.msg(" has a description that does not match ")
	e.msgQuote(e.c.descPattern.String())
	e.emit(iCW005, o, c.KeyID, Low, time.Time{}, map[string]string{
		"description":        desc,
		"descriptionPattern": e.c.descPattern.String(),
	})
}

// hasVisibleEnds reports whether s starts and ends with a printable ASCII
// character other than space: then it is certainly not blank.
func hasVisibleEnds(s string) bool {
	return len(s) > 0 && s[0] > ' ' && s[0] < 0x7f && s[len(s)-1] > ' ' && s[len(s)-1] < 0x7f
}
