package emulator

import (
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// rawGet sends one request on a fresh connection (so the transport cannot
// retry it on another) and returns the response and the body read error.
func rawGet(t *testing.T, e *testEnv, tok, path string) (*http.Response, []byte, error) {
	t.Helper()
	hc := e.srv.Client()
	defer hc.CloseIdleConnections()
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL()+path, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := hc.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

func TestScriptedFaultsAreObservable(t *testing.T) {
	e := newEnv(t, Faults{})
	tok := e.token(t, readerID)
	tests := []struct {
		name       string
		fault      ScriptedFault
		status     int
		code       string
		retryAfter string
		check      func(t *testing.T, resp *http.Response, body []byte, err error)
	}{
		{name: "throttle with integer Retry-After", fault: ScriptedFault{Kind: FaultThrottle, RetryAfter: "2"}, status: 429, code: "TooManyRequests", retryAfter: "2"},
		{name: "throttle with fractional Retry-After", fault: ScriptedFault{Kind: FaultThrottle, RetryAfter: "0.25"}, status: 429, code: "TooManyRequests", retryAfter: "0.25"},
		{name: "throttle without Retry-After", fault: ScriptedFault{Kind: FaultThrottle}, status: 429, code: "TooManyRequests"},
		{name: "service unavailable", fault: ScriptedFault{Kind: FaultUnavailable, RetryAfter: "1"}, status: 503, code: "serviceNotAvailable", retryAfter: "1"},
		{name: "gateway timeout", fault: ScriptedFault{Kind: FaultGatewayTimeout}, status: 504, code: "gatewayTimeout"},
		{name: "connection reset", fault: ScriptedFault{Kind: FaultReset}, check: func(t *testing.T, resp *http.Response, _ []byte, err error) {
			if err == nil {
				t.Fatalf("got a response (status %d), want a reset connection", resp.StatusCode)
			}
		}},
		{name: "truncated body", fault: ScriptedFault{Kind: FaultTruncate}, check: func(t *testing.T, resp *http.Response, body []byte, err error) {
			if resp == nil || resp.StatusCode != 200 {
				t.Fatalf("want a 200 whose body is cut short, got %v %v", resp, err)
			}
			if !errors.Is(err, io.ErrUnexpectedEOF) || int64(len(body)) >= resp.ContentLength {
				t.Fatalf("read %d of %d bytes, err %v: want io.ErrUnexpectedEOF", len(body), resp.ContentLength, err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fault.Path = "/v1.0/applications"
			if err := e.srv.SetFaults(Faults{Script: []ScriptedFault{tt.fault}}); err != nil {
				t.Fatal(err)
			}
			// Other paths are untouched by the script.
			if resp, _, err := rawGet(t, e, tok, "/v1.0/servicePrincipals"); err != nil || resp.StatusCode != 200 {
				t.Fatalf("unscripted path: %v %v", resp, err)
			}
			resp, body, err := rawGet(t, e, tok, "/v1.0/applications")
			if tt.check != nil {
				tt.check(t, resp, body, err)
			} else {
				if err != nil || resp.StatusCode != tt.status {
					t.Fatalf("status %v err %v, want %d", resp, err, tt.status)
				}
				if got := resp.Header.Get("Retry-After"); got != tt.retryAfter || (tt.retryAfter == "" && resp.Header.Values("Retry-After") != nil) {
					t.Errorf("Retry-After %q, want %q", got, tt.retryAfter)
				}
				if !strings.Contains(string(body), `"code":"`+tt.code+`"`) || resp.Header.Get("request-id") == "" {
					t.Errorf("body %s: want code %s and a request-id", body, tt.code)
				}
			}
			// Count 1: the next request is normal again.
			if resp, _, err := rawGet(t, e, tok, "/v1.0/applications"); err != nil || resp.StatusCode != 200 {
				t.Fatalf("after the scripted fault: %v %v", resp, err)
			}
		})
	}
	f := e.srv.Stats().Faults
	if f.Throttle != 3 || f.Unavailable != 1 || f.GatewayTimeout != 1 || f.Reset != 1 || f.Truncate != 1 {
		t.Errorf("fault stats %+v", f)
	}
}

func TestLatencyIsInjected(t *testing.T) {
	const latency = 30 * time.Millisecond
	e := newEnv(t, Faults{Latency: latency, Jitter: 5 * time.Millisecond,
		Script: []ScriptedFault{{Path: "/v1.0/servicePrincipals", Kind: FaultDelay, Delay: latency}}})
	tok := e.token(t, readerID)
	start := time.Now()
	g := e.get(t, tok, "/v1.0/servicePrincipals")
	if elapsed := time.Since(start); g.status != 200 || elapsed < 2*latency {
		t.Errorf("status %d after %v: want 200 after at least %v", g.status, elapsed, 2*latency)
	}
	if st := e.srv.Stats(); st.Faults.Latency != 1 || st.TokenRequests != 1 {
		t.Errorf("stats %+v: want one delayed Graph request, token endpoint not delayed", st.Faults)
	}
}

func TestRandomFaultsRepeatWithSeed(t *testing.T) {
	faults := Faults{Seed: 42, ThrottleRate: 0.3, UnavailableRate: 0.1, GatewayTimeoutRate: 0.1, RetryAfter: "1"}
	e := newEnv(t, faults)
	tok := e.token(t, readerID)
	run := func() []int {
		var got []int
		for range 30 {
			got = append(got, e.get(t, tok, "/v1.0/applications?$select=id").status)
		}
		return got
	}
	first := run()
	if err := e.srv.SetFaults(faults); err != nil {
		t.Fatal(err)
	}
	if second := run(); !slices.Equal(first, second) {
		t.Errorf("same seed, different faults:\n%v\n%v", first, second)
	}
	counts := map[int]int{}
	for _, s := range first {
		counts[s]++
	}
	if counts[200] == 0 || counts[429] == 0 || counts[200]+counts[429]+counts[503]+counts[504] != 30 {
		t.Errorf("statuses %v: want a mix of 200 and injected faults only", counts)
	}
	// The token endpoint is not faulted unless asked.
	if st := e.srv.Stats(); st.TokenFailures != 0 {
		t.Errorf("token failures %d", st.TokenFailures)
	}
	if err := e.srv.SetFaults(Faults{ThrottleRate: 1, IncludeToken: true}); err != nil {
		t.Fatal(err)
	}
	if status, body := e.postToken(t, secretForm(readerID, certSecret, graphScope), nil); status != 429 || body["error"] != "temporarily_unavailable" {
		t.Errorf("token endpoint with IncludeToken: status %d body %v", status, body)
	}
}

func TestInvalidFaultsAreRefused(t *testing.T) {
	e := newEnv(t, Faults{})
	for name, f := range map[string]Faults{
		"rate above 1":    {ThrottleRate: 1.5},
		"rates sum":       {ThrottleRate: 0.6, ResetRate: 0.6},
		"bad retry-after": {ThrottleRate: 0.1, RetryAfter: "soon"},
		"unknown kind":    {Script: []ScriptedFault{{Kind: "explode"}}},
		"bad pattern":     {Script: []ScriptedFault{{Path: "/v1.0/[", Kind: FaultReset}}},
	} {
		if err := e.srv.SetFaults(f); err == nil {
			t.Errorf("%s: SetFaults accepted %+v", name, f)
		}
	}
	if _, err := Start(Options{Directory: testDirectory(), Faults: Faults{TruncateRate: -1}}); err == nil {
		t.Error("Start accepted a negative rate")
	}
}

func TestTokenEndpointFaultsOnlyWhenAsked(t *testing.T) {
	e := newEnv(t, Faults{Script: []ScriptedFault{{Path: "/*/oauth2/v2.0/token", Kind: FaultTruncate}}})
	post := func() error {
		hc := e.srv.Client()
		defer hc.CloseIdleConnections()
		resp, err := hc.PostForm(e.tokenURL(), secretForm(readerID, certSecret, graphScope))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		_, err = io.ReadAll(resp.Body)
		return err
	}
	if err := post(); err != nil {
		t.Fatalf("token endpoint faulted without IncludeToken: %v", err)
	}
	if err := e.srv.SetFaults(Faults{IncludeToken: true, Script: []ScriptedFault{{Path: "/*/oauth2/v2.0/token", Kind: FaultTruncate}}}); err != nil {
		t.Fatal(err)
	}
	if err := post(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("truncated token response: err %v, want io.ErrUnexpectedEOF", err)
	}
	if err := post(); err != nil {
		t.Fatalf("after the scripted fault: %v", err)
	}
}
