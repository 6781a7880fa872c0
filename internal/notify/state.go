package notify

import (
	"context"
	"sync"

	"github.com/credwatch/credwatch/internal/store"
)

// StateStore keeps which reminders went out, so each (finding, threshold,
// channel) is sent once across runs and restarts, and failed ones are
// tried again. *store.Store implements it.
type StateStore interface {
	// SentNotifications returns the delivered reminders of the findings.
	SentNotifications(ctx context.Context, findingIDs []string) ([]store.NotificationKey, error)
	// RecordNotifications stores delivery attempts; a sent key stays sent.
	RecordNotifications(ctx context.Context, attempts []store.NotificationAttempt) error
}

var _ StateStore = (*store.Store)(nil)

// memState is the state of a Notifier created without a store: it lasts
// as long as the process.
type memState struct {
	mu   sync.Mutex
	sent map[store.NotificationKey]bool
}

func newMemState() *memState { return &memState{sent: map[store.NotificationKey]bool{}} }

func (m *memState) SentNotifications(_ context.Context, ids []string) ([]store.NotificationKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	var out []store.NotificationKey
	for k := range m.sent {
		if want[k.FindingID] {
			out = append(out, k)
		}
	}
	return out, nil
}

func (m *memState) RecordNotifications(_ context.Context, attempts []store.NotificationAttempt) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, a := range attempts {
		if a.Status == store.NotificationSent {
			m.sent[a.NotificationKey] = true
		}
	}
	return nil
}
