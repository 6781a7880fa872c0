package policy

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/inventory"
)

// now is the fixed clock of every test: mid-day UTC, mid-year.
var now = time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)

const graphAppID = "00000003-0000-0000-c000-000000000000"

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func secret(key, name string, start, end time.Time) inventory.Credential {
	return inventory.Credential{Type: inventory.Secret, KeyID: key, DisplayName: name, Start: start, End: end}
}

func cert(key, name string, start, end time.Time) inventory.Credential {
	return inventory.Credential{Type: inventory.Certificate, KeyID: key, DisplayName: name, Start: start, End: end, KeyType: "AsymmetricX509Cert", Usage: "Verify"}
}

func federated(key, name string) inventory.Credential {
	return inventory.Credential{Type: inventory.Federated, KeyID: key, DisplayName: name,
		Issuer: "https://token.actions.githubusercontent.com", Subject: "repo:o/r:ref:refs/heads/main",
		Audiences: []string{"api://AzureADTokenExchange"}}
}

// validSecret is a well-behaved secret: described, 90 days, far from its end.
func validSecret(key string) inventory.Credential {
	return secret(key, "ok "+key, now.Add(-30*day), now.Add(60*day))
}

func app(id, name string, creds ...inventory.Credential) inventory.Object {
	return inventory.Object{Type: inventory.Application, ID: "obj-" + id, AppID: id, DisplayName: name,
		SignInAudience: "AzureADMyOrg", Credentials: creds}
}

func sp(id, name string, creds ...inventory.Credential) inventory.Object {
	return inventory.Object{Type: inventory.ServicePrincipal, ID: "sp-" + id, AppID: id, DisplayName: name,
		ServicePrincipalType: "Application", Credentials: creds}
}

func tenant(objs ...inventory.Object) *inventory.Tenant {
	return &inventory.Tenant{ID: "tenant", CollectedAt: now, Source: "test", Complete: true, Objects: objs}
}

func graphPerm(value string) inventory.Permission {
	return inventory.Permission{Resource: "Microsoft Graph", ResourceAppID: graphAppID, AppRoleID: "role-" + value, Value: value}
}

// onlyRule is the default configuration with one rule enabled, so a rule's
// test sees only its own findings.
func onlyRule(id string) *Config {
	cfg := DefaultConfig()
	for _, r := range registry {
		r.settings(&cfg.Rules).common.Enabled = r.id == id
	}
	return cfg
}

func ruleFindings(fs []Finding, id string) []Finding {
	var out []Finding
	for _, f := range fs {
		if f.RuleID == id {
			out = append(out, f)
		}
	}
	return out
}

// summary renders findings compactly for comparison: "CW002 high key1".
func summary(fs []Finding) string {
	var parts []string
	for _, f := range fs {
		s := fmt.Sprintf("%s %s %s", f.RuleID, f.Severity, f.ObjectID)
		if f.KeyID != "" {
			s += " " + f.KeyID
		}
		if f.Suppressed {
			s += " suppressed"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// credCase is a table row for the credential rules: one object with the
// given credentials, and the expected severity per key id ("" = none).
type credCase struct {
	name  string
	obj   inventory.Object
	want  map[string]Severity // key id -> severity; absent keys: no finding
	msg   string              // if set, the message of the first finding
	check func(t *testing.T, fs []Finding)
}

func runCredCases(t *testing.T, ruleID string, cfg *Config, cases []credCase) {
	t.Helper()
	if cfg == nil {
		cfg = onlyRule(ruleID)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs := Evaluate(tenant(tc.obj), cfg, now)
			got := map[string]Severity{}
			for _, f := range fs {
				if f.RuleID != ruleID {
					t.Fatalf("finding of another rule: %+v", f)
				}
				if _, dup := got[f.KeyID]; dup {
					t.Errorf("two findings for key %q", f.KeyID)
				}
				got[f.KeyID] = f.Severity
				if f.ID != FindingID(ruleID, tc.obj.ID, f.KeyID) {
					t.Errorf("finding id %s is not FindingID(%s, %s, %s)", f.ID, ruleID, tc.obj.ID, f.KeyID)
				}
				if strings.ContainsAny(f.Message, "\n\r") {
					t.Errorf("message is not one line: %q", f.Message)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(nonNil(tc.want)) {
				t.Errorf("findings = %v, want %v\n%s", got, tc.want, messages(fs))
			}
			if tc.msg != "" {
				if len(fs) == 0 {
					t.Fatalf("no finding, want message %q", tc.msg)
				}
				if fs[0].Message != tc.msg {
					t.Errorf("message = %q\nwant      %q", fs[0].Message, tc.msg)
				}
			}
			if tc.check != nil {
				tc.check(t, fs)
			}
		})
	}
}

func nonNil(m map[string]Severity) map[string]Severity {
	if m == nil {
		return map[string]Severity{}
	}
	return m
}

func messages(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "  %s %s %s: %s\n", f.RuleID, f.Severity, f.KeyID, f.Message)
	}
	return b.String()
}
