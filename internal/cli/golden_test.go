package cli

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// TestDemoFindingsGolden pins every finding of the demo tenant at a fixed
// clock. The golden file was checked by hand against the demo tenant's
// design table (internal/emulator/tenantgen/demo.go): each rule fires on the
// app built to show it, and nowhere else. Regenerate with -update only after
// a deliberate change, and read the diff.
func TestDemoFindingsGolden(t *testing.T) {
	r := runCLI(t, "scan", "--demo", "--format", "json")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var doc struct {
		Findings json.RawMessage `json:"findings"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := json.Indent(&got, doc.Findings, "", "  "); err != nil {
		t.Fatal(err)
	}
	got.WriteByte('\n')
	path := filepath.Join("testdata", "demo-findings.json")
	if *update {
		if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("demo findings differ from %s; run go test ./internal/cli -run DemoFindingsGolden -update and review the diff", path)
	}
}
