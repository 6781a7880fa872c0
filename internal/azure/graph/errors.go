package graph

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/credwatch/credwatch/internal/msgraph"
)

// Reasons a retried request was given up; an *Error wraps one of them.
var (
	ErrMaxAttempts         = errors.New("retries exhausted")
	ErrRetryBudgetExceeded = errors.New("client retry budget exhausted")
	ErrRepeatedNextLink    = errors.New("@odata.nextLink repeats a page already read")
)

// Error is a failed Graph request: an HTTP error status (with Graph's
// error code and message), or a transport or decoding failure (StatusCode
// 0, Err set). It never carries a token or the request's query.
type Error struct {
	StatusCode      int
	Code            string
	Message         string
	RequestID       string // Graph's request-id, what support asks for
	ClientRequestID string // the client-request-id credwatch sent
	Method          string
	Path            string // URL path without the query
	Attempts        int
	// Err is the underlying transport or decode error, if any.
	Err error
	// GaveUp is ErrMaxAttempts or ErrRetryBudgetExceeded when a retryable
	// failure was given up.
	GaveUp error
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "graph %s %s: ", e.Method, e.Path)
	switch {
	case e.StatusCode != 0:
		fmt.Fprintf(&b, "%d", e.StatusCode)
		if e.Code != "" {
			b.WriteString(" " + e.Code)
		}
		if e.Message != "" {
			b.WriteString(": " + e.Message)
		}
		if e.Err != nil {
			b.WriteString(": " + e.Err.Error())
		}
	case e.Err != nil:
		b.WriteString(e.Err.Error())
	default:
		b.WriteString("request failed")
	}
	if e.GaveUp != nil {
		fmt.Fprintf(&b, " (%s; %d attempts)", e.GaveUp, e.Attempts)
	}
	fmt.Fprintf(&b, " (request-id: %s, client-request-id: %s)", orNone(e.RequestID), orNone(e.ClientRequestID))
	return b.String()
}

// Unwrap exposes the cause and the give-up reason to errors.Is/As.
func (e *Error) Unwrap() []error {
	var errs []error
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	if e.GaveUp != nil {
		errs = append(errs, e.GaveUp)
	}
	return errs
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// IsThrottled reports whether err is (or wraps) a Graph 429.
func IsThrottled(err error) bool { return hasStatus(err, http.StatusTooManyRequests) }

// IsNotFound reports whether err is (or wraps) a Graph 404.
func IsNotFound(err error) bool { return hasStatus(err, http.StatusNotFound) }

// IsAuth reports whether err is a 401 or 403: retrying will not help.
func IsAuth(err error) bool {
	return hasStatus(err, http.StatusUnauthorized) || hasStatus(err, http.StatusForbidden)
}

func hasStatus(err error, status int) bool {
	var ge *Error
	return errors.As(err, &ge) && ge.StatusCode == status
}

// statusError builds the *Error for a non-2xx response from its body (the
// Graph envelope when it is one) and headers.
func statusError(method, path string, status int, header func(string) string, body []byte, clientRequestID string) *Error {
	e := &Error{StatusCode: status, Method: method, Path: path, ClientRequestID: clientRequestID}
	var env msgraph.ErrorResponse
	if json.Unmarshal(body, &env) == nil {
		e.Code, e.Message = env.Error.Code, env.Error.Message
		e.RequestID = env.Error.InnerError.RequestID
		if e.ClientRequestID == "" {
			e.ClientRequestID = env.Error.InnerError.ClientRequestID
		}
	}
	if id := header("request-id"); id != "" {
		e.RequestID = id
	}
	if e.Code == "" && e.Message == "" {
		e.Message = http.StatusText(status)
	}
	return e
}
