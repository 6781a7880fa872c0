package activity

import (
	"strings"
	"unicode"
)

// Activity names of the audit records Parse reads, in normalised form
// (see NormalizeActivityName). Entra emits the application credential
// events with an en dash and a trailing space; the Unified Audit Log
// appends a period; the reference docs print a hyphen. All compare equal
// once normalised.
const (
	ActivityAppCredentials       = "Update application - Certificates and secrets management"
	ActivityCreateAppCredentials = "Create application - Certificates and secrets management"
	ActivityAddSPCredentials     = "Add service principal credentials"
	ActivityRemoveSPCredentials  = "Remove service principal credentials"
	ActivityAddAppOwner          = "Add owner to application"
	ActivityAddSPOwner           = "Add owner to service principal"
)

// NormalizeActivityName makes activity display names comparable: en and
// em dashes (U+2013, U+2014) become '-', runs of white space (non-breaking
// spaces included) become one space, the ends are trimmed and one trailing
// '.' is dropped.
func NormalizeActivityName(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case r == '\u2013' || r == '\u2014':
			r = '-'
		case unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	out := b.String()
	if strings.HasSuffix(out, ".") {
		out = strings.TrimRight(out[:len(out)-1], " ")
	}
	return out
}

// activityIs reports whether a raw activity name means the normalised
// name want, ignoring letter case.
func activityIs(raw, want string) bool {
	return strings.EqualFold(NormalizeActivityName(raw), want)
}
