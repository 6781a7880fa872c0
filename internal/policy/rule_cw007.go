package policy

import (
	"strings"
	"time"

	"github.com/credwatch/credwatch/internal/inventory"
)

var cw007 = rule{
	id:       "CW007",
	title:    "Too many active client secrets",
	severity: Low,
	kind:     objectRule,
	why: "Two secrets are enough to rotate without downtime. More usually means old secrets were never " +
		"removed after rotation, or several teams share one app: each extra secret is one more copy that " +
		"can leak, and nobody knows which one may be deleted.",
	fix: "Find which secrets are still used (sign-in logs: `servicePrincipalSignInActivities`, or the " +
		"app's credential usage report), then remove the rest: " +
		"`az ad app credential delete --id <appId> --key-id <keyId>` or Graph " +
		"`POST /applications/{id}/removePassword` with `{\"keyId\": \"<keyId>\"}`. Give each workload " +
		"its own app rather than sharing one.",
	details: "Counts the client secrets on one application or service principal that have not expired " +
		"(including ones whose start is still in the future) and fires when there are more than " +
		"`maxActiveSecrets`. Secrets whose end is before their start are not counted.",
	settings: func(r *Rules) ruleSettings { return scoped(&r.CW007.ScopedSettings) },
	thresholds: func(c *Config) []threshold {
		return []threshold{{"maxActiveSecrets", itoa(c.Rules.CW007.MaxActiveSecrets)}}
	},
	object: checkActiveSecrets,
}

func checkActiveSecrets(e *evaluator, o *inventory.Object) {
	n := 0
	for i := range o.Credentials {
		if o.Credentials[i].Type == inventory.Secret && e.infos[i].live {
			n++
		}
	}
	if n <= e.c.maxActive {
		return
	}
	keys := make([]string, 0, n)
	for i := range o.Credentials {
		if o.Credentials[i].Type == inventory.Secret && e.infos[i].live {
			keys = append(keys, o.Credentials[i].KeyID)
		}
	}
	e.buf = e.buf[:0]
	e.msgInt(n)
	e.msg(" unexpired client secrets, more than the ")
	e.msg(e.c.sMaxActive)
	e.msg(" allowed")
	e.emit(iCW007, o, "", Low, time.Time{}, map[string]string{
		"activeSecrets":    itoa(n),
		"maxActiveSecrets": e.c.sMaxActive,
		"keyIds":           strings.Join(keys, ","),
	})
}
