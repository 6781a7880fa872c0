package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

func TestScansAreRecordedAndCompared(t *testing.T) {
	dsn := "sqlite://" + filepath.Join(t.TempDir(), "history.db")
	first := runCLI(t, "scan", "--demo", "--store", dsn)
	if first.code != 0 {
		t.Fatalf("first scan: exit %d: %s", first.code, first.stderr)
	}
	if strings.Contains(first.stdout, "Changes from scan") {
		t.Error("the first scan shows changes although nothing came before it")
	}
	second := runCLI(t, "scan", "--demo", "--store", dsn)
	if second.code != 0 {
		t.Fatalf("second scan: exit %d: %s", second.code, second.stderr)
	}
	if !strings.Contains(second.stdout, "Changes from scan 1") || !strings.Contains(second.stdout, "no changes") {
		t.Errorf("second scan of an unchanged tenant does not say so:\n%s", tail(second.stdout))
	}

	h := runCLI(t, "history", "--store", dsn, "--format", "json")
	var scans []struct {
		ID       int64 `json:"id"`
		Complete bool  `json:"complete"`
		Findings int   `json:"findings"`
	}
	if err := json.Unmarshal([]byte(h.stdout), &scans); err != nil {
		t.Fatalf("history JSON: %v\n%s", err, h.stdout)
	}
	if len(scans) != 2 || scans[0].ID != 2 || !scans[0].Complete || scans[0].Findings == 0 {
		t.Errorf("history = %+v, want scans 2 then 1, complete, with findings", scans)
	}

	d := runCLI(t, "diff", "--store", dsn)
	if d.code != 0 || !strings.Contains(d.stdout, "no changes") {
		t.Errorf("diff: exit %d\n%s%s", d.code, d.stdout, d.stderr)
	}
	if r := runCLI(t, "diff", "1", "9", "--store", dsn); r.code != ExitUsage || !strings.Contains(r.stderr, "no scan 9") {
		t.Errorf("diff with an unknown scan: exit %d, %s", r.code, r.stderr)
	}
}

func TestNoStoreLeavesNoHistory(t *testing.T) {
	if r := runCLI(t, "scan", "--demo", "--no-store", "--store", "x.db"); r.code != ExitUsage {
		t.Errorf("--store with --no-store: exit %d", r.code)
	}
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	if r := runCLI(t, "scan", "--demo", "--no-store"); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if r := runCLI(t, "history"); !strings.Contains(r.stdout, "no scans stored") {
		t.Errorf("history after --no-store: %s", r.stdout)
	}
	if r := runCLI(t, "scan", "--demo"); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if r := runCLI(t, "history"); strings.Contains(r.stdout, "no scans stored") {
		t.Errorf("a scan without --no-store was not recorded in the default store: %s", r.stdout)
	}
}

func TestBadStoreIsAUsageError(t *testing.T) {
	r := runCLI(t, "scan", "--demo", "--store", "mysql://x")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "mysql") {
		t.Errorf("exit %d, stderr %q; want 2 naming the scheme", r.code, r.stderr)
	}
}

func tail(s string) string {
	if len(s) > 600 {
		return "…" + s[len(s)-600:]
	}
	return s
}
