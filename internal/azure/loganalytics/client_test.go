package loganalytics

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/azure/loganalytics/loganalyticstest"
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
			reqs := f.srv.Requests()
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
			got := f.srv.Received()
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
	// The fake refuses any other token, so acceptance proves it was sent.
	reqs := f.srv.Requests()
	if len(reqs) != 1 || reqs[0].RuleID != testRule || reqs[0].Stream != testStream || reqs[0].Rows != 3 {
		t.Fatalf("requests = %+v, want one of 3 rows to %s/%s", reqs, testRule, testStream)
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

func TestUploadOfNoRowsSendsNothing(t *testing.T) {
	f := newFixture(t, nil)
	res, err := f.c.Upload(context.Background(), nil)
	if err != nil || res != (Result{}) || len(f.srv.Requests()) != 0 {
		t.Errorf("Upload(nil) = %+v, %v with %d requests; want nothing", res, err, len(f.srv.Requests()))
	}
}

func TestUploadRetriesThrottlingAfterRetryAfter(t *testing.T) {
	f := newFixture(t, nil)
	f.srv.Fail(
		loganalyticstest.Response{Status: http.StatusTooManyRequests, RetryAfter: "7"},
		loganalyticstest.Response{Status: http.StatusServiceUnavailable},
	)
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
	if got := len(f.srv.Received()); got != 10 {
		t.Errorf("server kept %d rows, want 10 (refused attempts keep none)", got)
	}
}

func TestRetriesOfAFailingBatchAreBounded(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.MaxAttempts = 4 })
	for range 4 {
		f.srv.Fail(loganalyticstest.Response{Status: http.StatusInternalServerError})
	}
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
	f := newFixture(t, nil)
	f.srv.Fail(loganalyticstest.Response{Status: http.StatusForbidden, Code: "OperationFailed",
		Message: "The authentication token provided does not have access to ingest data for the data collection rule"})
	_, err := f.c.Upload(context.Background(), seqRows(5, 10))
	var e *Error
	if !errors.As(err, &e) || e.StatusCode != http.StatusForbidden || e.Attempts != 1 || e.GaveUp {
		t.Fatalf("error = %v, want a 403 after one attempt", err)
	}
	for _, want := range []string{"403", "OperationFailed", "Monitoring Metrics Publisher", "request-id: 0000"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if len(f.srv.Requests()) != 1 || len(f.waits()) != 0 {
		t.Errorf("%d requests and waits %v; a 403 must not be retried", len(f.srv.Requests()), f.waits())
	}
}

func TestUploadStopsAtTheFirstFailedBatch(t *testing.T) {
	f := newFixture(t, nil)
	// Accept the first batch, refuse the second.
	f.srv.Fail(loganalyticstest.Response{Status: http.StatusNoContent},
		loganalyticstest.Response{Status: http.StatusBadRequest, Code: "InvalidStream"})
	rows := seqRows(6000, 400) // about three batches
	res, err := f.c.Upload(context.Background(), rows)
	if err == nil || !strings.Contains(err.Error(), "stream declaration") {
		t.Fatalf("error = %v, want a 400 explaining the stream declaration", err)
	}
	reqs := f.srv.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2 (stop after the failed one)", len(reqs))
	}
	if res.Batches != 1 || res.Rows != reqs[0].Rows || res.FailedBatches < 2 || res.Rows+res.FailedRows != len(rows) {
		t.Errorf("result = %+v, want 1 batch sent and every other row counted as failed", res)
	}
}

func TestPayloadTooLargeIsRefusedLikeTheServiceAndNotRetried(t *testing.T) {
	f := newFixture(t, func(o *Options) {
		o.MaxBatchBytes = 3_000_000 // misconfigured above the service limit
		o.DisableCompression = true
	})
	_, err := f.c.Upload(context.Background(), seqRows(4000, 400))
	var e *Error
	if !errors.As(err, &e) || e.StatusCode != http.StatusRequestEntityTooLarge || e.Attempts != 1 {
		t.Fatalf("error = %v, want a 413 after one attempt", err)
	}
	if !strings.Contains(err.Error(), "1 MB") {
		t.Errorf("error %q does not explain the limit", err)
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
	if got := len(f.srv.Received()); got != 2 || res.Rows != 2 || res.FailedRows != 2 {
		t.Errorf("received %d rows, result %+v; want the 2 good rows sent and 2 failed", got, res)
	}
}

func TestFieldsOverTheLimitAreTruncatedWithAMarker(t *testing.T) {
	f := newFixture(t, nil)
	long := strings.Repeat("é", 50_000) // 100,000 bytes
	row := FindingRow{FindingID: "f1", Message: long, Evidence: map[string]string{"owners": long}, AppName: "short"}
	res, err := f.c.Upload(context.Background(), []any{row})
	if err != nil {
		t.Fatalf("Upload: %v", err)
	}
	got := f.srv.Received()[0]
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
	if err != nil || res.Retries != 1 || len(f.srv.Received()) != 3 {
		t.Errorf("Upload = %+v, %v; want success after one retry", res, err)
	}
}

func TestCancelledUploadStops(t *testing.T) {
	f := newFixture(t, nil)
	f.srv.Fail(loganalyticstest.Response{Status: http.StatusTooManyRequests, RetryAfter: "30"})
	ctx, cancel := context.WithCancel(context.Background())
	f.c.opt.Sleep = func(context.Context, time.Duration) error { cancel(); return context.Canceled }
	_, err := f.c.Upload(ctx, seqRows(3, 10))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
}

func TestNoTokenInLogsOrErrors(t *testing.T) {
	f := newFixture(t, nil)
	f.srv.Fail(loganalyticstest.Response{Status: http.StatusTooManyRequests, RetryAfter: "1"},
		loganalyticstest.Response{Status: http.StatusForbidden})
	_, err := f.c.Upload(context.Background(), seqRows(3, 10))
	if err == nil {
		t.Fatal("Upload succeeded, want the 403")
	}
	logs := f.logs.String()
	if !strings.Contains(logs, "log ingestion request") || !strings.Contains(logs, "status=403") {
		t.Fatalf("debug log lacks the requests:\n%s", logs)
	}
	for _, where := range []string{logs, err.Error()} {
		if strings.Contains(where, testToken) || strings.Contains(where, "Bearer") {
			t.Errorf("token leaked:\n%s", where)
		}
	}
}

func TestNewRefusesBadOptions(t *testing.T) {
	good := Options{Endpoint: "https://dce.westeurope-1.ingest.monitor.azure.com", RuleID: testRule, Stream: testStream}
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
