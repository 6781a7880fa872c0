package graph

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"testing"
	"time"
)

// fakeClock is a clock that only moves when someone sleeps on it.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func (c *fakeClock) sleep(ctx context.Context, d time.Duration) error {
	if d > 0 {
		c.t = c.t.Add(d)
	}
	return ctx.Err()
}

// bucket is Graph's side of the budget, as the contract describes it: a
// token bucket refilled evenly over 10 s, refusing what it cannot pay,
// reporting x-ms-throttle-limit-percentage above 80%.
type bucket struct {
	budget, tokens float64
	at             time.Time
	refused        int
}

func (b *bucket) serve(now time.Time, cost int) feedback {
	b.tokens = math.Min(b.budget, b.tokens+b.budget*now.Sub(b.at).Seconds()/10)
	b.at = now
	c := float64(cost)
	if b.tokens < c {
		b.refused++
		wait := time.Duration(math.Ceil((c-b.tokens)/b.budget*10)) * time.Second
		return feedback{answered: true, charged: 0, throttled: true, retryAfter: wait}
	}
	b.tokens -= c
	fb := feedback{answered: true, charged: cost}
	if used := (b.budget - b.tokens) / b.budget; used > 0.8 {
		fb.used = math.Round(used*1000) / 1000
	}
	return fb
}

// runScan sends n requests of the given costs in turn through p against
// b, waiting out 429s as the client does, and returns the fake time taken.
func runScan(t *testing.T, p *pacer, b *bucket, clock *fakeClock, costs []int) time.Duration {
	t.Helper()
	start := clock.t
	ctx := context.Background()
	for i, cost := range costs {
		after := false
		for {
			if err := p.wait(ctx, cost, after); err != nil {
				t.Fatal(err)
			}
			fb := b.serve(clock.t, cost)
			p.settle(cost, fb)
			if !fb.throttled {
				break
			}
			if i > len(costs)/2 {
				t.Fatalf("request %d of %d refused: the pacer has not settled", i, len(costs))
			}
			_ = clock.sleep(ctx, fb.retryAfter)
			after = true
		}
		clock.t = clock.t.Add(20 * time.Millisecond) // the request's latency
	}
	return clock.t.Sub(start)
}

// ideal is the fastest a client could send costs in turn against a full
// budget of budget RU per 10 s, each request taking 20 ms, had it perfect
// knowledge of the bucket and no headroom.
func ideal(budget int, costs []int) time.Duration {
	rate := float64(budget) / 10 // RU per second
	var t, tokens = 0.0, float64(budget)
	for _, c := range costs {
		if short := float64(c) - tokens; short > 0 {
			t += short / rate
			tokens += short
		}
		tokens -= float64(c)
		t += 0.02
		tokens = math.Min(float64(budget), tokens+0.02*rate)
	}
	return time.Duration(t * float64(time.Second))
}

// scanCosts is a scan's shape: list pages (2 RU) then batches of 20
// lookups (20 RU).
func scanCosts(pages, batches int) []int {
	var c []int
	for range pages {
		c = append(c, 2)
	}
	for range batches {
		c = append(c, 20)
	}
	return c
}

func TestPacingWithAKnownBudgetNeverTrips(t *testing.T) {
	for _, budget := range []int{3500, 5000, 8000} {
		t.Run(fmt.Sprint(budget), func(t *testing.T) {
			clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			b := &bucket{budget: float64(budget), tokens: float64(budget), at: clock.t}
			p := newPacer(budget, 0, clock.now, clock.sleep, slog.New(slog.DiscardHandler))
			costs := scanCosts(200, 2000) // 40,400 RU
			took := runScan(t, p, b, clock, costs)
			if b.refused != 0 {
				t.Errorf("%d requests refused", b.refused)
			}
			// The headroom costs its share of one window, once.
			if bound := ideal(budget, costs) + time.Duration(headroom*float64(10*time.Second)); took > bound*101/100 {
				t.Errorf("took %s, want within 1%% of %s", took, bound)
			}
		})
	}
}

func TestPacingLearnsTheBudget(t *testing.T) {
	for _, budget := range []int{3500, 5000, 8000, 1200} {
		t.Run(fmt.Sprint(budget), func(t *testing.T) {
			clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			b := &bucket{budget: float64(budget), tokens: float64(budget), at: clock.t}
			p := newPacer(0, DefaultMaxResourceUnits, clock.now, clock.sleep, slog.New(slog.DiscardHandler))
			costs := scanCosts(200, 2000)
			took := runScan(t, p, b, clock, costs)
			// Graph's 80% warning comes before the budget runs out.
			if b.refused != 0 {
				t.Errorf("%d requests refused while learning, want none", b.refused)
			}
			est, _ := p.stats()
			if math.Abs(float64(est-budget)) > 0.05*float64(budget) {
				t.Errorf("learned %d RU, want %d within 5%%", est, budget)
			}
			if bound := ideal(budget, costs) + time.Duration(headroom*float64(10*time.Second)); took > bound*101/100 {
				t.Errorf("took %s, want within 1%% of %s", took, bound)
			}
		})
	}
}

func TestPacingRecoversFromASharedBudget(t *testing.T) {
	// Another client spends half the budget: the first estimate is
	// contradicted by 429s and headers, and pacing settles lower without
	// failing requests for long.
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	b := &bucket{budget: 8000, tokens: 8000, at: clock.t}
	p := newPacer(0, DefaultMaxResourceUnits, clock.now, clock.sleep, slog.New(slog.DiscardHandler))
	ctx := context.Background()
	refusedLate := 0
	for i := range 3000 {
		b.serve(clock.t, 10) // the other client
		after := false
		for {
			if err := p.wait(ctx, 10, after); err != nil {
				t.Fatal(err)
			}
			fb := b.serve(clock.t, 10)
			p.settle(10, fb)
			if !fb.throttled {
				break
			}
			if i > 1500 {
				refusedLate++
			}
			_ = clock.sleep(ctx, fb.retryAfter)
			after = true
		}
		clock.t = clock.t.Add(20 * time.Millisecond)
	}
	if refusedLate > 0 {
		t.Errorf("%d refusals in the second half", refusedLate)
	}
}

func TestPacingOffAndFreeRequestsNeverWait(t *testing.T) {
	clock := &fakeClock{t: time.Unix(0, 0)}
	if p := newPacer(-1, 0, clock.now, clock.sleep, slog.New(slog.DiscardHandler)); p != nil {
		t.Fatal("negative budget: want no pacer")
	}
	var off *pacer
	if err := off.wait(context.Background(), 1000, false); err != nil {
		t.Fatal(err)
	}
	p := newPacer(10, 0, clock.now, clock.sleep, slog.New(slog.DiscardHandler))
	for range 100 {
		if err := p.wait(context.Background(), 0, false); err != nil {
			t.Fatal(err)
		}
	}
	if !clock.t.Equal(time.Unix(0, 0)) {
		t.Errorf("free requests waited %s", clock.t.Sub(time.Unix(0, 0)))
	}
}
