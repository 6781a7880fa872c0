package report

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// termSafe makes an attacker-chosen string harmless on a terminal. Control
// characters (C0, DEL, C1: ESC sequences, carriage returns, bells, tabs
// that would break columns) and the bidirectional overrides that can make
// text read differently from what it is are shown as visible escapes
// (`\x1b`, `\u202e`) instead of being sent; invalid UTF-8 becomes U+FFFD.
func termSafe(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || unsafeRune(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r < 0x80 && unsafeRune(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r) // RuneError from invalid bytes is written as U+FFFD
		}
	}
	return b.String()
}

// Visible shows control characters, bidirectional overrides and line
// separators of an attacker-chosen string as visible escapes (`\x1b`,
// `\u202e`), so "evil\u202egnp.exe" cannot display as "evilexe.png" on a
// terminal or a page; markup escaping is still the renderer's job.
func Visible(s string) string { return termSafe(s) }

func unsafeRune(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true // bidi marks, embeddings, overrides and isolates
	case r == 0x2028, r == 0x2029:
		return true // line and paragraph separators
	}
	return false
}

// truncate shortens s to at most n runes, ending in an ellipsis when cut.
func truncate(s string, n int) string {
	if n <= 0 || utf8.RuneCountInString(s) <= n {
		return s
	}
	runes := []rune(s)
	return string(runes[:n-1]) + "…"
}

// cell is a tenant string made safe for a terminal and cut to width.
func cell(s string, width int) string { return truncate(termSafe(s), width) }
