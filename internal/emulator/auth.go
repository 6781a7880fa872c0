package emulator

import (
	"net/http"
	"strings"
	"time"
)

// graphReadRoles are the application permissions that allow reading
// applications and service principals.
var graphReadRoles = []string{"Application.Read.All", "Application.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}

// graphAudiences are the aud values Graph accepts.
var graphAudiences = []string{"https://graph.microsoft.com", "https://graph.microsoft.com/", "00000003-0000-0000-c000-000000000000"}

const tokenSkew = 5 * time.Minute

func unauthenticated(msg string) *graphError {
	return &graphError{http.StatusUnauthorized, "InvalidAuthenticationToken", msg, nil}
}

// authorize checks the bearer token as Graph does: one of ours, unexpired,
// for Graph, for this tenant, carrying a role that may read applications.
// Messages never contain the token.
func (s *Server) authorize(r *http.Request) *graphError {
	authz := r.Header.Get("Authorization")
	scheme, tok, _ := strings.Cut(authz, " ")
	tok = strings.TrimSpace(tok)
	if !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return unauthenticated("Access token is empty.")
	}
	j, err := parseJWS(tok)
	if err != nil {
		return unauthenticated("IDX14100: JWT is not well formed, there are no dots (.).\nThe token needs to be in JWS or JWE Compact Serialization Format. (JWS): 'EncodedHeader.EncodedPayload.EncodedSignature'.")
	}
	if j.alg() != "RS256" || j.str(j.header, "kid") != s.signKeyID || j.verify(&s.signKey.PublicKey) != nil {
		return unauthenticated("Access token validation failure. Invalid signature.")
	}
	now := s.now()
	exp, okExp := j.numClaim("exp")
	nbf, okNbf := j.numClaim("nbf")
	if !okExp || now.After(time.Unix(exp, 0).Add(tokenSkew)) {
		return unauthenticated("Lifetime validation failed, the token is expired.")
	}
	if okNbf && now.Before(time.Unix(nbf, 0).Add(-tokenSkew)) {
		return unauthenticated("Lifetime validation failed, the token is not yet valid.")
	}
	audOK := false
	for _, a := range j.audiences() {
		for _, want := range graphAudiences {
			audOK = audOK || strings.EqualFold(a, want)
		}
	}
	if !audOK {
		return unauthenticated("Access token validation failure. Invalid audience.")
	}
	if !strings.EqualFold(j.claim("tid"), s.tenant) || j.claim("iss") != "https://sts.windows.net/"+s.tenant+"/" {
		return unauthenticated("Access token validation failure. Invalid issuer.")
	}
	roles, _ := j.claims["roles"].([]any)
	for _, role := range roles {
		for _, want := range graphReadRoles {
			if r, ok := role.(string); ok && strings.EqualFold(r, want) {
				return nil
			}
		}
	}
	return &graphError{http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.", nil}
}
