package report

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzNeutralisers checks the promises each escaper makes for any input:
// nothing a terminal would act on survives termSafe, no markup character
// survives mdText unescaped, and no cell leaves csvSafe as a formula.
func FuzzNeutralisers(f *testing.F) {
	for _, s := range []string{nameHTML, nameFormula, nameSum, nameMinus, nameAt, nameTab, nameCR, nameUnicode, nameTerminal, nameMarkdown, "\xff\xfe", "\\[", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		safe := termSafe(s)
		if !utf8.ValidString(safe) {
			t.Fatalf("termSafe(%q) is not valid UTF-8", s)
		}
		for _, r := range safe {
			if unsafeRune(r) {
				t.Fatalf("termSafe(%q) = %q keeps %U", s, safe, r)
			}
		}

		md := mdText(s)
		if strings.ContainsAny(md, "\n\r") {
			t.Fatalf("mdText(%q) spans lines", s)
		}
		for i := 0; i < len(md); i++ {
			if md[i] == '\\' {
				i++ // the escaped character
				continue
			}
			if strings.IndexByte(mdSpecial, md[i]) >= 0 {
				t.Fatalf("mdText(%q) = %q leaves %q unescaped", s, md, md[i])
			}
		}

		if c := csvSafe(s); c != "" && strings.IndexByte("=+-@\t\r", c[0]) >= 0 {
			t.Fatalf("csvSafe(%q) = %q starts a formula", s, c)
		}

		if m := sarifMessage(s); strings.Count(m, "[")-strings.Count(m, `\[`) != 0 {
			t.Fatalf("sarifMessage(%q) = %q leaves a bracket unescaped", s, m)
		}
	})
}
