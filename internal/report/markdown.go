package report

import (
	"bytes"
	"fmt"
	"strings"
)

// writeMarkdown renders the scan for a pull request, wiki or issue: a
// summary table, then findings grouped by severity. Tenant strings go
// through mdText or mdCode so they cannot open markup, links or tables.
func writeMarkdown(buf *bytes.Buffer, s *Scan, o Options) error {
	buf.WriteString("# credwatch scan\n\n")
	if !s.Complete {
		buf.WriteString("> [!WARNING]\n")
		buf.WriteString("> **Incomplete scan**: some data could not be fetched. Missing credentials are not removed ones, and no findings does not mean all clear.\n")
		for _, r := range s.Incomplete {
			fmt.Fprintf(buf, "> - %s\n", mdText(r))
		}
		buf.WriteString("\n")
	}

	sum := s.Summary
	scan := "complete"
	if !s.Complete {
		scan = "**incomplete**"
	}
	suppressed := fmt.Sprintf("%d", sum.Suppressed)
	if sum.Suppressed > 0 {
		if o.ShowSuppressed {
			suppressed += " (shown, marked)"
		} else {
			suppressed += " (not shown; use `--show-suppressed`)"
		}
	}
	buf.WriteString("| | |\n|---|---|\n")
	fmt.Fprintf(buf, "| Tenant | %s |\n", mdCode(s.Tenant))
	fmt.Fprintf(buf, "| Source | %s |\n", mdCode(s.Source))
	fmt.Fprintf(buf, "| Scanned at | %s |\n", s.ScannedAt.UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(buf, "| Scan | %s |\n", scan)
	fmt.Fprintf(buf, "| Objects | %s |\n", objectsLine(sum))
	fmt.Fprintf(buf, "| Credentials | %s |\n", credentialsLine(sum.Credentials))
	fmt.Fprintf(buf, "| Findings | **%d**: %s |\n", sum.Findings.Total, countsLine(sum.Findings))
	fmt.Fprintf(buf, "| Suppressed | %s |\n", suppressed)

	groups := groupBySeverity(visibleFindings(s, o))
	if len(groups) == 0 {
		buf.WriteString("\nNo findings.\n")
	}
	for _, group := range groups {
		name := group[0].Severity.String()
		fmt.Fprintf(buf, "\n## %s (%d)\n\n", strings.ToUpper(name[:1])+name[1:], len(group))
		buf.WriteString("| Rule | App | Type | App ID | Key ID | Deadline | Left | Message |\n")
		buf.WriteString("|---|---|---|---|---|---|---|---|\n")
		for _, f := range group {
			msg := mdText(f.Message)
			if f.Suppressed {
				msg = "*suppressed: " + mdText(f.SuppressionReason) + "* " + msg
			}
			fmt.Fprintf(buf, "| %s | %s | %s | %s | %s | %s | %s | %s |\n",
				mdCode(f.RuleID), mdText(f.AppName), objectKind(f.ObjectType), mdCode(f.AppID),
				mdCode(f.KeyID), dateText(f.Deadline), leftText(f.Deadline, o.Now), msg)
		}
	}
	return nil
}

// mdSpecial is the ASCII punctuation that can start markup in CommonMark
// or GitHub Flavored Markdown: emphasis, code, links and images, raw HTML,
// entities, headings, lists, table cells, strikethrough, and the ':' '.'
// '@' that autolinks need. Backslash-escaping each is always valid.
const mdSpecial = "\\`*_{}[]()<>#+-.!|~:@&"

// mdText renders an untrusted string as literal Markdown text on one line:
// terminal controls and line breaks become visible escapes (a .md file is
// often read with cat), and markup characters are backslash-escaped.
func mdText(s string) string {
	s = termSafe(s)
	var b strings.Builder
	for _, r := range s {
		if r < 0x80 && strings.ContainsRune(mdSpecial, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// mdCode renders an untrusted id as a code span: literal inside, with a
// fence longer than any backtick run in it. A pipe is still escaped
// because GFM splits table cells before it parses code spans.
func mdCode(s string) string {
	if s == "" {
		return ""
	}
	s = strings.ReplaceAll(termSafe(s), "|", `\|`)
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}
