package logsingestion

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/credwatch/credwatch/internal/emulator/tokencheck"
)

// apiError is an answer other than 204, in the service's envelope
// {"error":{"code":…,"message":…}}. Messages never hold a token or a row.
type apiError struct {
	status     int
	code, msg  string
	retryAfter string
}

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, msg: fmt.Sprintf(format, args...)}
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	rec := Request{ClientRequestID: r.Header.Get("x-ms-client-request-id")}
	e := s.handle(r, &rec)
	w.Header().Set("x-ms-request-id", uuid.NewString())
	if id := rec.ClientRequestID; id != "" {
		w.Header().Set("x-ms-client-request-id", id)
	}
	rec.Status = http.StatusNoContent
	if e != nil {
		rec.Status, rec.Code, rec.Rows = e.status, e.code, 0
	}
	s.mu.Lock()
	s.requests = append(s.requests, rec)
	s.mu.Unlock()
	s.log.Debug("logs ingestion call", "rule", rec.RuleID, "stream", rec.Stream, "principal", rec.Principal,
		"status", rec.Status, "code", rec.Code, "rows", rec.Rows, "bytes", rec.WireBytes, "gzip", rec.Gzip,
		"client_request_id", rec.ClientRequestID)
	if e == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if e.retryAfter != "" {
		w.Header().Set("Retry-After", e.retryAfter)
	}
	if e.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", http.MethodPost)
	}
	body, _ := json.Marshal(map[string]any{"error": map[string]string{"code": e.code, "message": e.msg}})
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(e.status)
	_, _ = w.Write(body)
}

// handle checks a call (the token first, then the rule and the caller's
// access to it, then the payload) and keeps its rows.
func (s *Server) handle(r *http.Request, rec *Request) *apiError {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) != 4 || !strings.EqualFold(parts[0], "dataCollectionRules") || !strings.EqualFold(parts[2], "streams") ||
		parts[1] == "" || parts[3] == "" {
		return errorf(http.StatusNotFound, "NotFound", "The requested path %s does not exist; calls go to /dataCollectionRules/{immutableId}/streams/{stream}.", clip(r.URL.Path))
	}
	rec.RuleID, rec.Stream = parts[1], parts[3]
	if r.Method != http.MethodPost {
		return errorf(http.StatusMethodNotAllowed, "MethodNotAllowed", "The method %s is not allowed; use POST.", r.Method)
	}
	switch v := r.URL.Query().Get("api-version"); {
	case v == "":
		return errorf(http.StatusBadRequest, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.")
	case v != APIVersion:
		return errorf(http.StatusBadRequest, "InvalidApiVersionParameter", "The api-version '%s' is invalid. The supported versions are '%s'.", clip(v), APIVersion)
	}
	p, e := s.authenticate(r.Context(), r)
	if e != nil {
		return e
	}
	rec.Principal = p.AppID

	ru, ok := s.rules[strings.ToLower(rec.RuleID)] // fixed at Start
	if !ok {
		return errorf(http.StatusNotFound, "NotFound", "Data collection rule with immutable Id '%s' not found.", clip(rec.RuleID))
	}
	if !publisher(ru, p) {
		return errorf(http.StatusForbidden, "OperationFailed",
			"The authentication token provided does not have access to ingest data for the data collection rule with immutable Id '%s' "+
				"PipelineAccessResult: AccessGranted: False, IsRbacPresent: False, IsDcrDceBindingValid: , DcrArmId: %s, "+
				"Message: Required authorization action was not found for tenantId %s objectId %s on resourceId %s ConfigurationId: %s..",
			ru.cfg.ImmutableID, ru.armID, s.tenant, p.ObjectID, ru.armID, ru.cfg.ImmutableID)
	}
	st, ok := ru.streams[strings.ToLower(rec.Stream)]
	if !ok {
		return errorf(http.StatusNotFound, "NotFound", "Stream '%s' is not declared in the data collection rule with immutable Id '%s'.",
			clip(rec.Stream), ru.cfg.ImmutableID)
	}
	s.mu.Lock()
	e = s.fault(ru, st)
	if e == nil {
		e = s.admit(ru)
	}
	s.mu.Unlock()
	if e != nil {
		return e
	}
	rows, e := readRows(r, rec, st)
	if e != nil {
		return e
	}
	s.mu.Lock()
	st.rows = append(st.rows, rows...)
	s.mu.Unlock()
	rec.Rows = len(rows)
	return nil
}

