package loganalytics

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/emulator/logsingestion"
)

func TestUploadSplitsTwentyThousandRowsIntoOrderedBatchesUnderTheLimit(t *testing.T) {
	for _, compress := range []bool{true, false} {
		name := map[bool]string{true: "gzip", false: "plain"}[compress]
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, func(o *Options) { o.DisableCompression = !compress })
			const n = 20_000
			rows := seqRows(n, 400)
			res, err := f.c.Upload(context.Background(), rows)
			if err != nil {
				t.Fatalf("Upload: %v", err)
			}
			reqs := f.peer.Requests()
			if res.Batches != len(reqs) || res.Rows != n || res.FailedBatches != 0 || res.FailedRows != 0 {
				t.Errorf("result = %+v, want %d batches of %d rows, no failures", res, len(reqs), n)
			}
			if len(reqs) < 2 {
				t.Fatalf("%d requests: the rows were not split", len(reqs))
			}
			rowSize := len(`{"TimeGenerated":"2026-11-20T08:30:00Z","Seq":19999,"Payload":""}`) + 400
			for i, r := range reqs {
				if r.Status != http.StatusNoContent || r.Gzip != compress {
					t.Errorf("request %d: status %d gzip %v", i, r.Status, r.Gzip)
				}
				if r.Bytes > DefaultMaxBatchBytes {
					t.Errorf("request %d: %d bytes, over %d", i, r.Bytes, DefaultMaxBatchBytes)
				}
				// Greedy packing: every batch but the last is nearly full.
				if i < len(reqs)-1 && r.Bytes < DefaultMaxBatchBytes-rowSize-1 {
					t.Errorf("request %d: only %d bytes; batches are not packed", i, r.Bytes)
				}
			}
			got := f.received()
			if len(got) != n {
				t.Fatalf("server received %d rows, want %d", len(got), n)
			}
			for i, row := range got {
				if seq := row["Seq"].(json.Number).String(); seq != strconv.Itoa(i) {
					t.Fatalf("row %d has Seq %s: order not kept across batches", i, seq)
				}
			}
		})
	}
}

func TestUploadSendsTheTokenForTheMonitorScope(t *testing.T) {
	f := newFixture(t, nil)
	if _, err := f.c.Upload(context.Background(), seqRows(3, 10)); err != nil {
		t.Fatalf("Upload: %v", err)
	}
	// The peer checks the token's signature, tenant and audience, so
	// acceptance proves the right one was sent.
	reqs := f.peer.Requests()
	if len(reqs) != 1 || reqs[0].RuleID != testRule || reqs[0].Stream != testStream || reqs[0].Rows != 3 || reqs[0].Principal != publisherID {
		t.Fatalf("requests = %+v, want one of 3 rows to %s/%s as %s", reqs, testRule, testStream, publisherID)
	}
	if reqs[0].ClientRequestID == "" {
		t.Error("no x-ms-client-request-id sent")
	}
	f.cred.mu.Lock()
	defer f.cred.mu.Unlock()
	if len(f.cred.scopes) == 0 {
		t.Fatal("no token was asked for")
	}
	for _, s := range f.cred.scopes {
		if !slices.Equal(s, []string{DefaultScope}) || DefaultScope != "https://monitor.azure.com//.default" {
			t.Errorf("token scopes = %v, want [https://monitor.azure.com//.default]", s)
		}
	}
}

func TestTokenForAnotherAudienceIsRefusedAndNotRetried(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.Scope = "https://graph.microsoft.com/.default" })
	_, err := f.c.Upload(context.Background(), seqRows(3, 10))
	var e *Error
	if !errors.As(err, &e) || e.StatusCode != http.StatusUnauthorized || e.Code != "InvalidAudience" || e.Attempts != 1 {
		t.Fatalf("error = %v, want a 401 InvalidAudience after one attempt", err)
	}
	if !strings.Contains(err.Error(), "token scope") || len(f.received()) != 0 {
		t.Errorf("error %q should point at the token scope; %d rows kept", err, len(f.received()))
	}
}

func TestUploadOfNoRowsSendsNothing(t *testing.T) {
	f := newFixture(t, nil)
	res, err := f.c.Upload(context.Background(), nil)
	if err != nil || res != (Result{}) || len(f.peer.Requests()) != 0 {
		t.Errorf("Upload(nil) = %+v, %v with %d requests; want nothing", res, err, len(f.peer.Requests()))
	}
}

