package store

import (
	"context"
	"sync"
	"testing"
)

// Two credwatch processes (serve and a scheduled scan, say) may open a new
// store at the same moment: both must end up with a migrated store.
func TestConcurrentOpenOfFreshStore(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		const n = 4
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s, err := Open(context.Background(), dsn, nil)
				if err == nil {
					_, err = s.Save(context.Background(), bigRecord(tenantA, 5, ts("2025-06-01T00:00:00Z")))
					s.Close()
				}
				errs[i] = err
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("Open #%d: %v", i, err)
			}
		}
	})
}
