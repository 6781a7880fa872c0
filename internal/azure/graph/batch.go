package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// MaxBatchSize is the most requests one $batch call may carry.
const MaxBatchSize = 20

// BatchRequest is one request inside a $batch call.
type BatchRequest struct {
	// ID is the caller's correlation id, echoed in the BatchResponse; it
	// need not be unique (the client numbers the wire requests itself).
	ID string
	// Method defaults to GET.
	Method string
	// URL is relative to the version root: "/applications/{id}/owners".
	URL     string
	Headers map[string]string
	// Body, when not nil, is sent as JSON.
	Body any
}

// BatchResponse is one request's answer.
type BatchResponse struct {
	ID      string
	Status  int // 0 when no answer came at all; Err says why
	Headers map[string]string
	Body    json.RawMessage

	err    *Error
	method string
	path   string
}

// Err is nil for a 2xx answer, and otherwise the typed *Error: Graph's
// error for the item, the give-up reason after inner retries, or the
// failure of the whole $batch call that carried it.
func (r BatchResponse) Err() error {
	if r.err != nil {
		return r.err
	}
	if r.Status >= 200 && r.Status < 300 {
		return nil
	}
	return r.statusError()
}

func (r BatchResponse) statusError() *Error {
	return statusError(r.method, r.path, r.Status, func(k string) string { return headerValue(r.Headers, k) }, r.Body,
		headerValue(r.Headers, "client-request-id"))
}

// Decode unmarshals the body of a 2xx answer.
func (r BatchResponse) Decode(v any) error {
	if err := r.Err(); err != nil {
		return err
	}
	if err := json.Unmarshal(r.Body, v); err != nil {
		return fmt.Errorf("graph %s %s: decode response: %w", r.method, r.path, err)
	}
	return nil
}

type wireRequest struct {
	ID      string            `json:"id"`
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    json.RawMessage   `json:"body,omitempty"`
}

type wireResponse struct {
	ID      string            `json:"id"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"`
}

