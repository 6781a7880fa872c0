package graph

import (
	"context"
	"log/slog"
	"math"
	"sync"
	"time"
)

const (
	// budgetWindow is the period over which Graph refills a resource-unit
	// budget.
	budgetWindow = 10 * time.Second
	// DefaultMaxResourceUnits is the largest app-per-tenant budget Graph
	// documents (a tenant of more than 500 users): where learning starts.
	DefaultMaxResourceUnits = 8000
	// headroom is the share of the budget pacing leaves unspent, so small
	// differences between our clock and Graph's never cost a 429. It is
	// paid once (a smaller first burst), not per window.
	headroom = 0.05
	// tolerance is how far, as a share of a candidate budget, what Graph
	// reports may stray from a candidate's prediction before the
	// candidate is ruled out.
	tolerance = 0.03
	// warnLevel is the share of the budget above which Graph sends
	// x-ms-throttle-limit-percentage.
	warnLevel = 0.8
)

// pacer spends a resource-unit budget evenly: each request waits until
// the budget can pay its estimated cost, so a scan runs just under Graph's
// limit instead of into it.
//
// When the budget is not known it is learned. The pacer simulates Graph's
// token bucket for a range of candidate budgets at once, charging every
// request to each, and rules out the candidates that contradict what
// Graph says: a response without x-ms-throttle-limit-percentage means at
// most 80% is spent, one with it says how much, a 429 that too little was
// left. Pacing follows the largest candidate still standing, so it starts
// at the largest documented budget and settles on the real one, usually
// warned by the 80% header before any 429. When every candidate is ruled
// out (another client spending the same budget, say) the range restarts
// at 70% of the last estimate.
type pacer struct {
	now   func() time.Time
	sleep func(context.Context, time.Duration) error
	log   *slog.Logger

	max   float64 // where learning started
	fixed bool    // the budget was given, not learned

	mu       sync.Mutex
	cands    []candidate // budgets, largest first
	best     int         // index of the largest candidate still standing
	at       time.Time   // when the candidates' tokens were last refilled
	pauseTil time.Time   // no request before this (after a 429)
	inflight float64     // estimated cost of requests sent and not answered
	waited   time.Duration
}

// candidate is one budget the pacer considers, with the tokens its bucket
// would hold now.
type candidate struct {
	budget float64
	tokens float64
	out    bool // ruled out
}

// newPacer paces to known RU per window, or learns the budget when known
// is 0, from max down. It returns nil (no pacing) for a negative known.
func newPacer(known, max int, now func() time.Time, sleep func(context.Context, time.Duration) error, log *slog.Logger) *pacer {
	if known < 0 {
		return nil
	}
	p := &pacer{now: now, sleep: sleep, log: log, at: now()}
	if known > 0 {
		p.cands, p.fixed = []candidate{{budget: float64(known), tokens: float64(known)}}, true
		return p
	}
	p.max = float64(max)
	p.reset(p.max, 1)
	return p
}

// reset makes the candidates a geometric range from top down to top/32,
// each bucket holding the share fill of its budget (0 after a 429).
func (p *pacer) reset(top, fill float64) {
	p.cands = p.cands[:0]
	for b := top; b >= top/32; b *= 0.97 {
		p.cands = append(p.cands, candidate{budget: math.Floor(b), tokens: math.Floor(b) * math.Max(0, fill)})
	}
	p.best = 0
}

// refill adds what each candidate's bucket regained since the last call.
func (p *pacer) refill(now time.Time) {
	dt := now.Sub(p.at)
	if dt <= 0 {
		return
	}
	p.at = now
	for i := range p.cands {
		c := &p.cands[i]
		c.tokens = math.Min(c.budget, c.tokens+c.budget*dt.Seconds()/budgetWindow.Seconds())
	}
}

