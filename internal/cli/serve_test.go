package cli

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/azure/loganalytics"
	"github.com/credwatch/credwatch/internal/config"
	"github.com/credwatch/credwatch/internal/emulator/logsingestion"
	"github.com/credwatch/credwatch/internal/store"
)

// TestServeDemo runs `credwatch serve --demo` as a user would: it scans the
// demo tenant at start, then serves the dashboard, the metrics and the
// health endpoints, and stops cleanly when interrupted.
func TestServeDemo(t *testing.T) {
	dsn := "sqlite://" + filepath.Join(t.TempDir(), "serve.db")
	deadline := time.Now().Add(15 * time.Second)
	out, errb := start(t, "serve", "--demo", "--listen", "127.0.0.1:0", "--store", dsn, "--interval", "1h")
	base := waitFor(t, out, `serving on (http://\S+)`, time.Until(deadline))[1]
	get := func(path string) (int, string) { return httpGet(t, base+path) }
	if code, body := get("/healthz"); code != 200 {
		t.Errorf("/healthz: %d %s", code, body)
	}
	// The first scan runs at start; readiness follows it.
	for {
		code, _ := get("/readyz")
		if code == 200 {
			break
		}
		if time.Now().After(deadline) {
			_, body := get("/readyz")
			t.Fatalf("never ready: %s\nlog: %s", body, errb.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code, body := get("/"); code != 200 || !strings.Contains(body, "<svg") {
		t.Errorf("overview: %d, svg chart present: %v", code, strings.Contains(body, "<svg"))
	}
	if code, body := get("/credentials?q=payroll"); code != 200 || !strings.Contains(body, "payroll-export") {
		t.Errorf("credentials filtered by payroll: %d", code)
	}
	_, metrics := get("/metrics")
	for _, want := range []string{
		`credwatch_credential_expiry_timestamp_seconds{app_id=`,
		`app_name="payroll-export"`,
		`credwatch_findings{rule="CW008",severity="critical"`,
		`credwatch_scan_complete{tenant=`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	// Without a logAnalytics section the demo sends findings and inventory
	// to its own Logs Ingestion endpoint after each scan: one batch each.
	for !strings.Contains(metrics, `credwatch_ingestion_batches_total{result="success"} 2`) ||
		!strings.Contains(metrics, `credwatch_ingestion_batches_total{result="failure"} 0`) {
		if time.Now().After(deadline) {
			t.Fatalf("the demo's uploads did not all succeed:\n%s\nlog: %s", grepLines(metrics, "credwatch_ingestion"), errb.String())
		}
		time.Sleep(50 * time.Millisecond)
		_, metrics = get("/metrics")
	}
}

func TestServeRefusesOpenBindWithoutAuth(t *testing.T) {
	t.Setenv(envDashboardToken, "")
	r := runCLI(t, "serve", "--demo", "--listen", "0.0.0.0:0", "--store", "sqlite://"+filepath.Join(t.TempDir(), "s.db"))
	if r.code != ExitUsage || !strings.Contains(r.stderr, envDashboardToken) {
		t.Errorf("exit %d, stderr %q; want a usage error asking for authentication", r.code, r.stderr)
	}
}

func TestServeNeedsTenants(t *testing.T) {
	r := runCLI(t, "serve", "--listen", "127.0.0.1:0")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "no tenants") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}

// grepLines keeps the lines of text that contain substr.
func grepLines(text, substr string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestServeDemoSendsRowsToItsOwnIngestionEndpoint checks what the demo's
// uploads carry, and that a configured logAnalytics section wins over the
// demo's endpoint.
func TestServeDemoSendsRowsToItsOwnIngestionEndpoint(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "serve.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	e := &env{stdout: io.Discard, stderr: io.Discard, logger: slog.New(slog.DiscardHandler), now: func() time.Time { return demoNow }}
	cfg := config.Default()
	tenants, err := serveTenants(cfg, true)
	if err != nil {
		t.Fatal(err)
	}
	r, err := newRunner(e, cfg, st, tenants, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.close()
	if r.demoLA == nil || r.findingsLA == nil {
		t.Fatal("serve --demo without logAnalytics has no ingestion endpoint of its own")
	}
	if err := r.scan(ctx, tenants[0].ID); err != nil {
		t.Fatalf("scan: %v", err)
	}
	findings := r.demoLA.Server.Rows(logsingestion.DemoRuleID, loganalytics.FindingsStream)
	creds := r.demoLA.Server.Rows(logsingestion.DemoRuleID, loganalytics.CredentialsStream)
	if len(findings) == 0 || len(creds) == 0 {
		t.Fatalf("%d finding rows and %d credential rows arrived, want both", len(findings), len(creds))
	}
	payroll := false
	for _, row := range creds {
		payroll = payroll || row["AppName"] == "payroll-export"
	}
	critical := false
	for _, row := range findings {
		if row["EntraTenantId"] != tenants[0].ID || !regexp.MustCompile(`^CW\d{3}$`).MatchString(row["RuleId"].(string)) {
			t.Fatalf("finding row %v: want the demo tenant and a rule id", row)
		}
		critical = critical || row["RuleId"] == "CW008" && row["Severity"] == "critical"
	}
	if !payroll || !critical {
		t.Errorf("payroll-export's credential arrived: %v; a critical CW008 finding arrived: %v", payroll, critical)
	}

	cfg.LogAnalytics = &config.LogAnalytics{Endpoint: "https://dce.westeurope-1.ingest.monitor.azure.com", RuleID: "dcr-000a00a000a00000a000000aa000a0aa"}
	configured, err := newRunner(e, cfg, st, tenants, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer configured.close()
	if configured.demoLA != nil || configured.findingsLA == nil {
		t.Error("with logAnalytics configured the demo still started its own endpoint")
	}
}
