package graph

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
	"github.com/google/uuid"

	"github.com/credwatch/credwatch/internal/azure/transient"
	"github.com/credwatch/credwatch/internal/wait"
)

// MaxPageSize is the largest $top Graph accepts for directory objects.
const MaxPageSize = 999

// DefaultScope is the public cloud's Graph resource. The scope names the
// resource, not the URL it is reached at, so it stays the same when
// BaseURL points at a proxy or an emulator.
const DefaultScope = "https://graph.microsoft.com/.default"

// Options configure a Client. Only BaseURL is required; the zero value of
// every other field picks the default named in its comment.
type Options struct {
	// BaseURL is the Graph version root, e.g. https://graph.microsoft.com/v1.0.
	BaseURL string
	// Scope is the token scope; default DefaultScope (the public cloud's
	// Graph). National clouds pass theirs (azure.Endpoints returns it).
	Scope string
	// HTTPClient sends the requests; default a plain http.Client.
	HTTPClient *http.Client
	// Logger gets one debug record per request; default discards.
	Logger *slog.Logger
	// Concurrency bounds requests in flight at once; default 4.
	Concurrency int
	// MaxAttempts bounds the tries of one request, the first included;
	// default 6.
	MaxAttempts int
	// RetryBudget bounds the retries across the client's life, so a
	// struggling service is not hammered by thousands of requests each
	// retrying on its own; default 1000, negative means unlimited.
	RetryBudget int
	// BaseDelay and MaxDelay shape the exponential backoff used when the
	// server gives no Retry-After; defaults 1s and 60s.
	BaseDelay, MaxDelay time.Duration
	// MaxRetryAfter caps a server-given wait; default 5 minutes.
	MaxRetryAfter time.Duration
	// Jitter returns a number in [0,1); default math/rand/v2.
	Jitter func() float64
	// Sleep waits d or until ctx is done; default a timer. Tests inject one
	// that records the waits and returns at once.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock for HTTP-date Retry-After values; default time.Now.
	Now func() time.Time
	// NewRequestID makes each client-request-id; default a random UUID.
	NewRequestID func() string
	// ResourceUnits is the directory budget, in resource units per 10 s
	// for this app in this tenant, that requests are paced to (3,500,
	// 5,000 or 8,000 by tenant size). 0 learns it from Graph's
	// x-ms-resource-unit and x-ms-throttle-limit-percentage headers and
	// its 429s, starting from MaxResourceUnits; negative turns pacing off.
	ResourceUnits int
	// MaxResourceUnits is where learning starts; default
	// DefaultMaxResourceUnits.
	MaxResourceUnits int
}

func (o *Options) defaults() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 6
	}
	if o.RetryBudget == 0 {
		o.RetryBudget = 1000
	}
	if o.BaseDelay <= 0 {
		o.BaseDelay = time.Second
	}
	if o.MaxDelay <= 0 {
		o.MaxDelay = time.Minute
	}
	if o.MaxRetryAfter <= 0 {
		o.MaxRetryAfter = 5 * time.Minute
	}
	if o.Jitter == nil {
		o.Jitter = rand.Float64
	}
	if o.Sleep == nil {
		o.Sleep = wait.Sleep
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.NewRequestID == nil {
		o.NewRequestID = uuid.NewString
	}
	if o.MaxResourceUnits <= 0 {
		o.MaxResourceUnits = DefaultMaxResourceUnits
	}
}

// Client calls Microsoft Graph. It is safe for concurrent use.
type Client struct {
	opt  Options
	base *url.URL
	pl   runtime.Pipeline
	sem  chan struct{}
	pace *pacer // nil when pacing is off

	budget                                   atomic.Int64
	requests, retries, throttled, batchItems atomic.Int64
	resourceUnits                            atomic.Int64
}

// Stats are a client's counters since it was made.
type Stats struct {
	Requests   int64 // HTTP requests sent, retries included
	Retries    int64 // requests (or $batch rounds) sent again
	Throttled  int64 // 429 answers, inner $batch ones included
	BatchItems int64 // requests carried inside $batch calls
	// ResourceUnits is what Graph charged, as its x-ms-resource-unit
	// headers said (estimated where they were missing).
	ResourceUnits int64
	// Budget is the resource units per 10 s requests are paced to, known
	// or learned so far (0 with pacing off); Paced the time requests
	// spent waiting for it.
	Budget int
	Paced  time.Duration
}

