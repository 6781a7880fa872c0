// Package wait holds the one way credwatch waits: a sleep that a cancelled
// context cuts short, shared by every client that backs off or paces.
package wait

import (
	"context"
	"time"
)

// Sleep waits d or until ctx is done, returning why ctx ended in that case
// (its cause, when one was given). A d of zero or less returns at once.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return context.Cause(ctx)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}
