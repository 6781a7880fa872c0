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
// ($select, $top, $expand, $filter, $skiptoken): it must answer with a
// result or a Graph error, never panic, and a parsed filter must evaluate.
func FuzzQueryOptions(f *testing.F) {
	for _, s := range []string{
		"$select=id,appId&$top=999",
		"$expand=owners($select=id,displayName)&$filter=appId eq 'x'",
		"$filter=startswith(displayName,'a') or (id in ('1','2') and not displayName ne 'b')&$count=true",
		"$filter=appOwnerOrganizationId eq f8cdef31-a31e-4b4a-93e4-5f571e91255a",
		"$skiptoken=AAAA&$top=0",
		"$filter=displayName eq 'it''s'",
	} {
		f.Add(s)
	}
	block, _ := aes.NewCipher(make([]byte, 32))
	gcm, _ := cipher.NewGCM(block)
	s := &Server{pageSeal: gcm}
	yes := true
	sp := &msgraph.ServicePrincipal{ID: "x", AppID: "y", DisplayName: "z", AccountEnabled: &yes}
	f.Fuzz(func(t *testing.T, raw string) {
		for _, sc := range []*schema{applicationSchema, servicePrincipalSchema} {
			r := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: "/v1.0/applications", RawQuery: raw}, Header: http.Header{"Consistencylevel": {"eventual"}}}
			q, gerr := s.parseQuery(r, sc, optsList)
			if (q == nil) == (gerr == nil) {
				t.Fatalf("parseQuery(%q): query %v and error %v", raw, q, gerr)
			}
			if q != nil && q.filter != nil {
				if sc == applicationSchema {
					q.filter.eval(sc, &msgraph.Application{ID: "x"})
				} else {
					q.filter.eval(sc, sp)
				}
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
