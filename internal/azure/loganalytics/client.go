package loganalytics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/google/uuid"

	"github.com/credwatch/credwatch/internal/azure/transient"
	"github.com/credwatch/credwatch/internal/wait"
)

// DefaultScope is the token scope of the Logs Ingestion API in the public
// cloud. The double slash is what the Azure SDKs send (audience
// "https://monitor.azure.com/" + "/.default").
const DefaultScope = "https://monitor.azure.com//.default"

// APIVersion is the Logs Ingestion API version used.
const APIVersion = "2023-01-01"

// DefaultMaxBatchBytes keeps each call under the service's 1 MB limit.
const DefaultMaxBatchBytes = 1_000_000

// Options configure a Client. Endpoint, RuleID and Stream are required.
type Options struct {
	// Endpoint is the data collection endpoint or the DCR's own logs
	// ingestion endpoint, e.g. https://my-dce.westeurope-1.ingest.monitor.azure.com.
	Endpoint string
	// RuleID is the data collection rule's immutable id (dcr-…), not its
	// resource name.
	RuleID string
	// Stream is the DCR input stream, e.g. FindingsStream.
	Stream string
	// Scope is the token scope; default DefaultScope. National clouds pass
	// theirs (https://monitor.azure.us//.default, https://monitor.azure.cn//.default).
	Scope string
	// HTTPClient sends the requests; default a plain http.Client.
	HTTPClient *http.Client
	// Logger gets one debug record per request; default discards.
	Logger *slog.Logger
	// MaxBatchBytes bounds the uncompressed JSON array of one call; default
	// DefaultMaxBatchBytes. The service's 1 MB limit counts the body as
	// sent; gzip only makes JSON smaller, so bounding the uncompressed size
	// bounds the sent body with or without compression.
	MaxBatchBytes int
	// DisableCompression sends bodies uncompressed; by default they are
	// gzipped (Content-Encoding: gzip), which the service accepts.
	DisableCompression bool
	// MaxAttempts bounds the tries of one batch, the first included;
	// default 5.
	MaxAttempts int
	// BaseDelay and MaxDelay shape the exponential backoff used when the
	// server gives no Retry-After; defaults 1s and 30s.
	BaseDelay, MaxDelay time.Duration
	// MaxRetryAfter caps a server-given wait; default 5 minutes.
	MaxRetryAfter time.Duration
	// Sleep waits d or until ctx is done; default a timer. Tests inject one
	// that records the waits and returns at once.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock for HTTP-date Retry-After values; default time.Now.
	Now func() time.Time
}

