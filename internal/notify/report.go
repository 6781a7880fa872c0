package notify

// ChannelError is a channel's failure; its text never holds a secret.
type ChannelError struct {
	Channel string
	Owners  bool // the owners' email of the channel
	Err     error
}

func (e *ChannelError) Error() string {
	what := "channel " + e.Channel
	if e.Owners {
		what = "owners' email via channel " + e.Channel
	}
	return "notify " + what + ": " + e.Err.Error()
}

func (e *ChannelError) Unwrap() error { return e.Err }

// Report says what one Notify call did, per channel.
type Report struct {
	Findings   int             `json:"findings"`   // findings given
	Suppressed int             `json:"suppressed"` // of them suppressed, never sent
	Channels   []ChannelReport `json:"channels"`
}

// ChannelReport counts findings, not messages, except Messages; for
// owners' email it counts (finding, owner) pairs.
type ChannelReport struct {
	Channel string `json:"channel"`
	Type    string `json:"type"`
	Owners  bool   `json:"owners,omitempty"` // owners' email through this channel
	// Sent findings went out in this run; Failed ones did not (the next
	// run retries them); Skipped ones were routed here but their current
	// reminder had already been sent.
	Sent     int      `json:"sent"`
	Failed   int      `json:"failed"`
	Skipped  int      `json:"skipped"`
	Messages int      `json:"messages"` // messages delivered
	Errors   []string `json:"errors,omitempty"`
}

// Failed reports whether any delivery or state write failed.
func (r *Report) Failed() bool {
	for _, c := range r.Channels {
		if c.Failed > 0 || len(c.Errors) > 0 {
			return true
		}
	}
	return false
}
