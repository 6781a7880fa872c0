package loganalytics

import (
	"errors"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// retryableStatus lists the answers worth another attempt: throttling and
// transient server failures. 4xx other than 408 and 429 will not change.
func retryableStatus(status int) bool {
	switch status {
	case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// Transport errors are judged by transient.Is. A retried call whose first
// try did arrive duplicates its rows: the ingestion API has no idempotency
// key, and duplicates beat gaps for a security log.

// parseRetryAfter reads delta seconds (fractions included) or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
			return 0, false
		}
		f = min(f, float64(24*time.Hour/time.Second))
		return time.Duration(math.Round(f*1000)) * time.Millisecond, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// unwrapURLError drops net/http's *url.Error wrapper, whose text repeats
// the URL.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