// Batch sends reqs through POST /$batch, at most MaxBatchSize per call and
// several calls in parallel (within the client's concurrency), and returns
// one response per request in the order of reqs. Items answered 429 or 5xx
// are sent again in a later batch, after the longest Retry-After among
// them; every item ends with an answer or an Err, none is dropped. The
// returned error is for bad input or a cancelled context only: per-item
// failures are in each BatchResponse.
func (c *Client) Batch(ctx context.Context, reqs []BatchRequest) ([]BatchResponse, error) {
	out := make([]BatchResponse, len(reqs))
	err := c.BatchEach(ctx, reqs, func(i int, r BatchResponse) error {
		out[i] = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// BatchEach is Batch delivering each final response, with its index in
// reqs, as soon as its group is done. fn is never called concurrently; an
// error from it stops the batch and is returned.
func (c *Client) BatchEach(ctx context.Context, reqs []BatchRequest, fn func(i int, r BatchResponse) error) error {
	wire := make([]wireRequest, len(reqs))
	for i, r := range reqs {
		w, err := toWire(i, r)
		if err != nil {
			return err
		}
		wire[i] = w
	}
	var chunks [][]int
	for start := 0; start < len(reqs); start += MaxBatchSize {
		idx := make([]int, 0, MaxBatchSize)
		for i := start; i < min(start+MaxBatchSize, len(reqs)); i++ {
			idx = append(idx, i)
		}
		chunks = append(chunks, idx)
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		firstErr error
	)
	emit := func(i int, r BatchResponse) error {
		r.ID, r.method, r.path = reqs[i].ID, wire[i].Method, pathOf(c.base.String()+wire[i].URL)
		mu.Lock()
		defer mu.Unlock()
		if firstErr != nil {
			return firstErr
		}
		if err := fn(i, r); err != nil {
			firstErr = err
			cancel()
			return err
		}
		return nil
	}
	jobs := make(chan []int)
	var wg sync.WaitGroup
	for range min(c.opt.Concurrency, len(chunks)) {
		wg.Go(func() {
			for idx := range jobs {
				if c.runChunk(ctx, wire, idx, emit) != nil {
					return
				}
			}
		})
	}
feed:
	for _, idx := range chunks {
		select {
		case jobs <- idx:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

func toWire(i int, r BatchRequest) (wireRequest, error) {
	w := wireRequest{ID: strconv.Itoa(i + 1), Method: strings.ToUpper(r.Method), URL: r.URL}
	if w.Method == "" {
		w.Method = http.MethodGet
	}
	if !strings.HasPrefix(r.URL, "/") {
		return w, fmt.Errorf("batch request %d (%s): url must be relative to the version root, starting with /", i, r.ID)
	}
	if len(r.Headers) > 0 {
		w.Headers = make(map[string]string, len(r.Headers))
		for k, v := range r.Headers {
			w.Headers[k] = v
		}
	}
	if r.Body != nil {
		b, err := json.Marshal(r.Body)
		if err != nil {
			return w, fmt.Errorf("batch request %d (%s): body: %w", i, r.ID, err)
		}
		w.Body = b
		// Graph requires a Content-Type for every item with a body.
		if headerValue(w.Headers, "Content-Type") == "" {
			if w.Headers == nil {
				w.Headers = map[string]string{}
			}
			w.Headers["Content-Type"] = "application/json"
		}
	}
	return w, nil
}

// runChunk sends one group of at most MaxBatchSize items until each has a
// final answer. It returns an error only when ctx is done or emit failed.
func (c *Client) runChunk(ctx context.Context, wire []wireRequest, pending []int, emit func(int, BatchResponse) error) error {
	for attempt := 1; ; attempt++ {
		got, err := c.postBatch(ctx, wire, pending)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			// The call itself failed after its own retries: every item in
			// it gets that failure.
			var ge *Error
			if !errors.As(err, &ge) {
				ge = &Error{Method: http.MethodPost, Path: pathOf(c.base.String() + "/$batch"), Err: err}
			}
			for _, i := range pending {
				if err := emit(i, BatchResponse{err: ge}); err != nil {
					return err
				}
			}
			return nil
		}
		var (
			again   []int
			wait    time.Duration
			waitSet bool
		)
		for _, i := range pending {
			r, ok := got[i]
			if ok && !retryableStatus(r.Status) {
				if err := emit(i, r); err != nil {
					return err
				}
				continue
			}
			if r.Status == http.StatusTooManyRequests {
				c.throttled.Add(1)
			}
			if d, ok := c.retryAfter(headerValue(r.Headers, "Retry-After")); ok && d >= wait {
				wait, waitSet = d, true
			}
			again = append(again, i)
		}
		if len(again) == 0 {
			return nil
		}
		var gaveUp error
		switch {
		case attempt >= c.opt.MaxAttempts:
			gaveUp = ErrMaxAttempts
		case !c.takeRetry():
			gaveUp = ErrRetryBudgetExceeded
		}
		if gaveUp != nil {
			for _, i := range again {
				r, ok := got[i]
				if !ok {
					r = BatchResponse{method: wire[i].Method, path: pathOf(c.base.String() + wire[i].URL)}
				}
				var e *Error
				if r.Status == 0 {
					e = &Error{Method: r.method, Path: r.path, Err: errors.New("no answer for this request in the $batch response")}
				} else {
					e = r.statusError()
				}
				e.Attempts, e.GaveUp = attempt, gaveUp
				r.err = e
				if err := emit(i, r); err != nil {
					return err
				}
			}
			return nil
		}
		if !waitSet {
			wait = c.backoff(attempt)
		}
		c.retries.Add(1)
		c.opt.Logger.Debug("graph batch retry", "items", len(again), "attempt", attempt, "wait", wait)
		if err := c.opt.Sleep(ctx, wait); err != nil {
			return err
		}
		pending = again
	}
}

// postBatch sends one $batch call and maps its answers by index.
func (c *Client) postBatch(ctx context.Context, wire []wireRequest, idx []int) (map[int]BatchResponse, error) {
	body := struct {
		Requests []wireRequest `json:"requests"`
	}{Requests: make([]wireRequest, len(idx))}
	idempotent := true
	for k, i := range idx {
		body.Requests[k] = wire[i]
		if m := wire[i].Method; m != http.MethodGet && m != http.MethodHead {
			idempotent = false
		}
	}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("graph $batch: %w", err)
	}
	c.batchItems.Add(int64(len(idx)))
	var resp struct {
		Responses []wireResponse `json:"responses"`
	}
	err = c.do(ctx, call{
		method: http.MethodPost, url: c.base.String() + "/$batch", body: b, idempotent: idempotent,
		decode: func(b []byte) error {
			resp.Responses = nil
			return json.Unmarshal(b, &resp)
		},
	})
	if err != nil {
		return nil, err
	}
	want := make(map[string]int, len(idx))
	for _, i := range idx {
		want[wire[i].ID] = i
	}
	got := make(map[int]BatchResponse, len(idx))
	for _, r := range resp.Responses {
		// Graph may answer in any order: match by id.
		if i, ok := want[r.ID]; ok {
			got[i] = BatchResponse{Status: r.Status, Headers: r.Headers, Body: r.Body,
				method: wire[i].Method, path: pathOf(c.base.String() + wire[i].URL)}
		}
	}
	return got, nil
}
