package policy

import (
	"github.com/credwatch/credwatch/internal/inventory"
	"testing"
	"time"
)

func TestCW002ExpiringWindows(t *testing.T) {
	start := now.Add(-60 * day)
	s := func(key string, end time.Time) inventory.Credential { return secret(key, "ci-deploy", start, end) }
	tz := time.FixedZone("UTC+13", 13*3600)

	runCredCases(t, "CW002", nil, []credCase{
		{name: "five days left is high",
			obj:  app("a", "billing", s("k1", now.Add(5*day+2*time.Hour))),
			want: map[string]Severity{"k1": High},
			msg:  `client secret "ci-deploy" expires in 5 days (2026-06-20)`},
		{name: "exactly seven days is high",
			obj:  app("a", "billing", s("k1", now.Add(7*day))),
			want: map[string]Severity{"k1": High}},
		{name: "seven days minus one second is high",
			obj:  app("a", "billing", s("k1", now.Add(7*day-time.Second))),
			want: map[string]Severity{"k1": High}},
		{name: "seven days plus one second is medium",
			obj:  app("a", "billing", s("k1", now.Add(7*day+time.Second))),
			want: map[string]Severity{"k1": Medium}},
		{name: "exactly thirty days is medium",
			obj:  app("a", "billing", s("k1", now.Add(30*day))),
			want: map[string]Severity{"k1": Medium},
			msg:  `client secret "ci-deploy" expires in 30 days (2026-07-15)`},
		{name: "thirty days minus one second is medium",
			obj:  app("a", "billing", s("k1", now.Add(30*day-time.Second))),
			want: map[string]Severity{"k1": Medium}},
		{name: "thirty days plus one second is fine",
			obj: app("a", "billing", s("k1", now.Add(30*day+time.Second)))},
		{name: "hours left",
			obj:  app("a", "billing", s("k1", now.Add(90*time.Minute))),
			want: map[string]Severity{"k1": High},
			msg:  `client secret "ci-deploy" expires in 1 hour (2026-06-15)`},
		{name: "expired is CW001's, not CW002's",
			obj: app("a", "billing", s("k1", now))},
		{name: "same instant in another offset is the same",
			obj:  app("a", "billing", s("k1", now.Add(7*day).In(tz))),
			want: map[string]Severity{"k1": High},
			msg:  `client secret "ci-deploy" expires in 7 days (2026-06-22)`},
		{name: "certificate",
			obj:  app("a", "billing", cert("c1", "CN=x", start, now.Add(20*day))),
			want: map[string]Severity{"c1": Medium}},
		{name: "federated credentials never expire",
			obj: app("a", "billing", federated("f1", "gh"))},
		{name: "missing end",
			obj: app("a", "billing", s("k1", time.Time{}))},
		{name: "end before start",
			obj: app("a", "billing", secret("k1", "x", now.Add(10*day), now.Add(5*day)))},
		{name: "rotation staged: newer valid secret lowers to low",
			obj: app("a", "billing",
				s("old", now.Add(3*day)),
				secret("new", "ci-deploy 2026", now.Add(-day), now.Add(180*day))),
			want: map[string]Severity{"old": Low},
			msg:  `client secret "ci-deploy" expires in 3 days (2026-06-18); rotation staged: newer client secret new is already valid until 2026-12-12`,
			check: func(t *testing.T, fs []Finding) {
				if fs[0].Evidence["stagedKeyId"] != "new" {
					t.Errorf("evidence = %v", fs[0].Evidence)
				}
			}},
		{name: "successor not started yet does not count",
			obj: app("a", "billing",
				s("old", now.Add(3*day)),
				secret("new", "n", now.Add(time.Second), now.Add(180*day))),
			want: map[string]Severity{"old": High}},
		{name: "successor started exactly now counts",
			obj: app("a", "billing",
				s("old", now.Add(3*day)),
				secret("new", "n", now, now.Add(180*day))),
			want: map[string]Severity{"old": Low}},
		{name: "successor of another type does not count",
			obj: app("a", "billing",
				s("old", now.Add(3*day)),
				cert("new", "n", now.Add(-day), now.Add(180*day))),
			want: map[string]Severity{"old": High}},
		{name: "only the later of two expiring secrets is a successor",
			obj: app("a", "billing",
				s("later", now.Add(20*day)),
				s("sooner", now.Add(10*day))),
			want: map[string]Severity{"later": Medium, "sooner": Low}},
		{name: "successor with broken dates does not count",
			obj: app("a", "billing",
				s("old", now.Add(3*day)),
				secret("bad", "n", now.Add(-day), now.Add(-2*day))),
			want: map[string]Severity{"old": High}},
		{name: "successor without an end counts",
			obj: app("a", "billing",
				s("old", now.Add(3*day)),
				secret("forever", "n", now.Add(-day), time.Time{})),
			want: map[string]Severity{"old": Low}},
		{name: "leap year: end on 29 February",
			obj: app("a", "billing", secret("k1", "x", at("2028-01-01T00:00:00Z"), at("2028-02-29T23:59:59Z"))),
		},
	})
}

func TestCW002LeapDayWindow(t *testing.T) {
	// 2028-02-22 12:00 to 2028-02-29 12:00 is exactly 7 days across a leap day.
	leapNow := at("2028-02-22T12:00:00Z")
	obj := app("a", "billing", secret("k1", "x", at("2028-01-01T00:00:00Z"), at("2028-02-29T12:00:00Z")))
	fs := Evaluate(tenant(obj), onlyRule("CW002"), leapNow)
	if len(fs) != 1 || fs[0].Severity != High {
		t.Fatalf("got %s, want high", summary(fs))
	}
	if want := `client secret "x" expires in 7 days (2028-02-29)`; fs[0].Message != want {
		t.Errorf("message %q, want %q", fs[0].Message, want)
	}
	fs = Evaluate(tenant(obj), onlyRule("CW002"), leapNow.Add(-time.Second))
	if len(fs) != 1 || fs[0].Severity != Medium {
		t.Fatalf("one second earlier: got %s, want medium", summary(fs))
	}
}

func TestCW002CustomWindows(t *testing.T) {
	cfg := onlyRule("CW002")
	cfg.Rules.CW002.CriticalDays = 0
	cfg.Rules.CW002.WarningDays = 60
	fs := Evaluate(tenant(app("a", "n", secret("k1", "x", now.Add(-day), now.Add(time.Hour)), cert("k2", "y", now.Add(-day), now.Add(45*day)))), cfg, now)
	if got := summary(fs); got != "CW002 medium obj-a k1; CW002 medium obj-a k2" {
		t.Errorf("got %s", got)
	}
	if fs[0].Evidence["criticalDays"] != "0" || fs[0].Evidence["warningDays"] != "60" {
		t.Errorf("evidence = %v", fs[0].Evidence)
	}
}
