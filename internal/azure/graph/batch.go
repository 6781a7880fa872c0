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
	for i, r := range reqs {
		if _, err := toWire(i, r); err != nil {
			return err
		}
	}
	next := 0
	return c.batchStream(ctx, func(context.Context) (BatchRequest, int, bool, error) {
		if next == len(reqs) {
			return BatchRequest{}, 0, false, nil
		}
		next++
		return reqs[next-1], next - 1, true, nil
	}, func(p *pending, r BatchResponse) error { return fn(p.index, r) })
}

// BatchSource yields the requests of a BatchStream one at a time: ok false
// once there are no more. It may block until the next is ready (while
// pages that produce requests are still arriving); it is called from one
// goroutine at a time.
type BatchSource func(ctx context.Context) (r BatchRequest, ok bool, err error)

// BatchStream sends the requests src yields through POST /$batch, packed
// MaxBatchSize to a call as they come (only the last call may carry
// fewer), with as many calls in flight as the client's concurrency allows,
// and hands each request with its final answer to fn, never
// concurrently. Retries are as for Batch. Requests are pulled only as
// calls go out, so a stream of 200,000 lookups never holds more than a
// few groups in memory. An error from src or fn stops the stream and is
// returned.
func (c *Client) BatchStream(ctx context.Context, src BatchSource, fn func(BatchRequest, BatchResponse) error) error {
	n := 0
	return c.batchStream(ctx, func(ctx context.Context) (BatchRequest, int, bool, error) {
		r, ok, err := src(ctx)
		n++
		return r, n - 1, ok, err
	}, func(p *pending, r BatchResponse) error { return fn(p.req, r) })
}

// pending is one request of a stream on its way: what the caller asked,
// what goes on the wire, and its estimated cost.
type pending struct {
	req   BatchRequest
	index int
	wire  wireRequest
	cost  int
}

func (c *Client) batchStream(ctx context.Context, src func(context.Context) (BatchRequest, int, bool, error), fn func(*pending, BatchResponse) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		firstErr error
	)
	stop := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr == nil {
			firstErr = err
			cancel()
		}
	}
	emit := func(p *pending, r BatchResponse) error {
		r.ID, r.method, r.path = p.req.ID, p.wire.Method, pathOf(c.base.String()+p.wire.URL)
		mu.Lock()
		defer mu.Unlock()
		if firstErr != nil {
			return firstErr
		}
		if err := fn(p, r); err != nil {
			firstErr = err
			cancel()
			return err
		}
		return nil
	}
	jobs := make(chan []*pending)
	var wg sync.WaitGroup
	for range c.opt.Concurrency {
		wg.Go(func() {
			for group := range jobs {
				if c.runGroup(ctx, group, emit) != nil {
					// Keep taking groups so the feeder never blocks;
					// ctx is done, they end at once.
					continue
				}
			}
		})
	}
	send := func(group []*pending) bool {
		select {
		case jobs <- group:
			return true
		case <-ctx.Done():
			return false
		}
	}
	group := make([]*pending, 0, MaxBatchSize)
	for {
		r, index, ok, err := src(ctx)
		if err != nil {
			stop(err)
			break
		}
		if !ok {
			if len(group) > 0 {
				send(group)
			}
			break
		}
		w, err := toWire(len(group), r)
		if err != nil {
			stop(err)
			break
		}
		group = append(group, &pending{req: r, index: index, wire: w, cost: ResourceUnits(w.Method, w.URL)})
		if len(group) == MaxBatchSize {
			if !send(group) {
				break
			}
			group = make([]*pending, 0, MaxBatchSize)
		}
	}
	close(jobs)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
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