// wait blocks until the budget can pay cost, then charges it. A request
// of cost 0 (reports, $batch envelopes priced by their items) never waits,
// nor does one sent again after waiting out its own 429 (afterThrottle):
// Graph's Retry-After promised it would then be admitted.
func (p *pacer) wait(ctx context.Context, cost int, afterThrottle bool) error {
	if p == nil || cost <= 0 {
		return ctx.Err()
	}
	c := float64(cost)
	if afterThrottle {
		p.mu.Lock()
		p.refill(p.now())
		p.charge(c)
		p.mu.Unlock()
		return ctx.Err()
	}
	for {
		p.mu.Lock()
		now := p.now()
		p.refill(now)
		best := p.cands[p.best]
		var d time.Duration
		switch {
		case now.Before(p.pauseTil):
			d = p.pauseTil.Sub(now)
		case best.tokens >= c+headroom*best.budget:
		default:
			short := c + headroom*best.budget - best.tokens
			d = time.Duration(math.Ceil(short / best.budget * float64(budgetWindow)))
		}
		if d <= 0 {
			p.charge(c)
			p.mu.Unlock()
			return nil
		}
		p.waited += d
		p.mu.Unlock()
		if err := p.sleep(ctx, d); err != nil {
			return err
		}
		if !p.now().After(now) {
			// A clock that does not move (a test's) would spin here;
			// let the server decide instead.
			p.mu.Lock()
			p.charge(c)
			p.mu.Unlock()
			return nil
		}
	}
}

// charge takes c from every candidate's bucket.
func (p *pacer) charge(c float64) {
	for i := range p.cands {
		p.cands[i].tokens -= c
	}
	p.inflight += c
}

// feedback is what one answer said about the budget.
type feedback struct {
	answered bool    // a response came back (else the cost stays charged)
	charged  int     // x-ms-resource-unit; negative when absent
	used     float64 // x-ms-throttle-limit-percentage; 0 when absent
	// throttled is a 429 from the resource-unit budget, retryAfter its
	// wait.
	throttled  bool
	retryAfter time.Duration
}

// merge adds what a $batch's items said to the envelope's feedback: their
// charges when the envelope carried none, the highest usage, and any 429
// with its longest wait.
func (f feedback) merge(items feedback) feedback {
	if f.charged < 0 {
		f.charged = items.charged
	}
	f.used = math.Max(f.used, items.used)
	if items.throttled {
		f.throttled = true
		f.retryAfter = max(f.retryAfter, items.retryAfter)
	}
	return f
}

// settle takes an answer's feedback for a request charged cost by wait.
func (p *pacer) settle(cost int, fb feedback) {
	if p == nil || cost <= 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	c := float64(cost)
	p.inflight = math.Max(0, p.inflight-c)
	p.refill(p.now())
	if !fb.answered {
		return
	}
	refund := 0.0
	switch {
	case fb.charged >= 0:
		refund = c - float64(fb.charged)
	case fb.throttled:
		refund = c // refused requests cost nothing
	}
	for i := range p.cands {
		p.cands[i].tokens += refund
	}
	if fb.throttled {
		p.pauseTil = maxTime(p.pauseTil, p.now().Add(fb.retryAfter))
	}
	if p.fixed { // a known budget: only follow what Graph says
		p.sync(&p.cands[0], fb)
		return
	}
	standing, shrink := 0, fb.throttled
	for i := range p.cands {
		k := &p.cands[i]
		if k.out {
			continue
		}
		tol := p.inflight + tolerance*k.budget
		used := k.budget - k.tokens
		switch {
		case fb.throttled:
			k.out = k.tokens >= c+tol // it had room, yet Graph refused
		case fb.used > 0:
			k.out = math.Abs(used-fb.used*k.budget) > tol
			shrink = shrink || (k.out && used < fb.used*k.budget)
		default:
			k.out = used > warnLevel*k.budget+tol // Graph says at most 80%
		}
		if !k.out {
			p.sync(k, fb)
			standing++
		}
	}
	if standing == 0 {
		// Nothing fits: another client spends the same budget, or the
		// budget is not what the range assumed. Start again below or above.
		best := p.cands[p.best].budget
		top, fill := math.Min(best/0.7, 4*p.max), 1-warnLevel
		switch {
		case fb.throttled:
			top, fill = 0.7*best, 0
		case shrink:
			top, fill = 0.7*best, 1-fb.used
		}
		p.log.Debug("graph budget estimate restarted", "from", int(top))
		p.reset(top, fill)
		return
	}
	for p.cands[p.best].out {
		p.best++
	}
}

// sync lowers a candidate's tokens to what Graph reports left.
func (p *pacer) sync(k *candidate, fb feedback) {
	switch {
	case fb.throttled:
		k.tokens = math.Min(k.tokens, 0)
	case fb.used > 0:
		k.tokens = math.Min(k.tokens, k.budget*(1-fb.used))
	}
}

// stats is the current estimate of the budget per 10 s, and how long
// requests have waited for it in all.
func (p *pacer) stats() (budget int, waited time.Duration) {
	if p == nil {
		return 0, 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return int(p.cands[p.best].budget), p.waited
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
