package keyvault

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// Error is a refused Key Vault or Resource Manager request. It never
// carries a secret value, a token or a request body.
type Error struct {
	Op         string // what was attempted: "set secret app-secret", "read vault properties"
	Vault      string // the vault's URL or resource id
	StatusCode int
	Code       string // e.g. Forbidden, SecretNotFound, AuthorizationFailed
	InnerCode  string // Key Vault's innererror code: ForbiddenByFirewall, ForbiddenByRbac, AccessDenied
	Message    string // the service's message, first line only
	RequestID  string
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "key vault %s: %s: %d", e.Vault, e.Op, e.StatusCode)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.InnerCode != "" {
		b.WriteString(" (" + e.InnerCode + ")")
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.RequestID != "" {
		b.WriteString(" (request-id: " + e.RequestID + ")")
	}
	return b.String()
}

// IsForbidden reports whether err is a 403: the firewall, RBAC or an
// access policy refused the caller.
func IsForbidden(err error) bool { return hasStatus(err, http.StatusForbidden) }

// IsNotFound reports whether err is a 404.
func IsNotFound(err error) bool { return hasStatus(err, http.StatusNotFound) }

func hasStatus(err error, status int) bool {
	var e *Error
	return errors.As(err, &e) && e.StatusCode == status
}

// wrapErr turns the SDK's errors into *Error; other errors (transport,
// context) are wrapped with op.
func wrapErr(op, vault string, err error) error {
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		return fmt.Errorf("key vault %s: %s: %w", vault, op, err)
	}
	e := &Error{Op: op, Vault: vault, StatusCode: re.StatusCode, Code: re.ErrorCode}
	if re.RawResponse != nil {
		e.RequestID = re.RawResponse.Header.Get("x-ms-request-id")
		if body, err := runtime.Payload(re.RawResponse); err == nil {
			fillFromBody(e, body)
		}
	}
	if e.Message == "" {
		e.Message = http.StatusText(e.StatusCode)
	}
	return e
}

// fillFromBody reads the error envelope both planes use; Key Vault spells
// innererror in lower case.
func fillFromBody(e *Error, body []byte) {
	var env struct {
		Error struct {
			Code       string `json:"code"`
			Message    string `json:"message"`
			InnerError *struct {
				Code string `json:"code"`
			} `json:"innererror"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &env) != nil {
		return
	}
	if env.Error.Code != "" {
		e.Code = env.Error.Code
	}
	msg, _, _ := strings.Cut(strings.ReplaceAll(env.Error.Message, "\r\n", "\n"), "\n")
	e.Message = strings.TrimSpace(msg)
	if env.Error.InnerError != nil {
		e.InnerCode = env.Error.InnerError.Code
	}
}
