package notify

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/credwatch/credwatch/internal/inventory"
	"github.com/credwatch/credwatch/internal/policy"
)

// Test sends a sample message to one channel (`credwatch notify test
// --channel NAME`), outside the reminder state.
func (n *Notifier) Test(ctx context.Context, name string) error {
	ch, ok := n.channels[name]
	if !ok {
		names := make([]string, 0, len(n.channels))
		for _, c := range n.cfg.Channels {
			names = append(names, c.Name)
		}
		if len(names) == 0 {
			return fmt.Errorf("unknown channel %q: no channels are configured", name)
		}
		return fmt.Errorf("unknown channel %q (configured: %s)", name, strings.Join(names, ", "))
	}
	ctx, cancel := context.WithTimeout(ctx, n.opts.ChannelTimeout)
	defer cancel()
	if err := n.red.scrubErr(ch.send(ctx, sampleMessage(n.opts.Now()))); err != nil {
		n.log.Warn("test notification failed", "channel", name, "type", ch.cfg.Type, "error", err.Error())
		return &ChannelError{Channel: name, Err: err}
	}
	n.log.Info("test notification sent", "channel", name, "type", ch.cfg.Type)
	return nil
}

// sampleMessage is what Test sends: one made-up finding, marked as a test.
func sampleMessage(now time.Time) *Message {
	deadline := now.Add(7 * day).UTC().Truncate(time.Second)
	d := 7
	return &Message{Tenant: "00000000-0000-0000-0000-000000000000", GeneratedAt: now, Part: 1, Parts: 1, Test: true,
		Items: []Item{{
			Finding: policy.Finding{
				ID:     policy.FindingID("CW002", "00000000-0000-0000-0000-0000000000a1", "00000000-0000-0000-0000-0000000000c1"),
				RuleID: "CW002", Severity: policy.High, ObjectType: inventory.Application,
				ObjectID: "00000000-0000-0000-0000-0000000000a1", AppID: "00000000-0000-0000-0000-0000000000b1",
				AppName: "credwatch sample app", KeyID: "00000000-0000-0000-0000-0000000000c1",
				Message:  `client secret "sample" expires in 7 days (` + deadline.Format(time.DateOnly) + `)`,
				Deadline: &deadline,
			},
			Reminder: 7, DaysLeft: &d, Description: "sample",
			Owners: []string{"Alex Example <alex@example.com>"},
		}},
	}
}
