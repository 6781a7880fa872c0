package cli

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/azure"
	"github.com/credwatch/credwatch/internal/azure/loganalytics"
	"github.com/credwatch/credwatch/internal/msgraph"
	"github.com/credwatch/credwatch/internal/scan"
	"github.com/credwatch/credwatch/internal/syncbuf"
)

// TestStandaloneEmulatorLiveScanLeaksNoSecret runs `credwatch emulator` as a
// user would, then scans it as a live tenant with the client secret in the
// environment and debug logging on, and checks that neither the secret nor
// any token shows up anywhere the user can see.
func TestStandaloneEmulatorLiveScanLeaksNoSecret(t *testing.T) {
	dir := t.TempDir()
	ca, secretFile := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "secret.txt")
	ctx, cancel := context.WithCancel(context.Background())
	var emuOut, emuErr syncbuf.Buffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"emulator", "--listen", "127.0.0.1:0", "--ca-out", ca, "--client-secret-out", secretFile, "--log-level", "debug"},
			&env{stdout: &emuOut, stderr: &emuErr, now: func() time.Time { return demoNow }})
	}()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("emulator exit %d: %s", code, emuErr.String())
		}
	}()

	field := func(name string) string {
		m := regexp.MustCompile(name + `:\s+(\S+)`).FindStringSubmatch(emuOut.String())
		if m == nil {
			return ""
		}
		return m[1]
	}
	deadline := time.Now().Add(10 * time.Second)
	for field("graph url") == "" || field("scanner client") == "" {
		if time.Now().After(deadline) {
			t.Fatalf("emulator did not start: %s %s", emuOut.String(), emuErr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	b, err := os.ReadFile(secretFile)
	if err != nil {
		t.Fatal(err)
	}
	secret := strings.TrimSpace(string(b))
	if len(secret) < 16 {
		t.Fatalf("secret file holds %d characters", len(secret))
	}
	if fi, _ := os.Stat(secretFile); fi.Mode().Perm() != 0o600 {
		t.Errorf("secret file mode %v, want 0600", fi.Mode().Perm())
	}

	t.Setenv("AZURE_TENANT_ID", field("tenant id"))
	t.Setenv("AZURE_CLIENT_ID", field("scanner client"))
	t.Setenv("AZURE_CLIENT_SECRET", secret)
	r := runCLI(t, "inventory", "--tenant", field("tenant id"), "--authority-host", field("authority host"),
		"--graph-url", field("graph url"), "--ca-file", ca, "--format", "json", "--log-level", "debug")
	if r.code != 0 {
		t.Fatalf("live inventory against the emulator: exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "payroll") && len(r.stdout) < 1000 {
		t.Errorf("inventory looks empty:\n%.500s", r.stdout)
	}
	jwt := regexp.MustCompile(`eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}`)
	for name, text := range map[string]string{"emulator stdout": emuOut.String(), "emulator log": emuErr.String(), "scan stdout": r.stdout, "scan log": r.stderr} {
		if strings.Contains(text, secret) {
			t.Errorf("%s contains the client secret", name)
		}
		if jwt.MatchString(text) {
			t.Errorf("%s contains a token: %s", name, jwt.FindString(text))
		}
	}

	// Two live scans with history: the first reads everything, the second
	// only what changed through Graph's delta queries, and finds the same.
	dsn := "sqlite://" + filepath.Join(dir, "history.db")
	live := []string{"scan", "--tenant", field("tenant id"), "--authority-host", field("authority host"),
		"--graph-url", field("graph url"), "--ca-file", ca, "--store", dsn, "--log-level", "info"}
	first := runCLI(t, live...)
	second := runCLI(t, live...)
	if first.code != 0 || second.code != 0 {
		t.Fatalf("live scans: exit %d, %d: %s %s", first.code, second.code, first.stderr, second.stderr)
	}
	if !strings.Contains(first.stderr, "no delta state yet") || strings.Contains(second.stderr, "running a full scan") {
		t.Errorf("the second scan did not read by delta:\nfirst: %s\nsecond: %s", first.stderr, second.stderr)
	}
	if !strings.Contains(second.stdout, "Changes from scan 1") || !strings.Contains(second.stdout, "no changes") {
		t.Errorf("the delta scan of an unchanged tenant differs from the full one:\n%s", tail(second.stdout))
	}

	// A wrong secret is a clear runtime error naming the token service's
	// code, not a hang or a partial inventory.
	t.Setenv("AZURE_CLIENT_SECRET", "wrong-"+secret)
	r = runCLI(t, "inventory", "--tenant", field("tenant id"), "--authority-host", field("authority host"),
		"--graph-url", field("graph url"), "--ca-file", ca)
	if r.code != ExitError || !strings.Contains(r.stderr, "AADSTS7000215") {
		t.Errorf("wrong secret: exit %d, stderr %q; want exit 1 naming AADSTS7000215", r.code, r.stderr)
	}
	if strings.Contains(r.stderr, secret) {
		t.Error("the error shows the secret")
	}
}

// TestStandaloneEmulatorServesLogsIngestion uploads findings to the Logs
// Ingestion endpoint `credwatch emulator` prints, signed in as its scanner
// client and trusting only --ca-out, as any ingestion client would.
func TestStandaloneEmulatorServesLogsIngestion(t *testing.T) {
	dir := t.TempDir()
	ca, secretFile := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "secret.txt")
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncbuf.Buffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"emulator", "--listen", "127.0.0.1:0", "--ca-out", ca, "--client-secret-out", secretFile},
			&env{stdout: &out, stderr: &errb, now: func() time.Time { return demoNow }})
	}()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("emulator exit %d: %s", code, errb.String())
		}
	}()
	field := func(name string) string {
		m := regexp.MustCompile(name + `:\s+(\S+)`).FindStringSubmatch(out.String())
		if m == nil {
			return ""
		}
		return m[1]
	}
	deadline := time.Now().Add(10 * time.Second)
	for field("logs streams") == "" {
		if time.Now().After(deadline) {
			t.Fatalf("emulator did not start: %s %s", out.String(), errb.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(out.String(), loganalytics.FindingsStream+", "+loganalytics.CredentialsStream) {
		t.Errorf("the streams are not printed:\n%s", out.String())
	}
	b, err := os.ReadFile(secretFile)
	if err != nil {
		t.Fatal(err)
	}
	auth := azure.AuthOptions{TenantID: field("tenant id"), AuthorityHost: field("authority host"), CAFile: ca}
	cred, err := azure.NewClientSecretCredential(auth, field("scanner client"), strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	hc, err := azure.HTTPClient(auth)
	if err != nil {
		t.Fatal(err)
	}
	if got := field("scanner sp id"); got != scan.DemoClientObjectID {
		t.Errorf("scanner sp id %q, want %s", got, scan.DemoClientObjectID)
	}
	row := map[string]any{"TimeGenerated": demoNow, "EntraTenantId": "tenant-1", "FindingId": "f-1", "RuleId": "CW001"}
	upload := func(scope string, extra map[string]any) error {
		c, err := loganalytics.New(cred, loganalytics.Options{Endpoint: field("logs endpoint"), RuleID: field("logs rule id"),
			Stream: loganalytics.FindingsStream, Scope: scope, HTTPClient: hc, MaxAttempts: 1})
		if err != nil {
			t.Fatal(err)
		}
		rows := loganalytics.FindingRows("tenant-1", demoNow, nil)
		rows = append(rows, row)
		if extra != nil {
			rows = append(rows, extra)
		}
		_, err = c.Upload(ctx, rows)
		return err
	}
	// The role is assigned to the scanner's service principal, which its
	// tokens name by object id.
	if err := upload("", nil); err != nil {
		t.Fatalf("upload as the scanner client: %v", err)
	}
	var le *loganalytics.Error
	if err := upload("https://graph.microsoft.com/.default", nil); !errors.As(err, &le) || le.StatusCode != 401 {
		t.Errorf("upload with a Graph token: %v, want 401", err)
	}
	// The rule declares the template's columns: one it lacks is refused.
	undeclared := map[string]any{"TimeGenerated": demoNow, "EntraTenantId": "tenant-1", "FindingId": "f-2", "NotInTheTemplate": "x"}
	if err := upload("", undeclared); !errors.As(err, &le) || le.StatusCode != 400 {
		t.Errorf("upload of a column the template does not declare: %v, want 400", err)
	}
}

// TestScannerObjectIDIsThatOfItsServicePrincipal: the logs rule's role
// assignment names the object id the token service puts in the scanner's
// tokens, whether the tenant served holds its service principal or not.
func TestScannerObjectIDIsThatOfItsServicePrincipal(t *testing.T) {
	const listed = "5b1e0000-0000-4000-8000-000000000001"
	cases := []struct {
		name          string
		dir           msgraph.Directory
		want          string
		resourcesLeft int
	}{
		{"none", msgraph.Directory{}, scan.DemoClientObjectID, 1},
		{"listed", msgraph.Directory{ServicePrincipals: []msgraph.ServicePrincipal{{ID: "other", AppID: "x"}, {ID: listed, AppID: strings.ToUpper(scan.DemoClientID)}}}, listed, 0},
		{"a resource", msgraph.Directory{Resources: []msgraph.ServicePrincipal{{ID: listed, AppID: scan.DemoClientID}}}, listed, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := tc.dir
			if got := scannerObjectID(&dir); got != tc.want || len(dir.Resources) != tc.resourcesLeft || len(dir.ServicePrincipals) != len(tc.dir.ServicePrincipals) {
				t.Errorf("scannerObjectID = %s with %d resources and %d listed, want %s with %d resources and the listed ones unchanged",
					got, len(dir.Resources), len(dir.ServicePrincipals), tc.want, tc.resourcesLeft)
			}
		})
	}
}
