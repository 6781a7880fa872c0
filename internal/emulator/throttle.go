package emulator

import (
	"fmt"
	"math"
	"sync"
	"time"
)

// RateLimit is a request limit per client over a sliding window. The zero
// value is Graph's identity and access reports limit: 5 requests per 10
// seconds per app per tenant, shared by the audit log, sign-in and report
// endpoints.
type RateLimit struct {
	Requests int           // 0 means 5
	Window   time.Duration // 0 means 10 s
	Disabled bool          // no limit at all
}

func (l RateLimit) normalize() (RateLimit, error) {
	if l.Requests < 0 || l.Window < 0 {
		return l, fmt.Errorf("reports limit %d per %s: must not be negative", l.Requests, l.Window)
	}
	if l.Requests == 0 {
		l.Requests = 5
	}
	if l.Window == 0 {
		l.Window = 10 * time.Second
	}
	return l, nil
}

// throttle keeps, per client, the times of the requests it let through
// within the window. Refused requests do not count, so a client that
// waits Retry-After always gets through.
type throttle struct {
	mu     sync.Mutex
	limit  RateLimit
	recent map[string][]time.Time // by client id, oldest first
}

func newThrottle(l RateLimit) (*throttle, error) {
	l, err := l.normalize()
	if err != nil {
		return nil, err
	}
	return &throttle{limit: l, recent: map[string][]time.Time{}}, nil
}

// admit counts a request of client at now. When the client already made
// its share of requests in the window, admit refuses it and says how many
// whole seconds remain until the oldest of them leaves the window.
func (t *throttle) admit(client string, now time.Time) (retryAfter int, ok bool) {
	if t.limit.Disabled {
		return 0, true
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	kept := t.recent[client][:0]
	for _, at := range t.recent[client] {
		if now.Sub(at) < t.limit.Window {
			kept = append(kept, at)
		}
	}
	if len(kept) >= t.limit.Requests {
		t.recent[client] = kept
		wait := kept[0].Add(t.limit.Window).Sub(now)
		return max(1, int(math.Ceil(wait.Seconds()))), false
	}
	t.recent[client] = append(kept, now)
	return 0, true
}
