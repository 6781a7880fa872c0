package emulator

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// Application permissions each kind of request needs, any one of them.
var (
	// graphReadRoles allow reading applications and service principals.
	graphReadRoles = []string{"Application.Read.All", "Application.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}
	// auditRoles allow reading audit logs, sign-ins and usage reports.
	auditRoles = []string{"AuditLog.Read.All"}
	// policyRoles allow reading app management policies.
	policyRoles = []string{"Policy.Read.All", "Policy.Read.ApplicationConfiguration", "Policy.ReadWrite.ApplicationConfiguration"}
	// writeRoles allow credential and owner changes; OwnedBy only on
	// objects the caller owns, which the handler checks.
	writeRoles = []string{"Application.ReadWrite.All", "Application.ReadWrite.OwnedBy"}
)

const (
	roleWriteAll   = "Application.ReadWrite.All"
	roleWriteOwned = "Application.ReadWrite.OwnedBy"
)

// rolesFor is what a request of kind needs; nil means any valid token
// ($batch, whose requests are checked one by one).
func rolesFor(kind string) []string {
	switch kind {
	case kindBatch:
		return nil
	case kindAddKey, kindRemoveKey:
		// An application needs no permission to roll its own keys (the
		// proof of possession is its credential); mutate lets other
		// callers through only with a write role.
		return nil
	case kindAudits, kindSignIns, kindCredUsage:
		return auditRoles
	case kindTenantPolicy, kindAppPolicies, kindObjectPolicies:
		return policyRoles
	case kindAddPassword, kindRemovePassword, kindAddOwner, kindRemoveOwner, kindUpdateApp, kindUpdateSP:
		return writeRoles
	}
	return graphReadRoles
}

// graphAudiences are the aud values Graph accepts.
var graphAudiences = []string{"https://graph.microsoft.com", "https://graph.microsoft.com/", "00000003-0000-0000-c000-000000000000"}

const tokenSkew = 5 * time.Minute

func unauthenticated(msg string) *graphError {
	return &graphError{http.StatusUnauthorized, "InvalidAuthenticationToken", msg, nil}
}

func forbidden() *graphError {
	return &graphError{http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.", nil}
}

// caller is the client a valid token names.
type caller struct {
	appID string // appid claim
	name  string // app_displayname
	oid   string // its service principal's object id
	roles []string
}

// has reports whether the caller holds any of roles.
func (c *caller) has(roles ...string) bool {
	return slices.ContainsFunc(c.roles, func(r string) bool {
		return slices.ContainsFunc(roles, func(w string) bool { return strings.EqualFold(r, w) })
	})
}

// authorize checks the bearer token as Graph does (one of ours, unexpired,
// for Graph, for this tenant) and that it carries a role kind needs.
// Messages never contain the token.
func (s *Server) authorize(r *http.Request, kind string) (*caller, *graphError) {
	authz := r.Header.Get("Authorization")
	scheme, tok, _ := strings.Cut(authz, " ")
	tok = strings.TrimSpace(tok)
	if !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return nil, unauthenticated("Access token is empty.")
	}
	j, err := parseJWS(tok)
	if err != nil {
		return nil, unauthenticated("IDX14100: JWT is not well formed, there are no dots (.).\nThe token needs to be in JWS or JWE Compact Serialization Format. (JWS): 'EncodedHeader.EncodedPayload.EncodedSignature'.")
	}
	if j.alg() != "RS256" || j.str(j.header, "kid") != s.signKeyID || j.verify(&s.signKey.PublicKey) != nil {
		return nil, unauthenticated("Access token validation failure. Invalid signature.")
	}
	now := s.now()
	exp, okExp := j.numClaim("exp")
	nbf, okNbf := j.numClaim("nbf")
	if !okExp || now.After(time.Unix(exp, 0).Add(tokenSkew)) {
		return nil, unauthenticated("Lifetime validation failed, the token is expired.")
	}
	if okNbf && now.Before(time.Unix(nbf, 0).Add(-tokenSkew)) {
		return nil, unauthenticated("Lifetime validation failed, the token is not yet valid.")
	}
	audOK := false
	for _, a := range j.audiences() {
		for _, want := range graphAudiences {
			audOK = audOK || strings.EqualFold(a, want)
		}
	}
	if !audOK {
		return nil, unauthenticated("Access token validation failure. Invalid audience.")
	}
	if !strings.EqualFold(j.claim("tid"), s.tenant) || j.claim("iss") != "https://sts.windows.net/"+s.tenant+"/" {
		return nil, unauthenticated("Access token validation failure. Invalid issuer.")
	}
	c := &caller{appID: j.claim("appid"), name: j.claim("app_displayname"), oid: j.claim("oid")}
	roles, _ := j.claims["roles"].([]any)
	for _, role := range roles {
		if r, ok := role.(string); ok {
			c.roles = append(c.roles, r)
		}
	}
	need := rolesFor(kind)
	if need == nil || c.has(need...) {
		return c, nil
	}
	switch kind {
	case kindAudits, kindSignIns, kindCredUsage:
		// The audit and report APIs name the missing permission.
		return nil, &graphError{http.StatusForbidden, "Authentication_MSGraphPermissionMissing",
			"Calling principal does not have required MSGraph permissions AuditLog.Read.All", nil}
	}
	return nil, forbidden()
}
