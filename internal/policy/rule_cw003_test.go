package policy

import (
	"testing"
	"time"
)

func TestCW003LifetimeOverPolicy(t *testing.T) {
	start := now.Add(-10 * day)
	plus5 := time.FixedZone("UTC+5", 5*3600)
	minus8 := time.FixedZone("UTC-8", -8*3600)

	runCredCases(t, "CW003", nil, []credCase{
		{name: "secret of exactly 180 days is within policy",
			obj: app("a", "n", secret("k1", "x", start, start.Add(180*day)))},
		{name: "secret of 180 days and 1 s is over",
			obj:  app("a", "n", secret("k1", "x", start, start.Add(180*day+time.Second))),
			want: map[string]Severity{"k1": Medium},
			msg:  `client secret "x" is valid for more than 180 days (2026-06-05 to 2026-12-02), over the 180-day maximum`,
			check: func(t *testing.T, fs []Finding) {
				ev := fs[0].Evidence
				if ev["lifetimeDays"] != "181" || ev["maxDays"] != "180" {
					t.Errorf("evidence = %v", ev)
				}
			}},
		{name: "two-year secret",
			obj:  app("a", "n", secret("k1", "x", at("2025-01-01T00:00:00Z"), at("2027-01-01T00:00:00Z"))),
			want: map[string]Severity{"k1": Medium},
			msg:  `client secret "x" is valid for 730 days (2025-01-01 to 2027-01-01), over the 180-day maximum`},
		{name: "certificate of exactly 365 days is within policy",
			obj: app("a", "n", cert("c1", "x", start, start.Add(365*day)))},
		{name: "certificate of 365 days and 1 s is over",
			obj:  app("a", "n", cert("c1", "x", start, start.Add(365*day+time.Second))),
			want: map[string]Severity{"c1": Medium}},
		{name: "certificate uses its own limit, not the secret one",
			obj: app("a", "n", cert("c1", "x", start, start.Add(200*day)))},
		{name: "leap year: 2028-02-29 plus 365 days is within policy",
			obj: app("a", "n", cert("c1", "x", at("2028-02-29T00:00:00Z"), at("2029-02-28T00:00:00Z")))},
		{name: "leap year: a calendar year from 2028-02-29 is 366 days",
			obj:  app("a", "n", cert("c1", "x", at("2028-02-29T00:00:00Z"), at("2028-02-29T00:00:00Z").AddDate(1, 0, 0))),
			want: map[string]Severity{"c1": Medium},
			msg:  `certificate "x" is valid for 366 days (2028-02-29 to 2029-03-01), over the 365-day maximum`},
		{name: "leap year: a calendar year spanning 29 February is 366 days",
			obj:  app("a", "n", cert("c1", "x", at("2027-06-01T00:00:00Z"), at("2028-06-01T00:00:00Z"))),
			want: map[string]Severity{"c1": Medium}},
		{name: "offsets do not change the lifetime",
			obj: app("a", "n", secret("k1", "x", start.In(plus5), start.Add(180*day).In(minus8)))},
		{name: "offsets do not change the lifetime, over",
			obj:  app("a", "n", secret("k1", "x", start.In(minus8), start.Add(180*day+time.Second).In(plus5))),
			want: map[string]Severity{"k1": Medium}},
		{name: "missing start: lifetime unknown",
			obj: app("a", "n", secret("k1", "x", time.Time{}, now.Add(900*day)))},
		{name: "missing end is CW004's",
			obj: app("a", "n", secret("k1", "x", start, time.Time{}))},
		{name: "end before start",
			obj: app("a", "n", secret("k1", "x", now.Add(900*day), now.Add(day)))},
		{name: "expired is CW001's",
			obj: app("a", "n", secret("k1", "x", now.Add(-900*day), now.Add(-day)))},
		{name: "federated",
			obj: app("a", "n", federated("f1", "gh"))},
	})
}

func TestCW003CustomLimits(t *testing.T) {
	cfg := onlyRule("CW003")
	cfg.Rules.CW003.SecretMaxDays = 90
	cfg.Rules.CW003.CertificateMaxDays = 366
	start := now.Add(-day)
	fs := Evaluate(tenant(app("a", "n",
		secret("k90", "x", start, start.Add(90*day)),
		secret("k91", "x", start, start.Add(91*day)),
		cert("c366", "x", start, start.Add(366*day)),
	)), cfg, now)
	if got := summary(fs); got != "CW003 medium obj-a k91" {
		t.Errorf("got %s", got)
	}
}