func (o *Options) defaults() {
	if o.Scope == "" {
		o.Scope = DefaultScope
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MaxBatchBytes <= 0 {
		o.MaxBatchBytes = DefaultMaxBatchBytes
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 5
	}
	if o.BaseDelay <= 0 {
		o.BaseDelay = time.Second
	}
	if o.MaxDelay <= 0 {
		o.MaxDelay = 30 * time.Second
	}
	if o.MaxRetryAfter <= 0 {
		o.MaxRetryAfter = 5 * time.Minute
	}
	if o.Sleep == nil {
		o.Sleep = wait.Sleep
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Client uploads rows to one stream of one data collection rule. It is
// safe for concurrent use.
type Client struct {
	opt  Options
	url  string // full request URL, query included
	path string // for logs and errors
	pl   runtime.Pipeline
}

// New returns a client that authenticates with cred.
func New(cred azcore.TokenCredential, o Options) (*Client, error) {
	if cred == nil {
		return nil, errors.New("log ingestion client: no credential")
	}
	u, err := url.Parse(strings.TrimRight(o.Endpoint, "/"))
	if err != nil {
		return nil, fmt.Errorf("log ingestion endpoint %q: %w", o.Endpoint, err)
	}
	if u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("log ingestion endpoint %q: want https://host[:port]", o.Endpoint)
	}
	if err := checkSegment("data collection rule id", o.RuleID); err != nil {
		return nil, err
	}
	if err := checkSegment("stream", o.Stream); err != nil {
		return nil, err
	}
	if o.MaxBatchBytes < 0 {
		return nil, fmt.Errorf("log ingestion max batch bytes %d: must not be negative", o.MaxBatchBytes)
	}
	o.defaults()
	path := u.EscapedPath() + "/dataCollectionRules/" + url.PathEscape(o.RuleID) + "/streams/" + url.PathEscape(o.Stream)
	co := &policy.ClientOptions{
		// One retry layer only: ours, which knows the ingestion limits.
		Retry:     policy.RetryOptions{MaxRetries: -1},
		Telemetry: policy.TelemetryOptions{ApplicationID: "credwatch"},
	}
	if o.HTTPClient != nil {
		co.Transport = o.HTTPClient
	}
	return &Client{
		opt:  o,
		path: path,
		url:  u.Scheme + "://" + u.Host + path + "?api-version=" + APIVersion,
		pl: runtime.NewPipeline("credwatch", "v1", runtime.PipelineOptions{
			PerRetry: []policy.Policy{runtime.NewBearerTokenPolicy(cred, []string{o.Scope}, nil)},
		}, co),
	}, nil
}

// checkSegment refuses values that would change the request path.
func checkSegment(what, v string) error {
	switch {
	case strings.TrimSpace(v) == "":
		return fmt.Errorf("log ingestion %s: required", what)
	case strings.ContainsAny(v, "/?#%\\ \t\r\n"):
		return fmt.Errorf("log ingestion %s %q: must not contain '/', '?', '#', '%%', '\\' or spaces", what, v)
	}
	return nil
}

// Result counts what an Upload did.
type Result struct {
	// Batches and Rows the service accepted.
	Batches, Rows int
	// FailedBatches were given up on, including those not sent because an
	// earlier one failed; FailedRows include rows too large to send.
	FailedBatches, FailedRows int
	// Retries counts requests sent again.
	Retries int
	// TruncatedFields counts fields cut to the 64 KB field limit.
	TruncatedFields int
}

// Upload sends rows (values that marshal to JSON objects) in order, in as
// many calls as the size limit needs. It stops at the first batch that
// fails after its retries; the rows of that and later batches are counted
// as failed. Rows that cannot be sent at all (not an object, or too large
// even alone) are reported in the error and the rest still go.
func (c *Client) Upload(ctx context.Context, rows []any) (Result, error) {
	var res Result
	enc, errs := encodeRows(rows, c.opt.MaxBatchBytes, &res)
	batches := splitBatches(enc, c.opt.MaxBatchBytes)
	for i, b := range batches {
		if err := c.sendBatch(ctx, i+1, b, &res); err != nil {
			for _, rest := range batches[i:] {
				res.FailedBatches++
				res.FailedRows += len(rest.rows)
			}
			errs = append(errs, err)
			break
		}
		res.Batches++
		res.Rows += len(b.rows)
	}
	c.opt.Logger.Debug("log ingestion upload", "path", c.path, "batches", res.Batches, "rows", res.Rows,
		"failed_batches", res.FailedBatches, "failed_rows", res.FailedRows, "retries", res.Retries)
	return res, errors.Join(errs...)
}

// sendBatch sends one batch, retrying what is worth retrying.
func (c *Client) sendBatch(ctx context.Context, n int, b batch, res *Result) error {
	body, encoding, err := b.body(!c.opt.DisableCompression)
	if err != nil {
		return &Error{Batch: n, Rows: len(b.rows), Path: c.path, Err: err}
	}
	for attempt := 1; ; attempt++ {
		r := c.send(ctx, n, b, body, encoding, attempt)
		if r.err == nil {
			return nil
		}
		r.err.Attempts = attempt
		if ctx.Err() != nil {
			return r.err
		}
		if !r.retryable {
			return r.err
		}
		if attempt >= c.opt.MaxAttempts {
			r.err.GaveUp = true
			return r.err
		}
		wait, ok := parseRetryAfter(r.retryAfter, c.opt.Now())
		if ok {
			wait = min(wait, c.opt.MaxRetryAfter)
		} else {
			wait = c.backoff(attempt)
		}
		res.Retries++
		c.opt.Logger.Debug("log ingestion retry", "path", c.path, "batch", n, "attempt", attempt,
			"status", r.err.StatusCode, "wait", wait)
		if err := c.opt.Sleep(ctx, wait); err != nil {
			r.err.Err = errors.Join(r.err.Err, err)
			return r.err
		}
	}
}

type attemptResult struct {
	err        *Error
	retryable  bool
	retryAfter string
}

// send makes one attempt.
func (c *Client) send(ctx context.Context, n int, b batch, body []byte, encoding string, attempt int) attemptResult {
	crid := uuid.NewString()
	fail := func(status int, err error, retryable bool) attemptResult {
		return attemptResult{err: &Error{StatusCode: status, Batch: n, Rows: len(b.rows), Path: c.path,
			ClientRequestID: crid, Err: err}, retryable: retryable}
	}
	req, err := runtime.NewRequest(ctx, http.MethodPost, c.url)
	if err != nil {
		return fail(0, err, false)
	}
	req.Raw().Header.Set("x-ms-client-request-id", crid)
	if err := req.SetBody(newBody(body), "application/json"); err != nil {
		return fail(0, err, false)
	}
	if encoding != "" {
		req.Raw().Header.Set("Content-Encoding", encoding)
	}
	start := time.Now()
	resp, err := c.pl.Do(req)
	var payload []byte
	if err == nil {
		payload, err = runtime.Payload(resp)
	}
	log := c.opt.Logger.With("path", c.path, "batch", n, "rows", len(b.rows), "bytes", len(body),
		"attempt", attempt, "client_request_id", crid, "duration", time.Since(start).Round(time.Millisecond))
	if err != nil {
		err = unwrapURLError(err)
		log.Debug("log ingestion request", "err", err)
		return fail(0, err, transient.Is(err))
	}
	reqID := resp.Header.Get("x-ms-request-id")
	log.Debug("log ingestion request", "status", resp.StatusCode, "request_id", reqID)
	if resp.StatusCode == http.StatusNoContent {
		return attemptResult{}
	}
	e := statusError(resp.StatusCode, payload)
	e.Batch, e.Rows, e.Path, e.RequestID, e.ClientRequestID = n, len(b.rows), c.path, reqID, crid
	return attemptResult{err: e, retryable: retryableStatus(resp.StatusCode), retryAfter: resp.Header.Get("Retry-After")}
}

// backoff is the wait before attempt+1 when the server gave none.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.opt.BaseDelay
	for i := 1; i < attempt && d < c.opt.MaxDelay; i++ {
		d *= 2
	}
	return min(d, c.opt.MaxDelay)
}
