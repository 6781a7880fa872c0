package policy

import (
	"github.com/credwatch/credwatch/internal/inventory"
	"testing"
	"time"
)

func TestCW007TooManyActiveSecrets(t *testing.T) {
	s := func(key string, start, end time.Time) inventory.Credential { return secret(key, "x", start, end) }
	runCredCases(t, "CW007", nil, []credCase{
		{name: "two is the limit",
			obj: app("a", "n", validSecret("k1"), validSecret("k2"))},
		{name: "three is too many",
			obj:  app("a", "n", validSecret("k1"), validSecret("k2"), validSecret("k3")),
			want: map[string]Severity{"": Low},
			msg:  "3 unexpired client secrets, more than the 2 allowed",
			check: func(t *testing.T, fs []Finding) {
				ev := fs[0].Evidence
				if ev["activeSecrets"] != "3" || ev["maxActiveSecrets"] != "2" || ev["keyIds"] != "k1,k2,k3" {
					t.Errorf("evidence = %v", ev)
				}
			}},
		{name: "expired secrets do not count",
			obj: app("a", "n", validSecret("k1"), validSecret("k2"), s("old", now.Add(-90*day), now))},
		{name: "future secrets count",
			obj:  app("a", "n", validSecret("k1"), validSecret("k2"), s("next", now.Add(day), now.Add(90*day))),
			want: map[string]Severity{"": Low}},
		{name: "secrets without an end count",
			obj:  app("a", "n", validSecret("k1"), validSecret("k2"), s("forever", now.Add(-day), zeroTime)),
			want: map[string]Severity{"": Low}},
		{name: "broken dates do not count",
			obj: app("a", "n", validSecret("k1"), validSecret("k2"), s("bad", now.Add(day), now.Add(-day)))},
		{name: "certificates and federated credentials do not count",
			obj: app("a", "n", validSecret("k1"), validSecret("k2"), cert("c1", "x", now.Add(-day), now.Add(day)), federated("f1", "x"))},
		{name: "counted per object",
			obj:  sp("a", "n", validSecret("k1"), validSecret("k2"), validSecret("k3")),
			want: map[string]Severity{"": Low}},
	})

	cfg := onlyRule("CW007")
	cfg.Rules.CW007.MaxActiveSecrets = 0
	runCredCases(t, "CW007", cfg, []credCase{
		{name: "limit zero flags any secret",
			obj:  app("a", "n", validSecret("k1")),
			want: map[string]Severity{"": Low},
			msg:  "1 unexpired client secrets, more than the 0 allowed"},
	})
}
