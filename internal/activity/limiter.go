package activity

import (
	"context"
	"sync"
	"time"
)

// Graph allows the identity and access reports family (audit logs,
// sign-ins, report resources) 5 requests per 10 seconds per app per
// tenant.
const (
	reportRequests = 5
	reportWindow   = 10 * time.Second
)

// limiter paces requests so that no more than n start within any window:
// a sliding log of the last n start times. A normal run therefore never
// meets the service's 429; the client still retries one if it comes.
type limiter struct {
	n      int
	window time.Duration
	now    func() time.Time
	sleep  func(ctx context.Context, d time.Duration) error

	mu     sync.Mutex
	starts []time.Time // the last n start times, oldest first
}

func newLimiter(n int, window time.Duration, now func() time.Time, sleep func(context.Context, time.Duration) error) *limiter {
	return &limiter{n: n, window: window, now: now, sleep: sleep}
}

// wait blocks until a request may start, and records that it did. It
// sleeps at most once: the start it records is the later of the clock
// after sleeping and the moment the slot freed, so a clock that does not
// move (or a timer that fires early) can never make it wait forever or
// start too soon.
func (l *limiter) wait(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.starts) < l.n {
		l.starts = append(l.starts, now)
		return nil
	}
	if free := l.starts[0].Add(l.window); now.Before(free) {
		if err := l.sleep(ctx, free.Sub(now)); err != nil {
			return err
		}
		if now = l.now(); now.Before(free) {
			now = free
		}
	}
	copy(l.starts, l.starts[1:])
	l.starts[len(l.starts)-1] = now
	return nil
}
