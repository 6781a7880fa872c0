package report

import (
	"regexp"
	"strings"
	"testing"
)

func TestMarkdownTextEscapesMarkup(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Payroll Service", "Payroll Service"},
		{nameHTML, `\<img src=x onerror=alert\(1\)\>`},
		{"[x](https://e.example)", `\[x\]\(https\://e\.example\)`},
		{"a | b", `a \| b`},
		{"`code`", "\\`code\\`"},
		{"**bold** _i_ ~s~", `\*\*bold\*\* \_i\_ \~s\~`},
		{"www.evil.example", `www\.evil\.example`},
		{"line\nbreak", `line\\x0abreak`},
		{"&lt;", `\&lt;`},
		{"# heading", `\# heading`},
	}
	for _, tt := range tests {
		if got := mdText(tt.in); got != tt.want {
			t.Errorf("mdText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMarkdownCodeSpans(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"CW001", "`CW001`"},
		{"a|b", "`a\\|b`"},
		{"a`b", "``a`b``"},
		{"`x", "`` `x ``"},
		{"<b>", "`<b>`"},
	}
	for _, tt := range tests {
		if got := mdCode(tt.in); got != tt.want {
			t.Errorf("mdCode(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMarkdownTenantStringsCannotInjectMarkup(t *testing.T) {
	o := fixtureOptions()
	o.ShowSuppressed = true
	out := render(t, "markdown", fixtureScan(), o)
	for _, bad := range []string{"\x1b", "\r"} {
		if strings.Contains(out, bad) {
			t.Errorf("Markdown contains raw %q", bad)
		}
	}
	// Markup characters only ever appear escaped outside code spans.
	for _, line := range strings.Split(out, "\n") {
		plain := regexp.MustCompile("`+[^`]*`+").ReplaceAllString(line, "")
		for i := 0; i < len(plain); i++ {
			if plain[i] == '\\' {
				i++
				continue
			}
			if strings.IndexByte("<>[]", plain[i]) >= 0 {
				t.Errorf("unescaped %q in %q", plain[i], line)
				break
			}
		}
	}
	// Every finding row has exactly the table's 8 cells: no pipe from a
	// name or message split one.
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "| `CW") {
			continue
		}
		cells := 0
		for i := 0; i < len(line); i++ {
			if line[i] == '\\' {
				i++
				continue
			}
			if line[i] == '|' {
				cells++
			}
		}
		if cells != 9 {
			t.Errorf("row has %d unescaped pipes, want 9: %s", cells, line)
		}
	}
}

func TestMarkdownIncompleteWarningComesFirst(t *testing.T) {
	tn := fixtureTenant()
	tn.Complete, tn.Incomplete = false, []string{"list applications: timeout"}
	out := render(t, "markdown", NewScan(tn, nil, fixedNow), Options{})
	i := strings.Index(out, "**Incomplete scan**")
	if i < 0 || i > strings.Index(out, "| Tenant |") {
		t.Error("the incomplete warning is missing or after the summary")
	}
	if !strings.Contains(out, `list applications\: timeout`) {
		t.Error("the reason is missing")
	}
}
