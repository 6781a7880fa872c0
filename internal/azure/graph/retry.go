package graph

import (
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/credwatch/credwatch/internal/azure/transient"
)

// retryableStatus lists the statuses worth another attempt: throttling and
// the server-side failures Graph documents as transient. 401 and 403 are
// never retried: the answer will not change.
func retryableStatus(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// truncatedJSON reports whether a decode error means the body stopped
// early (a connection cut after the headers): such a response is retried.
func truncatedJSON(err error, body []byte) bool {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	var serr *json.SyntaxError
	if errors.As(err, &serr) {
		return serr.Offset >= int64(len(body)) || len(body) == 0
	}
	return false
}

// truncated reports whether a failed decode means the body was cut short
// (or the connection failed while it was read): such a response is
// retried. body is the buffered body, nil when it was streamed.
func truncated(err error, body []byte) bool {
	if body != nil && truncatedJSON(err, body) {
		return true
	}
	return errors.Is(err, io.ErrUnexpectedEOF) || transient.Is(err)
}

// parseRetryAfter reads a Retry-After value: delta seconds, fractional
// ones included ("2.128", which Graph has sent), or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
			return 0, false
		}
		if f > float64(24*time.Hour/time.Second) {
			f = float64(24 * time.Hour / time.Second)
		}
		return time.Duration(math.Round(f*1000)) * time.Millisecond, true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

// headerValue looks a header up case-insensitively in a $batch item's
// header map.
func headerValue(h map[string]string, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// retryAfter is the server-given wait, capped at MaxRetryAfter.
func (c *Client) retryAfter(v string) (time.Duration, bool) {
	d, ok := parseRetryAfter(v, c.opt.Now())
	if ok && d > c.opt.MaxRetryAfter {
		d = c.opt.MaxRetryAfter
	}
	return d, ok
}

// backoff is the wait before attempt+1 when the server gave none:
// exponential from BaseDelay, capped at MaxDelay, with "equal jitter" (half
// fixed, half random) so parallel clients spread out without ever retrying
// at once.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.opt.BaseDelay
	for i := 1; i < attempt && d < c.opt.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, c.opt.MaxDelay)
	return d/2 + time.Duration(c.opt.Jitter()*float64(d/2))
}

// takeRetry spends one retry from the client-wide budget.
func (c *Client) takeRetry() bool {
	if c.opt.RetryBudget < 0 {
		return true
	}
	for {
		left := c.budget.Load()
		if left <= 0 {
			return false
		}
		if c.budget.CompareAndSwap(left, left-1) {
			return true
		}
	}
}

// unwrapURLError drops net/http's *url.Error wrapper, whose text repeats
// the full URL with its query.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
