package graph

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestRetryAfterIsHonoured(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		status     int
		retryAfter string
		want       time.Duration
	}{
		{"fractional seconds", http.StatusTooManyRequests, "2.128", 2128 * time.Millisecond},
		{"whole seconds", http.StatusTooManyRequests, "3", 3 * time.Second},
		{"zero", http.StatusTooManyRequests, "0", 0},
		{"http date", http.StatusServiceUnavailable, now.Add(7 * time.Second).Format(http.TimeFormat), 7 * time.Second},
		{"date in the past", http.StatusTooManyRequests, now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"capped", http.StatusTooManyRequests, "86400", 5 * time.Minute},
		// No usable header: first backoff step, 1s base with jitter 0.5.
		{"absent", http.StatusTooManyRequests, "", 750 * time.Millisecond},
		{"garbage", http.StatusTooManyRequests, "soon", 750 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hits atomic.Int32
			f := newFixture(t, func(w http.ResponseWriter, r *http.Request) {
				if hits.Add(1) == 1 {
					if tt.retryAfter != "" {
						w.Header().Set("Retry-After", tt.retryAfter)
					}
					graphError(w, tt.status, "TooManyRequests", "req-1")
					return
				}
				writeJSON(w, http.StatusOK, map[string]any{"value": []item{{ID: "a"}}})
			}, func(o *Options) { o.Now = func() time.Time { return now } })

			got, err := ListAll[item](context.Background(), f.c, "/applications")
			if err != nil || len(got) != 1 {
				t.Fatalf("ListAll = %v, %v", got, err)
			}
			if w := f.waits(); len(w) != 1 || w[0] != tt.want {
				t.Errorf("waits = %v, want [%v]", w, tt.want)
			}
			s := f.c.Stats()
			wantThrottled := int64(0)
			if tt.status == http.StatusTooManyRequests {
				wantThrottled = 1
			}
			if s.Requests != 2 || s.Retries != 1 || s.Throttled != wantThrottled {
				t.Errorf("stats = %+v, want 2 requests, 1 retry, %d throttled", s, wantThrottled)
			}
		})
	}
}

func TestBackoffGrowsExponentiallyWithJitterAndCap(t *testing.T) {
	f := newFixture(t, func(w http.ResponseWriter, r *http.Request) {}, func(o *Options) {
		o.BaseDelay, o.MaxDelay = 100*time.Millisecond, time.Second
		o.Jitter = func() float64 { return 0 }
	})
	want := []time.Duration{50, 100, 200, 400, 500, 500}
	for i, w := range want {
		if got := f.c.backoff(i + 1); got != w*time.Millisecond {
			t.Errorf("backoff(%d) = %v, want %v", i+1, got, w*time.Millisecond)
		}
	}
	f.c.opt.Jitter = func() float64 { return 0.999 }
	if got := f.c.backoff(1); got < 99*time.Millisecond || got > 100*time.Millisecond {
		t.Errorf("backoff(1) with full jitter = %v, want just under 100ms", got)
	}
}

