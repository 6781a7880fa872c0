package inventory

import (
	"strings"
	"testing"
	"time"
)

func TestParseTimeAcceptsExportDateForms(t *testing.T) {
	utc := func(y int, mo time.Month, d, h, mi, s, ns int) time.Time {
		return time.Date(y, mo, d, h, mi, s, ns, time.UTC)
	}
	tests := []struct {
		name, in string
		want     time.Time
	}{
		{"graph whole seconds", "2025-12-19T15:31:26Z", utc(2025, 12, 19, 15, 31, 26, 0)},
		{"graph seven fractional digits", "2021-02-02T04:22:45.4980259Z", utc(2021, 2, 2, 4, 22, 45, 498025900)},
		{"one fractional digit", "2021-02-02T04:22:45.5Z", utc(2021, 2, 2, 4, 22, 45, 500000000)},
		{"three fractional digits", "2026-02-13T09:15:30.337Z", utc(2026, 2, 13, 9, 15, 30, 337000000)},
		{"more than nine fractional digits truncate", "2025-01-01T00:00:00.12345678912Z", utc(2025, 1, 1, 0, 0, 0, 123456789)},
		{"lower-case z", "2025-01-01t00:00:00z", utc(2025, 1, 1, 0, 0, 0, 0)},
		{"colon offset", "2026-04-05T12:00:00+02:00", utc(2026, 4, 5, 10, 0, 0, 0)},
		{"compact offset", "2026-04-05T12:00:00+0200", utc(2026, 4, 5, 10, 0, 0, 0)},
		{"negative offset crossing midnight", "2025-12-31T22:30:00-05:00", utc(2026, 1, 1, 3, 30, 0, 0)},
		{"no zone is UTC like innerError date", "2025-02-13T10:17:06", utc(2025, 2, 13, 10, 17, 6, 0)},
		{"date only", "2025-02-13", utc(2025, 2, 13, 0, 0, 0, 0)},
		{"space separator", "2025-02-13 10:17:06Z", utc(2025, 2, 13, 10, 17, 6, 0)},
		{"leap day", "2024-02-29T23:59:59Z", utc(2024, 2, 29, 23, 59, 59, 0)},
		{"leap day of 2000", "2000-02-29T00:00:00Z", utc(2000, 2, 29, 0, 0, 0, 0)},
		{"never-expiring secret", "2299-12-31T00:00:00Z", utc(2299, 12, 31, 0, 0, 0, 0)},
		{".NET max value", "9999-12-31T23:59:59.9999999Z", utc(9999, 12, 31, 23, 59, 59, 999999900)},
		{"surrounding space", "  2025-01-01T00:00:00Z\n", utc(2025, 1, 1, 0, 0, 0, 0)},
		{"windows powershell json date", "/Date(1700000000000)/", utc(2023, 11, 14, 22, 13, 20, 0)},
		{"json date with offset keeps the UTC instant", "/Date(1700000000000+0100)/", utc(2023, 11, 14, 22, 13, 20, 0)},
		{"json date with negative offset", "/Date(1700000000123-0500)/", utc(2023, 11, 14, 22, 13, 20, 123000000)},
		{"json date before the epoch", "/Date(-86400000)/", utc(1969, 12, 31, 0, 0, 0, 0)},
		{"json date of .NET min value is zero", "/Date(-62135596800000)/", time.Time{}},
		{"powershell string", "11/14/2023 22:13:20", utc(2023, 11, 14, 22, 13, 20, 0)},
		{"powershell string single digits", "1/4/2024 7:05:09", utc(2024, 1, 4, 7, 5, 9, 0)},
		{"powershell string leap day", "02/29/2028 23:59:59", utc(2028, 2, 29, 23, 59, 59, 0)},
		{"powershell en-US with PM", "11/14/2023 10:13:20 PM", utc(2023, 11, 14, 22, 13, 20, 0)},
		{"powershell en-US 12 AM is midnight", "11/14/2023 12:00:00 AM", utc(2023, 11, 14, 0, 0, 0, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTime(tt.in)
			if err != nil {
				t.Fatalf("ParseTime(%q): %v", tt.in, err)
			}
			if !got.Equal(tt.want) || got.Location() != time.UTC {
				t.Errorf("ParseTime(%q) = %v, want %v in UTC", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseTimeRejectsGarbage(t *testing.T) {
	tests := []struct {
		name, in, wantErr string
	}{
		{"empty", "", `cannot parse ""`},
		{"month 13", "2025-13-01", `cannot parse "2025-13-01": month out of range`},
		{"not a leap year", "2023-02-29T00:00:00Z", "day out of range"},
		{"1900 is not a leap year", "1900-02-29", "day out of range"},
		{"day 31 of April", "2025-04-31T00:00:00Z", "day out of range"},
		{"hour 24", "2025-01-01T24:00:00Z", "hour out of range"},
		{"minute 60", "2025-01-01T10:60:00Z", "minute out of range"},
		{"leap second", "2016-12-31T23:59:60Z", "second out of range"},
		{"offset out of range", "2025-01-01T00:00:00+25:00", "zone offset out of range"},
		{"word", "yesterday", `cannot parse "yesterday"`},
		{"two-digit year", "25-01-01", "cannot parse"},
		{"trailing junk", "2025-01-01T00:00:00Zjunk", "cannot parse"},
		{"json date overflow", "/Date(99999999999999999999)/", "cannot parse"},
		{"json date past year 9999", "/Date(253402300800000)/", "year out of range"},
		{"json date bad offset", "/Date(1700000000000+9900)/", "zone offset out of range"},
		{"powershell month 13", "13/01/2024 10:00:00", "month out of range"},
		{"powershell 13 PM", "11/14/2023 13:00:00 PM", "hour out of range"},
		{"unix seconds", "1700000000", "cannot parse"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTime(tt.in)
			if err == nil {
				t.Fatalf("ParseTime(%q) = %v, want an error", tt.in, got)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseTime(%q) error %q, want it to contain %q", tt.in, err, tt.wantErr)
			}
		})
	}
}

func TestParseTimeErrorCutsLongInput(t *testing.T) {
	_, err := ParseTime(strings.Repeat("x", 10000))
	if err == nil || len(err.Error()) > 120 {
		t.Errorf("error for a 10000-character value should be short, got %d characters", len(err.Error()))
	}
}
