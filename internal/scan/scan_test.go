package scan

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/credwatch/credwatch/internal/azure"
	"github.com/credwatch/credwatch/internal/emulator"
	"github.com/credwatch/credwatch/internal/emulator/tenantgen"
	"github.com/credwatch/credwatch/internal/msgraph"
	cwpolicy "github.com/credwatch/credwatch/internal/policy"
	"github.com/credwatch/credwatch/internal/store"
	"github.com/credwatch/credwatch/internal/testclock"
)

type tenant struct {
	t        *testing.T
	srv      *emulator.Server
	clk      *testclock.Clock
	scanner  emulator.Client
	writer   emulator.Client
	dir      *msgraph.Directory
	writerTk string
}

const writerID = "3b0e2c11-0000-4000-8000-0000000000ad" // an automation account nobody allowed

func startDemo(t *testing.T, now time.Time) *tenant {
	t.Helper()
	clk := testclock.New(now)
	sec := func() string {
		s, err := emulator.NewClientSecret()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	scanner := emulator.Client{ID: DemoClientID, Secret: sec(), Roles: DemoRoles}
	writer := emulator.Client{ID: writerID, Secret: sec(), Roles: []string{"Application.ReadWrite.All"}}
	dir := tenantgen.Demo(now)
	srv, err := emulator.Start(emulator.Options{Directory: dir, Clients: []emulator.Client{scanner, writer}, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return &tenant{t: t, srv: srv, clk: clk, scanner: scanner, writer: writer, dir: dir}
}

func (e *tenant) auth() azure.AuthOptions {
	return azure.AuthOptions{TenantID: e.srv.TenantID(), AuthorityHost: e.srv.AuthorityHost(), GraphURL: e.srv.GraphURL(), HTTPClient: e.srv.Client()}
}

// scan runs the pipeline as the scanner, with a fresh credential so the
// token is valid at the emulator's current time.
func (e *tenant) scan(st *store.Store, cfg *cwpolicy.Config) *Result {
	e.t.Helper()
	cred, err := azure.NewClientSecretCredential(e.auth(), e.scanner.ID, e.scanner.Secret)
	if err != nil {
		e.t.Fatal(err)
	}
	res, err := Run(context.Background(), Live(e.auth(), cred, ReadOptions{Now: e.clk.Now}), Options{Config: cfg, Store: st, Activity: true, Now: e.clk.Now})
	if err != nil {
		e.t.Fatalf("scan: %v", err)
	}
	return res
}

// write calls a Graph write as the writer client, as an automation
// account would.
func (e *tenant) write(method, path string, body any) []byte {
	e.t.Helper()
	cred, err := azure.NewClientSecretCredential(e.auth(), e.writer.ID, e.writer.Secret)
	if err != nil {
		e.t.Fatal(err)
	}
	tk, err := cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}})
	if err != nil {
		e.t.Fatal(err)
	}
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, e.srv.GraphURL()+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+tk.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		e.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, out)
	}
	return out
}

func (e *tenant) appID(name string) string {
	for _, a := range e.dir.Applications {
		if a.DisplayName == name {
			return a.ID
		}
	}
	e.t.Fatalf("no demo app %q", name)
	return ""
}

func demoConfig() *cwpolicy.Config {
	cfg := cwpolicy.DefaultConfig()
	cfg.Rules.CW020.AllowedActors = tenantgen.DemoAllowedActors
	return cfg
}

