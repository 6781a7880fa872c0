package notify

import (
	"slices"
	"time"

	"github.com/credwatch/credwatch/internal/policy"
)

// FirstSeen is the reminder threshold of a finding's one announcement when
// no deadline reminder is due for it: findings without a deadline
// (CW005, CW010, ...) and findings whose deadline is further off than the
// largest reminder (CW003's and CW004's credential ends).
const FirstSeen = -1

const day = 24 * time.Hour

// schedule holds the reminder thresholds in days, ascending.
type schedule []int

func newSchedule(days []int) schedule {
	s := slices.Clone(days)
	slices.Sort(s)
	return slices.Compact(s)
}

// due is the reminder a finding is due for at now: the smallest threshold
// T whose moment has come (deadline − now ≤ T days, so exactly 7 days
// before is the 7-day reminder), or FirstSeen when none has. A finding
// first seen with 5 days left is due for its 7-day reminder only: the
// 30- and 14-day ones are past and never sent.
func (s schedule) due(f *policy.Finding, now time.Time) int {
	if f.Deadline == nil {
		return FirstSeen
	}
	left := f.Deadline.Sub(now)
	for _, t := range s {
		if left <= time.Duration(t)*day {
			return t
		}
	}
	return FirstSeen
}

// daysLeft counts whole days to the deadline, rounding towards the past:
// 6 days 23 hours is 6, one hour overdue is -1 (as the reports count).
func daysLeft(deadline, now time.Time) int {
	d := deadline.Sub(now)
	days := int(d / day)
	if d < 0 && d%day != 0 {
		days--
	}
	return days
}