// New returns a client that authenticates with cred.
func New(cred azcore.TokenCredential, o Options) (*Client, error) {
	if cred == nil {
		return nil, errors.New("graph client: no credential")
	}
	base, err := url.Parse(strings.TrimRight(o.BaseURL, "/"))
	if err != nil {
		return nil, fmt.Errorf("graph base url %q: %w", o.BaseURL, err)
	}
	if base.Scheme != "https" || base.Host == "" || base.User != nil || base.RawQuery != "" {
		return nil, fmt.Errorf("graph base url %q: want https://host[:port]/version", o.BaseURL)
	}
	o.defaults()
	if o.Scope == "" {
		o.Scope = DefaultScope
	}
	co := &policy.ClientOptions{
		// One retry layer only: ours, which knows Graph's Retry-After and
		// the client-wide budget.
		Retry:     policy.RetryOptions{MaxRetries: -1},
		Telemetry: policy.TelemetryOptions{ApplicationID: "credwatch"},
	}
	if o.HTTPClient != nil {
		co.Transport = o.HTTPClient
	}
	c := &Client{
		opt:  o,
		base: base,
		sem:  make(chan struct{}, o.Concurrency),
		pl: runtime.NewPipeline("credwatch", "v1", runtime.PipelineOptions{
			PerRetry: []policy.Policy{runtime.NewBearerTokenPolicy(cred, []string{o.Scope}, nil)},
		}, co),
	}
	c.budget.Store(int64(o.RetryBudget))
	c.pace = newPacer(o.ResourceUnits, o.MaxResourceUnits, o.Now, o.Sleep, o.Logger)
	return c, nil
}

// BaseURL is the version root requests are resolved against.
func (c *Client) BaseURL() string { return c.base.String() }

// Stats returns the counters so far.
func (c *Client) Stats() Stats {
	budget, waited := c.pace.stats()
	return Stats{
		Requests:      c.requests.Load(),
		Retries:       c.retries.Load(),
		Throttled:     c.throttled.Load(),
		BatchItems:    c.batchItems.Load(),
		ResourceUnits: c.resourceUnits.Load(),
		Budget:        budget,
		Paced:         waited,
	}
}

// resolve turns a path relative to the version root ("/applications?...")
// into an absolute URL, or checks that an absolute URL (a nextLink) stays on
// the Graph origin, so a forged link can never carry the token elsewhere.
// Absolute URLs are returned verbatim.
func (c *Client) resolve(pathOrURL string) (string, error) {
	if strings.HasPrefix(pathOrURL, "/") {
		return c.base.String() + pathOrURL, nil
	}
	u, err := url.Parse(pathOrURL)
	if err != nil {
		return "", fmt.Errorf("graph url: %w", err)
	}
	if u.Scheme != c.base.Scheme || !strings.EqualFold(u.Host, c.base.Host) {
		return "", fmt.Errorf("graph url on %s://%s is outside the graph endpoint %s", u.Scheme, u.Host, c.base.Host)
	}
	return pathOrURL, nil
}

// call is one logical request; do retries it.
type call struct {
	method string
	url    string // absolute
	body   []byte
	// idempotent requests are retried after transport errors too; others
	// only when the server said it did nothing (429, 503...).
	idempotent bool
	// decode reads a 2xx body; stream, when set instead, reads it as it
	// arrives. A truncated body makes either fail, and the request is
	// retried.
	decode func(body []byte) error
	stream func(body io.Reader) error
	// cost is the request's estimated resource units; usage, when set,
	// reports what a $batch's items said about the budget.
	cost  int
	usage func() feedback
	// afterThrottle marks a send that follows a wait for a 429, which
	// that wait already covered.
	afterThrottle bool
}

// do sends a call, pacing it to the budget and retrying retryable
// failures.
func (c *Client) do(ctx context.Context, cl call) error {
	u, err := url.Parse(cl.url)
	if err != nil {
		return fmt.Errorf("graph url: %w", err)
	}
	for attempt := 1; ; attempt++ {
		if err := c.pace.wait(ctx, cl.cost, cl.afterThrottle); err != nil {
			return err
		}
		res := c.send(ctx, cl, u, attempt)
		if ctx.Err() != nil {
			c.pace.settle(cl.cost, feedback{})
			return ctx.Err()
		}
		var wait time.Duration
		if res.err != nil && res.retryable {
			var ok bool
			if wait, ok = c.retryAfter(res.retryAfter); !ok {
				wait = c.backoff(attempt)
			}
			res.fb.retryAfter = wait
		}
		c.pace.settle(cl.cost, res.fb)
		if res.err == nil {
			return nil
		}
		res.err.Attempts = attempt
		if !res.retryable {
			return res.err
		}
		switch {
		case attempt >= c.opt.MaxAttempts:
			res.err.GaveUp = ErrMaxAttempts
		case !c.takeRetry():
			res.err.GaveUp = ErrRetryBudgetExceeded
		}
		if res.err.GaveUp != nil {
			c.opt.Logger.Debug("graph request given up", "method", cl.method, "path", logPath(u),
				"attempts", attempt, "err", res.err)
			return res.err
		}
		c.retries.Add(1)
		c.opt.Logger.Debug("graph retry", "method", cl.method, "path", logPath(u), "attempt", attempt,
			"status", res.err.StatusCode, "wait", wait)
		if err := c.opt.Sleep(ctx, wait); err != nil {
			return err
		}
		cl.afterThrottle = res.fb.throttled
	}
}

// result is one attempt's outcome.
type result struct {
	err        *Error
	retryable  bool
	retryAfter string
	fb         feedback // for the pacer
}

// maxErrorBody bounds how much of an error response is read.
const maxErrorBody = 1 << 20