// TestTwoScansWithChangesBetween is the history feature end to end: a
// tenant is scanned, changed through Graph the way an intruder or a
// careless automation would, and scanned again. The second scan must show
// exactly those changes and judge them.
func TestTwoScansWithChangesBetween(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	e := startDemo(t, t0)
	st, err := store.Open(context.Background(), "sqlite://"+filepath.Join(t.TempDir(), "h.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := demoConfig()

	first := e.scan(st, cfg)
	if first.Record == nil || !first.Tenant.Complete || first.Changes != nil {
		t.Fatalf("first scan: record %v complete %v changes %v", first.Record, first.Tenant.Complete, first.Changes)
	}

	// 1. An automation account nobody allowed adds a secret: audited.
	e.clk.Set(t0.Add(10 * time.Minute))
	var added msgraph.PasswordCredential
	if err := json.Unmarshal(e.write("POST", "/applications/"+e.appID("inventory-api")+"/addPassword",
		map[string]any{"passwordCredential": map[string]any{"displayName": "backdoor"}}), &added); err != nil {
		t.Fatal(err)
	}
	if added.SecretText == nil || *added.SecretText == "" {
		t.Fatal("addPassword returned no secretText")
	}
	// 2. An owner is added to an app holding Application.ReadWrite.All.
	owner := e.dir.Applications[0].Owners[0].ID
	for _, a := range e.dir.Applications {
		if len(a.Owners) > 0 && a.DisplayName != "tenant-provisioning" {
			owner = a.Owners[0].ID
			break
		}
	}
	e.write("POST", "/applications/"+e.appID("tenant-provisioning")+"/owners/$ref",
		map[string]string{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + owner})
	// 3. A secret whose audit record falls outside every window the next
	// scan reads (the emulator's clock set back a month), as when a change
	// reaches the directory by a path that leaves no record in reach.
	e.clk.Set(t0.AddDate(0, -1, 0))
	var hidden msgraph.PasswordCredential
	if err := json.Unmarshal(e.write("POST", "/applications/"+e.appID("expense-reports")+"/addPassword",
		map[string]any{"passwordCredential": map[string]any{"displayName": "quiet"}}), &hidden); err != nil {
		t.Fatal(err)
	}

	e.clk.Set(t0.Add(time.Hour))
	second := e.scan(st, cfg)
	d := second.Changes
	if d == nil {
		t.Fatal("second scan has no diff")
	}
	if d.From.ID != first.Record.ID || d.To.ID != second.Record.ID || d.To.ID == 0 {
		t.Errorf("diff from scan %d to %d, want %d to %d", d.From.ID, d.To.ID, first.Record.ID, second.Record.ID)
	}
	var creds []string
	for _, c := range d.CredentialsAdded {
		creds = append(creds, c.Object.DisplayName+"/"+c.KeyID)
	}
	slices.Sort(creds)
	want := []string{"expense-reports/" + hidden.KeyID, "inventory-api/" + added.KeyID}
	if !slices.Equal(creds, want) {
		t.Errorf("credentials added = %v, want %v", creds, want)
	}
	if len(d.CredentialsRemoved) != 0 || len(d.CredentialsChanged) != 0 || len(d.ObjectsAdded) != 0 || len(d.PermissionsAdded) != 0 {
		t.Errorf("unexpected changes: %+v", d)
	}
	if len(d.OwnersAdded) != 1 || d.OwnersAdded[0].Object.DisplayName != "tenant-provisioning" || d.OwnersAdded[0].ID != owner {
		t.Errorf("owners added = %+v, want %s on tenant-provisioning", d.OwnersAdded, owner)
	}

	opened := map[string]cwpolicy.Finding{}
	for _, f := range d.FindingsOpened {
		opened[f.RuleID+" "+f.AppName+" "+f.KeyID] = f
	}
	for _, k := range []string{
		"CW020 inventory-api " + added.KeyID,
		"CW021 expense-reports " + hidden.KeyID,
		"CW022 tenant-provisioning ",
	} {
		if _, ok := opened[k]; !ok {
			t.Errorf("finding %q not opened; opened: %v", k, keys(opened))
		}
	}
	if f, ok := opened["CW020 inventory-api "+added.KeyID]; ok && !strings.Contains(f.Evidence["actorAppId"]+f.Evidence["actor"], writerID) {
		t.Errorf("CW020 evidence does not name the writer: %v", f.Evidence)
	}
	// The audited secret is not CW021, and the unaudited one not CW020.
	if _, ok := opened["CW021 inventory-api "+added.KeyID]; ok {
		t.Error("CW021 fired for a credential whose addition is audited")
	}
	// The secret value went nowhere: not in the stored scan.
	rec, err := st.Load(context.Background(), second.Record.ID)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(rec); bytes.Contains(b, []byte(*added.SecretText)) || bytes.Contains(b, []byte(*hidden.SecretText)) {
		t.Error("a secret value reached the store")
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestUnexpectedActorStaysReportedAfterTheAuditWindow: the audit log keeps
// a month and a scan reads back to the previous one, but a credential added
// by an unexpected actor is a standing risk for as long as it exists. A
// later scan whose window no longer holds the record still reports it, from
// what the store kept; once the credential is removed, so is the finding
// and what was kept of it.
func TestUnexpectedActorStaysReportedAfterTheAuditWindow(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	e := startDemo(t, t0)
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "h.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := demoConfig()
	cw020 := func(r *Result) map[string]cwpolicy.Finding {
		out := map[string]cwpolicy.Finding{}
		for _, f := range r.Findings {
			if f.RuleID == "CW020" {
				out[f.ID] = f
			}
		}
		return out
	}

	first := cw020(e.scan(st, cfg))
	if len(first) == 0 {
		t.Fatal("the demo tenant has no CW020 finding")
	}
	e.clk.Set(t0.AddDate(0, 0, 40))
	second := e.scan(st, cfg)
	if second.Evidence == nil || !second.Evidence.AuditSince.Equal(t0) {
		t.Fatalf("second scan's audit window starts %v, want the first scan's time %v", second.Evidence.AuditSince, t0)
	}
	again := cw020(second)
	for id, f := range first {
		if _, ok := again[id]; !ok {
			t.Errorf("CW020 %s (%s) not reported once its audit record left the window", id, f.Message)
		}
	}

	// Remove one flagged secret: its finding and its record go.
	var gone cwpolicy.Finding
	for _, f := range first {
		if f.ObjectType == "application" {
			gone = f
			break
		}
	}
	if gone.ID == "" {
		t.Fatal("no CW020 finding on an application")
	}
	e.write("POST", "/applications/"+gone.ObjectID+"/removePassword", map[string]string{"keyId": gone.KeyID})
	e.clk.Set(t0.AddDate(0, 0, 41))
	third := cw020(e.scan(st, cfg))
	if _, ok := third[gone.ID]; ok {
		t.Errorf("CW020 %s still reported after its credential was removed", gone.ID)
	}
	if len(third) != len(first)-1 {
		t.Errorf("%d CW020 findings after one removal, want %d", len(third), len(first)-1)
	}
	kept, _, err := st.Provenance(ctx, e.srv.TenantID(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := kept[strings.ToLower(gone.KeyID)]; ok {
		t.Errorf("the store still holds who added removed key %s", gone.KeyID)
	}
	if len(kept) == 0 {
		t.Error("the store holds no provenance")
	}
}
