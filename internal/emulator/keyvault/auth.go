package keyvault

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/credwatch/credwatch/internal/emulator/tokencheck"
)

// Audiences of the two planes' tokens.
const (
	vaultResource      = "https://vault.azure.net"
	managementResource = "https://management.azure.com"
	// vaultAppID is Key Vault's first-party app id, also a valid audience.
	vaultAppID = "cfa8b339-82a2-471a-a3c9-0fc0be7a4093"
)

// principal is who a valid token names.
type principal struct {
	appID string
	oid   string
	iss   string
}

// matches reports whether id, as a role assignment's principalId or an
// access policy's objectId names its principal, is this one: the token's
// oid, the object id of the caller's service principal. An app id never
// matches: Azure grants vault access to the service principal, not to the
// application, and refuses a caller whose app id alone was granted.
func (p *principal) matches(id string) bool {
	id = strings.TrimSpace(id)
	return id != "" && strings.EqualFold(id, p.oid)
}

// describe is how Key Vault names a caller in refusals.
func (p *principal) describe() string {
	return "appid=" + p.appID + ";oid=" + p.oid + ";iss=" + p.iss
}

// authError is a refused token; the message never holds the token.
type authError struct{ msg string }

func (e *authError) Error() string { return e.msg }

// kvTokenErrors are Key Vault's words for each reason tokencheck refuses
// a token.
var kvTokenErrors = map[tokencheck.Reason]string{
	tokencheck.Expired:       "AKV10022: Invalid audience or token expired.",
	tokencheck.WrongIssuer:   "AKV10032: Invalid issuer.",
	tokencheck.WrongTenant:   "AKV10032: Invalid issuer. Expected one of the tenant's issuers.",
	tokencheck.WrongAudience: "AKV10022: Invalid audience.",
}

// authenticate checks the bearer token for one of audiences. A request
// with no token at all returns (nil, nil): the caller answers with the
// challenge.
func (s *Server) authenticate(r *http.Request, audiences ...string) (*principal, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, nil
	}
	scheme, tok, _ := strings.Cut(h, " ")
	tok = strings.TrimSpace(tok)
	if !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return nil, &authError{"AKV10000: Request is missing a Bearer or PoP token."}
	}
	tp, err := tokencheck.Verify(r.Context(), tok, s.keys.Key, tokencheck.Expect{TenantID: s.tenant, Audiences: audiences, Now: s.now})
	if err != nil {
		var te *tokencheck.Error
		if errors.As(err, &te) && kvTokenErrors[te.Reason] != "" {
			return nil, &authError{kvTokenErrors[te.Reason]}
		}
		return nil, &authError{"AKV10037: Token signature or format is invalid."}
	}
	return &principal{appID: tp.AppID, oid: tp.ObjectID, iss: tp.Issuer}, nil
}

// challenge is the WWW-Authenticate value that starts the SDK's
// authentication: the tenant's authority and the Key Vault resource.
func (s *Server) challenge() string {
	return fmt.Sprintf(`Bearer authorization="%s/%s", resource="%s"`, s.authz, s.tenant, vaultResource)
}
