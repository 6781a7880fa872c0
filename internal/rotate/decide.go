package rotate

import "time"

// Decision is whether the old credential may go now.
type Decision struct {
	Wait        bool
	Unconfirmed bool // removed because the grace period passed, not because usage showed the switch
	Reason      string
}

// Decide judges step 3. The consumers have moved when the new key has
// signed in and the old one has not for the whole grace period; without
// that, the old credential goes only once the grace period since the
// vault write has passed and removeUnconfirmed is set.
func Decide(now, storedAt time.Time, grace time.Duration, oldLast, newLast time.Time, usageKnown, removeUnconfirmed bool) Decision {
	oldQuiet := oldLast.IsZero() || now.Sub(oldLast) >= grace
	if usageKnown && !newLast.IsZero() && oldQuiet {
		return Decision{Reason: "the new key signs in and the old one has not for the grace period"}
	}
	var why string
	switch {
	case !usageKnown:
		why = "credential usage is unknown"
	case newLast.IsZero():
		why = "the new key has not signed in yet"
	default:
		why = "the old key signed in " + oldLast.UTC().Format(time.RFC3339) + ", within the grace period"
	}
	until := storedAt.Add(grace)
	if now.Before(until) {
		return Decision{Wait: true, Reason: why + "; grace period ends " + until.UTC().Format(time.RFC3339)}
	}
	if removeUnconfirmed {
		return Decision{Unconfirmed: true, Reason: why + "; grace period over and --remove-unconfirmed given"}
	}
	return Decision{Wait: true, Reason: why + "; grace period over: remove with --remove-unconfirmed once consumers are known to have moved"}
}
