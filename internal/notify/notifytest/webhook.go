// Package notifytest holds receivers for testing notifications: an HTTPS
// webhook server that records what it is sent and fails on demand, and a
// minimal SMTP server (plain, STARTTLS or implicit TLS) that records
// envelopes and messages. Both run on the loopback interface only.
package notifytest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// Request is one request a WebhookServer received.
type Request struct {
	Method string
	Path   string // path and query, as sent
	Header http.Header
	Body   []byte
	// Status is what the server answered.
	Status int
}

// WebhookServer is an HTTPS server that records every request. By default
// it answers 200; it can be told to fail the next requests.
type WebhookServer struct {
	srv *httptest.Server

	mu       sync.Mutex
	requests []Request
	status   int
	script   []reply
}

type reply struct {
	status     int
	retryAfter string
	body       string
}

// NewWebhookServer starts a TLS webhook receiver, closed when the test
// ends. Use Client for an *http.Client that trusts it.
func NewWebhookServer(t testing.TB) *WebhookServer {
	t.Helper()
	s := &WebhookServer{status: http.StatusOK}
	s.srv = httptest.NewTLSServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the server's base URL (https://127.0.0.1:port); append any path,
// such as a fake token, to make a webhook URL.
func (s *WebhookServer) URL() string { return s.srv.URL }

// Client is an HTTP client that trusts the server's certificate.
func (s *WebhookServer) Client() *http.Client { return s.srv.Client() }

// SetStatus sets the answer to requests not covered by a Fail or Throttle
// instruction (Teams' Workflows answer 202).
func (s *WebhookServer) SetStatus(code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status = code
}

// FailNext makes the next n requests answer status with body.
func (s *WebhookServer) FailNext(n, status int, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.script = append(s.script, reply{status: status, body: body})
	}
}

// ThrottleNext makes the next n requests answer 429 with the Retry-After
// header (empty: none).
func (s *WebhookServer) ThrottleNext(n int, retryAfter string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.script = append(s.script, reply{status: http.StatusTooManyRequests, retryAfter: retryAfter, body: "throttled"})
	}
}

// Requests returns a copy of every request received, in order.
func (s *WebhookServer) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Delivered returns the requests that were answered 2xx.
func (s *WebhookServer) Delivered() []Request {
	var out []Request
	for _, r := range s.Requests() {
		if r.Status >= 200 && r.Status < 300 {
			out = append(out, r)
		}
	}
	return out
}

// Reset forgets the requests received so far.
func (s *WebhookServer) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

func (s *WebhookServer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	s.mu.Lock()
	rp := reply{status: s.status}
	if len(s.script) > 0 {
		rp, s.script = s.script[0], s.script[1:]
	}
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.RequestURI(), Header: r.Header.Clone(),
		Body: body, Status: rp.status})
	s.mu.Unlock()
	if rp.retryAfter != "" {
		w.Header().Set("Retry-After", rp.retryAfter)
	}
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(rp.status)
	if rp.body == "" && rp.status == http.StatusOK {
		rp.body = "1"
	}
	_, _ = io.WriteString(w, rp.body)
}