// send makes one attempt, holding a concurrency slot only while the
// request is on the wire.
func (c *Client) send(ctx context.Context, cl call, u *url.URL, attempt int) result {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return result{err: &Error{Method: cl.method, Path: u.EscapedPath(), Err: ctx.Err()}}
	}
	defer func() { <-c.sem }()

	crid := c.opt.NewRequestID()
	fail := func(err error, retryable bool) result {
		return result{err: &Error{Method: cl.method, Path: u.EscapedPath(), ClientRequestID: crid, Err: err}, retryable: retryable}
	}
	req, err := runtime.NewRequest(ctx, cl.method, cl.url)
	if err != nil {
		return fail(err, false)
	}
	req.Raw().Header.Set("client-request-id", crid)
	req.Raw().Header.Set("Accept", "application/json")
	if cl.body != nil {
		if err := req.SetBody(streaming.NopCloser(bytes.NewReader(cl.body)), "application/json"); err != nil {
			return fail(err, false)
		}
	}
	// The body is read here, as it arrives, never buffered whole by the
	// pipeline: a page of 999 objects is decoded item by item.
	runtime.SkipBodyDownload(req)
	start := time.Now()
	c.requests.Add(1)
	resp, err := c.pl.Do(req)
	log := c.opt.Logger.With("method", cl.method, "path", logPath(u), "attempt", attempt,
		"client_request_id", crid)
	if err != nil {
		err = unwrapURLError(err)
		log.Debug("graph request", "err", err, "duration", time.Since(start).Round(time.Millisecond))
		return fail(err, transient.Is(err) && cl.idempotent)
	}
	defer resp.Body.Close()
	reqID := resp.Header.Get("request-id")
	fb := budgetFeedback(resp.StatusCode, resp.Header.Get)

	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		var derr error
		var body []byte
		switch {
		case cl.stream != nil:
			derr = cl.stream(resp.Body)
		case cl.decode != nil:
			if body, derr = io.ReadAll(resp.Body); derr == nil {
				derr = cl.decode(body)
			}
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody)) // lets the connection be reused
		log.Debug("graph request", "status", resp.StatusCode, "request_id", reqID, "duration", time.Since(start).Round(time.Millisecond))
		if derr == nil && cl.usage != nil {
			fb = fb.merge(cl.usage())
		}
		c.countUnits(cl.cost, fb)
		if derr == nil {
			return result{fb: fb}
		}
		e := &Error{StatusCode: resp.StatusCode, Method: cl.method, Path: u.EscapedPath(), RequestID: reqID,
			ClientRequestID: crid, Err: fmt.Errorf("decode response: %w", unwrapURLError(derr))}
		return result{err: e, retryable: truncated(derr, body), fb: fb}
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	log.Debug("graph request", "status", resp.StatusCode, "request_id", reqID, "duration", time.Since(start).Round(time.Millisecond))
	if resp.StatusCode == http.StatusTooManyRequests {
		c.throttled.Add(1)
	}
	c.countUnits(cl.cost, fb)
	e := statusError(cl.method, u.EscapedPath(), resp.StatusCode, resp.Header.Get, body, crid)
	return result{err: e, retryable: retryableStatus(resp.StatusCode), retryAfter: resp.Header.Get("Retry-After"), fb: fb}
}

// countUnits adds what a request cost to the stats: Graph's figure, or
// the estimate without one.
func (c *Client) countUnits(estimate int, fb feedback) {
	switch {
	case fb.charged >= 0:
		c.resourceUnits.Add(int64(fb.charged))
	case !fb.throttled:
		c.resourceUnits.Add(int64(estimate))
	}
}

// budgetFeedback reads what an answer's headers say about the budget.
func budgetFeedback(status int, header func(string) string) feedback {
	fb := feedback{answered: true, charged: -1}
	if n, err := strconv.Atoi(strings.TrimSpace(header("x-ms-resource-unit"))); err == nil && n >= 0 {
		fb.charged = n
	}
	if f, err := strconv.ParseFloat(strings.TrimSpace(header("x-ms-throttle-limit-percentage")), 64); err == nil && f > 0 {
		fb.used = f
	}
	// A write-quota 429 says nothing about the resource-unit budget.
	fb.throttled = status == http.StatusTooManyRequests &&
		!strings.EqualFold(header("x-ms-throttle-information"), "WriteLimitExceeded")
	return fb
}

// logPath is the path and query for logs, with opaque tokens redacted:
// skip and delta tokens are bearer-like cursors into the directory.
func logPath(u *url.URL) string {
	if u.RawQuery == "" {
		return u.EscapedPath()
	}
	parts := strings.Split(u.RawQuery, "&")
	for i, p := range parts {
		k, _, hasValue := strings.Cut(p, "=")
		lk := strings.ToLower(strings.TrimPrefix(k, "$"))
		if hasValue && (strings.Contains(lk, "token") || strings.Contains(lk, "secret") ||
			strings.Contains(lk, "sig") || strings.Contains(lk, "password") || lk == "code") {
			parts[i] = k + "=REDACTED"
		}
	}
	return u.EscapedPath() + "?" + strings.Join(parts, "&")
}
