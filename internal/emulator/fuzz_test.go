package emulator

import (
	"crypto/aes"
	"crypto/cipher"
	"net/http"
	"net/url"
	"testing"

	"github.com/credwatch/credwatch/internal/msgraph"
)

// FuzzQueryOptions feeds arbitrary query strings to the OData parser
// ($select, $top, $expand, $filter, $orderby, $skiptoken) of directory
// objects, logs and reports: it must answer with a result or a Graph error,
// never panic, and a parsed filter must evaluate.
func FuzzQueryOptions(f *testing.F) {
	for _, s := range []string{
		"$select=id,appId&$top=999",
		"$expand=owners($select=id,displayName)&$filter=appId eq 'x'",
		"$filter=startswith(displayName,'a') or (id in ('1','2') and not displayName ne 'b')&$count=true",
		"$filter=appOwnerOrganizationId eq f8cdef31-a31e-4b4a-93e4-5f571e91255a",
		"$skiptoken=AAAA&$top=0",
		"$filter=displayName eq 'it''s'",
		"$filter=activityDateTime ge 2025-01-01T00:00:00Z and category eq 'ApplicationManagement'&$orderby=activityDateTime desc",
		"$filter=signInEventTypes/any(t: t eq 'servicePrincipal') and createdDateTime ge 2025-03-01T00:00:00.5Z&$top=1000",
		"$filter=targetResources/any(x:x/id eq 'a' or startswith(x/displayName,'b'))",
		"$filter=status/errorCode eq 0 and not isInteractive eq true",
	} {
		f.Add(s)
	}
	block, _ := aes.NewCipher(make([]byte, 32))
	gcm, _ := cipher.NewGCM(block)
	s := &Server{pageSeal: gcm}
	yes := true
	sp := &msgraph.ServicePrincipal{ID: "x", AppID: "y", DisplayName: "z", AccountEnabled: &yes}
	samples := map[*schema]any{
		applicationSchema:      &msgraph.Application{ID: "x"},
		servicePrincipalSchema: sp,
		auditSchema: &auditItem{rec: &msgraph.DirectoryAudit{ID: "a", ActivityDisplayName: "Update application",
			InitiatedBy: msgraph.AuditActor{App: &msgraph.AuditApp{AppID: "y"}}, TargetResources: []msgraph.TargetResource{{ID: "a"}}}},
		signInSchema: &signInItem{rec: &msgraph.SignIn{ID: "s", SignInEventTypes: []string{"servicePrincipal"}, Status: &msgraph.SignInStatus{}}},
		usageSchema:  &msgraph.AppCredentialSignInActivity{KeyID: "k"},
	}
	f.Fuzz(func(t *testing.T, raw string) {
		for sc, item := range samples {
			allow := optsList
			if sc.ops != nil {
				allow = optsLog
			}
			r := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: "/v1.0/applications", RawQuery: raw}, Header: http.Header{"Consistencylevel": {"eventual"}}}
			q, gerr := s.parseQuery(r, sc, allow)
			if (q == nil) == (gerr == nil) {
				t.Fatalf("parseQuery(%q): query %v and error %v", raw, q, gerr)
			}
			if q != nil && q.filter != nil {
				q.filter.eval(sc, item)
			}
		}
	})
}

// FuzzParseJWS checks that any bearer token or client assertion is either
// parsed or refused without a panic.
func FuzzParseJWS(f *testing.F) {
	f.Add("eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjF9.c2ln")
	f.Add("a.b.c")
	f.Add("..")
	f.Fuzz(func(t *testing.T, tok string) {
		j, err := parseJWS(tok)
		if err != nil {
			return
		}
		j.numClaim("exp")
		j.audiences()
		_ = j.alg()
	})
}
