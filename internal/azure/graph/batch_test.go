package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// batchServer answers POST /v1.0/$batch by calling item for each inner
// request, replying in reverse order (Graph promises no order), and records
// each call's inner URLs.
type batchServer struct {
	mu    sync.Mutex
	calls [][]string
	item  func(call int, url string) (status int, headers map[string]string, body any)
}

func (b *batchServer) handle(t *testing.T) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1.0/$batch" {
			t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
			w.WriteHeader(http.StatusNotFound)
			return
		}
		var req struct {
			Requests []wireRequest `json:"requests"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			t.Errorf("batch body: %v", err)
		}
		if len(req.Requests) > MaxBatchSize {
			t.Errorf("batch of %d requests, more than %d", len(req.Requests), MaxBatchSize)
		}
		var urls []string
		ids := map[string]bool{}
		for _, q := range req.Requests {
			urls = append(urls, q.URL)
			if ids[strings.ToLower(q.ID)] || q.Method != "GET" || !strings.HasPrefix(q.URL, "/") {
				t.Errorf("bad inner request %+v", q)
			}
			ids[strings.ToLower(q.ID)] = true
		}
		b.mu.Lock()
		b.calls = append(b.calls, urls)
		call := len(b.calls)
		b.mu.Unlock()
		var out []map[string]any
		for i := len(req.Requests) - 1; i >= 0; i-- {
			q := req.Requests[i]
			status, headers, body := b.item(call, q.URL)
			if status == 0 {
				continue // leave the item out of the answer
			}
			out = append(out, map[string]any{"id": q.ID, "status": status, "headers": headers, "body": body})
		}
		writeJSON(w, http.StatusOK, map[string]any{"responses": out})
	}
}

func ok(url string) (int, map[string]string, any) {
	return 200, map[string]string{"Content-Type": "application/json"}, map[string]any{"value": []item{{ID: url}}}
}

func urls(n int) []BatchRequest {
	reqs := make([]BatchRequest, n)
	for i := range reqs {
		reqs[i] = BatchRequest{ID: fmt.Sprintf("req-%d", i), URL: fmt.Sprintf("/servicePrincipals/%d/appRoleAssignments", i)}
	}
	return reqs
}

func checkAllOK(t *testing.T, reqs []BatchRequest, got []BatchResponse) {
	t.Helper()
	if len(got) != len(reqs) {
		t.Fatalf("%d responses for %d requests", len(got), len(reqs))
	}
	for i, r := range got {
		var p Page[item]
		if err := r.Decode(&p); err != nil {
			t.Errorf("response %d: %v", i, err)
			continue
		}
		if r.ID != reqs[i].ID || len(p.Value) != 1 || p.Value[0].ID != reqs[i].URL {
			t.Errorf("response %d = %s %s, want the answer to %s", i, r.ID, r.Body, reqs[i].URL)
		}
	}
}

func TestBatchSplitsIntoGroupsOfTwentyAndCorrelates(t *testing.T) {
	bs := &batchServer{item: func(_ int, url string) (int, map[string]string, any) { return ok(url) }}
	f := newFixture(t, bs.handle(t), func(o *Options) { o.Concurrency = 2 })
	reqs := urls(45)
	got, err := f.c.Batch(context.Background(), reqs)
	if err != nil {
		t.Fatal(err)
	}
	checkAllOK(t, reqs, got)
	var sizes []int
	for _, c := range bs.calls {
		sizes = append(sizes, len(c))
	}
	slices.Sort(sizes)
	if !slices.Equal(sizes, []int{5, 20, 20}) {
		t.Errorf("batch sizes %v, want [5 20 20]", sizes)
	}
	if s := f.c.Stats(); s.Requests != 3 || s.BatchItems != 45 {
		t.Errorf("stats %+v, want 3 requests carrying 45 items", s)
	}
}

func TestBatchRetriesThrottledItemsAfterLongestRetryAfter(t *testing.T) {
	bs := &batchServer{item: func(call int, url string) (int, map[string]string, any) {
		if call == 1 {
			switch {
			case strings.HasPrefix(url, "/servicePrincipals/3/"):
				return 429, map[string]string{"Retry-After": "1.5"}, map[string]any{"error": map[string]any{"code": "TooManyRequests"}}
			case strings.HasPrefix(url, "/servicePrincipals/7/"):
				return 429, map[string]string{"retry-after": "3"}, map[string]any{"error": map[string]any{"code": "TooManyRequests"}}
			case strings.HasPrefix(url, "/servicePrincipals/9/"):
				return 503, nil, map[string]any{"error": map[string]any{"code": "serviceUnavailable"}}
			case strings.HasPrefix(url, "/servicePrincipals/4/"):
				return 0, nil, nil // missing from the answer
			}
		}
		return ok(url)
	}}
	f := newFixture(t, bs.handle(t), nil)
	reqs := urls(12)
	got, err := f.c.Batch(context.Background(), reqs)
	if err != nil {
		t.Fatal(err)
	}
	checkAllOK(t, reqs, got)
	if len(bs.calls) != 2 {
		t.Fatalf("%d batch calls, want 2", len(bs.calls))
	}
	retried := slices.Clone(bs.calls[1])
	slices.Sort(retried)
	want := []string{reqs[3].URL, reqs[4].URL, reqs[7].URL, reqs[9].URL}
	if !slices.Equal(retried, want) {
		t.Errorf("second batch %v, want only the failed items %v", retried, want)
	}
	if w := f.waits(); len(w) != 1 || w[0] != 3*time.Second {
		t.Errorf("waits %v, want [3s], the longest inner Retry-After", w)
	}
	if s := f.c.Stats(); s.Throttled != 2 || s.Retries != 1 {
		t.Errorf("stats %+v, want 2 throttled, 1 retry", s)
	}
}

func TestBatchItemThatKeepsFailingGetsTypedErrorNotDropped(t *testing.T) {
	bs := &batchServer{item: func(call int, url string) (int, map[string]string, any) {
		switch {
		case strings.HasPrefix(url, "/servicePrincipals/1/"):
			return 429, map[string]string{"Retry-After": "1", "request-id": "inner-req"}, map[string]any{
				"error": map[string]any{"code": "TooManyRequests", "message": "slow down"}}
		case strings.HasPrefix(url, "/servicePrincipals/2/"):
			return 404, nil, map[string]any{"error": map[string]any{"code": "Request_ResourceNotFound",
				"innerError": map[string]string{"request-id": "inner-404"}}}
		}
		return ok(url)
	}}
	f := newFixture(t, bs.handle(t), func(o *Options) { o.MaxAttempts = 3 })
	reqs := urls(4)
	got, err := f.c.Batch(context.Background(), reqs)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 {
		t.Fatalf("%d responses, want 4", len(got))
	}
	e1 := got[1].Err()
	var ge *Error
	if !IsThrottled(e1) || !errors.Is(e1, ErrMaxAttempts) || !errors.As(e1, &ge) || ge.Attempts != 3 ||
		ge.RequestID != "inner-req" || ge.Path != "/v1.0"+reqs[1].URL {
		t.Errorf("item 1 err = %v, want a typed throttling error after 3 attempts", e1)
	}
	if e2 := got[2].Err(); !IsNotFound(e2) || !strings.Contains(e2.Error(), "inner-404") {
		t.Errorf("item 2 err = %v, want not found with its request-id", e2)
	}
	for _, i := range []int{0, 3} {
		if got[i].Err() != nil {
			t.Errorf("item %d err = %v", i, got[i].Err())
		}
	}
	// 404 is final: only item 1 went round again, twice.
	if len(bs.calls) != 3 || len(bs.calls[1]) != 1 || len(bs.calls[2]) != 1 {
		t.Errorf("batch calls %v, want the throttled item alone in calls 2 and 3", bs.calls)
	}
}

func TestBatchWholeCallFailureReachesEveryItem(t *testing.T) {
	var hits atomic.Int32
	f := newFixture(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		graphError(w, http.StatusForbidden, "Authorization_RequestDenied", "outer-req")
	}, nil)
	got, err := f.c.Batch(context.Background(), urls(3))
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range got {
		if !IsAuth(r.Err()) || !strings.Contains(r.Err().Error(), "outer-req") {
			t.Errorf("item %d err = %v, want the call's 403", i, r.Err())
		}
	}
	if hits.Load() != 1 {
		t.Errorf("%d calls, want 1 (403 is not retried)", hits.Load())
	}
}

func TestBatchOuterThrottlingIsRetried(t *testing.T) {
	var hits atomic.Int32
	bs := &batchServer{item: func(_ int, url string) (int, map[string]string, any) { return ok(url) }}
	h := bs.handle(t)
	f := newFixture(t, func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			w.Header().Set("Retry-After", "2")
			graphError(w, http.StatusTooManyRequests, "TooManyRequests", "outer")
			return
		}
		h(w, r)
	}, nil)
	reqs := urls(2)
	got, err := f.c.Batch(context.Background(), reqs)
	if err != nil {
		t.Fatal(err)
	}
	checkAllOK(t, reqs, got)
	if w := f.waits(); len(w) != 1 || w[0] != 2*time.Second {
		t.Errorf("waits %v, want [2s]", w)
	}
}

func TestBatchRejectsAbsoluteURL(t *testing.T) {
	f := newFixture(t, func(w http.ResponseWriter, r *http.Request) { t.Error("no request expected") }, nil)
	_, err := f.c.Batch(context.Background(), []BatchRequest{{ID: "a", URL: "https://graph.microsoft.com/v1.0/applications"}})
	if err == nil || !strings.Contains(err.Error(), "relative") {
		t.Fatalf("err = %v, want a relative-url error", err)
	}
}

func TestBatchCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	bs := &batchServer{item: func(_ int, url string) (int, map[string]string, any) {
		return 429, map[string]string{"Retry-After": "3600"}, nil
	}}
	h := bs.handle(t)
	f := newFixture(t, func(w http.ResponseWriter, r *http.Request) {
		h(w, r)
		cancel() // the client is about to wait an hour
	}, func(o *Options) { o.Sleep = nil })
	_, err := f.c.Batch(ctx, urls(30))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestBatchEachStopsOnCallbackError(t *testing.T) {
	bs := &batchServer{item: func(_ int, url string) (int, map[string]string, any) { return ok(url) }}
	f := newFixture(t, bs.handle(t), func(o *Options) { o.Concurrency = 1 })
	stop := errors.New("stop")
	n := 0
	err := f.c.BatchEach(context.Background(), urls(60), func(int, BatchResponse) error {
		n++
		return stop
	})
	if !errors.Is(err, stop) || n != 1 {
		t.Fatalf("err = %v after %d callbacks, want stop after 1", err, n)
	}
	if len(bs.calls) > 2 {
		t.Errorf("%d batch calls after the callback stopped, want at most 2", len(bs.calls))
	}
}
