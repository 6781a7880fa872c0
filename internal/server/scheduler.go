package server

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// tenantState is the scheduler's view of one tenant. trigger holds at most
// one queued "scan now": more requests while one is queued coalesce.
type tenantState struct {
	trigger chan struct{}

	scanning  bool
	queued    bool
	lastStart time.Time
	lastEnd   time.Time
	lastErr   string
	next      time.Time // zero when nothing is scheduled
}

// tenantStatus is a copy of a tenant's state for pages and readiness.
type tenantStatus struct {
	Scanning  bool
	Queued    bool
	LastStart time.Time
	LastEnd   time.Time
	LastErr   string
	Next      time.Time
}

func (s *Server) status(tenantID string) tenantStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.state[tenantID]
	if st == nil {
		return tenantStatus{}
	}
	return tenantStatus{Scanning: st.scanning, Queued: st.queued, LastStart: st.lastStart,
		LastEnd: st.lastEnd, LastErr: st.lastErr, Next: st.next}
}

// Run is the scheduler. It scans every tenant at once, then again every
// jittered Interval, one scan at a time per tenant (a queued "scan now"
// waits for the running scan); tenants scan in parallel. With Interval 0 it
// only runs what ScanNow queues. Run returns nil when ctx ends, after every
// running scan has returned (scans get ctx, so they are abandoned through
// it). Calling Run again while it runs is an error.
func (s *Server) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.running {
		s.mu.Unlock()
		return errors.New("run scheduler: already running")
	}
	s.running = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.running = false
		for _, st := range s.state {
			st.next, st.queued = time.Time{}, false
			select { // a request the stopped scheduler never served
			case <-st.trigger:
			default:
			}
		}
		s.mu.Unlock()
	}()
	if s.o.Scan == nil {
		<-ctx.Done()
		return nil
	}
	s.log.Info("scheduler started", "tenants", len(s.tenants), "interval", s.o.Interval)
	var wg sync.WaitGroup
	for _, id := range s.tenants {
		wg.Go(func() { s.loop(ctx, id) })
	}
	wg.Wait()
	s.log.Info("scheduler stopped")
	return nil
}

// loop scans one tenant until ctx ends. Being one goroutine per tenant is
// what keeps a tenant's scans from overlapping.
func (s *Server) loop(ctx context.Context, tenantID string) {
	st := s.state[tenantID]
	var timer *time.Timer
	var tick <-chan time.Time // nil, never ready, when nothing is scheduled
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	due := s.o.Interval > 0 // the first scheduled scan runs at start
	for {
		if !due {
			select {
			case <-ctx.Done():
				return
			case <-tick:
			case <-st.trigger:
			}
		}
		due = false
		if ctx.Err() != nil {
			return
		}
		// A "scan now" queued before this scan started is served by it.
		select {
		case <-st.trigger:
		default:
		}
		s.scanOnce(ctx, tenantID)
		if s.o.Interval > 0 {
			d := s.jittered()
			if timer == nil {
				timer = time.NewTimer(d)
				tick = timer.C
			} else {
				timer.Reset(d)
			}
			s.mu.Lock()
			st.next = s.now().Add(d)
			s.mu.Unlock()
		}
	}
}

// jittered is Interval scaled by a factor in [0.9, 1.1).
func (s *Server) jittered() time.Duration {
	r := min(max(s.rand(), 0), 1)
	// Integer arithmetic for the fixed part keeps round values exact.
	return s.o.Interval*9/10 + time.Duration(float64(s.o.Interval/5)*r)
}

func (s *Server) scanOnce(ctx context.Context, tenantID string) {
	st := s.state[tenantID]
	start := s.now()
	s.mu.Lock()
	st.scanning, st.queued, st.lastStart = true, false, start
	s.mu.Unlock()

	err := s.callScan(ctx, tenantID)

	end := s.now()
	s.mu.Lock()
	st.scanning, st.lastEnd = false, end
	st.lastErr = ""
	if err != nil {
		st.lastErr = err.Error()
	}
	s.mu.Unlock()
	switch {
	case err == nil:
		s.log.Info("scan finished", "tenant", tenantID, "duration", end.Sub(start))
	case ctx.Err() != nil:
		s.log.Info("scan abandoned: server stopping", "tenant", tenantID, "err", err)
	default:
		s.log.Error("scan failed", "tenant", tenantID, "duration", end.Sub(start), "err", err)
	}
}

// callScan runs the Scan func; a panic becomes an error, so one bad scan
// does not take the dashboard down.
func (s *Server) callScan(ctx context.Context, tenantID string) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("scan panicked: %v", p)
		}
	}()
	return s.o.Scan(ctx, tenantID)
}

// ScanNow queues an immediate scan of a tenant. It returns at once; a scan
// already queued absorbs the request, and a running scan is followed by
// the queued one, never overlapped.
func (s *Server) ScanNow(tenantID string) error {
	st, ok := s.state[tenantID]
	if !ok {
		return fmt.Errorf("scan now: %w %q", ErrUnknownTenant, tenantID)
	}
	if s.o.Scan == nil {
		return fmt.Errorf("scan now: %w", ErrNoScanner)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.running {
		return fmt.Errorf("scan now: %w", ErrNotRunning)
	}
	st.queued = true
	select {
	case st.trigger <- struct{}{}:
	default: // one is queued already
	}
	return nil
}
