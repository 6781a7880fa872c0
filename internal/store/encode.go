package store

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// timeLayout is RFC 3339 in UTC with a fixed nine fractional digits: text
// order is time order, and every nanosecond survives in both dialects
// (PostgreSQL timestamps keep only microseconds).
const timeLayout = "2006-01-02T15:04:05.000000000Z"

// encTime stores a time as text, or NULL for the zero time ("unknown").
func encTime(t time.Time) (any, error) {
	if t.IsZero() {
		return nil, nil
	}
	return fmtTime(t)
}

// fmtTime is the text of a time, which must have a four-digit year.
func fmtTime(t time.Time) (string, error) {
	u := t.UTC()
	if y := u.Year(); y < 0 || y > 9999 {
		return "", fmt.Errorf("year %d out of range 0-9999", y)
	}
	return u.Format(timeLayout), nil
}

func decTime(ns sql.NullString) (time.Time, error) {
	if !ns.Valid {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, ns.String)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored time %q: %w", ns.String, err)
	}
	return t.UTC(), nil
}

// encJSON stores a list or map as JSON text, or NULL when empty: empty and
// nil collections both load back as nil.
func encStrings(v []string) (any, error) {
	if len(v) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(v)
	return string(b), err
}

func encMap(v map[string]string) (any, error) {
	if len(v) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(v)
	return string(b), err
}

func decStrings(ns sql.NullString) ([]string, error) {
	if !ns.Valid {
		return nil, nil
	}
	var v []string
	if err := json.Unmarshal([]byte(ns.String), &v); err != nil {
		return nil, fmt.Errorf("stored list: %w", err)
	}
	if len(v) == 0 {
		return nil, nil
	}
	return v, nil
}

func decMap(ns sql.NullString) (map[string]string, error) {
	if !ns.Valid {
		return nil, nil
	}
	var v map[string]string
	if err := json.Unmarshal([]byte(ns.String), &v); err != nil {
		return nil, fmt.Errorf("stored evidence: %w", err)
	}
	if len(v) == 0 {
		return nil, nil
	}
	return v, nil
}

// rebind turns ? placeholders into PostgreSQL's $n. Queries here hold no ?
// inside string literals.
func (b backend) rebind(q string) string {
	if b != postgresBackend {
		return q
	}
	var sb strings.Builder
	sb.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			sb.WriteByte('$')
			sb.WriteString(strconv.Itoa(n))
			continue
		}
		sb.WriteByte(q[i])
	}
	return sb.String()
}
