package inventory

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The date forms real exports carry. Graph sends RFC 3339 with anything
// from 0 to 7 fractional digits; Graph's innerError and .NET "Unspecified"
// DateTimes have no zone; Windows PowerShell's ConvertTo-Json writes
// /Date(ms)/; a stringified PowerShell DateTime reads MM/dd/yyyy HH:mm:ss.
var (
	isoRE = regexp.MustCompile(`^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$`)
	msRE  = regexp.MustCompile(`^/?Date\((-?\d{1,19})([+-]\d{4})?\)/?$`)
	psRE  = regexp.MustCompile(`^(\d{1,2})/(\d{1,2})/(\d{4}) (\d{1,2}):(\d{2})(?::(\d{2}))?(?: ?([AaPp][Mm]))?$`)
)

// ParseTime reads a date in any form real Graph, az CLI and Graph PowerShell
// exports carry and returns it in UTC. Dates without a zone are taken as
// UTC, as Graph means them. The empty string is an error: callers treat a
// missing date as zero before asking.
func ParseTime(s string) (time.Time, error) {
	v := strings.TrimSpace(s)
	// Fast path for what Graph sends; time.Parse checks the same ranges.
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil && t.UTC().Year() >= 0 {
		return t.UTC(), nil
	}
	var (
		t      time.Time
		reason string
	)
	if m := isoRE.FindStringSubmatch(v); m != nil {
		t, reason = parseISO(m)
	} else if m := msRE.FindStringSubmatch(v); m != nil {
		t, reason = parseMSDate(m)
	} else if m := psRE.FindStringSubmatch(v); m != nil {
		t, reason = parsePowerShell(m)
	} else {
		return time.Time{}, fmt.Errorf("cannot parse %s", quoteShort(s))
	}
	if reason == "" && (t.Year() < 0 || t.Year() > 9999) {
		// JSON (and every report format) cannot carry such years.
		reason = "year out of range"
	}
	if reason != "" {
		return time.Time{}, fmt.Errorf("cannot parse %s: %s", quoteShort(s), reason)
	}
	return t, nil
}

func parseISO(m []string) (time.Time, string) {
	year, month, day := atoi(m[1]), atoi(m[2]), atoi(m[3])
	hour, min, sec := atoi(m[4]), atoi(m[5]), atoi(m[6])
	nsec := 0
	if frac := m[7]; frac != "" {
		// Any number of digits: Graph sends 7, Go and JavaScript 3 or 9.
		if len(frac) > 9 {
			frac = frac[:9]
		}
		nsec = atoi(frac + strings.Repeat("0", 9-len(frac)))
	}
	if r := checkClock(year, month, day, hour, min, sec); r != "" {
		return time.Time{}, r
	}
	offset := 0
	if z := m[8]; z != "" && z != "Z" && z != "z" {
		digits := strings.ReplaceAll(z[1:], ":", "")
		oh, om := atoi(digits[:2]), 0
		if len(digits) == 4 {
			om = atoi(digits[2:])
		}
		if oh > 23 || om > 59 {
			return time.Time{}, "zone offset out of range"
		}
		offset = oh*3600 + om*60
		if z[0] == '-' {
			offset = -offset
		}
	}
	t := time.Date(year, time.Month(month), day, hour, min, sec, nsec, time.FixedZone("", offset))
	return t.UTC(), ""
}

func parseMSDate(m []string) (time.Time, string) {
	// The milliseconds are since the Unix epoch in UTC; a trailing offset
	// only says which zone the writer was in.
	ms, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return time.Time{}, "milliseconds out of range"
	}
	const limit = 253402300800000 // 10000-01-01T00:00:00Z
	if ms >= limit || ms < -limit {
		return time.Time{}, "year out of range"
	}
	if z := m[2]; z != "" && (atoi(z[1:3]) > 23 || atoi(z[3:]) > 59) {
		return time.Time{}, "zone offset out of range"
	}
	return time.UnixMilli(ms).UTC(), ""
}

func parsePowerShell(m []string) (time.Time, string) {
	month, day, year := atoi(m[1]), atoi(m[2]), atoi(m[3])
	hour, min, sec := atoi(m[4]), atoi(m[5]), atoi(m[6])
	if ampm := strings.ToUpper(m[7]); ampm != "" {
		if hour < 1 || hour > 12 {
			return time.Time{}, "hour out of range"
		}
		hour %= 12
		if ampm == "PM" {
			hour += 12
		}
	}
	if r := checkClock(year, month, day, hour, min, sec); r != "" {
		return time.Time{}, r
	}
	return time.Date(year, time.Month(month), day, hour, min, sec, 0, time.UTC), ""
}

// checkClock rejects what time.Date would silently normalise, such as
// 2023-02-29 becoming 1 March.
func checkClock(year, month, day, hour, min, sec int) string {
	switch {
	case month < 1 || month > 12:
		return "month out of range"
	case day < 1 || day > daysIn(year, month):
		return "day out of range"
	case hour > 23:
		return "hour out of range"
	case min > 59:
		return "minute out of range"
	case sec > 59:
		return "second out of range"
	}
	return ""
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// atoi reads a short run of ASCII digits the regexps already checked; the
// empty string is 0.
func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

// quoteShort quotes a value for an error message, cut short so a garbage
// field cannot flood the terminal.
func quoteShort(s string) string {
	const max = 64
	if len(s) > max {
		return strconv.Quote(s[:max]) + "…"
	}
	return strconv.Quote(s)
}
