package scan

import (
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/azure"
	"github.com/credwatch/credwatch/internal/inventory"
	"github.com/credwatch/credwatch/internal/msgraph"
	"github.com/credwatch/credwatch/internal/store"
)

// incrementalScan runs the pipeline through Incremental, logging to logs.
func (e *tenant) incrementalScan(st *store.Store, logs *logBuffer, o IncrementalOptions) *Result {
	e.t.Helper()
	cred, err := azure.NewClientSecretCredential(e.auth(), e.scanner.ID, e.scanner.Secret)
	if err != nil {
		e.t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	src := Incremental(Live(e.auth(), cred, ReadOptions{Now: e.clk.Now, Logger: logger}), st, o)
	res, err := Run(context.Background(), src, Options{Config: demoConfig(), Store: st, Activity: true, Now: e.clk.Now, Logger: logger})
	if err != nil {
		e.t.Fatalf("scan: %v", err)
	}
	return res
}

// logBuffer collects a scan's log; slog handlers serialise their writes.
type logBuffer struct{ strings.Builder }

// objectsJSON is what a scan found, without when and how it read it.
func objectsJSON(t *testing.T, tn *inventory.Tenant) string {
	t.Helper()
	b, err := json.Marshal(tn.Objects)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestIncrementalScansReadOnlyChanges(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	e := startDemo(t, t0)
	st, err := store.Open(context.Background(), "sqlite://"+filepath.Join(t.TempDir(), "h.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	var logs logBuffer
	first := e.incrementalScan(st, &logs, IncrementalOptions{})
	if !first.Tenant.Complete || !strings.Contains(logs.String(), "no delta state yet; running a full scan") {
		t.Fatalf("first scan: complete %v; log:\n%s", first.Tenant.Complete, logs.String())
	}
	if state, err := st.LoadDeltaState(context.Background(), e.srv.TenantID()); err != nil || state == nil {
		t.Fatalf("no delta state after the first scan: %v", err)
	}
	afterFirst := e.srv.Stats()

	// A secret and an owner added through Graph, an app renamed elsewhere.
	e.clk.Set(t0.Add(10 * time.Minute))
	var added msgraph.PasswordCredential
	if err := json.Unmarshal(e.write("POST", "/applications/"+e.appID("inventory-api")+"/addPassword",
		map[string]any{"passwordCredential": map[string]any{"displayName": "backdoor"}}), &added); err != nil {
		t.Fatal(err)
	}
	owner := e.dir.Applications[0].Owners[0].ID
	e.write("POST", "/applications/"+e.appID("tenant-provisioning")+"/owners/$ref",
		map[string]string{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + owner})
	if err := e.srv.Mutate(func(d *msgraph.Directory) { d.Applications[3].DisplayName += " (old)" }); err != nil {
		t.Fatal(err)
	}

	e.clk.Set(t0.Add(time.Hour))
	logs = logBuffer{}
	second := e.incrementalScan(st, &logs, IncrementalOptions{})
	if strings.Contains(logs.String(), "running a full scan") || !strings.Contains(logs.String(), "delta applied") {
		t.Fatalf("second scan was not incremental; log:\n%s", logs.String())
	}
	st2 := e.srv.Stats()
	if st2.ByKind["delta-applications"].Requests-afterFirst.ByKind["delta-applications"].Requests == 0 {
		t.Error("the second scan asked for no delta")
	}
	if lists := st2.ListApplications - afterFirst.ListApplications; lists != 0 {
		t.Errorf("the second scan listed applications %d times", lists)
	}
	d := second.Changes
	if d == nil || len(d.CredentialsAdded) != 1 || d.CredentialsAdded[0].KeyID != added.KeyID ||
		len(d.OwnersAdded) != 1 || d.OwnersAdded[0].Object.DisplayName != "tenant-provisioning" {
		t.Fatalf("changes %+v, want the new secret and owner", d)
	}
	// Exactly what a full scan reads now (a minute on, clear of the
	// reports throttle, which runs on the emulator's clock).
	e.clk.Set(t0.Add(time.Hour + time.Minute))
	full := e.scan(nil, demoConfig())
	if objectsJSON(t, second.Tenant) != objectsJSON(t, full.Tenant) {
		t.Error("the incremental scan's inventory differs from a full scan's")
	}

	// A week and a day later Graph no longer knows the delta state.
	e.clk.Set(t0.Add(8 * 24 * time.Hour))
	logs = logBuffer{}
	third := e.incrementalScan(st, &logs, IncrementalOptions{})
	if !third.Tenant.Complete || !strings.Contains(logs.String(), "delta token expired; running a full scan") {
		t.Fatalf("expired state: complete %v; log:\n%s", third.Tenant.Complete, logs.String())
	}

	// --full reads everything even with fresh state.
	e.clk.Set(t0.Add(8*24*time.Hour + time.Minute))
	before := e.srv.Stats().ListApplications
	logs = logBuffer{}
	e.incrementalScan(st, &logs, IncrementalOptions{Full: true})
	if e.srv.Stats().ListApplications == before {
		t.Error("a full scan did not list applications")
	}
}

func TestIncrementalLeavesOtherSourcesAlone(t *testing.T) {
	st, err := store.Open(context.Background(), "sqlite://"+filepath.Join(t.TempDir(), "h.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, src := range []Source{Demo(ReadOptions{}), Files([]string{"x.json"})} {
		if _, wrapped := Incremental(src, st, IncrementalOptions{}).(*incremental); wrapped {
			t.Errorf("%s: wrapped", src.Name())
		}
	}
	live := Live(azure.AuthOptions{TenantID: "t"}, nil, ReadOptions{})
	if _, wrapped := Incremental(live, nil, IncrementalOptions{}).(*incremental); wrapped {
		t.Error("wrapped without a store")
	}
	if _, wrapped := Incremental(live, st, IncrementalOptions{}).(*incremental); !wrapped {
		t.Error("a live source with a store: not wrapped")
	}
}