func TestUploadRetriesThrottlingAfterRetryAfter(t *testing.T) {
	f := newFixture(t, nil)
	f.peer.FailNext(logsingestion.Fault{Status: http.StatusTooManyRequests, RetryAfter: "7"})
	f.peer.FailNext(logsingestion.Fault{Status: http.StatusServiceUnavailable})
	res, err := f.c.Upload(context.Background(), seqRows(10, 10))
	if err != nil {
		t.Fatalf("Upload: %v", err)
	}
	if want := []time.Duration{7 * time.Second, 2 * time.Second}; !slices.Equal(f.waits(), want) {
		t.Errorf("waits = %v, want %v (Retry-After, then backoff)", f.waits(), want)
	}
	if res.Retries != 2 || res.Batches != 1 || res.Rows != 10 {
		t.Errorf("result = %+v, want 1 batch of 10 rows after 2 retries", res)
	}
	if got := len(f.received()); got != 10 {
		t.Errorf("server kept %d rows, want 10 (refused attempts keep none)", got)
	}
}

func TestRetriesOfAFailingBatchAreBounded(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.MaxAttempts = 4 })
	f.peer.FailNext(logsingestion.Fault{Status: http.StatusInternalServerError, Count: 4})
	res, err := f.c.Upload(context.Background(), seqRows(5, 10))
	var e *Error
	if !errors.As(err, &e) || !e.GaveUp || e.Attempts != 4 || e.StatusCode != http.StatusInternalServerError {
		t.Fatalf("error = %v, want a 500 given up after 4 attempts", err)
	}
	if want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}; !slices.Equal(f.waits(), want) {
		t.Errorf("waits = %v, want %v", f.waits(), want)
	}
	if res.FailedBatches != 1 || res.FailedRows != 5 || res.Batches != 0 {
		t.Errorf("result = %+v, want the one batch failed", res)
	}
}

func TestForbiddenIsNotRetriedAndSaysWhichRoleIsMissing(t *testing.T) {
	f := newFixtureWith(t, setup{clientID: outsiderID}, nil)
	_, err := f.c.Upload(context.Background(), seqRows(5, 10))
	var e *Error
	if !errors.As(err, &e) || e.StatusCode != http.StatusForbidden || e.Attempts != 1 || e.GaveUp {
		t.Fatalf("error = %v, want a 403 after one attempt", err)
	}
	for _, want := range []string{"403", "OperationFailed", "does not have access to ingest data", "Monitoring Metrics Publisher"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if !regexp.MustCompile(`request-id: [0-9a-f-]{36}, client-request-id: [0-9a-f-]{36}`).MatchString(err.Error()) {
		t.Errorf("error %q lacks the request ids support asks for", err)
	}
	if len(f.peer.Requests()) != 1 || len(f.waits()) != 0 {
		t.Errorf("%d requests and waits %v; a 403 must not be retried", len(f.peer.Requests()), f.waits())
	}
}

func TestUploadStopsAtTheFirstFailedBatch(t *testing.T) {
	f := newFixture(t, nil)
	rows := seqRows(6000, 400) // about three batches
	// A row the stream does not declare, in the second batch: the peer
	// refuses that batch as the service would a malformed one.
	rows[3000] = map[string]any{"TimeGenerated": "2026-11-20T08:30:00Z", "Seq": 3000, "Undeclared": "x"}
	res, err := f.c.Upload(context.Background(), rows)
	if err == nil || !strings.Contains(err.Error(), "400") || !strings.Contains(err.Error(), "stream declaration") {
		t.Fatalf("error = %v, want a 400 explaining the stream declaration", err)
	}
	reqs := f.peer.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2 (stop after the failed one)", len(reqs))
	}
	if res.Batches != 1 || res.Rows != reqs[0].Rows || res.FailedBatches < 2 || res.Rows+res.FailedRows != len(rows) {
		t.Errorf("result = %+v, want 1 batch sent and every other row counted as failed", res)
	}
	if got := len(f.received()); got != res.Rows {
		t.Errorf("peer kept %d rows, want the first batch's %d", got, res.Rows)
	}
}

func TestPayloadTooLargeIsRefusedLikeTheServiceAndNotRetried(t *testing.T) {
	for _, compress := range []bool{false, true} {
		t.Run(map[bool]string{true: "gzip", false: "plain"}[compress], func(t *testing.T) {
			f := newFixture(t, func(o *Options) {
				o.MaxBatchBytes = 3_000_000 // misconfigured above the service limit
				o.DisableCompression = !compress
			})
			_, err := f.c.Upload(context.Background(), seqRows(4000, 400))
			var e *Error
			if !errors.As(err, &e) || e.StatusCode != http.StatusRequestEntityTooLarge || e.Code != "ContentLengthLimitExceeded" || e.Attempts != 1 {
				t.Fatalf("error = %v, want a 413 ContentLengthLimitExceeded after one attempt", err)
			}
			if !strings.Contains(err.Error(), "1 MB") {
				t.Errorf("error %q does not explain the limit", err)
			}
			if reqs := f.peer.Requests(); len(reqs) != 1 || reqs[0].Gzip != compress {
				t.Errorf("requests = %+v", reqs)
			}
		})
	}
}

