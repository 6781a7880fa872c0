package policy_test

import (
	"fmt"
	"time"

	"github.com/credwatch/credwatch/internal/inventory"
	"github.com/credwatch/credwatch/internal/policy"
)

func ExampleEvaluate() {
	cfg, err := policy.ParseConfig([]byte("rules:\n  CW002:\n    warningDays: 45\n"), "config.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	now := time.Date(2026, 11, 26, 9, 30, 0, 0, time.UTC)
	tenant := &inventory.Tenant{Complete: true, Objects: []inventory.Object{{
		Type:           inventory.Application,
		ID:             "8b1e0a2c-0000-4000-8000-000000000001",
		AppID:          "c0ffee00-0000-4000-8000-000000000002",
		DisplayName:    "billing-sync",
		SignInAudience: "AzureADMyOrg",
		Credentials: []inventory.Credential{{
			Type:        inventory.Secret,
			KeyID:       "f0b0b335-1d71-4883-8f98-567911bfdca6",
			DisplayName: "ci-deploy",
			Start:       now.AddDate(0, -5, 0),
			End:         now.Add(5 * 24 * time.Hour),
		}},
	}}}
	for _, f := range policy.Evaluate(tenant, cfg, now) {
		fmt.Println(f.RuleID, f.Severity, f.Message)
		fmt.Println(f.ID, f.Deadline.Format(time.RFC3339), f.Evidence)
	}
	// Output:
	// CW002 high client secret "ci-deploy" expires in 5 days (2026-12-01)
	// 477a01011dd557fbbab4a185c214bb57 2026-12-01T09:30:00Z map[criticalDays:7 warningDays:45]
}

func ExampleParseConfig() {
	_, err := policy.ParseConfig([]byte(`rules:
  CW002:
    criticalDays: x
    warningDays: -1
exceptions:
  - rule: CW003
    app: "legacy-*"
    expires: 2026-12-31
`), "config.yaml")
	fmt.Println(err)
	// Output:
	// config.yaml:3: rules.CW002.criticalDays: cannot unmarshal string "x" into int
	// config.yaml:4: rules.CW002.warningDays: must not be negative (got -1)
	// config.yaml:6: exceptions[0].reason: required: say why the finding is accepted
}

func ExampleLookup() {
	r, _ := policy.Lookup("CW008")
	fmt.Println(r.ID, r.Severity, r.Title)
	fmt.Println(r.Severities)
	// Output:
	// CW008 medium Credential on a service principal
	// medium; critical on a Microsoft first-party service principal
}
