package loganalyticstest

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
)

// APIVersion is the only api-version the fake accepts.
const APIVersion = "2023-01-01"

// DefaultMaxBodyBytes is the fake's per-call limit, as sent and after
// decompression: the service's "1 MB", read strictly.
const DefaultMaxBodyBytes = 1_000_000

// Request is what the fake saw of one call.
type Request struct {
	RuleID, Stream  string
	Gzip            bool
	WireBytes       int // body as sent
	Bytes           int // body after decompression
	Rows            int // rows accepted; 0 when refused
	Status          int
	ClientRequestID string
}

// Response is a canned answer for the next call; see Fail.
type Response struct {
	Status     int
	RetryAfter string // Retry-After header, when set
	Code       string // error code in the body; default from the status
	Message    string
}

// Server is the fake. Its methods are safe for concurrent use.
type Server struct {
	*httptest.Server

	mu       sync.Mutex
	rows     []json.RawMessage
	requests []Request
	queue    []Response
	token    string
	maxBody  int
	declared map[string]map[string]map[string]bool // rule → stream → columns (nil: any)
	nextID   int
}

// NewServer starts a fake on a loopback TLS port. Use its Client() (which
// trusts the certificate) and URL; Close it when done.
func NewServer() *Server {
	s := &Server{maxBody: DefaultMaxBodyBytes}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(s.serve))
	return s
}

// RequireToken makes the fake refuse (401) any bearer token but tok. By
// default any non-empty token is accepted.
func (s *Server) RequireToken(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.token = tok
}

// SetMaxBodyBytes changes the per-call limit.
func (s *Server) SetMaxBodyBytes(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.maxBody = n
}

// Declare adds a data collection rule stream. Once any is declared, calls
// to others get 404, as the service answers for an unknown rule or stream.
// With columns, a row carrying any other column is refused with 400: the
// service would drop it silently, and a test wants to see the drift.
func (s *Server) Declare(ruleID, stream string, columns ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.declared == nil {
		s.declared = map[string]map[string]map[string]bool{}
	}
	if s.declared[ruleID] == nil {
		s.declared[ruleID] = map[string]map[string]bool{}
	}
	var cols map[string]bool
	if len(columns) > 0 {
		cols = map[string]bool{}
		for _, c := range columns {
			cols[c] = true
		}
	}
	s.declared[ruleID][stream] = cols
}

// Fail queues answers: each of the next well-formed calls gets the next
// response instead of being accepted.
func (s *Server) Fail(r ...Response) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queue = append(s.queue, r...)
}

// Received returns every accepted row, in the order received, decoded
// with numbers kept as json.Number.
func (s *Server) Received() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]map[string]any, 0, len(s.rows))
	for _, raw := range s.rows {
		var m map[string]any
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		_ = d.Decode(&m) // checked when received
		out = append(out, m)
	}
	return out
}

