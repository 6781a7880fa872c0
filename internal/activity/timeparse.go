package activity

import (
	"regexp"
	"strconv"
	"time"

	"github.com/credwatch/credwatch/internal/inventory"
)

// shortOffsetRE finds an offset with a one-digit hour, as in Microsoft's
// usage report examples ("2021-04-01T21:36:48-8:00").
var shortOffsetRE = regexp.MustCompile(`([T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)([+-])(\d)(:?\d{2})?$`)

// parseTime reads a Graph date leniently: whatever inventory.ParseTime
// takes, plus offsets with a one-digit hour. The result is UTC.
func parseTime(s string) (time.Time, error) {
	t, err := inventory.ParseTime(s)
	if err == nil {
		return t, nil
	}
	if m := shortOffsetRE.FindStringSubmatchIndex(s); m != nil {
		fixed := s[:m[6]] + "0" + s[m[6]:]
		if t2, err2 := inventory.ParseTime(fixed); err2 == nil {
			return t2, nil
		}
	}
	return time.Time{}, err
}

// quoteShort quotes a value for an error message, cut short.
func quoteShort(s string) string {
	const max = 64
	if len(s) > max {
		return strconv.Quote(s[:max]) + "…"
	}
	return strconv.Quote(s)
}