func TestThePeersRateLimitIsWaitedOut(t *testing.T) {
	f := newFixtureWith(t, setup{peer: func(o *logsingestion.Options) { o.RequestsPerMinute = 2 }}, nil)
	rows := seqRows(12000, 400) // six batches
	res, err := f.c.Upload(context.Background(), rows)
	if err != nil {
		t.Fatalf("Upload: %v", err)
	}
	// Two calls a minute: batches 3 and 5 meet a 429 and wait out its
	// Retry-After, the whole minute.
	if want := []time.Duration{time.Minute, time.Minute}; !slices.Equal(f.waits(), want) {
		t.Errorf("waits = %v, want %v", f.waits(), want)
	}
	if res.Retries != 2 || res.Rows != len(rows) || res.FailedRows != 0 {
		t.Errorf("result = %+v, want every row sent after 2 retries", res)
	}
	throttled := 0
	for _, r := range f.peer.Requests() {
		if r.Status == http.StatusTooManyRequests {
			throttled++
		}
	}
	if throttled != 2 || len(f.received()) != len(rows) {
		t.Errorf("%d throttled calls, %d rows kept; want 2 and %d", throttled, len(f.received()), len(rows))
	}
}

func TestInjectedServiceUnavailableIsRetriedAndRowsArriveOnce(t *testing.T) {
	f := newFixture(t, nil)
	f.peer.FailNext(logsingestion.Fault{Status: http.StatusServiceUnavailable, Count: 2})
	rows := seqRows(50, 10)
	res, err := f.c.Upload(context.Background(), rows)
	if err != nil || res.Retries != 2 || res.Rows != 50 {
		t.Fatalf("Upload = %+v, %v; want success after 2 retries", res, err)
	}
	if want := []time.Duration{time.Second, 2 * time.Second}; !slices.Equal(f.waits(), want) {
		t.Errorf("waits = %v, want backoff %v", f.waits(), want)
	}
	got := f.received()
	if len(got) != len(rows) {
		t.Fatalf("peer kept %d rows, want %d: refused attempts keep none", len(got), len(rows))
	}
	for i, row := range got {
		if row["Seq"].(json.Number).String() != strconv.Itoa(i) || row["Payload"] != "xxxxxxxxxx" || row["TimeGenerated"] != "2026-11-20T08:30:00Z" {
			t.Fatalf("row %d arrived as %v", i, row)
		}
	}
}

func TestOversizedRowIsAnErrorNamingItAndTheRestAreSent(t *testing.T) {
	f := newFixture(t, nil)
	big := map[string]any{"TimeGenerated": "2026-11-20T08:30:00Z", "FindingId": "f-big"}
	for i := range 20 {
		big["Field"+strconv.Itoa(i)] = strings.Repeat("y", 60_000) // 1.2 MB, each field under the field limit
	}
	rows := []any{seqRows(1, 1)[0], big, seqRows(1, 1)[0], func() {}}
	res, err := f.c.Upload(context.Background(), rows)
	var re *RowError
	if !errors.As(err, &re) || re.Index != 1 || re.ID != "FindingId f-big" || re.Size < 1_200_000 {
		t.Fatalf("error = %v, want a RowError for row 1 (FindingId f-big)", err)
	}
	for _, want := range []string{"row 1 (FindingId f-big)", "1000000-byte limit", "row 3", "not sent"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if got := len(f.received()); got != 2 || res.Rows != 2 || res.FailedRows != 2 {
		t.Errorf("received %d rows, result %+v; want the 2 good rows sent and 2 failed", got, res)
	}
}

func TestFieldsOverTheLimitAreTruncatedWithAMarker(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.Stream = FindingsStream })
	long := strings.Repeat("é", 50_000) // 100,000 bytes
	row := FindingRow{FindingID: "f1", Message: long, Evidence: map[string]string{"owners": long}, AppName: "short"}
	res, err := f.c.Upload(context.Background(), []any{row})
	if err != nil {
		t.Fatalf("Upload: %v", err)
	}
	got := f.received()[0]
	msg := got["Message"].(string)
	if len(msg) > MaxFieldBytes || !strings.HasSuffix(msg, TruncationMarker) || !strings.HasPrefix(msg, "éé") {
		t.Errorf("Message: %d bytes, marker %v; want at most %d bytes ending with the marker",
			len(msg), strings.HasSuffix(msg, TruncationMarker), MaxFieldBytes)
	}
	ev, ok := got["Evidence"].(string)
	if !ok || len(ev) > MaxFieldBytes || !strings.HasSuffix(ev, TruncationMarker) {
		t.Errorf("Evidence = %.40q…, want its JSON cut to a string with the marker", got["Evidence"])
	}
	if got["AppName"] != "short" || res.TruncatedFields != 2 {
		t.Errorf("AppName %v, truncated %d; want other fields untouched and 2 truncated", got["AppName"], res.TruncatedFields)
	}
}

