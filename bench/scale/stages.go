package main

import (
	"context"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The steps of a scan that the scanner's resident set is attributed to,
// and the debug line (of scan.Run, the delta source or the store) that
// ends each.
var (
	stepNames = []string{"read", "baseline", "build", "evaluate", "record"}
	stepAfter = map[string]int{
		"collected tenant":         1,
		"collected tenant changes": 1,
		"delta state saved":        2,
		"inventory built":          3,
		"policy evaluated":         4,
	}
)

// steps samples the resident set every few milliseconds and keeps the
// highest seen during each step. Samples can miss a brief peak: the
// process's own high-water mark (peakRSS) is the figure; this says where
// it is.
type steps struct {
	mu   sync.Mutex
	cur  int
	peak []uint64
}

func newSteps() *steps { return &steps{peak: make([]uint64, len(stepNames))} }

// sample runs until ctx ends.
func (s *steps) sample(ctx context.Context) {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		rss := statusBytes("VmRSS:")
		s.mu.Lock()
		s.peak[s.cur] = max(s.peak[s.cur], rss)
		s.mu.Unlock()
	}
}

func (s *steps) peaks() map[string]uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]uint64{}
	for i, p := range s.peak {
		if p > 0 {
			out[stepNames[i]] = p
		}
	}
	return out
}

// handler passes records at or above level to next and moves s on at the
// lines that end a step, whatever their level.
type handler struct {
	next  slog.Handler
	level slog.Level
	s     *steps
}

func (h handler) Enabled(context.Context, slog.Level) bool { return true }

func (h handler) Handle(ctx context.Context, r slog.Record) error {
	if i, ok := stepAfter[r.Message]; ok {
		h.s.mu.Lock()
		h.s.cur = max(h.s.cur, i)
		h.s.mu.Unlock()
	}
	if r.Level < h.level {
		return nil
	}
	return h.next.Handle(ctx, r)
}

func (h handler) WithAttrs(as []slog.Attr) slog.Handler {
	return handler{next: h.next.WithAttrs(as), level: h.level, s: h.s}
}

func (h handler) WithGroup(name string) slog.Handler {
	return handler{next: h.next.WithGroup(name), level: h.level, s: h.s}
}

// statusBytes reads a "kB" field of /proc/self/status, such as VmHWM, in
// bytes; 0 where the kernel does not tell.
func statusBytes(field string) uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, field); ok {
			f := strings.Fields(v) // "123456 kB"
			if len(f) == 2 && f[1] == "kB" {
				if kb, err := strconv.ParseUint(f[0], 10, 64); err == nil {
					return kb << 10
				}
			}
		}
	}
	return 0
}
