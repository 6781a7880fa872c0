package policy

import (
	"github.com/credwatch/credwatch/internal/inventory"
)

var cw004 = rule{
	id:       "CW004",
	title:    "Credential never expires in practice",
	severity: High,
	kind:     credentialRule,
	why: "A secret or certificate valid until 2099, or for decades, is never rotated: whoever copies it " +
		"once keeps access for as long as the app exists, and nobody remembers where it is used. Such " +
		"credentials were common before portals capped lifetimes and are a favourite of attackers who " +
		"want persistence.",
	fix: "Inventory where it is used, issue a short-lived replacement " +
		"(`az ad app credential reset --id <appId> --append --display-name <name> --end-date <YYYY-MM-DD>`, " +
		"or Graph `POST /applications/{id}/addPassword` with an `endDateTime`), switch the workload, then " +
		"remove the old one (`az ad app credential delete --id <appId> --key-id <keyId>` or Graph " +
		"`removePassword`/`removeKey`). Prefer a federated credential where the workload supports it.",
	details: "Fires when the end date's UTC year is `neverExpiresYear` or later, when the end is more than " +
		"`neverExpiresYears` calendar years after the start (start + N years in UTC, so a 29 February start " +
		"counts to 1 March), or when a secret or certificate has no end date at all: nothing will ever " +
		"force its rotation, so a missing end is treated as never expiring. Federated credentials have no " +
		"expiry by design and are not reported; expired credentials are CW001's.",
	settings: func(r *Rules) ruleSettings { return scoped(&r.CW004.ScopedSettings) },
	thresholds: func(c *Config) []threshold {
		return []threshold{
			{"neverExpiresYear", itoa(c.Rules.CW004.NeverExpiresYear)},
			{"neverExpiresYears", itoa(c.Rules.CW004.NeverExpiresYears)},
		}
	},
	cred: checkNeverExpires,
}

func checkNeverExpires(e *evaluator, o *inventory.Object, c *inventory.Credential, ci *credInfo) {
	if c.Type == inventory.Federated || !ci.live {
		return
	}
	if !ci.hasEnd {
		e.msgCred(c)
		e.msg(" has no end date; it never expires")
		e.emit(iCW004, o, c.KeyID, High, c.End, e.c.evNoEnd)
		return
	}
	byYear := !c.End.Before(e.c.neverYearStart)
	// N calendar years last at least N × 365 days: only a credential
	// longer than that needs the calendar arithmetic.
	byLife := ci.hasStart && c.End.Sub(c.Start) > e.c.neverYearsMin &&
		c.End.After(c.Start.UTC().AddDate(e.c.neverYears, 0, 0))
	if !byYear && !byLife {
		return
	}
	endYear := c.End.UTC().Year()
	e.msgCred(c)
	if byLife {
		e.msg(" is valid for more than ")
		e.msg(e.c.sNeverYears)
		e.msg(" years (")
		e.msgDate(c.Start)
		e.msg(" to ")
		e.msgDate(c.End)
		e.msg(")")
	} else {
		e.msg(" expires in ")
		e.msgInt(endYear)
		e.msg(" (")
		e.msgDate(c.End)
		e.msg(")")
	}
	e.msg("; it never expires in practice")
	e.emit(iCW004, o, c.KeyID, High, c.End, e.c.evNeverExpires)
}