func TestTransportErrorsAreRetried(t *testing.T) {
	var ft *failingTransport
	f := newFixture(t, func(o *Options) {
		ft = &failingTransport{n: 1, next: o.HTTPClient.Transport,
			err: &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}}
		o.HTTPClient = &http.Client{Transport: ft}
	})
	res, err := f.c.Upload(context.Background(), seqRows(3, 10))
	if err != nil || res.Retries != 1 || len(f.received()) != 3 {
		t.Errorf("Upload = %+v, %v; want success after one retry", res, err)
	}
}

func TestCancelledUploadStops(t *testing.T) {
	f := newFixture(t, nil)
	f.peer.FailNext(logsingestion.Fault{Status: http.StatusTooManyRequests, RetryAfter: "30"})
	ctx, cancel := context.WithCancel(context.Background())
	f.c.opt.Sleep = func(context.Context, time.Duration) error { cancel(); return context.Canceled }
	_, err := f.c.Upload(ctx, seqRows(3, 10))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
}

func TestNoTokenInLogsOrErrors(t *testing.T) {
	f := newFixture(t, nil)
	f.peer.FailNext(logsingestion.Fault{Status: http.StatusTooManyRequests, RetryAfter: "1"})
	f.peer.FailNext(logsingestion.Fault{Status: http.StatusForbidden, Code: "OperationFailed"})
	_, err := f.c.Upload(context.Background(), seqRows(3, 10))
	if err == nil {
		t.Fatal("Upload succeeded, want the 403")
	}
	logs := f.logs.String()
	if !strings.Contains(logs, "log ingestion request") || !strings.Contains(logs, "status=429") || !strings.Contains(logs, "status=403") {
		t.Fatalf("debug log lacks the requests:\n%s", logs)
	}
	tokens := f.cred.issued()
	if len(tokens) == 0 {
		t.Fatal("no token was issued")
	}
	for _, where := range []string{logs, err.Error()} {
		if strings.Contains(where, "Bearer") {
			t.Errorf("authorization leaked:\n%s", where)
		}
		for _, tok := range tokens {
			if strings.Contains(where, tok[len(tok)-40:]) {
				t.Errorf("token leaked:\n%s", where)
			}
		}
	}
}

func TestNewRefusesBadOptions(t *testing.T) {
	good := Options{Endpoint: "https://dce.westeurope-1.ingest.monitor.azure.com", RuleID: testRule, Stream: FindingsStream}
	cases := []struct {
		name  string
		tweak func(*Options)
		want  string
	}{
		{"http endpoint", func(o *Options) { o.Endpoint = "http://dce.example" }, "want https://host"},
		{"endpoint with query", func(o *Options) { o.Endpoint = "https://dce.example/?x=1" }, "want https://host"},
		{"no endpoint", func(o *Options) { o.Endpoint = "" }, "want https://host"},
		{"no rule", func(o *Options) { o.RuleID = "" }, "data collection rule id: required"},
		{"rule with slash", func(o *Options) { o.RuleID = "dcr-1/../x" }, "must not contain"},
		{"no stream", func(o *Options) { o.Stream = " " }, "stream: required"},
		{"stream with query", func(o *Options) { o.Stream = "Custom-X?y" }, "must not contain"},
		{"negative batch", func(o *Options) { o.MaxBatchBytes = -1 }, "must not be negative"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := good
			tc.tweak(&o)
			_, err := New(&staticCred{}, o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New error = %v, want one containing %q", err, tc.want)
			}
		})
	}
	if _, err := New(nil, good); err == nil {
		t.Error("New(nil credential) succeeded")
	}
	c, err := New(&staticCred{}, good)
	if err != nil {
		t.Fatal(err)
	}
	want := "https://dce.westeurope-1.ingest.monitor.azure.com/dataCollectionRules/" + testRule +
		"/streams/Custom-CredwatchFindings?api-version=2023-01-01"
	if c.url != want {
		t.Errorf("url = %s, want %s", c.url, want)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 20, 8, 30, 0, 0, time.UTC)
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"7", 7 * time.Second, true},
		{"2.5", 2500 * time.Millisecond, true},
		{"Fri, 20 Nov 2026 08:30:10 GMT", 10 * time.Second, true},
		{"Fri, 20 Nov 2026 08:29:00 GMT", 0, true},
		{"", 0, false},
		{"-1", 0, false},
		{"soon", 0, false},
	}
	for _, tc := range cases {
		got, ok := parseRetryAfter(tc.in, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
