package policy

import (
	"strings"
	"time"
)

var cw011 = rule{
	id:       "CW011",
	title:    "Multi-tenant app uses client secrets",
	severity: Low,
	kind:     appRule,
	why: "A multi-tenant app can sign in to every tenant that consented to it. Its client secret is " +
		"therefore a credential for all of those tenants at once, often including customers', and a " +
		"leak is everyone's incident. Certificates or federated credentials are much harder to lift.",
	fix: "Replace the secrets with a certificate (`az ad app credential reset --id <appId> --append " +
		"--cert @<cert>.pem`) or a federated credential, then remove them " +
		"(`az ad app credential delete --id <appId> --key-id <keyId>`, Graph `removePassword`). " +
		"If the app need not be multi-tenant, set `signInAudience` to `AzureADMyOrg` " +
		"(`az ad app update --id <appId> --sign-in-audience AzureADMyOrg`).",
	details: "Fires once per application whose signInAudience is anything but AzureADMyOrg " +
		"(AzureADMultipleOrgs, AzureADandPersonalMicrosoftAccount, PersonalMicrosoftAccount) and that " +
		"has at least one unexpired client secret on the application object or its service principal. " +
		"Needs the application object: a service principal alone does not carry signInAudience.",
	settings:   func(r *Rules) ruleSettings { return scoped(&r.CW011) },
	thresholds: func(*Config) []threshold { return nil },
	app:        checkMultiTenantSecret,
}

func checkMultiTenantSecret(e *evaluator, a *appView) {
	if a.app == nil || a.app.SignInAudience == "" || strings.EqualFold(a.app.SignInAudience, "AzureADMyOrg") {
		return
	}
	n := e.liveSecretCount(a)
	if n == 0 {
		return
	}
	e.buf = e.buf[:0]
	e.msg("multi-tenant app (")
	e.msg(a.app.SignInAudience)
	e.msg(") signs in with ")
	e.msgInt(n)
	e.msg(plural(n, " client secret", " client secrets"))
	e.emit(iCW011, a.report, "", Low, time.Time{}, map[string]string{
		"signInAudience": a.app.SignInAudience,
		"secrets":        e.liveSecretKeys(a),
	})
}
