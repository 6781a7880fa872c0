package report

import (
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/policy"
)

func TestNewScanOrdersBySeverityThenDeadline(t *testing.T) {
	s := fixtureScan()
	for i := 1; i < len(s.Findings); i++ {
		a, b := s.Findings[i-1], s.Findings[i]
		if a.Severity < b.Severity {
			t.Fatalf("finding %d (%s) is less severe than the next (%s)", i-1, a.Severity, b.Severity)
		}
		if a.Severity == b.Severity && compareTimes(a.Deadline, b.Deadline) > 0 {
			t.Fatalf("findings %d and %d of severity %s are not soonest-deadline first", i-1, i, a.Severity)
		}
	}
	if s.Findings[0].RuleID != "CW001" {
		t.Errorf("first finding is %s, want the critical CW001", s.Findings[0].RuleID)
	}
}

func TestNewScanSummaryCounts(t *testing.T) {
	sum := fixtureScan().Summary
	want := Summary{
		Objects: 12, Applications: 11, ServicePrincipals: 1,
		Credentials: CredentialCounts{Total: 13, Secret: 9, Certificate: 3, Federated: 1, Expired: 1},
		Findings:    FindingCounts{Total: 9, Critical: 1, High: 3, Medium: 3, Low: 1, Info: 1},
		Suppressed:  2,
	}
	if sum != want {
		t.Errorf("summary\n got %+v\nwant %+v", sum, want)
	}
}

func TestNewScanDoesNotAliasInputs(t *testing.T) {
	fs := fixtureFindings()
	first := fs[0].ID
	NewScan(fixtureTenant(), fs, fixedNow)
	if fs[0].ID != first {
		t.Error("NewScan reordered the caller's slice")
	}
}

func TestDaysLeftRoundsDown(t *testing.T) {
	tests := []struct {
		name string
		end  time.Time
		want int
	}{
		{"exactly now", fixedNow, 0},
		{"in 23 hours", fixedNow.Add(23 * time.Hour), 0},
		{"in 24 hours", fixedNow.Add(24 * time.Hour), 1},
		{"an hour ago", fixedNow.Add(-time.Hour), -1},
		{"exactly a day ago", fixedNow.Add(-24 * time.Hour), -1},
		{"25 hours ago", fixedNow.Add(-25 * time.Hour), -2},
	}
	for _, tt := range tests {
		if got := daysLeft(tt.end, fixedNow); got != tt.want {
			t.Errorf("%s: daysLeft = %d, want %d", tt.name, got, tt.want)
		}
	}
}

// The LEFT column must agree with the findings' "expired N days ago": both
// count whole days elapsed, rounded down.
func TestDaysTextAgreesWithElapsedDays(t *testing.T) {
	tests := []struct {
		name string
		end  time.Time
		want string
	}{
		{"in 36 hours", fixedNow.Add(36 * time.Hour), "1d"},
		{"in 23 hours", fixedNow.Add(23 * time.Hour), "today"},
		{"exactly now", fixedNow, "today"},
		{"an hour ago", fixedNow.Add(-time.Hour), "0d ago"},
		{"70.5 days ago", fixedNow.Add(-70*24*time.Hour - 12*time.Hour), "70d ago"},
		{"exactly a day ago", fixedNow.Add(-24 * time.Hour), "1d ago"},
	}
	for _, tt := range tests {
		if got := daysText(tt.end, fixedNow); got != tt.want {
			t.Errorf("%s: daysText = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestCredentialRowsCarryContext(t *testing.T) {
	s := fixtureScan()
	var found bool
	for _, r := range s.Credentials {
		if r.KeyID != "k-payroll-spcert-0004" {
			continue
		}
		found = true
		if len(r.Permissions) != 2 || r.Permissions[0] != "Microsoft Graph/Mail.ReadWrite" || r.Permissions[1] != "Microsoft Graph/User.Read.All" {
			t.Errorf("permissions = %q, want sorted, de-duplicated Resource/Value", r.Permissions)
		}
		if r.DaysLeft == nil || *r.DaysLeft != 20 {
			t.Errorf("daysLeft = %v, want 20", r.DaysLeft)
		}
	}
	if !found {
		t.Fatal("service principal certificate missing from rows")
	}
	for _, r := range s.Credentials {
		if r.KeyID == "k-at-0007" && (r.End != nil || r.DaysLeft != nil) {
			t.Error("a secret without end date got an end or days left")
		}
	}
}

func TestUnknownSeverityGroupsWithInfo(t *testing.T) {
	fs := []policy.Finding{{ID: "a", Severity: policy.Severity(9)}, {ID: "b", Severity: policy.Info}}
	groups := groupBySeverity(fs)
	if len(groups) != 1 || len(groups[0]) != 2 {
		t.Errorf("groups = %v, want one info group of two", groups)
	}
}
