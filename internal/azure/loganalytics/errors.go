package loganalytics

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"
)

// Error is a batch the service refused, or that could not be sent: an HTTP
// error status with the service's code and message, or a transport failure
// (StatusCode 0, Err set). It never carries a token.
type Error struct {
	StatusCode      int
	Code            string // the service's error code, e.g. "OperationFailed"
	Message         string
	RequestID       string // x-ms-request-id, what support asks for
	ClientRequestID string // the x-ms-client-request-id credwatch sent
	Path            string // request path, without the query
	Batch, Rows     int    // 1-based batch number and its row count
	Attempts        int
	GaveUp          bool // a retryable failure that ran out of attempts
	Err             error
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "log ingestion batch %d (%d rows) to %s: ", e.Batch, e.Rows, e.Path)
	switch {
	case e.StatusCode != 0:
		fmt.Fprintf(&b, "%d", e.StatusCode)
		if e.Code != "" {
			b.WriteString(" " + e.Code)
		}
		if e.Message != "" {
			b.WriteString(": " + e.Message)
		}
		if hint := statusHint(e.StatusCode); hint != "" {
			b.WriteString(" (" + hint + ")")
		}
		if e.Err != nil {
			b.WriteString(": " + e.Err.Error())
		}
	case e.Err != nil:
		b.WriteString(e.Err.Error())
	default:
		b.WriteString("request failed")
	}
	if e.GaveUp {
		fmt.Fprintf(&b, " (gave up after %d attempts)", e.Attempts)
	}
	if e.RequestID != "" || e.ClientRequestID != "" {
		fmt.Fprintf(&b, " (request-id: %s, client-request-id: %s)", orNone(e.RequestID), orNone(e.ClientRequestID))
	}
	return b.String()
}

// Unwrap exposes the transport error, if any.
func (e *Error) Unwrap() error { return e.Err }

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// statusHint says what usually causes a status, for the errors people read.
func statusHint(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "the token was refused: check the credential and the token scope of the cloud"
	case http.StatusForbidden:
		return "the identity needs the Monitoring Metrics Publisher role on the data collection rule; " +
			"role assignments take up to 30 minutes to apply"
	case http.StatusNotFound:
		return "check the endpoint, the data collection rule's immutable id and the stream name"
	case http.StatusRequestEntityTooLarge:
		return "the batch is over the service's 1 MB limit: lower the batch size"
	case http.StatusBadRequest:
		return "the rows do not match the stream declaration of the data collection rule"
	}
	return ""
}

// maxMessage bounds the service's message in an error: it is text from the
// network.
const maxMessage = 500

// statusError builds the *Error of a non-204 answer from the body, which is
// {"error":{"code":…,"message":…}} when the service wrote it.
func statusError(status int, body []byte) *Error {
	e := &Error{StatusCode: status}
	var env struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &env) == nil {
		e.Code, e.Message = env.Error.Code, env.Error.Message
	}
	if e.Code == "" && e.Message == "" {
		e.Message = http.StatusText(status)
		if status >= 200 && status < 300 {
			e.Message = "unexpected success status; the API answers 204"
		}
	}
	e.Code, e.Message = clip(e.Code, 100), clip(e.Message, maxMessage)
	return e
}

// clip cuts s to at most n bytes on a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// RowError is a row that cannot be sent: it does not marshal to a JSON
// object, or it is too large for a call even alone.
type RowError struct {
	Index int    // position in the rows given to Upload
	ID    string // the row's FindingId, KeyId or ObjectId when it has one
	Size  int    // serialized bytes, when known
	Limit int    // the batch limit, for size errors
	Err   error  // marshal errors
}

func (e *RowError) Error() string {
	name := fmt.Sprintf("row %d", e.Index)
	if e.ID != "" {
		name += " (" + e.ID + ")"
	}
	if e.Err != nil {
		return fmt.Sprintf("log ingestion %s: %v", name, e.Err)
	}
	return fmt.Sprintf("log ingestion %s: %d bytes serialized, over the %d-byte limit of one call; not sent",
		name, e.Size, e.Limit)
}

func (e *RowError) Unwrap() error { return e.Err }
