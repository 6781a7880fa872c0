package activity

import (
	"strings"
	"testing"
	"time"
)

func TestParseISODuration(t *testing.T) {
	const d = 24 * time.Hour
	good := []struct {
		in   string
		want time.Duration
	}{
		{"P90D", 90 * d},
		{"P365D", 365 * d},
		{"P4DT12H30M5S", 4*d + 12*time.Hour + 30*time.Minute + 5*time.Second},
		{"PT1H", time.Hour},
		{"PT90M", 90 * time.Minute},
		{"PT0.5S", 500 * time.Millisecond},
		{"PT1,25S", 1250 * time.Millisecond},
		{"PT0.000000001S", time.Nanosecond},
		{"P0D", 0},
		{"P2W", 14 * d},
		{"p1dt2h", d + 2*time.Hour},
		{"+P1D", d},
		{" P1D ", d},
		{"P106751DT23H47M16.854775807S", time.Duration(1<<63 - 1)},
	}
	for _, tc := range good {
		got, err := ParseISODuration(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseISODuration(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	bad := []struct{ in, want string }{
		{"", "empty"},
		{"90D", "must start with P"},
		{"P", "no value"},
		{"PT", "T without hours"},
		{"P1DT", "T without hours"},
		{"P1Y", "years have no fixed length"},
		{"P2M", "months have no fixed length"},
		{"-P1D", "negative"},
		{"P1H", `unit "H" not allowed in the date part`},
		{"PT1D", `unit "D" not allowed in the time part`},
		{"P1D2D", `out of order or repeated`},
		{"PT1S1M", `out of order or repeated`},
		{"P1.5D", "only seconds may have a fraction"},
		{"PT1.S", "bad fraction"},
		{"PT.5S", "bad number"},
		{"PT1.1234567890S", "bad fraction"},
		{"PD", "number expected"},
		{"P1", "unit missing"},
		{"P1DTT1H", "T given twice"},
		{"P106752D", "too long"},
		{"P99999999999999999999D", "too long"},
		{"P106751DT23H47M16.854775808S", "too long"},
	}
	for _, tc := range bad {
		got, err := ParseISODuration(tc.in)
		if err == nil {
			t.Errorf("ParseISODuration(%q) = %v, want an error", tc.in, got)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "invalid ISO 8601 duration") {
			t.Errorf("ParseISODuration(%q) error %q, want it to say %q", tc.in, err, tc.want)
		}
	}
}