// authenticate checks the bearer token for the monitor audience.
func (s *Server) authenticate(ctx context.Context, r *http.Request) (*tokencheck.Principal, *apiError) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, errorf(http.StatusUnauthorized, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.")
	}
	scheme, tok, _ := strings.Cut(h, " ")
	tok = strings.TrimSpace(tok)
	if !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return nil, errorf(http.StatusUnauthorized, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is not a bearer token.")
	}
	p, err := tokencheck.Verify(ctx, tok, s.keys.Key, tokencheck.Expect{TenantID: s.tenant, Audiences: []string{Audience}, Now: s.now})
	if err == nil {
		return p, nil
	}
	var te *tokencheck.Error
	switch {
	case errors.As(err, &te) && te.Reason == tokencheck.WrongAudience:
		return nil, errorf(http.StatusUnauthorized, "InvalidAudience", "The token's audience is not valid; tokens for the Logs Ingestion API are issued for %s.", Audience)
	case errors.As(err, &te) && te.Reason == tokencheck.Expired:
		return nil, errorf(http.StatusUnauthorized, "ExpiredAuthenticationToken", "The access token has expired.")
	default:
		return nil, errorf(http.StatusUnauthorized, "InvalidAuthenticationToken", "The access token is invalid: %v.", err)
	}
}

// publisher reports whether p holds the publisher role on the rule: an
// assignment to its object id, as Azure RBAC matches them.
func publisher(ru *rule, p *tokencheck.Principal) bool {
	for _, ra := range ru.cfg.RoleAssignments {
		if p.Matches(ra.Principal) && strings.EqualFold(strings.TrimSpace(ra.Role), PublisherRole) {
			return true
		}
	}
	return false
}

// admit counts a call against the rule's per-minute limit; s.mu is held.
func (s *Server) admit(ru *rule) *apiError {
	if s.limit < 0 {
		return nil
	}
	now := s.now()
	if ru.windowStart.IsZero() || now.Before(ru.windowStart) || now.Sub(ru.windowStart) >= time.Minute {
		ru.windowStart, ru.calls = now, 0
	}
	if ru.calls < s.limit {
		ru.calls++
		return nil
	}
	wait := int(math.Ceil(ru.windowStart.Add(time.Minute).Sub(now).Seconds()))
	e := errorf(http.StatusTooManyRequests, "TooManyRequests",
		"The data collection rule with immutable Id '%s' received more than %d requests in a minute. Retry after %d seconds.",
		ru.cfg.ImmutableID, s.limit, max(wait, 1))
	e.retryAfter = strconv.Itoa(max(wait, 1))
	return e
}

