package policy

import "testing"

func TestCW008ServicePrincipalCredentials(t *testing.T) {
	exo := sp("00000002-0000-0ff1-ce00-000000000000", "Office 365 Exchange Online", validSecret("k1"))
	exo.FirstParty = true
	exo.AppOwnerOrganizationID = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"
	mi := sp("mi", "identity", cert("c1", "", now.Add(-day), now.Add(90*day)))
	mi.ServicePrincipalType = "ManagedIdentity"
	saml := cert("sign", "CN=Microsoft Azure Federated SSO Certificate", now.Add(-day), now.Add(3*365*day))
	saml.Usage, saml.PairedKeyID = "Sign,Verify", "sign-pair"
	firstPartyCert := cert("fp", "", now.Add(-day), now.Add(90*day))
	firstPartyCert.Usage = "Sign,Verify"
	fpSAML := sp("fp", "Microsoft Graph", firstPartyCert)
	fpSAML.FirstParty = true

	runCredCases(t, "CW008", nil, []credCase{
		{name: "secret on a service principal",
			obj:  sp("a", "svc", validSecret("k1")),
			want: map[string]Severity{"k1": Medium},
			msg:  `client secret "ok k1" is on the service principal, not the application object`},
		{name: "certificate on a service principal",
			obj:  sp("a", "svc", cert("c1", "x", now.Add(-day), now.Add(90*day))),
			want: map[string]Severity{"c1": Medium}},
		{name: "expired credentials still count",
			obj:  sp("a", "svc", secret("k1", "x", now.Add(-9*day), now.Add(-day))),
			want: map[string]Severity{"k1": Medium}},
		{name: "first-party service principal is critical",
			obj:  exo,
			want: map[string]Severity{"k1": Critical},
			msg:  `client secret "ok k1" is on Microsoft first-party service principal "Office 365 Exchange Online", a known persistence technique`,
			check: func(t *testing.T, fs []Finding) {
				if fs[0].Evidence["firstParty"] != "true" || fs[0].Evidence["appOwnerOrganizationId"] != "f8cdef31-a31e-4b4a-93e4-5f571e91255a" {
					t.Errorf("evidence = %v", fs[0].Evidence)
				}
			}},
		{name: "managed identity certificates are Azure's",
			obj: mi},
		{name: "SAML token-signing certificate",
			obj: sp("a", "sso app", saml)},
		{name: "signing certificate on a first-party service principal is still critical",
			obj:  fpSAML,
			want: map[string]Severity{"fp": Critical}},
		{name: "federated credential",
			obj: sp("a", "svc", federated("f1", "x"))},
		{name: "application object",
			obj: app("a", "svc", validSecret("k1"))},
	})
}
