package report

import (
	"encoding/csv"
	"slices"
	"strings"
	"testing"
)

func TestCSVSafeNeutralisesFormulaPrefixes(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"Payroll", "Payroll"},
		{"=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"},
		{"+SUM(1)", "'+SUM(1)"},
		{"-2", "'-2"},
		{"@x", "'@x"},
		{"\tTabbed", "'\tTabbed"},
		{"\rCR", "'\rCR"},
		{"a=b", "a=b"},
		{"'quoted", "'quoted"},
		{"Ümlaut", "Ümlaut"},
	}
	for _, tt := range tests {
		if got := csvSafe(tt.in); got != tt.want {
			t.Errorf("csvSafe(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// readCSV parses out and checks every row has the header's width.
func readCSV(t *testing.T, out string) [][]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("output is not valid CSV: %v", err)
	}
	return rows
}

// checkNoFormulaCells fails on any cell a spreadsheet would evaluate,
// apart from integer columns we write ourselves.
func checkNoFormulaCells(t *testing.T, rows [][]string, numeric ...string) {
	t.Helper()
	for i, row := range rows[1:] {
		for j, c := range row {
			if c == "" || slices.Contains(numeric, rows[0][j]) {
				continue
			}
			if strings.ContainsRune("=+-@\t\r", rune(c[0])) {
				t.Errorf("row %d column %s starts with %q: %q", i+1, rows[0][j], c[0], c)
			}
		}
	}
}

func TestScanCSVNeutralisesHostileCells(t *testing.T) {
	o := fixtureOptions()
	o.ShowSuppressed = true
	rows := readCSV(t, render(t, "csv", fixtureScan(), o))
	if !slices.Equal(rows[0], scanCSVHeader) {
		t.Fatalf("header = %v", rows[0])
	}
	if len(rows) != 1+11 {
		t.Fatalf("%d data rows, want 11 with suppressed shown", len(rows)-1)
	}
	checkNoFormulaCells(t, rows, "daysLeft")
	var names []string
	for _, r := range rows[1:] {
		names = append(names, r[slices.Index(scanCSVHeader, "appName")])
	}
	for _, want := range []string{"'" + nameMinus, "'\tTabbed name", "'\rCR name", nameHTML} {
		if !slices.Contains(names, want) {
			t.Errorf("appName column lacks %q", want)
		}
	}
}

func TestScanCSVHidesSuppressedUnlessAsked(t *testing.T) {
	rows := readCSV(t, render(t, "csv", fixtureScan(), fixtureOptions()))
	col := slices.Index(scanCSVHeader, "suppressed")
	for _, r := range rows[1:] {
		if r[col] != "false" {
			t.Errorf("suppressed finding %v in CSV without ShowSuppressed", r)
		}
	}
	if len(rows) != 1+9 {
		t.Errorf("%d rows, want 9", len(rows)-1)
	}
}

func TestInventoryCSVOneRowPerCredential(t *testing.T) {
	rows := readCSV(t, renderInventory(t, "csv"))
	if !slices.Equal(rows[0], inventoryCSVHeader) {
		t.Fatalf("header = %v", rows[0])
	}
	if len(rows) != 1+13 {
		t.Errorf("%d data rows, want 13 credentials", len(rows)-1)
	}
	checkNoFormulaCells(t, rows, "daysLeft", "owners")
	days := slices.Index(inventoryCSVHeader, "daysLeft")
	key := slices.Index(inventoryCSVHeader, "keyId")
	for _, r := range rows[1:] {
		if r[key] == "k-payroll-expired-0002" && r[days] != "-10" {
			t.Errorf("expired secret daysLeft = %q, want -10", r[days])
		}
	}
}
