package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runRotate runs the rotate command under the root (which does not
// register it yet) and maps errors to exit codes as Run does.
func runRotate(t *testing.T, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, now: func() time.Time { return demoNow }}
	root := newRoot(e)
	root.AddCommand(newRotateCmd(e))
	root.SetArgs(args)
	code := ExitOK
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintf(&errb, "credwatch: %v\n", err)
		code = ExitError
		var ue usageError
		if errors.As(err, &ue) {
			code = ExitUsage
		}
	}
	return result{code, out.String(), errb.String()}
}

func TestRotatePlanOnTheDemo(t *testing.T) {
	r := runRotate(t, "rotate", "plan", "--demo", "--all-due")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"payroll-export", "kv-contoso-apps/payroll-export (vault tag)", "hr-onboarding-bot",
		"bot secret (old) rotated by credwatch 2026-11-26", "skipped: no vault target", "Nothing was changed."} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("plan lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "marketing-analytics") {
		t.Error("a secret with months left is not due")
	}
	j := runRotate(t, "rotate", "plan", "--demo", "--app", "does-not-exist", "--format", "json")
	if j.code != 0 || strings.TrimSpace(j.stdout) != "[]" {
		t.Errorf("plan of an unknown app: exit %d, %q", j.code, j.stdout)
	}
}

func TestRotateApplyOnTheDemo(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "credwatch.yaml")
	if err := os.WriteFile(cfg, []byte("keyVaults:\n  - name: kv-contoso-apps\n  - name: kv-legacy-shared\nrotation:\n  graceDays: 0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runRotate(t, "rotate", "apply", "--demo", "--config", cfg, "--all-due", "--remove-unconfirmed")
	if r.code != 0 {
		t.Fatalf("exit %d: %s\n%s", r.code, r.stderr, r.stdout)
	}
	var payroll string
	for _, l := range strings.Split(r.stdout, "\n") {
		if strings.HasPrefix(l, "payroll-export ") {
			payroll = l
		}
	}
	if !strings.Contains(payroll, " done ") || !strings.Contains(payroll, "rotated: the old credential is removed") ||
		!strings.Contains(r.stdout, "skipped: no vault target") {
		t.Errorf("apply output:\n%s", r.stdout)
	}
}

func TestRotateUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"rotate", "plan", "--demo"}, "--app ID or --all-due"},
		{[]string{"rotate", "plan", "--demo", "--all-due", "--app", "x"}, "exclude each other"},
		{[]string{"rotate", "apply", "--snapshot", "x.json", "--all-due"}, "not --snapshot"},
		{[]string{"rotate", "plan", "--demo", "--all-due", "--format", "csv"}, `--format "csv"`},
	} {
		r := runRotate(t, c.args...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, r.code, r.stderr, c.want)
		}
	}
}
