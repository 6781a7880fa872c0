package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// demoNow is the fixed clock of the CLI tests: the demo tenant's dates are
// relative to it, so output is deterministic.
var demoNow = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

type result struct {
	code           int
	stdout, stderr string
}

func runCLI(t *testing.T, args ...string) result {
	t.Helper()
	return runCLIContext(context.Background(), t, args...)
}

func runCLIContext(ctx context.Context, t *testing.T, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(ctx, args, &env{stdout: &out, stderr: &errb, now: func() time.Time { return demoNow }})
	return result{code, out.String(), errb.String()}
}

func TestUsageErrorsExitTwoWithOneLine(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no source", []string{"scan"}, "choose a source"},
		{"two sources", []string{"inventory", "--demo", "--tenant", "x"}, "exclude each other"},
		{"bad format", []string{"scan", "--demo", "--format", "pdf"}, `--format "pdf"`},
		{"bad inventory format", []string{"inventory", "--demo", "--format", "sarif"}, `--format "sarif"`},
		{"bad fail-on", []string{"scan", "--demo", "--fail-on", "severe"}, "--fail-on"},
		{"unknown flag", []string{"scan", "--nope"}, "unknown flag"},
		{"unknown command", []string{"scna"}, `unknown command "scna"`},
		{"bad cloud", []string{"scan", "--tenant", "t", "--cloud", "mars"}, `--cloud "mars"`},
		{"unknown rule", []string{"rules", "CW999"}, `unknown rule "CW999"`},
		{"missing snapshot", []string{"scan", "--snapshot", "does-not-exist.json"}, "does-not-exist.json"},
		{"missing config", []string{"scan", "--demo", "--config", "nope.yaml"}, "nope.yaml"},
		{"stray argument", []string{"scan", "--demo", "extra"}, `"extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, tt.args...)
			if r.code != ExitUsage {
				t.Fatalf("exit %d, want %d; stderr: %s", r.code, ExitUsage, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.want) {
				t.Errorf("stderr %q does not name the problem (%q)", r.stderr, tt.want)
			}
			if n := strings.Count(strings.TrimSpace(r.stderr), "\n"); n != 0 {
				t.Errorf("error is %d lines, want one: %q", n+1, r.stderr)
			}
		})
	}
}

func TestDemoScanJSONCoversEveryRule(t *testing.T) {
	r := runCLI(t, "scan", "--demo", "--format", "json")
	if r.code != ExitOK {
		t.Fatalf("exit %d; stderr: %s", r.code, r.stderr)
	}
	var doc struct {
		SchemaVersion int  `json:"schemaVersion"`
		Complete      bool `json:"complete"`
		Credentials   []struct {
			KeyID string `json:"keyId"`
		} `json:"credentials"`
		Findings []struct {
			RuleID string `json:"ruleId"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("scan JSON: %v", err)
	}
	if doc.SchemaVersion != 1 || !doc.Complete {
		t.Errorf("schemaVersion %d complete %v, want 1 and true", doc.SchemaVersion, doc.Complete)
	}
	if len(doc.Credentials) < 40 {
		t.Errorf("demo inventory has %d credentials, want a realistic tenant", len(doc.Credentials))
	}
	fired := map[string]bool{}
	for _, f := range doc.Findings {
		fired[f.RuleID] = true
	}
	// CW021 needs two scans (internal/scan tests it) and CW099 an expired
	// exception in a configuration; every other rule fires on the demo.
	for _, id := range []string{"CW001", "CW002", "CW003", "CW004", "CW005", "CW006", "CW007", "CW008", "CW010", "CW011",
		"CW020", "CW022", "CW030", "CW031", "CW040", "CW041",
		"CW050", "CW051", "CW052", "CW060", "CW061", "CW062", "CW063"} {
		if !fired[id] {
			t.Errorf("rule %s does not fire on the demo tenant", id)
		}
	}
}

func TestFailOnExitCode(t *testing.T) {
	if r := runCLI(t, "scan", "--demo", "--fail-on", "critical", "-o", filepath.Join(t.TempDir(), "r.txt")); r.code != ExitFindings {
		t.Errorf("--fail-on critical on the demo tenant (a first-party SP credential): exit %d, want %d; stderr %s", r.code, ExitFindings, r.stderr)
	}
	if r := runCLI(t, "scan", "--demo", "-o", filepath.Join(t.TempDir(), "r.txt")); r.code != ExitOK {
		t.Errorf("without --fail-on: exit %d, want 0; stderr %s", r.code, r.stderr)
	}
}

func TestSnapshotThenOfflineScanMatchesLive(t *testing.T) {
	snap := filepath.Join(t.TempDir(), "demo.json")
	if r := runCLI(t, "snapshot", "--demo", "-o", snap); r.code != ExitOK {
		t.Fatalf("snapshot: exit %d: %s", r.code, r.stderr)
	}
	live := runCLI(t, "inventory", "--demo", "--format", "csv")
	offline := runCLI(t, "inventory", "--snapshot", snap, "--format", "csv")
	if live.code != 0 || offline.code != 0 {
		t.Fatalf("inventory exits %d/%d: %s %s", live.code, offline.code, live.stderr, offline.stderr)
	}
	if live.stdout != offline.stdout {
		t.Errorf("inventory from the snapshot differs from the live one")
	}
	if !strings.Contains(live.stdout, "keyId") && !strings.Contains(strings.ToLower(live.stdout), "key id") {
		t.Errorf("inventory CSV has no key id column:\n%.300s", live.stdout)
	}
}

func TestOutputFileNotClobberedOnError(t *testing.T) {
	out := filepath.Join(t.TempDir(), "report.txt")
	if err := os.WriteFile(out, []byte("previous report\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := runCLI(t, "scan", "--snapshot", "missing.json", "-o", out); r.code == ExitOK {
		t.Fatal("scan of a missing snapshot succeeded")
	}
	b, _ := os.ReadFile(out)
	if string(b) != "previous report\n" {
		t.Errorf("a failed scan replaced the previous report with %q", b)
	}
}

func TestRulesCatalogAndExplain(t *testing.T) {
	r := runCLI(t, "rules")
	if r.code != 0 || !strings.Contains(r.stdout, "CW004") || !strings.Contains(r.stdout, "CW011") {
		t.Fatalf("rules: exit %d, output:\n%s", r.code, r.stdout)
	}
	r = runCLI(t, "rules", "cw004")
	if r.code != 0 || !strings.Contains(r.stdout, "Why it matters") || !strings.Contains(r.stdout, "How to fix") {
		t.Errorf("rules cw004: exit %d, output:\n%s", r.code, r.stdout)
	}
}

// TestMain keeps every test's scan history out of the user's state
// directory.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "credwatch-cli-test-")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_STATE_HOME", dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
