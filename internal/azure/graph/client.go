package graph

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
	"github.com/google/uuid"
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
		o.Sleep = sleepCtx
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.NewRequestID == nil {
		o.NewRequestID = uuid.NewString
	}
}

// Client calls Microsoft Graph. It is safe for concurrent use.
type Client struct {
	opt  Options
	base *url.URL
	pl   runtime.Pipeline
	sem  chan struct{}

	budget                                   atomic.Int64
	requests, retries, throttled, batchItems atomic.Int64
}

// Stats are a client's counters since it was made.
type Stats struct {
	Requests   int64 // HTTP requests sent, retries included
	Retries    int64 // requests (or $batch rounds) sent again
	Throttled  int64 // 429 answers, inner $batch ones included
	BatchItems int64 // requests carried inside $batch calls
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
	return c, nil
}

// BaseURL is the version root requests are resolved against.
func (c *Client) BaseURL() string { return c.base.String() }

// Stats returns the counters so far.
func (c *Client) Stats() Stats {
	return Stats{
		Requests:   c.requests.Load(),
		Retries:    c.retries.Load(),
		Throttled:  c.throttled.Load(),
		BatchItems: c.batchItems.Load(),
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
	// decode reads a 2xx body; a truncated body makes it fail, and the
	// request is retried.
	decode func(body []byte) error
}

// do sends a call, retrying retryable failures.
func (c *Client) do(ctx context.Context, cl call) error {
	u, err := url.Parse(cl.url)
	if err != nil {
		return fmt.Errorf("graph url: %w", err)
	}
	for attempt := 1; ; attempt++ {
		res := c.send(ctx, cl, u, attempt)
		if ctx.Err() != nil {
			return ctx.Err()
		}
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
		wait, ok := c.retryAfter(res.retryAfter)
		if !ok {
			wait = c.backoff(attempt)
		}
		c.retries.Add(1)
		c.opt.Logger.Debug("graph retry", "method", cl.method, "path", logPath(u), "attempt", attempt,
			"status", res.err.StatusCode, "wait", wait)
		if err := c.opt.Sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// result is one attempt's outcome.
type result struct {
	err        *Error
	retryable  bool
	retryAfter string
}

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
	start := time.Now()
	c.requests.Add(1)
	resp, err := c.pl.Do(req)
	var body []byte
	if err == nil {
		// The pipeline has already read the body; a cut one fails above.
		body, err = runtime.Payload(resp)
	}
	log := c.opt.Logger.With("method", cl.method, "path", logPath(u), "attempt", attempt,
		"client_request_id", crid, "duration", time.Since(start).Round(time.Millisecond))
	if err != nil {
		err = unwrapURLError(err)
		log.Debug("graph request", "err", err)
		return fail(err, transientError(err) && cl.idempotent)
	}
	reqID := resp.Header.Get("request-id")
	log.Debug("graph request", "status", resp.StatusCode, "request_id", reqID)

	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if cl.decode == nil {
			return result{}
		}
		derr := cl.decode(body)
		if derr == nil {
			return result{}
		}
		e := &Error{StatusCode: resp.StatusCode, Method: cl.method, Path: u.EscapedPath(), RequestID: reqID,
			ClientRequestID: crid, Err: fmt.Errorf("decode response: %w", derr)}
		return result{err: e, retryable: truncatedJSON(derr, body)}
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		c.throttled.Add(1)
	}
	e := statusError(cl.method, u.EscapedPath(), resp.StatusCode, resp.Header.Get, body, crid)
	return result{err: e, retryable: retryableStatus(resp.StatusCode), retryAfter: resp.Header.Get("Retry-After")}
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
