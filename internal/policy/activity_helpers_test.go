package policy

import (
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/activity"
	"github.com/credwatch/credwatch/internal/inventory"
)

// auditSince starts the audit and sign-in windows of the test evidence.
var auditSince = now.Add(-30 * day)

// newEvidence is evidence with every part read and nothing in it.
func newEvidence() *activity.Evidence {
	return &activity.Evidence{
		AuditSince: auditSince, SignInsSince: auditSince,
		CredentialAdded: map[string]activity.Change{}, CredentialRemoved: map[string]activity.Change{},
		Usage: activity.Usage{Keys: map[string]activity.KeyUsage{}, KeyLastSignIn: map[string]time.Time{},
			AppLastSignIn: map[string]time.Time{}},
		Unavailable: map[string]string{},
	}
}

func admin() activity.Actor {
	return activity.Actor{Type: activity.ActorUser, ID: "u-admin", Name: "admin@contoso.example", IP: "198.51.100.10"}
}

func added(objectID, keyID string, by activity.Actor, when time.Time) activity.Change {
	return activity.Change{RecordID: "Directory_" + keyID, ObjectID: objectID, KeyID: keyID, When: when, Actor: by,
		UserAgent: "python-requests/2.32.3"}
}

// inputCase is a table row for the activity rules: a tenant, evidence,
// maybe a previous scan and a configuration tweak, and the expected
// findings as "severity object key" summaries.
type inputCase struct {
	name  string
	objs  []inventory.Object
	ev    func(ev *activity.Evidence)
	prev  *inventory.Tenant
	cfg   func(c *Config)
	want  string // summary() of the findings
	msg   string // if set, the first finding's message
	check func(t *testing.T, fs []Finding)
}

func runInputCases(t *testing.T, ruleID string, cases []inputCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := onlyRule(ruleID)
			if tc.cfg != nil {
				tc.cfg(cfg)
			}
			if err := cfg.Validate(); err != nil {
				t.Fatalf("test config invalid: %v", err)
			}
			ev := newEvidence()
			if tc.ev != nil {
				tc.ev(ev)
			}
			fs := EvaluateInput(Input{Tenant: tenant(tc.objs...), Previous: BaselineOf(tc.prev), Evidence: ev, Now: now}, cfg)
			if got := summary(fs); got != tc.want {
				t.Errorf("findings = %q, want %q\n%s", got, tc.want, messages(fs))
			}
			for _, f := range fs {
				if f.ID != FindingID(f.RuleID, f.ObjectID, f.KeyID) {
					t.Errorf("finding id %s is not FindingID(%s, %s, %s)", f.ID, f.RuleID, f.ObjectID, f.KeyID)
				}
			}
			if tc.msg != "" {
				if len(fs) == 0 {
					t.Fatalf("no finding, want message %q", tc.msg)
				}
				if fs[0].Message != tc.msg {
					t.Errorf("message = %q\nwant      %q", fs[0].Message, tc.msg)
				}
			}
			if tc.check != nil && len(fs) > 0 {
				tc.check(t, fs)
			}
		})
	}
}

func wantEvidence(t *testing.T, f Finding, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if f.Evidence[k] != v {
			t.Errorf("evidence %s = %q, want %q (all: %v)", k, f.Evidence[k], v, f.Evidence)
		}
	}
}
