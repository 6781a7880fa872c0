package server

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/credwatch/credwatch/internal/store"
)

// scanLog records scans by tenant: when each started and ended (in the
// bubble's fake time) and the most that ever ran at once per tenant.
type scanLog struct {
	mu      sync.Mutex
	starts  map[string][]time.Time
	ends    map[string][]time.Time
	running map[string]int
	peak    map[string]int
}

func newScanLog() *scanLog {
	return &scanLog{starts: map[string][]time.Time{}, ends: map[string][]time.Time{},
		running: map[string]int{}, peak: map[string]int{}}
}

// scan returns a Scan func that takes d (fake time) unless ctx ends first.
func (l *scanLog) scan(d time.Duration) func(context.Context, string) error {
	return func(ctx context.Context, tenant string) error {
		l.mu.Lock()
		l.starts[tenant] = append(l.starts[tenant], time.Now())
		l.running[tenant]++
		l.peak[tenant] = max(l.peak[tenant], l.running[tenant])
		l.mu.Unlock()
		defer func() {
			l.mu.Lock()
			l.running[tenant]--
			l.ends[tenant] = append(l.ends[tenant], time.Now())
			l.mu.Unlock()
		}()
		select {
		case <-time.After(d):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// offsets are the scan start times relative to t0.
func (l *scanLog) offsets(tenant string, t0 time.Time) []time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []time.Duration
	for _, s := range l.starts[tenant] {
		out = append(out, s.Sub(t0))
	}
	return out
}

// schedServer builds a server inside the bubble (its channels must belong
// to it); the store is opened outside and never touched by the scheduler.
func schedServer(t *testing.T, st *store.Store, mod func(*Options)) *Server {
	t.Helper()
	o := Options{Store: st, Tenants: []string{tenantA, tenantB}, Rand: func() float64 { return 0.5 }}
	mod(&o)
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func runInBubble(s *Server) (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	return func() error { cancel(); return <-done }
}

func TestSchedulerScansAtStartThenEveryJitteredInterval(t *testing.T) {
	st := openStore(t)
	tests := []struct {
		rand float64
		gap  time.Duration // interval × (0.9 + 0.2 × rand)
	}{
		{0, 54 * time.Minute},
		{0.5, time.Hour},
		{0.75, 63 * time.Minute},
		{7, 66 * time.Minute}, // out-of-range randomness is clamped
	}
	for _, tt := range tests {
		synctest.Test(t, func(t *testing.T) {
			log := newScanLog()
			s := schedServer(t, st, func(o *Options) {
				o.Interval, o.Scan, o.Rand = time.Hour, log.scan(time.Minute), func() float64 { return tt.rand }
			})
			t0 := time.Now()
			stop := runInBubble(s)
			time.Sleep(3*(tt.gap+time.Minute) + time.Second)
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			// Each scan takes a minute; the next starts one gap after it ends.
			step := tt.gap + time.Minute
			want := []time.Duration{0, step, 2 * step, 3 * step}
			for _, tenant := range []string{tenantA, tenantB} {
				if got := log.offsets(tenant, t0); !slices.Equal(got, want) {
					t.Errorf("rand %v: %s scanned at %v, want %v", tt.rand, tenant, got, want)
				}
			}
		})
	}
}

func TestSchedulerNeverOverlapsATenant(t *testing.T) {
	st := openStore(t)
	synctest.Test(t, func(t *testing.T) {
		log := newScanLog()
		// Scans take 3h against a 1h interval, and "scan now" is pressed
		// again and again meanwhile.
		s := schedServer(t, st, func(o *Options) { o.Interval, o.Scan = time.Hour, log.scan(3*time.Hour) })
		t0 := time.Now()
		stop := runInBubble(s)
		synctest.Wait()
		if st := s.status(tenantA); !st.Scanning {
			t.Fatalf("first scan not running at start: %+v", st)
		}
		for range 5 {
			if err := s.ScanNow(tenantA); err != nil {
				t.Fatal(err)
			}
			time.Sleep(10 * time.Minute)
		}
		if st := s.status(tenantA); !st.Queued || !st.Scanning {
			t.Errorf("want one scan running and one queued: %+v", st)
		}
		time.Sleep(5 * time.Hour)
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		// A: the start scan, then the five requests as one scan right after
		// it; the abandoned scan at the end.
		if got, want := log.offsets(tenantA, t0), []time.Duration{0, 3 * time.Hour}; !slices.Equal(got[:2], want) {
			t.Errorf("tenant A scanned at %v, want %v first", got, want)
		}
		for _, tenant := range []string{tenantA, tenantB} {
			if log.peak[tenant] != 1 {
				t.Errorf("%s: %d scans ran at once", tenant, log.peak[tenant])
			}
			starts, ends := log.starts[tenant], log.ends[tenant]
			for i := 1; i < len(starts); i++ {
				if starts[i].Before(ends[i-1]) {
					t.Errorf("%s: scan %d started before scan %d ended", tenant, i, i-1)
				}
			}
		}
		// Tenants are independent: B ran its own schedule meanwhile.
		if got := log.offsets(tenantB, t0); !slices.Equal(got, []time.Duration{0, 4 * time.Hour}) {
			t.Errorf("tenant B scanned at %v", got)
		}
	})
}

func TestSchedulerStopAbandonsTheRunningScanThroughCtx(t *testing.T) {
	st := openStore(t)
	synctest.Test(t, func(t *testing.T) {
		log := newScanLog()
		s := schedServer(t, st, func(o *Options) { o.Interval, o.Scan = time.Hour, log.scan(24*time.Hour) })
		stop := runInBubble(s)
		time.Sleep(time.Minute)
		t1 := time.Now()
		if err := stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}
		// Run returned only after both scans saw ctx end and returned, at
		// once and not a day later.
		for _, tenant := range []string{tenantA, tenantB} {
			if ends := log.ends[tenant]; len(ends) != 1 || !ends[0].Equal(t1) {
				t.Errorf("%s: scans ended %v, want one at the stop", tenant, ends)
			}
		}
		if st := s.status(tenantA); st.Scanning || st.LastErr != context.Canceled.Error() {
			t.Errorf("after stop: %+v", st)
		}
		if err := s.ScanNow(tenantA); !errors.Is(err, ErrNotRunning) {
			t.Errorf("ScanNow after stop: %v", err)
		}
	})
}

func TestSchedulerWithoutIntervalRunsOnlyRequestedScans(t *testing.T) {
	st := openStore(t)
	synctest.Test(t, func(t *testing.T) {
		log := newScanLog()
		s := schedServer(t, st, func(o *Options) { o.Scan = log.scan(time.Minute) })
		t0 := time.Now()
		stop := runInBubble(s)
		time.Sleep(time.Hour)
		if err := s.ScanNow(tenantB); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Hour)
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if got := log.offsets(tenantA, t0); len(got) != 0 {
			t.Errorf("tenant A scanned unasked at %v", got)
		}
		if got := log.offsets(tenantB, t0); !slices.Equal(got, []time.Duration{time.Hour}) {
			t.Errorf("tenant B scanned at %v, want once at 1h", got)
		}
		if st := s.status(tenantB); !st.Next.IsZero() {
			t.Errorf("a next scan is announced without a schedule: %v", st.Next)
		}
	})
}

func TestSchedulerSurvivesAPanickingScan(t *testing.T) {
	st := openStore(t)
	synctest.Test(t, func(t *testing.T) {
		calls := 0
		s := schedServer(t, st, func(o *Options) {
			o.Tenants, o.Interval = []string{tenantA}, time.Hour
			o.Scan = func(context.Context, string) error { calls++; panic("collector bug") }
		})
		stop := runInBubble(s)
		time.Sleep(90 * time.Minute)
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if calls != 2 {
			t.Errorf("%d scans, want the start one and one an hour later", calls)
		}
		if st := s.status(tenantA); st.LastErr != "scan panicked: collector bug" {
			t.Errorf("last error %q", st.LastErr)
		}
	})
}

func TestScanNowAndRunErrors(t *testing.T) {
	st := openStore(t)
	synctest.Test(t, func(t *testing.T) {
		noScan := schedServer(t, st, func(o *Options) {})
		if err := noScan.ScanNow(tenantA); !errors.Is(err, ErrNoScanner) {
			t.Errorf("without Scan: %v", err)
		}
		s := schedServer(t, st, func(o *Options) { o.Scan = newScanLog().scan(time.Minute) })
		if err := s.ScanNow("tenant-zzz"); !errors.Is(err, ErrUnknownTenant) {
			t.Errorf("unknown tenant: %v", err)
		}
		if err := s.ScanNow(tenantA); !errors.Is(err, ErrNotRunning) {
			t.Errorf("before Run: %v", err)
		}
		stop := runInBubble(s)
		synctest.Wait()
		if err := s.Run(context.Background()); err == nil {
			t.Error("a second Run was allowed")
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	})
}