// runGroup sends one group of at most MaxBatchSize items until each has a
// final answer. It returns an error only when ctx is done or emit failed.
func (c *Client) runGroup(ctx context.Context, pendingItems []*pending, emit func(*pending, BatchResponse) error) error {
	afterThrottle := false
	for attempt := 1; ; attempt++ {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		got, err := c.postBatch(ctx, pendingItems, afterThrottle)
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
			for _, p := range pendingItems {
				if err := emit(p, BatchResponse{err: ge}); err != nil {
					return err
				}
			}
			return nil
		}
		var (
			again     []*pending
			wait      time.Duration
			waitSet   bool
			throttled bool
		)
		for _, p := range pendingItems {
			r, ok := got[p]
			if ok && !retryableStatus(r.Status) {
				if err := emit(p, r); err != nil {
					return err
				}
				continue
			}
			if r.Status == http.StatusTooManyRequests {
				c.throttled.Add(1)
				throttled = true
			}
			if d, ok := c.retryAfter(headerValue(r.Headers, "Retry-After")); ok && d >= wait {
				wait, waitSet = d, true
			}
			again = append(again, p)
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
			for _, p := range again {
				r, ok := got[p]
				if !ok {
					r = BatchResponse{method: p.wire.Method, path: pathOf(c.base.String() + p.wire.URL)}
				}
				var e *Error
				if r.Status == 0 {
					e = &Error{Method: r.method, Path: r.path, Err: errors.New("no answer for this request in the $batch response")}
				} else {
					e = r.statusError()
				}
				e.Attempts, e.GaveUp = attempt, gaveUp
				r.err = e
				if err := emit(p, r); err != nil {
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
		pendingItems, afterThrottle = again, throttled
	}
}

// postBatch sends one $batch call and maps its answers to the items. The
// call is paced at the sum of its items' costs, and what their answers say
// about the budget (x-ms-resource-unit, x-ms-throttle-limit-percentage,
// 429s) feeds the pacer.
func (c *Client) postBatch(ctx context.Context, items []*pending, afterThrottle bool) (map[*pending]BatchResponse, error) {
	body := struct {
		Requests []wireRequest `json:"requests"`
	}{Requests: make([]wireRequest, len(items))}
	idempotent := true
	cost := 0
	for k, p := range items {
		body.Requests[k] = p.wire
		cost += p.cost
		if m := p.wire.Method; m != http.MethodGet && m != http.MethodHead {
			idempotent = false
		}
	}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("graph $batch: %w", err)
	}
	c.batchItems.Add(int64(len(items)))
	var resp struct {
		Responses []wireResponse `json:"responses"`
	}
	err = c.do(ctx, call{
		method: http.MethodPost, url: c.base.String() + "/$batch", body: b, idempotent: idempotent,
		cost: cost, afterThrottle: afterThrottle,
		decode: func(b []byte) error {
			resp.Responses = nil
			return json.Unmarshal(b, &resp)
		},
		usage: func() feedback { return c.itemsFeedback(resp.Responses) },
	})
	if err != nil {
		return nil, err
	}
	want := make(map[string]*pending, len(items))
	for _, p := range items {
		want[p.wire.ID] = p
	}
	got := make(map[*pending]BatchResponse, len(items))
	for _, r := range resp.Responses {
		// Graph may answer in any order: match by id.
		if p, ok := want[r.ID]; ok {
			got[p] = BatchResponse{Status: r.Status, Headers: r.Headers, Body: r.Body,
				method: p.wire.Method, path: pathOf(c.base.String() + p.wire.URL)}
		}
	}
	return got, nil
}

// itemsFeedback sums what a $batch's answers say about the budget.
func (c *Client) itemsFeedback(rs []wireResponse) feedback {
	fb := feedback{answered: true, charged: -1}
	for _, r := range rs {
		h := func(k string) string { return headerValue(r.Headers, k) }
		item := budgetFeedback(r.Status, h)
		if item.charged >= 0 {
			fb.charged = max(fb.charged, 0) + item.charged
		}
		fb.used = max(fb.used, item.used)
		if item.throttled {
			fb.throttled = true
			if d, ok := c.retryAfter(h("Retry-After")); ok {
				fb.retryAfter = max(fb.retryAfter, d)
			}
		}
	}
	return fb
}
