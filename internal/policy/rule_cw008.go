package policy

import (
	"strings"
	"time"

	"github.com/credwatch/credwatch/internal/inventory"
)

var cw008 = rule{
	id:       "CW008",
	title:    "Credential on a service principal",
	severity: Medium,
	grading:  "medium; critical on a Microsoft first-party service principal",
	kind:     credentialRule,
	why: "Credentials belong on the application object, where owners and admins look for them. A " +
		"secret or certificate added directly to a service principal is invisible in the portal's " +
		"\"Certificates & secrets\" blade, yet signs in as the app with all its permissions. Adding one " +
		"to a Microsoft first-party service principal (Exchange, SharePoint, Graph...) is a known " +
		"persistence technique: the attacker gets that app's powerful permissions in your tenant.",
	fix: "If nobody can explain it, treat it as an incident: review the audit log (\"Add service " +
		"principal credentials\"), then remove it with Graph `POST /servicePrincipals/{id}/removePassword` " +
		"or `POST /servicePrincipals/{id}/removeKey` with the keyId (Azure CLI: `az rest --method POST " +
		"--url https://graph.microsoft.com/v1.0/servicePrincipals/<id>/removePassword --body '{\"keyId\":\"<keyId>\"}'`). " +
		"Legitimate credentials should move to the application object.",
	details: "Fires for every secret and certificate on a service principal: medium, or critical when " +
		"the service principal belongs to a Microsoft first-party app (its owner organization is " +
		"Microsoft's). Not reported: managed identities' certificates (Azure creates and rotates them) and, " +
		"on non-first-party service principals, token-signing certificates (usage Sign, as SAML single " +
		"sign-on creates). Federated credentials on service principals are not reported.",
	settings:   func(r *Rules) ruleSettings { return scoped(&r.CW008) },
	thresholds: func(*Config) []threshold { return nil },
	cred:       checkServicePrincipalCredential,
}

func checkServicePrincipalCredential(e *evaluator, o *inventory.Object, c *inventory.Credential, ci *credInfo) {
	if o.Type != inventory.ServicePrincipal || c.Type == inventory.Federated {
		return
	}
	if !o.FirstParty && c.Type == inventory.Certificate && strings.Contains(c.Usage, "Sign") {
		return
	}
	sev := Medium
	e.msgCred(c)
	if o.FirstParty {
		sev = Critical
		e.msg(" is on Microsoft first-party service principal ")
		e.msgQuote(o.DisplayName)
		e.msg(", a known persistence technique")
	} else {
		e.msg(" is on the service principal, not the application object")
	}
	ev := map[string]string{"servicePrincipalType": o.ServicePrincipalType}
	if o.AppOwnerOrganizationID != "" {
		ev["appOwnerOrganizationId"] = o.AppOwnerOrganizationID
	}
	if o.FirstParty {
		ev["firstParty"] = "true"
	}
	e.emit(iCW008, o, c.KeyID, sev, time.Time{}, ev)
}
