package report

import (
	"bytes"
	"encoding/csv"
	"strconv"
	"time"
)

// scanCSVHeader names the columns of the scan CSV, one row per finding.
var scanCSVHeader = []string{
	"severity", "ruleId", "id", "objectType", "objectId", "appId", "appName",
	"keyId", "deadline", "daysLeft", "message", "suppressed", "suppressionReason",
}

// writeCSV renders one row per finding; suppressed findings only when
// asked, with the suppressed column telling them apart.
func writeCSV(buf *bytes.Buffer, s *Scan, o Options) error {
	w := csv.NewWriter(buf)
	rows := [][]string{scanCSVHeader}
	for _, f := range visibleFindings(s, o) {
		days := ""
		if f.Deadline != nil {
			days = strconv.Itoa(daysLeft(*f.Deadline, o.Now))
		}
		rows = append(rows, []string{
			f.Severity.String(),
			csvSafe(f.RuleID),
			csvSafe(f.ID),
			csvSafe(string(f.ObjectType)),
			csvSafe(f.ObjectID),
			csvSafe(f.AppID),
			csvSafe(f.AppName),
			csvSafe(f.KeyID),
			csvTime(f.Deadline),
			days, // our own integer: a leading "-" is a sign, not a formula
			csvSafe(f.Message),
			strconv.FormatBool(f.Suppressed),
			csvSafe(f.SuppressionReason),
		})
	}
	return writeAllCSV(w, rows)
}

func writeAllCSV(w *csv.Writer, rows [][]string) error {
	if err := w.WriteAll(rows); err != nil { // WriteAll flushes
		return err
	}
	return w.Error()
}

// csvSafe defuses spreadsheet formula injection: a cell starting with
// = + - @, a tab or a carriage return is prefixed with a single quote, as
// OWASP advises, so spreadsheets show it as text instead of evaluating it.
// Quoting of commas, quotes and newlines is left to encoding/csv.
func csvSafe(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

func csvTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
