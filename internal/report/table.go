package report

import (
	"bytes"
	"fmt"
	"strings"
	"text/tabwriter"
)

// Column widths for the terminal table; longer values end in an ellipsis.
const (
	nameWidth    = 40
	idWidth      = 36 // a GUID
	shortKey     = 9  // a GUID's first group and an ellipsis
	messageWidth = 100
)

// textTable aligns rows of already-safe cells into columns.
type textTable struct {
	out bytes.Buffer
	tw  *tabwriter.Writer
}

func newTextTable() *textTable {
	t := &textTable{}
	t.tw = tabwriter.NewWriter(&t.out, 0, 0, 2, ' ', 0)
	return t
}

func (t *textTable) row(indent string, cells ...string) {
	fmt.Fprintln(t.tw, indent+strings.Join(cells, "\t"))
}

// writeTo flushes the table into buf without the padding tabwriter leaves
// at the end of lines whose last cells are empty.
func (t *textTable) writeTo(buf *bytes.Buffer) error {
	if err := t.tw.Flush(); err != nil {
		return err
	}
	for _, line := range strings.SplitAfter(t.out.String(), "\n") {
		if line == "" {
			continue
		}
		buf.WriteString(strings.TrimRight(line, " \n"))
		buf.WriteByte('\n')
	}
	return nil
}

// writeTable renders the scan for a person at a terminal: a warning first
// when the scan is incomplete, findings grouped by severity, and a
// one-line summary last, where the eye lands after the output scrolls.
func writeTable(buf *bytes.Buffer, s *Scan, o Options) error {
	writeIncompleteBanner(buf, s.Complete, s.Incomplete)
	fmt.Fprintf(buf, "credwatch scan of tenant %s (source %s) at %s\n",
		cell(orDash(s.Tenant), idWidth), cell(orDash(s.Source), nameWidth), s.ScannedAt.UTC().Format("2006-01-02 15:04 MST"))
	sum := s.Summary
	fmt.Fprintf(buf, "%s, %s\n", objectsLine(sum), credentialsLine(sum.Credentials))

	for _, group := range groupBySeverity(visibleFindings(s, o)) {
		fmt.Fprintf(buf, "\n%s (%d)\n", strings.ToUpper(group[0].Severity.String()), len(group))
		tt := newTextTable()
		tt.row("  ", "RULE", "APP", "TYPE", "APP ID", "KEY", "DEADLINE", "LEFT", "MESSAGE")
		for _, f := range group {
			msg := f.Message
			if f.Suppressed {
				msg = "[suppressed: " + f.SuppressionReason + "] " + msg
			}
			tt.row("  ", cell(f.RuleID, 12), cell(f.AppName, nameWidth), cell(objectKind(f.ObjectType), 6),
				cell(f.AppID, idWidth), cell(f.KeyID, shortKey), dateText(f.Deadline),
				leftText(f.Deadline, o.Now), cell(msg, messageWidth))
		}
		if err := tt.writeTo(buf); err != nil {
			return err
		}
	}
	fmt.Fprintf(buf, "\n%s\n", summaryLine(s, o))
	return nil
}

// writeIncompleteBanner warns, before anything else, that the data has
// gaps: a missing credential is not a removed one, and no findings is not
// all clear.
func writeIncompleteBanner(buf *bytes.Buffer, complete bool, reasons []string) {
	if complete {
		return
	}
	fmt.Fprintln(buf, "!!! INCOMPLETE SCAN: some data could not be fetched.")
	fmt.Fprintln(buf, "!!! Missing credentials are not removed ones, and no findings does not mean all clear.")
	for _, r := range reasons {
		fmt.Fprintf(buf, "!!!   - %s\n", cell(r, 200))
	}
	fmt.Fprintln(buf)
}

// summaryLine is e.g. "42 findings: 1 critical, 5 high, 30 medium, 6 low,
// 0 info; 3 suppressed (shown with --show-suppressed); scan complete".
func summaryLine(s *Scan, o Options) string {
	c := s.Summary.Findings
	var b strings.Builder
	switch c.Total {
	case 0:
		b.WriteString("no findings")
	case 1:
		b.WriteString("1 finding: " + countsLine(c))
	default:
		fmt.Fprintf(&b, "%d findings: %s", c.Total, countsLine(c))
	}
	if n := s.Summary.Suppressed; n > 0 {
		if o.ShowSuppressed {
			fmt.Fprintf(&b, "; %d suppressed (shown)", n)
		} else {
			fmt.Fprintf(&b, "; %d suppressed (shown with --show-suppressed)", n)
		}
	}
	if s.Complete {
		b.WriteString("; scan complete")
	} else {
		fmt.Fprintf(&b, "; SCAN INCOMPLETE (%d %s, see top)", len(s.Incomplete), plural(len(s.Incomplete), "problem", "problems"))
	}
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
