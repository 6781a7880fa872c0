package policy

import (
	"strconv"
	"strings"
	"time"

	"github.com/credwatch/credwatch/internal/inventory"
)

// Messages are built by appending to the evaluator's scratch buffer, so a
// finding's message costs one allocation. Names users typed are quoted
// with strconv so a newline or quote in a display name cannot break the
// one-line form.

func credTypeName(t inventory.CredentialType) string {
	switch t {
	case inventory.Secret:
		return "client secret"
	case inventory.Certificate:
		return "certificate"
	case inventory.Federated:
		return "federated credential"
	}
	return "credential"
}

// msgCred starts a message with the credential's kind and name, e.g.
// `client secret "ci-deploy"`, or `client secret with key 3c9a1e55` when it
// has no name.
func (e *evaluator) msgCred(c *inventory.Credential) {
	b := append(e.buf[:0], credTypeName(c.Type)...)
	b = append(b, ' ')
	name := c.DisplayName
	if !hasVisibleEnds(name) {
		name = strings.TrimSpace(name)
	}
	if name != "" {
		b = appendQuoted(b, name)
	} else {
		b = append(b, "with key "...)
		b = append(b, shortKey(c.KeyID)...)
	}
	e.buf = b
}

func shortKey(k string) string {
	if k == "" {
		return "unknown"
	}
	if len(k) > 8 {
		return k[:8]
	}
	return k
}

func (e *evaluator) msg(s string) { e.buf = append(e.buf, s...) }

func (e *evaluator) msgInt(n int) { e.buf = strconv.AppendInt(e.buf, int64(n), 10) }

func (e *evaluator) msgQuote(s string) { e.buf = appendQuoted(e.buf, s) }

// appendQuoted is strconv.AppendQuote with a fast path for the common
// name that needs no escaping.
func appendQuoted(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c > '~' || c == '"' || c == '\\' {
			return strconv.AppendQuote(b, s)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// msgDate appends the UTC calendar date of t, YYYY-MM-DD.
func (e *evaluator) msgDate(t time.Time) { e.buf = appendDate(e.buf, t) }

// appendDate is AppendFormat(time.DateOnly) in UTC, several times faster.
func appendDate(b []byte, t time.Time) []byte {
	y, m, d := t.UTC().Date()
	if y < 0 || y > 9999 {
		return t.UTC().AppendFormat(b, time.DateOnly)
	}
	return append(b,
		byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+m/10), byte('0'+m%10), '-',
		byte('0'+d/10), byte('0'+d%10))
}

// msgSpan appends a duration in the largest whole unit that fits: "5 days",
// "1 day", "3 hours", "12 minutes", "less than a minute". Days are 24-hour
// periods, rounded down.
func (e *evaluator) msgSpan(d time.Duration) {
	if d < 0 {
		d = -d
	}
	n, unit := 0, ""
	switch {
	case d >= day:
		n, unit = int(d/day), "day"
	case d >= time.Hour:
		n, unit = int(d/time.Hour), "hour"
	case d >= time.Minute:
		n, unit = int(d/time.Minute), "minute"
	default:
		e.msg("less than a minute")
		return
	}
	e.msgInt(n)
	e.buf = append(e.buf, ' ')
	e.msg(unit)
	if n != 1 {
		e.buf = append(e.buf, 's')
	}
}

// msgList appends up to three names, then "and N more".
func (e *evaluator) msgList(names []string) {
	const shown = 3
	for i, n := range names {
		if i == shown {
			e.msg(" and ")
			e.msgInt(len(names) - shown)
			e.msg(" more")
			return
		}
		if i > 0 {
			e.msg(", ")
		}
		e.msg(n)
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func timeString(t time.Time) string { return t.UTC().Format(time.RFC3339) }
