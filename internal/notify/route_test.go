package notify

import (
	"reflect"
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/policy"
)

func TestRoutingTable(t *testing.T) {
	routes, err := compileRoutes([]Route{
		{Channels: []string{"secops"}, MinSeverity: policy.High},
		{Channels: []string{"payroll", "secops"}, AppGlobs: []string{"payroll*", "HR [0-9]"}},
		{Channels: []string{"expiry"}, Rules: []string{"cw001", "CW002"}, Tags: []string{"PROD"}},
		{Channels: []string{"all"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	f := func(rule string, sev policy.Severity, app string) policy.Finding {
		return policy.Finding{ID: "x", RuleID: rule, Severity: sev, AppName: app}
	}
	tests := []struct {
		name string
		f    policy.Finding
		tags []string
		want []string
	}{
		{"high goes to secops and all", f("CW010", policy.High, "Legacy"), nil, []string{"secops", "all"}},
		{"critical is at least high", f("CW010", policy.Critical, "Legacy"), nil, []string{"secops", "all"}},
		{"medium misses the severity route", f("CW010", policy.Medium, "Legacy"), nil, []string{"all"}},
		{"app glob, letter case ignored, no repeats", f("CW005", policy.High, "PAYROLL Sync"), nil,
			[]string{"secops", "payroll", "all"}},
		{"glob class", f("CW005", policy.Low, "HR 7"), nil, []string{"payroll", "secops", "all"}},
		{"glob is anchored", f("CW005", policy.Low, "Old Payroll"), nil, []string{"all"}},
		{"rule and tag both needed", f("CW002", policy.Low, "Web"), []string{"prod"}, []string{"expiry", "all"}},
		{"rule without the tag", f("CW002", policy.Low, "Web"), []string{"dev"}, []string{"all"}},
		{"tag without the rule", f("CW003", policy.Low, "Web"), []string{"prod"}, []string{"all"}},
		{"rule ids ignore case", f("CW001", policy.Low, "Web"), []string{"prod"}, []string{"expiry", "all"}},
	}
	for _, tt := range tests {
		if got := channelsFor(routes, &tt.f, tt.tags); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: channels = %v, want %v", tt.name, got, tt.want)
		}
	}
	sup := f("CW010", policy.Critical, "Legacy")
	sup.Suppressed = true
	if got := channelsFor(routes, &sup, nil); got != nil {
		t.Errorf("suppressed finding routed to %v", got)
	}
}

func TestObjectTagsMatchLetterCaseInsensitive(t *testing.T) {
	ix := newTenantIndex(fixtureTenant())
	routes, err := compileRoutes([]Route{{Channels: []string{"prod"}, Tags: []string{"prod"}}})
	if err != nil {
		t.Fatal(err)
	}
	// The payroll app is tagged "Prod"; the hostile one "dev".
	if got := channelsFor(routes, &fPayrollExpiring, ix.tags(&fPayrollExpiring)); !reflect.DeepEqual(got, []string{"prod"}) {
		t.Errorf("payroll finding channels = %v", got)
	}
	if got := channelsFor(routes, &fHostileExpiring, ix.tags(&fHostileExpiring)); got != nil {
		t.Errorf("dev finding channels = %v", got)
	}
}

func TestReminderDue(t *testing.T) {
	s := newSchedule([]int{0, 30, 7, 14, 3, 1})
	tests := []struct {
		name string
		left *time.Duration // nil: no deadline
		want int
	}{
		{"no deadline", nil, FirstSeen},
		{"far off", dur(400 * day), FirstSeen},
		{"just outside 30 days", dur(30*day + time.Second), FirstSeen},
		{"exactly 30 days", dur(30 * day), 30},
		{"20 days", dur(20 * day), 30},
		{"exactly 14 days", dur(14 * day), 14},
		{"first seen with 5 days left skips to 7", dur(5 * day), 7},
		{"7 days and a second", dur(7*day + time.Second), 14},
		{"an hour left", dur(time.Hour), 1},
		{"at the deadline", dur(0), 0},
		{"long past", dur(-90 * day), 0},
	}
	for _, tt := range tests {
		f := policy.Finding{}
		if tt.left != nil {
			f.Deadline = tp(t0.Add(*tt.left))
		}
		if got := s.due(&f, t0); got != tt.want {
			t.Errorf("%s: due = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func dur(d time.Duration) *time.Duration { return &d }

func TestDaysLeftAndWhen(t *testing.T) {
	tests := []struct {
		left     time.Duration
		days     int
		whenText string
	}{
		{7 * day, 7, "7 days left"},
		{7*day - time.Second, 6, "6 days left"},
		{day + time.Hour, 1, "1 day left"},
		{time.Hour, 0, "less than a day left"},
		{0, 0, "deadline passed"},
		{-time.Hour, -1, "deadline passed"},
		{-day, -1, "deadline passed 1 day ago"},
		{-3*day - time.Hour, -4, "deadline passed 3 days ago"},
	}
	for _, tt := range tests {
		deadline := t0.Add(tt.left)
		if got := daysLeft(deadline, t0); got != tt.days {
			t.Errorf("daysLeft(%s) = %d, want %d", tt.left, got, tt.days)
		}
		it := Item{Finding: policy.Finding{Deadline: &deadline}}
		if got := it.when(t0); got != tt.whenText {
			t.Errorf("when(%s) = %q, want %q", tt.left, got, tt.whenText)
		}
	}
}

func TestRunbookURL(t *testing.T) {
	tests := map[string]string{
		"prod secret - runbook: https://wiki.contoso.example/rb/payroll.": "https://wiki.contoso.example/rb/payroll",
		"see (http://kb.example/a?b=c)":                                   "http://kb.example/a?b=c",
		"no link here":                                                    "",
		"javascript:alert(1) and ftp://x.example/y":                       "",
		"https://": "",
		"first https://a.example/1 then https://b.example/2": "https://a.example/1",
	}
	for desc, want := range tests {
		if got := runbookURL(desc); got != want {
			t.Errorf("runbookURL(%q) = %q, want %q", desc, got, want)
		}
	}
}

func TestOwnerAddresses(t *testing.T) {
	n := &Notifier{cfg: &Config{OwnerEmail: OwnerEmailConfig{Enabled: true, MinSeverity: policy.Medium}}}
	ix := newTenantIndex(fixtureTenant())
	// Users with mail or an address-like UPN; not groups, not "#EXT#" UPNs.
	if got, want := n.ownerAddresses(ix, &fPayrollExpiring), []string{"alice@contoso.example", "bob@contoso.example"}; !reflect.DeepEqual(got, want) {
		t.Errorf("payroll owners = %v, want %v", got, want)
	}
	if got := n.ownerAddresses(ix, &fPayrollNoDesc); got != nil {
		t.Errorf("low finding under a medium minimum went to %v", got)
	}
	if got := n.ownerAddresses(ix, &fLegacyPerms); got != nil {
		t.Errorf("ownerless app's finding went to %v", got)
	}
	n.cfg.OwnerEmail.Enabled = false
	if got := n.ownerAddresses(ix, &fPayrollExpiring); got != nil {
		t.Errorf("disabled owners' email went to %v", got)
	}
}
