package cli

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestServeDemo runs `credwatch serve --demo` as a user would: it scans the
// demo tenant at start, then serves the dashboard, the metrics and the
// health endpoints, and stops cleanly when interrupted.
func TestServeDemo(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan int)
	dsn := "sqlite://" + filepath.Join(t.TempDir(), "serve.db")
	go func() {
		done <- run(ctx, []string{"serve", "--demo", "--listen", "127.0.0.1:0", "--store", dsn, "--interval", "1h"},
			&env{stdout: &out, stderr: &errb, now: func() time.Time { return demoNow }})
	}()
	var base string
	deadline := time.Now().Add(15 * time.Second)
	for base == "" {
		if m := regexp.MustCompile(`serving on (http://\S+)`).FindStringSubmatch(out.String()); m != nil {
			base = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("serve did not start: %s %s", out.String(), errb.String())
		} else {
			time.Sleep(20 * time.Millisecond)
		}
	}
	get := func(path string) (int, string) {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
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
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("serve exit %d: %s", code, errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop after interrupt")
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
