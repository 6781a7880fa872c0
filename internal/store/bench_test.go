package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkSave stores a 20,000-object, 40,000-credential scan (plus
// 20,000 owners, 10,000 permissions and 20,000 findings) per iteration.
func BenchmarkSave(b *testing.B) {
	r := bigRecord(tenantA, 20000, ts("2025-06-01T00:00:00Z"))
	run := func(b *testing.B, dsn string) {
		ctx := context.Background()
		s, err := Open(ctx, dsn, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		var total time.Duration
		n := 0
		for b.Loop() {
			start := time.Now()
			if _, err := s.Save(ctx, r); err != nil {
				b.Fatal(err)
			}
			total += time.Since(start)
			n++
		}
		b.ReportMetric(total.Seconds()/float64(n), "s/save")
	}
	b.Run("sqlite", func(b *testing.B) {
		run(b, "sqlite://"+filepath.Join(b.TempDir(), "bench.db"))
	})
	b.Run("postgres", func(b *testing.B) {
		run(b, postgresDSN(b))
	})
}
