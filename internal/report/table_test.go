package report

import (
	"bytes"
	"strings"
	"testing"
)

func TestTableHidesSuppressedUnlessAsked(t *testing.T) {
	s := fixtureScan()
	o := fixtureOptions()
	hidden := render(t, "table", s, o)
	if strings.Contains(hidden, "suppressed:") || strings.Contains(hidden, `\x09Tabbed`) {
		t.Error("suppressed findings shown without ShowSuppressed")
	}
	if !strings.Contains(hidden, "2 suppressed (shown with --show-suppressed)") {
		t.Error("summary does not say how many findings are hidden and how to show them")
	}

	o.ShowSuppressed = true
	shown := render(t, "table", s, o)
	for _, want := range []string{"[suppressed: rotation owned by vendor <b>ACME</b>]", `\x09Tabbed name`, "2 suppressed (shown)"} {
		if !strings.Contains(shown, want) {
			t.Errorf("with ShowSuppressed the table lacks %q", want)
		}
	}
}

func TestTableStripsTerminalEscapes(t *testing.T) {
	for name, out := range map[string]string{
		"scan":      render(t, "table", fixtureScan(), Options{ShowSuppressed: true, Now: fixedNow}),
		"inventory": renderInventory(t, "table"),
	} {
		for _, bad := range []string{"\x1b", "\x07", "\r", "\u202e", "\t"} {
			if strings.Contains(out, bad) {
				t.Errorf("%s table contains raw %q", name, bad)
			}
		}
		if !strings.Contains(out, `\x1b[31mRED\x1b[0m\x07 evil\u202egnp.exe`) {
			t.Errorf("%s table does not show the escape sequence as visible text", name)
		}
	}
}

func TestTermSafe(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"Ümlaut 日本語 🚀", "Ümlaut 日本語 🚀"},
		{"\x1b[2J", `\x1b[2J`},
		{"a\tb\nc\rd", `a\x09b\x0ac\x0dd`},
		{"del\x7f", `del\x7f`},
		{"c1\u009b31m", `c1\u009b31m`},
		{"rtl\u202eexe.txt", `rtl\u202eexe.txt`},
		{"bad\xffutf8", "bad\uFFFDutf8"},
	}
	for _, tt := range tests {
		if got := termSafe(tt.in); got != tt.want {
			t.Errorf("termSafe(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTableTruncatesLongNames(t *testing.T) {
	out := render(t, "table", fixtureScan(), fixtureOptions())
	if strings.Contains(out, nameLong) {
		t.Error("the long name was not truncated")
	}
	if !strings.Contains(out, truncate(nameLong, nameWidth)) || !strings.Contains(out, "…") {
		t.Error("the truncated name with its ellipsis is missing")
	}
}

func TestTruncateCountsRunes(t *testing.T) {
	if got := truncate("日本語テキスト", 4); got != "日本語…" {
		t.Errorf("truncate = %q", got)
	}
	if got := truncate("short", 10); got != "short" {
		t.Errorf("truncate = %q", got)
	}
}

func TestTableIncompleteScanWarnsFirst(t *testing.T) {
	tn := fixtureTenant()
	tn.Complete = false
	tn.Incomplete = []string{"list service principals: throttled (429)", "owners of app \x1b[2Jx: forbidden"}
	s := NewScan(tn, nil, fixedNow)
	out := render(t, "table", s, Options{})
	if !strings.HasPrefix(out, "!!! INCOMPLETE SCAN") {
		t.Errorf("incomplete scan output does not start with the warning:\n%s", out)
	}
	if !strings.Contains(out, "list service principals: throttled (429)") || strings.Contains(out, "\x1b") {
		t.Error("reasons missing or not neutralised")
	}
	last := strings.TrimSpace(out[strings.LastIndex(strings.TrimRight(out, "\n"), "\n"):])
	if last != "no findings; SCAN INCOMPLETE (2 problems, see top)" {
		t.Errorf("last line = %q", last)
	}
}

func TestTableSummaryLineIsLast(t *testing.T) {
	out := strings.TrimRight(render(t, "table", fixtureScan(), fixtureOptions()), "\n")
	last := out[strings.LastIndex(out, "\n")+1:]
	want := "9 findings: 1 critical, 3 high, 3 medium, 1 low, 1 info; 2 suppressed (shown with --show-suppressed); scan complete"
	if last != want {
		t.Errorf("last line\n got %q\nwant %q", last, want)
	}
}

func TestTableGroupsCriticalFirst(t *testing.T) {
	out := render(t, "table", fixtureScan(), fixtureOptions())
	prev := -1
	for _, h := range []string{"\nCRITICAL (1)\n", "\nHIGH (3)\n", "\nMEDIUM (3)\n", "\nLOW (1)\n", "\nINFO (1)\n"} {
		i := strings.Index(out, h)
		if i < 0 || i < prev {
			t.Fatalf("group heading %q missing or out of order", strings.TrimSpace(h))
		}
		prev = i
	}
	// Within HIGH, the 5-day deadline precedes the 20-day one.
	if strings.Index(out, "2026-03-06") > strings.Index(out, "2026-03-21") {
		t.Error("within a group the soonest deadline is not first")
	}
}

func renderInventory(t *testing.T, format string) string {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteInventory(&buf, format, fixtureTenant(), fixedNow); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}