// Requests returns every call seen, refused ones included.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	req := Request{ClientRequestID: r.Header.Get("x-ms-client-request-id")}
	status, code, msg, rows := s.check(r, &req)
	s.mu.Lock()
	var canned *Response
	if status == http.StatusNoContent && len(s.queue) > 0 {
		canned = &s.queue[0]
		s.queue = s.queue[1:]
		status, code, msg = canned.Status, canned.Code, canned.Message
		if code == "" {
			code = defaultCode(status)
		}
		if msg == "" {
			msg = http.StatusText(status)
		}
	}
	if status == http.StatusNoContent {
		s.rows = append(s.rows, rows...)
		req.Rows = len(rows)
	}
	req.Status = status
	s.requests = append(s.requests, req)
	s.nextID++
	reqID := fmt.Sprintf("00000000-0000-4000-8000-%012d", s.nextID)
	s.mu.Unlock()

	w.Header().Set("x-ms-request-id", reqID)
	if canned != nil && canned.RetryAfter != "" {
		w.Header().Set("Retry-After", canned.RetryAfter)
	}
	if status == http.StatusNoContent {
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

// check validates a call and returns 204 with its rows, or the error
// answer.
func (s *Server) check(r *http.Request, req *Request) (status int, code, msg string, rows []json.RawMessage) {
	s.mu.Lock()
	token, maxBody, declared := s.token, s.maxBody, s.declared
	s.mu.Unlock()

	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if len(parts) != 4 || parts[0] != "dataCollectionRules" || parts[2] != "streams" || parts[1] == "" || parts[3] == "" {
		return http.StatusNotFound, "NotFound", "no such resource: " + r.URL.Path, nil
	}
	req.RuleID, req.Stream = parts[1], parts[3]
	if r.Method != http.MethodPost {
		return http.StatusMethodNotAllowed, "MethodNotAllowed", "only POST is supported", nil
	}
	if v := r.URL.Query().Get("api-version"); v != APIVersion {
		return http.StatusBadRequest, "InvalidApiVersion", fmt.Sprintf("api-version %q is not supported; use %s", v, APIVersion), nil
	}
	auth, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || strings.TrimSpace(auth) == "" {
		return http.StatusUnauthorized, "InvalidAuthenticationToken", "a bearer token is required", nil
	}
	if token != "" && auth != token {
		return http.StatusUnauthorized, "InvalidAuthenticationToken", "the bearer token is not valid", nil
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return http.StatusUnsupportedMediaType, "UnsupportedMediaType", fmt.Sprintf("content type %q: want application/json", ct), nil
	}
	wire, err := io.ReadAll(io.LimitReader(r.Body, int64(maxBody)+1))
	if err != nil {
		return http.StatusBadRequest, "InvalidPayload", "read body: " + err.Error(), nil
	}
	req.WireBytes = len(wire)
	if len(wire) > maxBody {
		return http.StatusRequestEntityTooLarge, "ContentLengthLimitExceeded",
			fmt.Sprintf("the request body is over the %d-byte limit", maxBody), nil
	}
	body := wire
	switch enc := r.Header.Get("Content-Encoding"); enc {
	case "":
	case "gzip":
		req.Gzip = true
		zr, err := gzip.NewReader(bytes.NewReader(wire))
		if err != nil {
			return http.StatusBadRequest, "InvalidContentEncoding", "gzip: " + err.Error(), nil
		}
		body, err = io.ReadAll(io.LimitReader(zr, int64(maxBody)+1))
		if err != nil {
			return http.StatusBadRequest, "InvalidContentEncoding", "gzip: " + err.Error(), nil
		}
		if len(body) > maxBody {
			return http.StatusRequestEntityTooLarge, "ContentLengthLimitExceeded",
				fmt.Sprintf("the decompressed body is over the %d-byte limit", maxBody), nil
		}
	default:
		return http.StatusUnsupportedMediaType, "UnsupportedContentEncoding", fmt.Sprintf("content encoding %q: want gzip or none", enc), nil
	}
	req.Bytes = len(body)
	if t := bytes.TrimSpace(body); len(t) == 0 || t[0] != '[' {
		return http.StatusBadRequest, "InvalidPayload", "the body must be a JSON array", nil
	}
	if err := json.Unmarshal(body, &rows); err != nil {
		return http.StatusBadRequest, "InvalidPayload", "the body must be a JSON array: " + err.Error(), nil
	}
	var cols map[string]bool
	if declared != nil {
		streams, ok := declared[req.RuleID]
		if !ok {
			return http.StatusNotFound, "NotFound", "data collection rule " + req.RuleID + " not found", nil
		}
		if cols, ok = streams[req.Stream]; !ok {
			return http.StatusNotFound, "NotFound", "stream " + req.Stream + " is not declared in the data collection rule", nil
		}
	}
	for i, raw := range rows {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
			return http.StatusBadRequest, "InvalidPayload", fmt.Sprintf("item %d is not a JSON object", i), nil
		}
		for k := range obj {
			if cols != nil && !cols[k] {
				return http.StatusBadRequest, "InvalidPayload",
					fmt.Sprintf("item %d: column %q is not declared in stream %s", i, k, req.Stream), nil
			}
		}
	}
	return http.StatusNoContent, "", "", rows
}

func defaultCode(status int) string {
	switch status {
	case http.StatusTooManyRequests:
		return "TooManyRequests"
	case http.StatusForbidden:
		return "OperationFailed"
	case http.StatusServiceUnavailable:
		return "ServiceUnavailable"
	}
	return strings.ReplaceAll(http.StatusText(status), " ", "")
}
