package policy

import (
	"testing"
	"time"
)

func TestCW004NeverExpires(t *testing.T) {
	plus5 := time.FixedZone("UTC+5", 5*3600)
	minus5 := time.FixedZone("UTC-5", -5*3600)
	s2089 := at("2089-01-01T00:00:00Z")

	runCredCases(t, "CW004", nil, []credCase{
		{name: "ends in 2099",
			obj:  app("a", "n", secret("k1", "legacy", s2089, at("2099-01-01T00:00:00Z"))),
			want: map[string]Severity{"k1": High},
			msg:  `client secret "legacy" expires in 2099 (2099-01-01); it never expires in practice`},
		{name: "ends the last second of 2098",
			obj: app("a", "n", secret("k1", "x", s2089, at("2098-12-31T23:59:59Z")))},
		{name: "the year is taken in UTC: 2099 local, 2098 UTC",
			obj: app("a", "n", secret("k1", "x", s2089, time.Date(2099, 1, 1, 3, 0, 0, 0, plus5)))},
		{name: "the year is taken in UTC: 2098 local, 2099 UTC",
			obj:  app("a", "n", secret("k1", "x", s2089, time.Date(2098, 12, 31, 22, 0, 0, 0, minus5))),
			want: map[string]Severity{"k1": High}},
		{name: "exactly ten years",
			obj: app("a", "n", cert("c1", "x", at("2020-05-01T00:00:00Z"), at("2030-05-01T00:00:00Z")))},
		{name: "ten years and one second",
			obj:  app("a", "n", cert("c1", "x", at("2020-05-01T00:00:00Z"), at("2030-05-01T00:00:01Z"))),
			want: map[string]Severity{"c1": High},
			msg:  `certificate "x" is valid for more than 10 years (2020-05-01 to 2030-05-01); it never expires in practice`},
		{name: "leap year: ten years from 2024-02-29 end on 2034-03-01",
			obj: app("a", "n", secret("k1", "x", at("2024-02-29T00:00:00Z"), at("2034-03-01T00:00:00Z")))},
		{name: "leap year: one second more",
			obj:  app("a", "n", secret("k1", "x", at("2024-02-29T00:00:00Z"), at("2034-03-01T00:00:01Z"))),
			want: map[string]Severity{"k1": High}},
		{name: "no end date",
			obj:  app("a", "n", secret("k1", "x", now.Add(-day), time.Time{})),
			want: map[string]Severity{"k1": High},
			msg:  `client secret "x" has no end date; it never expires`,
			check: func(t *testing.T, fs []Finding) {
				if fs[0].Deadline != nil {
					t.Errorf("deadline = %v, want none", fs[0].Deadline)
				}
			}},
		{name: "no dates at all",
			obj:  app("a", "n", cert("c1", "x", time.Time{}, time.Time{})),
			want: map[string]Severity{"c1": High}},
		{name: "federated credentials have no expiry by design",
			obj: app("a", "n", federated("f1", "gh"))},
		{name: "expired long-lived credential is CW001's",
			obj: app("a", "n", secret("k1", "x", at("1990-01-01T00:00:00Z"), at("2010-01-01T00:00:00Z")))},
		{name: "ordinary secret",
			obj: app("a", "n", validSecret("k1"))},
	})
}

func TestCW004CustomThresholds(t *testing.T) {
	cfg := onlyRule("CW004")
	cfg.Rules.CW004.NeverExpiresYear = 2030
	cfg.Rules.CW004.NeverExpiresYears = 3
	fs := Evaluate(tenant(app("a", "n",
		secret("y2030", "x", now, at("2030-01-01T00:00:00Z")),
		secret("y4", "x", at("2026-01-01T00:00:00Z"), at("2029-06-01T00:00:00Z")),
		secret("ok", "x", at("2026-01-01T00:00:00Z"), at("2028-06-01T00:00:00Z")),
	)), cfg, now)
	if got := summary(fs); got != "CW004 high obj-a y4; CW004 high obj-a y2030" {
		t.Errorf("got %s", got)
	}
}
