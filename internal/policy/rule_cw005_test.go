package policy

import (
	"time"

	"github.com/credwatch/credwatch/internal/inventory"
	"testing"
)

func TestCW005Description(t *testing.T) {
	live := func(c inventory.Credential) inventory.Credential {
		c.Start, c.End = now.Add(-day), now.Add(60*day)
		return c
	}
	runCredCases(t, "CW005", nil, []credCase{
		{name: "empty",
			obj:  app("a", "n", secret("3c9a1e55-0000-4000-8000-000000000003", "", now.Add(-day), now.Add(60*day))),
			want: map[string]Severity{"3c9a1e55-0000-4000-8000-000000000003": Low},
			msg:  `client secret with key 3c9a1e55 has no description`},
		{name: "whitespace only",
			obj:  app("a", "n", secret("k1", " \t\n", now.Add(-day), now.Add(60*day))),
			want: map[string]Severity{"k1": Low}},
		{name: "described",
			obj: app("a", "n", validSecret("k1"))},
		{name: "certificate without a name",
			obj:  app("a", "n", live(cert("c1", "", now, now))),
			want: map[string]Severity{"c1": Low}},
		{name: "federated credential without a description",
			obj:  app("a", "n", federated("f1", "")),
			want: map[string]Severity{"f1": Low}},
		{name: "expired credentials are CW001's",
			obj: app("a", "n", secret("k1", "", now.Add(-90*day), now.Add(-day)))},
		{name: "no dates: still reported",
			obj:  app("a", "n", secret("k1", "", zeroTime, zeroTime)),
			want: map[string]Severity{"k1": Low}},
	})

	cfg := onlyRule("CW005")
	cfg.Rules.CW005.DescriptionPattern = `https://runbooks\.example\.com/`
	runCredCases(t, "CW005", cfg, []credCase{
		{name: "pattern matched",
			obj: app("a", "n", secret("k1", "deploy; https://runbooks.example.com/billing", now.Add(-day), now.Add(60*day)))},
		{name: "pattern not matched",
			obj:  app("a", "n", secret("k1", "deploy", now.Add(-day), now.Add(60*day))),
			want: map[string]Severity{"k1": Low},
			msg:  `client secret "deploy" has a description that does not match "https://runbooks\\.example\\.com/"`,
			check: func(t *testing.T, fs []Finding) {
				if fs[0].Evidence["descriptionPattern"] != cfg.Rules.CW005.DescriptionPattern {
					t.Errorf("evidence = %v", fs[0].Evidence)
				}
			}},
		{name: "empty with a pattern says empty",
			obj:  app("a", "n", secret("k1", "", now.Add(-day), now.Add(60*day))),
			want: map[string]Severity{"k1": Low},
			msg:  `client secret with key k1 has no description`},
	})
}

var zeroTime time.Time
