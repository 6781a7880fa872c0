package tokencheck

import (
	"context"
	"crypto/rsa"
	"errors"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Skew is the clock difference tolerated on exp and nbf, as Entra-protected
// services allow.
const Skew = 5 * time.Minute

// Reason says why a token was refused; services map it to their own codes.
type Reason int

// Reasons, in the order they are checked after the signature.
const (
	// Malformed covers a token that is not a JWT, uses another algorithm
	// than RS256, is signed by an unknown key or has a bad signature.
	Malformed Reason = iota + 1
	Expired
	NotYetValid
	WrongIssuer
	WrongTenant
	WrongAudience
)

func (r Reason) String() string {
	switch r {
	case Malformed:
		return "token signature or format is invalid"
	case Expired:
		return "token expired"
	case NotYetValid:
		return "token not yet valid"
	case WrongIssuer:
		return "invalid issuer"
	case WrongTenant:
		return "token issued for another tenant"
	case WrongAudience:
		return "invalid audience"
	}
	return "invalid token"
}

// Error is a refused token. It never carries the token.
type Error struct {
	Reason Reason
}

func (e *Error) Error() string { return e.Reason.String() }

// Principal is who a valid token names.
type Principal struct {
	AppID    string // appid: the client application
	ObjectID string // oid: its service principal
	TenantID string // tid
	Issuer   string // iss
}

// Matches reports whether id, as an Azure role assignment names its
// principal, is this one: its object id (the token's oid). An app id never
// matches: Azure RBAC assigns roles to the service principal, not to the
// application.
func (p *Principal) Matches(id string) bool {
	id = strings.TrimSpace(id)
	return id != "" && strings.EqualFold(id, p.ObjectID)
}

// KeyFunc returns the public key with key id kid.
type KeyFunc func(ctx context.Context, kid string) (*rsa.PublicKey, error)

// Expect is what a token must show to be accepted.
type Expect struct {
	TenantID string
	// Audiences are the resource's accepted audiences; one must match,
	// ignoring case and trailing slashes (Azure issues both
	// https://monitor.azure.com and https://monitor.azure.com/).
	Audiences []string
	Now       func() time.Time // nil = time.Now
}

// Issuer is the v1 issuer of tenant's app-only tokens.
func Issuer(tenant string) string { return "https://sts.windows.net/" + strings.ToLower(tenant) + "/" }

// Verify checks tok and returns its principal, or an *Error.
func Verify(ctx context.Context, tok string, keys KeyFunc, want Expect) (*Principal, error) {
	now := want.Now
	if now == nil {
		now = time.Now
	}
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(tok, claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		return keys(ctx, kid)
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithLeeway(Skew), jwt.WithTimeFunc(now),
		jwt.WithExpirationRequired(), jwt.WithIssuer(Issuer(want.TenantID)))
	switch {
	case err == nil:
	case errors.Is(err, jwt.ErrTokenExpired):
		return nil, &Error{Expired}
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return nil, &Error{NotYetValid}
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return nil, &Error{WrongIssuer}
	default:
		return nil, &Error{Malformed}
	}
	p := &Principal{}
	p.AppID, _ = claims["appid"].(string)
	p.ObjectID, _ = claims["oid"].(string)
	p.TenantID, _ = claims["tid"].(string)
	p.Issuer, _ = claims["iss"].(string)
	if !strings.EqualFold(p.TenantID, want.TenantID) {
		return nil, &Error{WrongTenant}
	}
	auds, _ := claims.GetAudience()
	for _, a := range auds {
		for _, w := range want.Audiences {
			if strings.EqualFold(strings.TrimRight(a, "/"), strings.TrimRight(w, "/")) {
				return p, nil
			}
		}
	}
	return nil, &Error{WrongAudience}
}
