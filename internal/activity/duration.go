package activity

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// ParseISODuration reads an ISO 8601 duration as Graph's Edm.Duration
// carries it: P[nD][T[nH][nM][n[.f]S]], e.g. P90D, P4DT12H30M5S, PT1H.
// Weeks (P2W) are accepted as 7 days each. Years and months are rejected:
// they have no fixed length, and Entra's maxLifetime is given in days.
// Only seconds may have a fraction (up to nanoseconds). Signs, empty
// designators ("P", "PT") and values past time.Duration's range are errors.
func ParseISODuration(s string) (time.Duration, error) {
	v := strings.TrimSpace(s)
	fail := func(msg string) (time.Duration, error) {
		return 0, fmt.Errorf("invalid ISO 8601 duration %s: %s", quoteShort(s), msg)
	}
	switch {
	case v == "":
		return fail("empty")
	case v[0] == '-':
		return fail("negative durations are not allowed")
	case v[0] == '+':
		v = v[1:]
	}
	if len(v) == 0 || (v[0] != 'P' && v[0] != 'p') {
		return fail("must start with P")
	}
	v = strings.ToUpper(v[1:])
	var total time.Duration
	inTime, seen, lastOrder := false, false, 0
	for len(v) > 0 {
		if v[0] == 'T' {
			if inTime {
				return fail("T given twice")
			}
			inTime = true
			v = v[1:]
			if v == "" {
				return fail("T without hours, minutes or seconds")
			}
			continue
		}
		i := 0
		for i < len(v) && (v[i] >= '0' && v[i] <= '9' || v[i] == '.' || v[i] == ',') {
			i++
		}
		if i == 0 {
			return fail(fmt.Sprintf("number expected at %q", v))
		}
		if i == len(v) {
			return fail(fmt.Sprintf("unit missing after %q", v))
		}
		num, unit := v[:i], v[i]
		v = v[i+1:]
		var per time.Duration
		var order int
		switch {
		case unit == 'Y' && !inTime:
			return fail("years have no fixed length; give days (P365D)")
		case unit == 'M' && !inTime:
			return fail("months have no fixed length; give days (P30D)")
		case unit == 'W' && !inTime:
			per, order = 7*24*time.Hour, 1
		case unit == 'D' && !inTime:
			per, order = 24*time.Hour, 2
		case unit == 'H' && inTime:
			per, order = time.Hour, 3
		case unit == 'M' && inTime:
			per, order = time.Minute, 4
		case unit == 'S' && inTime:
			per, order = time.Second, 5
		default:
			where := "date"
			if inTime {
				where = "time"
			}
			return fail(fmt.Sprintf("unit %q not allowed in the %s part", string(unit), where))
		}
		if order <= lastOrder {
			return fail(fmt.Sprintf("unit %q out of order or repeated", string(unit)))
		}
		lastOrder = order
		d, err := component(num, per)
		if err != nil {
			return fail(err.Error())
		}
		if total > math.MaxInt64-d {
			return fail("too long")
		}
		total += d
		seen = true
	}
	if !seen {
		return fail("no value")
	}
	return total, nil
}

// component is num units of per; only seconds (per == time.Second) take a
// fraction.
func component(num string, per time.Duration) (time.Duration, error) {
	whole, frac, hasFrac := strings.Cut(strings.ReplaceAll(num, ",", "."), ".")
	if hasFrac && per != time.Second {
		return 0, errors.New("only seconds may have a fraction")
	}
	if whole == "" || strings.ContainsAny(frac, ".") {
		return 0, fmt.Errorf("bad number %q", num)
	}
	var n int64
	for _, c := range whole {
		if n > (math.MaxInt64-9)/10 {
			return 0, errors.New("too long")
		}
		n = n*10 + int64(c-'0')
	}
	if n > math.MaxInt64/int64(per) {
		return 0, errors.New("too long")
	}
	d := time.Duration(n) * per
	if hasFrac {
		if frac == "" || len(frac) > 9 {
			return 0, fmt.Errorf("bad fraction %q (1 to 9 digits)", num)
		}
		ns := int64(0)
		for i := range 9 {
			ns *= 10
			if i < len(frac) {
				ns += int64(frac[i] - '0')
			}
		}
		if d > math.MaxInt64-time.Duration(ns) {
			return 0, errors.New("too long")
		}
		d += time.Duration(ns)
	}
	return d, nil
}
