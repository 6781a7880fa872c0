package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const (
	backoffBase = time.Second
	backoffMax  = 30 * time.Second
	// maxErrorBody is how much of a refusing webhook's answer an error
	// quotes.
	maxErrorBody = 300
)

// HTTPError is a webhook's answer other than 2xx.
type HTTPError struct {
	StatusCode int
	// Body is the start of the answer on one line (Slack says what was
	// wrong there: "invalid_payload", "no_service").
	Body string
	// RetryAfter is the wait the server asked for (429, 503), if any.
	RetryAfter time.Duration
}

func (e *HTTPError) Error() string {
	s := "HTTP " + strconv.Itoa(e.StatusCode)
	if t := http.StatusText(e.StatusCode); t != "" {
		s += " " + t
	}
	if e.StatusCode >= 300 && e.StatusCode < 400 {
		s += " (redirects are not followed)"
	}
	if e.Body != "" {
		s += ": " + e.Body
	}
	return s
}

func (e *HTTPError) retry() (bool, time.Duration) {
	return e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500, e.RetryAfter
}

// transientError is a network failure or timeout: worth another try.
type transientError struct{ err error }

func (e *transientError) Error() string                { return e.err.Error() }
func (e *transientError) Unwrap() error                { return e.err }
func (e *transientError) retry() (bool, time.Duration) { return true, 0 }

// retrier is an error that says whether another try may succeed and how
// long the other side asked us to wait first (0: our own backoff).
type retrier interface{ retry() (bool, time.Duration) }

// withRetry runs try until it succeeds, fails for good, or MaxAttempts
// tries are spent, waiting with exponential backoff (or the server's
// Retry-After) between tries.
func (n *Notifier) withRetry(ctx context.Context, channel string, try func(context.Context) error) error {
	for attempt := 1; ; attempt++ {
		err := try(ctx)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%w (gave up: %w)", err, context.Cause(ctx))
		}
		var r retrier
		again, wait := false, time.Duration(0)
		if errors.As(err, &r) {
			again, wait = r.retry()
		}
		if !again {
			return err
		}
		if attempt >= n.opts.MaxAttempts {
			return fmt.Errorf("%w (after %d attempts)", err, attempt)
		}
		if wait <= 0 {
			wait = min(backoffBase<<(attempt-1), backoffMax)
		}
		if wait > n.opts.MaxRetryWait {
			return fmt.Errorf("%w (server asked to wait %s, more than %s; left for the next run)",
				err, wait, n.opts.MaxRetryWait)
		}
		n.log.Debug("notification delivery failed, retrying", "channel", channel, "attempt", attempt,
			"wait", wait, "error", n.red.scrub(err.Error()))
		if serr := n.opts.Sleep(ctx, wait); serr != nil {
			return fmt.Errorf("%w (gave up: %w)", err, serr)
		}
	}
}

// post sends a JSON body to a webhook URL, retrying as withRetry does.
// header, when set, adds headers on each try (a fresh signature each
// time). Errors never carry the URL.
func (n *Notifier) post(ctx context.Context, channel, target string, body []byte, header func(http.Header)) error {
	return n.withRetry(ctx, channel, func(ctx context.Context) error {
		return n.postOnce(ctx, target, body, header)
	})
}

func (n *Notifier) postOnce(ctx context.Context, target string, body []byte, header func(http.Header)) error {
	ctx, cancel := context.WithTimeout(ctx, n.opts.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return errors.New("build request: invalid webhook URL")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "credwatch")
	if header != nil {
		header(req.Header)
	}
	resp, err := n.client.Do(req)
	if err != nil {
		// url.Error quotes the URL, which is a credential: keep only the
		// cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("no answer within %s", n.opts.RequestTimeout)
		}
		return &transientError{fmt.Errorf("send request: %w", err)}
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	// Drain a little more so the connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	return &HTTPError{StatusCode: resp.StatusCode, Body: truncate(oneLine(string(snippet)), 200),
		RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), n.opts.Now())}
}

// parseRetryAfter reads Retry-After as seconds or an HTTP date; 0 when
// absent or unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s < 0 {
			return 0
		}
		return time.Duration(min(s, 86400)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// noRedirects is the HTTP client's CheckRedirect: a webhook that redirects
// is misconfigured, and following would resend the body elsewhere.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
