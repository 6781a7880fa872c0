package loganalyticstest

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

const path = "/dataCollectionRules/dcr-1/streams/Custom-T?api-version=" + APIVersion

func gz(s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	_, _ = w.Write([]byte(s))
	_ = w.Close()
	return b.Bytes()
}

func TestServerChecksCallsLikeTheService(t *testing.T) {
	big := "[" + `{"a":"` + strings.Repeat("x", DefaultMaxBodyBytes) + `"}]`
	cases := []struct {
		name, method, path, token, ctype, encoding string
		body                                       []byte
		status                                     int
		code                                       string
	}{
		{"plain", "POST", path, "tok", "application/json", "", []byte(`[{"a":1},{"a":2}]`), 204, ""},
		{"gzip", "POST", path, "tok", "application/json; charset=utf-8", "gzip", gz(`[{"a":1}]`), 204, ""},
		{"no token", "POST", path, "", "application/json", "", []byte(`[]`), 401, "InvalidAuthenticationToken"},
		{"wrong api version", "POST", strings.Replace(path, APIVersion, "2021-01-01", 1), "tok", "application/json", "", []byte(`[]`), 400, "InvalidApiVersion"},
		{"get", "GET", path, "tok", "application/json", "", nil, 405, "MethodNotAllowed"},
		{"bad path", "POST", "/dataCollectionRules/dcr-1?api-version=" + APIVersion, "tok", "application/json", "", []byte(`[]`), 404, "NotFound"},
		{"text body", "POST", path, "tok", "text/plain", "", []byte(`[]`), 415, "UnsupportedMediaType"},
		{"deflate", "POST", path, "tok", "application/json", "deflate", []byte(`[]`), 415, "UnsupportedContentEncoding"},
		{"broken gzip", "POST", path, "tok", "application/json", "gzip", []byte("not gzip"), 400, "InvalidContentEncoding"},
		{"object body", "POST", path, "tok", "application/json", "", []byte(`{"a":1}`), 400, "InvalidPayload"},
		{"null body", "POST", path, "tok", "application/json", "", []byte(`null`), 400, "InvalidPayload"},
		{"array of numbers", "POST", path, "tok", "application/json", "", []byte(`[1]`), 400, "InvalidPayload"},
		{"too large", "POST", path, "tok", "application/json", "", []byte(big), 413, "ContentLengthLimitExceeded"},
		{"too large after gunzip", "POST", path, "tok", "application/json", "gzip", gz(big), 413, "ContentLengthLimitExceeded"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := NewServer()
			defer s.Close()
			req, err := http.NewRequest(tc.method, s.URL+tc.path, bytes.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if tc.token != "" {
				req.Header.Set("Authorization", "Bearer "+tc.token)
			}
			req.Header.Set("Content-Type", tc.ctype)
			if tc.encoding != "" {
				req.Header.Set("Content-Encoding", tc.encoding)
			}
			resp, err := s.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if resp.Header.Get("x-ms-request-id") == "" {
				t.Error("no x-ms-request-id")
			}
			var env struct {
				Error struct{ Code, Message string }
			}
			_ = json.NewDecoder(resp.Body).Decode(&env)
			if env.Error.Code != tc.code {
				t.Errorf("error code %q, want %q", env.Error.Code, tc.code)
			}
			if got := len(s.Received()); (tc.status == 204) != (got > 0) {
				t.Errorf("kept %d rows after a %d", got, tc.status)
			}
			if r := s.Requests(); len(r) != 1 || r[0].Status != tc.status {
				t.Errorf("requests = %+v", r)
			}
		})
	}
}

func TestServerDeclaredStreamsAndColumns(t *testing.T) {
	s := NewServer()
	defer s.Close()
	s.Declare("dcr-1", "Custom-T", "TimeGenerated", "A")
	post := func(p, body string) int {
		req, _ := http.NewRequest("POST", s.URL+p, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer tok")
		req.Header.Set("Content-Type", "application/json")
		resp, err := s.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := post(path, `[{"TimeGenerated":"2026-01-01T00:00:00Z","A":1}]`); got != 204 {
		t.Errorf("declared columns: %d, want 204", got)
	}
	if got := post(path, `[{"A":1,"B":2}]`); got != 400 {
		t.Errorf("undeclared column: %d, want 400", got)
	}
	if got := post(strings.Replace(path, "Custom-T", "Custom-U", 1), `[]`); got != 404 {
		t.Errorf("undeclared stream: %d, want 404", got)
	}
	if got := post(strings.Replace(path, "dcr-1", "dcr-2", 1), `[]`); got != 404 {
		t.Errorf("unknown rule: %d, want 404", got)
	}
}

func TestServerRequireTokenAndCannedFailures(t *testing.T) {
	s := NewServer()
	defer s.Close()
	s.RequireToken("right")
	s.Fail(Response{Status: 429, RetryAfter: "3"})
	do := func(tok string) *http.Response {
		req, _ := http.NewRequest("POST", s.URL+path, strings.NewReader(`[{"a":1}]`))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := s.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if r := do("wrong"); r.StatusCode != 401 {
		t.Errorf("wrong token: %d, want 401 (and the canned 429 kept for a valid call)", r.StatusCode)
	}
	if r := do("right"); r.StatusCode != 429 || r.Header.Get("Retry-After") != "3" {
		t.Errorf("canned: %d Retry-After %q, want 429 and 3", r.StatusCode, r.Header.Get("Retry-After"))
	}
	if r := do("right"); r.StatusCode != 204 || len(s.Received()) != 1 {
		t.Errorf("after the canned answer: %d with %d rows, want 204 and 1", r.StatusCode, len(s.Received()))
	}
}