// readRows reads, decompresses and checks the body.
func readRows(r *http.Request, rec *Request, st *stream) ([]json.RawMessage, *apiError) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return nil, errorf(http.StatusUnsupportedMediaType, "UnsupportedMediaType", "Content-Type %q is not supported; send application/json.",
			clip(r.Header.Get("Content-Type")))
	}
	tooLarge := func(n string) *apiError {
		return errorf(http.StatusRequestEntityTooLarge, "ContentLengthLimitExceeded",
			"Maximum allowed content length: %d bytes (1 MB). Provided content length: %s bytes.", MaxBodyBytes, n)
	}
	if r.ContentLength > MaxBodyBytes {
		rec.WireBytes = int(r.ContentLength)
		return nil, tooLarge(strconv.FormatInt(r.ContentLength, 10))
	}
	wire, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	rec.WireBytes = len(wire)
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "InvalidPayload", "The request body could not be read.")
	}
	if len(wire) > MaxBodyBytes {
		return nil, tooLarge("more than " + strconv.Itoa(MaxBodyBytes))
	}
	body := wire
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip":
		rec.Gzip = true
		zr, err := gzip.NewReader(bytes.NewReader(wire))
		if err != nil {
			return nil, errorf(http.StatusBadRequest, "InvalidContentEncoding", "The body is not valid gzip.")
		}
		// Read one byte past the limit to tell "at the limit" from "over".
		if body, err = io.ReadAll(io.LimitReader(zr, MaxBodyBytes+1)); err != nil {
			return nil, errorf(http.StatusBadRequest, "InvalidContentEncoding", "The body is not valid gzip.")
		}
		if len(body) > MaxBodyBytes {
			rec.Bytes = len(body)
			return nil, tooLarge("more than " + strconv.Itoa(MaxBodyBytes) + " (decompressed)")
		}
	default:
		return nil, errorf(http.StatusUnsupportedMediaType, "UnsupportedContentEncoding", "Content-Encoding %q is not supported; send gzip or none.", clip(enc))
	}
	rec.Bytes = len(body)
	if !utf8.Valid(body) {
		return nil, errorf(http.StatusBadRequest, "InvalidPayload", "The body is not valid UTF-8.")
	}
	if t := bytes.TrimSpace(body); len(t) == 0 || t[0] != '[' {
		return nil, errorf(http.StatusBadRequest, "InvalidPayload", "The body must be a JSON array of objects.")
	}
	var items []json.RawMessage
	if err := json.Unmarshal(body, &items); err != nil {
		return nil, errorf(http.StatusBadRequest, "InvalidPayload", "The body is not valid JSON: %s.", jsonProblem(err))
	}
	rows := make([]json.RawMessage, 0, len(items))
	for i, raw := range items {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
			return nil, errorf(http.StatusBadRequest, "InvalidPayload", "Item %d of the body is not a JSON object.", i)
		}
		for k := range obj {
			if st.cols != nil && !st.cols[k] {
				return nil, errorf(http.StatusBadRequest, "InvalidPayload", "Item %d: column '%s' is not declared in stream %s.", i, clip(k), st.cfg.Name)
			}
			if st.cols == nil {
				if why := checkColumn(k); why != "" {
					return nil, errorf(http.StatusBadRequest, "InvalidPayload", "Item %d: column '%s' cannot be declared: %s.", i, clip(k), why)
				}
			}
		}
		rows = append(rows, truncateFields(raw, obj))
	}
	return rows, nil
}

// truncateFields cuts string fields over MaxFieldBytes, as the service
// does; other rows are kept byte for byte.
func truncateFields(raw json.RawMessage, obj map[string]json.RawMessage) json.RawMessage {
	cut := false
	for k, v := range obj {
		if len(v) <= MaxFieldBytes || v[0] != '"' {
			continue
		}
		var s string
		if json.Unmarshal(v, &s) != nil || len(s) <= MaxFieldBytes {
			continue
		}
		n := MaxFieldBytes
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		if b, err := json.Marshal(s[:n]); err == nil {
			obj[k], cut = b, true
		}
	}
	if !cut {
		return append(json.RawMessage(nil), raw...)
	}
	b, err := json.Marshal(obj)
	if err != nil {
		return append(json.RawMessage(nil), raw...)
	}
	return b
}

// jsonProblem describes a decode error without quoting the body.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return "syntax error at byte " + strconv.FormatInt(se.Offset, 10)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return "unexpected " + te.Value + " at byte " + strconv.FormatInt(te.Offset, 10)
	}
	return "malformed"
}

// clip bounds text taken from the request before it goes into an answer.
func clip(s string) string {
	if len(s) <= 200 {
		return s
	}
	n := 200
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
