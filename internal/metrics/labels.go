package metrics

import (
	"strings"
	"unicode/utf8"
)

// MaxLabelRunes bounds every label value taken from tenant data (app names,
// app and key ids). Longer values keep their first MaxLabelRunes-1 runes and
// end with "…".
const MaxLabelRunes = 128

// labelValue makes s a safe label value: valid UTF-8 (the exposition
// format and the registry refuse anything else) and at most MaxLabelRunes
// runes.
func labelValue(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if len(s) <= MaxLabelRunes || utf8.RuneCountInString(s) <= MaxLabelRunes {
		return s
	}
	n := 0
	for i := range s {
		if n == MaxLabelRunes-1 {
			return s[:i] + "…"
		}
		n++
	}
	return s
}
