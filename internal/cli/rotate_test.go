package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/emulator/tenantgen"
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
		"kv-contoso-apps/old-sharepoint-connector (config)", "6 due, 2 can be applied",
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
	yaml := "keyVaults:\n  - name: kv-contoso-apps\n  - name: kv-legacy-shared\nrotation:\n  graceDays: 0\n  targets:\n" +
		"    - app: old-sharepoint-connector\n      vault: kv-contoso-apps\n      secret: sharepoint-cert\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runRotate(t, "rotate", "apply", "--demo", "--config", cfg, "--all-due", "--remove-unconfirmed")
	if r.code != 0 {
		t.Fatalf("exit %d: %s\n%s", r.code, r.stderr, r.stdout)
	}
	rows := map[string]string{}
	for _, l := range strings.Split(r.stdout, "\n") {
		if name, _, ok := strings.Cut(l, " "); ok {
			rows[name] = l
		}
	}
	// A secret (tagged vault copy) and a certificate (configured target,
	// added with PATCH as the app has no current certificate) are done.
	for _, app := range []string{"payroll-export", "old-sharepoint-connector"} {
		if !strings.Contains(rows[app], " done ") || !strings.Contains(rows[app], "rotated: the old credential is removed") {
			t.Errorf("%s: %q", app, rows[app])
		}
	}
	if !strings.Contains(r.stdout, "skipped: no vault target") || !strings.Contains(rows["invoice-ocr"], "without its private key") {
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
		{[]string{"rotate", "apply", "--demo", "--all-due", "--certificate-file", "new.pem"}, "choose it with --app"},
		{[]string{"rotate", "apply", "--demo", "--app", "x", "--certificate-file", filepath.Join(t.TempDir(), "none.pem")}, "--certificate-file"},
	} {
		r := runRotate(t, c.args...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, r.code, r.stderr, c.want)
		}
	}
}

// TestRotateApplyImportsACertificateFile: --certificate-file puts the
// given certificate on the app through the vault, and its private key
// shows nowhere in the output.
func TestRotateApplyImportsACertificateFile(t *testing.T) {
	dir := t.TempDir()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2027), Subject: pkix.Name{CommonName: "sharepoint 2027"},
		NotBefore: demoNow.Add(-time.Hour), NotAfter: demoNow.AddDate(0, 6, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(key)
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})
	file := filepath.Join(dir, "sharepoint.pem")
	if err := os.WriteFile(file, append(keyPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "credwatch.yaml")
	if err := os.WriteFile(cfg, []byte("keyVaults:\n  - name: kv-contoso-apps\nrotation:\n  graceDays: 0\n  targets:\n"+
		"    - app: old-sharepoint-connector\n      vault: kv-contoso-apps\n      secret: sharepoint-cert\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var appID string
	for _, a := range tenantgen.Demo(demoNow).Applications {
		if a.DisplayName == "old-sharepoint-connector" {
			appID = a.AppID
		}
	}
	// A certificate without its key is refused before anything changes.
	certOnly := filepath.Join(dir, "cert-only.pem")
	if err := os.WriteFile(certOnly, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runRotate(t, "rotate", "apply", "--demo", "--config", cfg, "--app", appID, "--certificate-file", certOnly)
	if r.code != ExitUsage || !strings.Contains(r.stderr, "--certificate-file "+certOnly+": it holds no private key") || r.stdout != "" {
		t.Fatalf("importing a certificate without its key: exit %d: %s%s", r.code, r.stderr, r.stdout)
	}
	r = runRotate(t, "rotate", "apply", "--demo", "--config", cfg, "--app", appID, "--certificate-file", file, "--remove-unconfirmed")
	if r.code != 0 || !strings.Contains(r.stdout, "old-sharepoint-connector") || !strings.Contains(r.stdout, " done ") {
		t.Fatalf("exit %d: %s\n%s", r.code, r.stderr, r.stdout)
	}
	line := strings.Split(string(keyPEM), "\n")[2]
	if strings.Contains(r.stdout+r.stderr, line) {
		t.Error("the output shows the private key")
	}
}

// TestRotateApplyImportsAPKCS12File: a PFX (testdata/rotate-given.pfx, as
// OpenSSL 3 exports one, password test-password) is read with the
// password from CREDWATCH_CERTIFICATE_PASSWORD; a wrong one is a usage
// error naming that variable; with the right one the rotation finishes,
// old certificate removed.
func TestRotateApplyImportsAPKCS12File(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "credwatch.yaml")
	if err := os.WriteFile(cfg, []byte("keyVaults:\n  - name: kv-contoso-apps\nrotation:\n  graceDays: 0\n  targets:\n"+
		"    - app: old-sharepoint-connector\n      vault: kv-contoso-apps\n      secret: sharepoint-cert\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var appID string
	for _, a := range tenantgen.Demo(demoNow).Applications {
		if a.DisplayName == "old-sharepoint-connector" {
			appID = a.AppID
		}
	}
	file := filepath.Join("testdata", "rotate-given.pfx")
	t.Setenv(envCertificatePassword, "not-the-password")
	r := runRotate(t, "rotate", "apply", "--demo", "--config", cfg, "--app", appID, "--certificate-file", file, "--remove-unconfirmed")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "password is wrong") || !strings.Contains(r.stderr, envCertificatePassword) ||
		strings.Contains(r.stderr, "not-the-password") {
		t.Fatalf("wrong password: exit %d: %s", r.code, r.stderr)
	}
	t.Setenv(envCertificatePassword, "test-password")
	r = runRotate(t, "rotate", "apply", "--demo", "--config", cfg, "--app", appID, "--certificate-file", file, "--remove-unconfirmed")
	if r.code != 0 || !strings.Contains(r.stdout, "old-sharepoint-connector") || !strings.Contains(r.stdout, " done ") {
		t.Fatalf("exit %d: %s\n%s", r.code, r.stderr, r.stdout)
	}
	if strings.Contains(r.stdout+r.stderr, "test-password") {
		t.Error("the output shows the password")
	}
}