func TestTransientFailuresAreRetried(t *testing.T) {
	tests := []struct {
		name string
		fail func(t *testing.T, w http.ResponseWriter)
	}{
		{"503", func(t *testing.T, w http.ResponseWriter) { graphError(w, 503, "serviceUnavailable", "r") }},
		{"504", func(t *testing.T, w http.ResponseWriter) { graphError(w, 504, "gatewayTimeout", "r") }},
		{"500", func(t *testing.T, w http.ResponseWriter) { graphError(w, 500, "UnknownError", "r") }},
		{"502 with html body", func(t *testing.T, w http.ResponseWriter) {
			w.WriteHeader(502)
			fmt.Fprint(w, "<html>bad gateway</html>")
		}},
		{"connection reset", resetConnection},
		{"body cut short", func(t *testing.T, w http.ResponseWriter) { cutBody(w) }},
		{"truncated json", func(t *testing.T, w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"value":[{"id":"a"},{"id":`)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hits atomic.Int32
			f := newFixture(t, func(w http.ResponseWriter, r *http.Request) {
				if hits.Add(1) <= 2 {
					tt.fail(t, w)
					return
				}
				writeJSON(w, http.StatusOK, map[string]any{"value": []item{{ID: "a"}, {ID: "b"}}})
			}, nil)
			got, err := ListAll[item](context.Background(), f.c, "/applications")
			if err != nil {
				t.Fatalf("ListAll: %v", err)
			}
			if len(got) != 2 {
				t.Errorf("got %d items, want 2 (no partial page kept)", len(got))
			}
			if s := f.c.Stats(); s.Retries != 2 {
				t.Errorf("retries = %d, want 2", s.Retries)
			}
			if w := f.waits(); len(w) != 2 || w[0] != 750*time.Millisecond || w[1] != 1500*time.Millisecond {
				t.Errorf("waits = %v, want [750ms 1.5s]", w)
			}
		})
	}
}

func TestGivingUpReturnsTypedErrorWithRequestID(t *testing.T) {
	t.Run("max attempts", func(t *testing.T) {
		var hits atomic.Int32
		f := newFixture(t, func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			graphError(w, http.StatusServiceUnavailable, "serviceUnavailable", "req-503")
		}, func(o *Options) { o.MaxAttempts = 3 })
		_, err := ListAll[item](context.Background(), f.c, "/applications?$skiptoken=abc")
		var ge *Error
		if !errors.As(err, &ge) {
			t.Fatalf("err = %v, want *Error", err)
		}
		if ge.StatusCode != 503 || ge.Attempts != 3 || !errors.Is(err, ErrMaxAttempts) || hits.Load() != 3 {
			t.Errorf("got %+v after %d requests, want 503 given up after 3 attempts", ge, hits.Load())
		}
		if !strings.Contains(err.Error(), "req-503") || !strings.Contains(err.Error(), ge.ClientRequestID) {
			t.Errorf("error %q lacks the request ids", err)
		}
		if strings.Contains(err.Error(), "skiptoken") {
			t.Errorf("error %q carries the query", err)
		}
	})
	t.Run("retry budget shared across requests", func(t *testing.T) {
		var hits atomic.Int32
		f := newFixture(t, func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			w.Header().Set("Retry-After", "1")
			graphError(w, http.StatusTooManyRequests, "TooManyRequests", "req-429")
		}, func(o *Options) { o.MaxAttempts, o.RetryBudget = 10, 2 })
		_, err1 := ListAll[item](context.Background(), f.c, "/applications")
		_, err2 := ListAll[item](context.Background(), f.c, "/servicePrincipals")
		for _, err := range []error{err1, err2} {
			if !errors.Is(err, ErrRetryBudgetExceeded) || !IsThrottled(err) {
				t.Errorf("err = %v, want a throttled error given up on the budget", err)
			}
		}
		// 3 tries for the first (2 retries spend the budget), 1 for the second.
		if hits.Load() != 4 {
			t.Errorf("server hit %d times, want 4", hits.Load())
		}
	})
}

func TestClientErrorsAreNotRetried(t *testing.T) {
	tests := []struct {
		status int
		code   string
		is     func(error) bool
	}{
		{http.StatusUnauthorized, "InvalidAuthenticationToken", IsAuth},
		{http.StatusForbidden, "Authorization_RequestDenied", IsAuth},
		{http.StatusNotFound, "Request_ResourceNotFound", IsNotFound},
		{http.StatusBadRequest, "Request_UnsupportedQuery", func(err error) bool { return !IsAuth(err) && !IsThrottled(err) }},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			var hits atomic.Int32
			f := newFixture(t, func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				graphError(w, tt.status, tt.code, "req-x")
			}, nil)
			_, err := Get[item](context.Background(), f.c, "/applications/1")
			var ge *Error
			if !errors.As(err, &ge) || ge.StatusCode != tt.status || ge.Code != tt.code || ge.RequestID != "req-x" || !tt.is(err) {
				t.Fatalf("err = %#v, want *Error %d %s with request-id", err, tt.status, tt.code)
			}
			if hits.Load() != 1 || len(f.waits()) != 0 {
				t.Errorf("%d requests and waits %v, want exactly one request", hits.Load(), f.waits())
			}
		})
	}
}

func TestCancellationStopsRetryWait(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan struct{}, 1)
	f := newFixture(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600")
		graphError(w, http.StatusTooManyRequests, "TooManyRequests", "r")
		served <- struct{}{}
	}, func(o *Options) { o.Sleep = nil }) // the real timer: only the context can end an hour's wait
	go func() {
		<-served
		cancel()
	}()
	_, err := ListAll[item](ctx, f.c, "/applications")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestLogsAndErrorsCarryNoToken(t *testing.T) {
	var hits atomic.Int32
	f := newFixture(t, func(w http.ResponseWriter, r *http.Request) {
		switch hits.Add(1) {
		case 1:
			graphError(w, http.StatusTooManyRequests, "TooManyRequests", "req-a")
		default:
			graphError(w, http.StatusForbidden, "Authorization_RequestDenied", "req-b")
		}
	}, nil)
	_, err := ListAll[item](context.Background(), f.c, "/applications?$skiptoken=opaque-cursor-value")
	if err == nil {
		t.Fatal("want an error")
	}
	logs := f.logs.String()
	for _, want := range []string{"method=GET", "path=", "status=429", "request_id=req-a", "duration="} {
		if !strings.Contains(logs, want) {
			t.Errorf("debug log lacks %q:\n%s", want, logs)
		}
	}
	for _, secret := range []string{testToken, "opaque-cursor-value", "Bearer"} {
		if strings.Contains(logs, secret) || strings.Contains(err.Error(), secret) {
			t.Errorf("%q leaked into logs or error", secret)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"2.128", 2128 * time.Millisecond, true},
		{" 10 ", 10 * time.Second, true},
		{"0.0005", time.Millisecond, true},
		{"-1", 0, false},
		{"NaN", 0, false},
		{"Inf", 0, false},
		{"Sun, 01 Mar 2026 12:00:30 GMT", 30 * time.Second, true},
		{"", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
