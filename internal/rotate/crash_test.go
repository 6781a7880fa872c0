package rotate

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/credwatch/credwatch/internal/azure/graph"
	"github.com/credwatch/credwatch/internal/azure/keyvault"
	"github.com/credwatch/credwatch/internal/crashtest"
	"github.com/credwatch/credwatch/internal/store"
)

// The crash test re-executes this test binary as a child that runs Apply
// and stops dead at one point of the state machine; these variables
// carry what the child needs.
const (
	envPoint     = "CREDWATCH_ROTATE_CRASH_POINT"
	envAuthority = "CREDWATCH_ROTATE_AUTHORITY"
	envGraph     = "CREDWATCH_ROTATE_GRAPH"
	envVault     = "CREDWATCH_ROTATE_VAULT"
	envCAs       = "CREDWATCH_ROTATE_CAS"
	envDSN       = "CREDWATCH_ROTATE_DSN"
	envSteps     = "CREDWATCH_ROTATE_STEPS"
	crashMarker  = "AT-CRASH-POINT"
)

func TestMain(m *testing.M) {
	if p := os.Getenv(envPoint); p != "" {
		os.Exit(crashChild(p))
	}
	os.Exit(m.Run())
}

// crashChild runs Apply and, at point, says so and waits to be killed.
func crashChild(point string) int {
	fail := func(what string, err error) int { fmt.Fprintln(os.Stderr, what+":", err); return 1 }
	pool := x509.NewCertPool()
	for _, p := range filepath.SplitList(os.Getenv(envCAs)) {
		b, err := os.ReadFile(p)
		if err != nil {
			return fail("read CA", err)
		}
		pool.AppendCertsFromPEM(b)
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	cred, err := azidentity.NewClientSecretCredential(fxTenant, rotatorID, fxSecret, &azidentity.ClientSecretCredentialOptions{
		ClientOptions:            azcore.ClientOptions{Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: os.Getenv(envAuthority)}, Transport: hc},
		DisableInstanceDiscovery: true})
	if err != nil {
		return fail("credential", err)
	}
	gc, err := graph.New(cred, graph.Options{BaseURL: os.Getenv(envGraph), HTTPClient: hc})
	if err != nil {
		return fail("graph", err)
	}
	dir, err := NewGraphDirectory(gc, os.Getenv(envGraph), "", cred, hc)
	if err != nil {
		return fail("directory", err)
	}
	vc, err := keyvault.NewVaultClient(os.Getenv(envVault), cred, keyvault.Options{HTTPClient: hc, DisableChallengeResourceVerification: true})
	if err != nil {
		return fail("vault", err)
	}
	b, err := os.ReadFile(os.Getenv(envSteps))
	if err != nil {
		return fail("steps", err)
	}
	var steps []Step
	if err := json.Unmarshal(b, &steps); err != nil {
		return fail("steps", err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, os.Getenv(envDSN), nil)
	if err != nil {
		return fail("store", err)
	}
	_, err = Apply(ctx, steps, Options{Store: st, Directory: dir, Vault: func(string) (SecretStore, error) { return vc, nil },
		Usage: NewGraphUsage(gc), TenantID: fxTenant, RemoveUnconfirmed: true, Owner: "child", CertificatePoll: certPollFor,
		hook: func(p string) {
			if p == point {
				fmt.Println(crashMarker)
				os.Stdout.Sync()
				time.Sleep(time.Hour) // until SIGKILL
			}
		}})
	fmt.Fprintln(os.Stderr, "apply returned before the crash point:", err)
	return 3
}

// TestCrashAfterEachStepResumes kills a run at every point of the state
// machine, on the first of two due apps, and reruns: each rotated key ends
// with exactly one new credential, the old one removed, and the vault's
// current version naming the new key. Where the new secret had reached the
// vault before the crash, the rerun keeps that credential rather than
// making another.
func TestCrashAfterEachStepResumes(t *testing.T) {
	points := []struct {
		name         string
		attempts     int  // of payroll's rotation in the end
		keepsNewKey  bool // the child's new key survives
		orphanBefore bool // the child left a credential the store does not name
	}{
		{"adding", 2, false, false},
		{"added-unrecorded", 2, false, true},
		{"added", 2, false, false},
		{"stored-unrecorded", 1, true, false},
		{"stored", 1, true, false},
		{"removing", 1, true, false},
		{"removed-unrecorded", 1, true, false},
	}
	for _, p := range points {
		t.Run(p.name, func(t *testing.T) {
			f := newFixture(t, false)
			ctx := ctxFor(t)
			steps := Plan(f.tenant(t), f.cfg, f.start)
			if len(steps) != 2 {
				t.Fatalf("plan: %+v", steps)
			}
			crashAt(t, f, steps, p.name)

			st := f.open(t)
			defer st.Close()
			crashed, err := st.Rotations(ctx, store.RotationFilter{TenantID: fxTenant, ActiveOnly: true})
			if err != nil || len(crashed) != 1 {
				t.Fatalf("after the crash: %d active rotations, %v", len(crashed), err)
			}
			childKey := crashed[0].NewKeyID
			if n := len(f.appSecrets(payrollObj)); p.orphanBefore && n != 2 {
				t.Fatalf("the child should have left an unrecorded credential: payroll has %d secrets", n)
			}

			tap := &secretTap{next: f.hc.Transport}
			dir, vaults, usage := f.wire(t, &http.Client{Transport: tap}, nil)
			out, err := Apply(ctx, steps, Options{Store: st, Directory: dir, Vault: vaults, Usage: usage, TenantID: fxTenant,
				RemoveUnconfirmed: true, Takeover: true})
			if err != nil {
				t.Fatalf("rerun: %v (%+v)", err, out)
			}
			var secrets []string
			if !p.keepsNewKey {
				secrets = tap.secrets() // payroll's vault value came from this run
			}
			got := checkRotated(t, f, steps[0], secrets)
			checkRotated(t, f, steps[1], nil)
			if p.keepsNewKey && got != childKey {
				t.Errorf("payroll's new key is %s, want the child's %s, whose secret reached the vault", got, childKey)
			}
			all, _ := st.Rotations(ctx, store.RotationFilter{TenantID: fxTenant})
			if len(all) != 2 {
				t.Fatalf("%d rotations recorded, want 2", len(all))
			}
			for _, r := range all {
				if r.State != store.RotationDone || r.LeaseOwner != "" {
					t.Errorf("rotation of %s: state %s, lease %q", r.AppName, r.State, r.LeaseOwner)
				}
				if r.AppID == payrollApp && r.Attempt != p.attempts {
					t.Errorf("payroll's rotation took %d attempts, want %d", r.Attempt, p.attempts)
				}
			}
		})
	}
}

// crashAt runs Apply on steps in a child process and kills it (SIGKILL,
// so nothing deferred runs) once it reaches point.
func crashAt(t *testing.T, f *fixture, steps []Step, point string) {
	t.Helper()
	stepsFile := filepath.Join(f.caDir, "steps.json")
	b, _ := json.Marshal(steps)
	cas := []string{filepath.Join(f.caDir, "graph.pem"), filepath.Join(f.caDir, "kv.pem")}
	for i, pem := range [][]byte{f.emu.CACertPEM(), f.kv.CACertPEM()} {
		if err := os.WriteFile(cas[i], pem, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(stepsFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	st := f.open(t) // migrate before the child starts
	st.Close()
	vault := steps[0].VaultURL
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envPoint+"="+point, envAuthority+"="+f.emu.AuthorityHost(), envGraph+"="+f.emu.GraphURL(),
		envVault+"="+vault, envCAs+"="+cas[0]+string(filepath.ListSeparator)+cas[1], envDSN+"="+f.dsn, envSteps+"="+stepsFile)
	crashtest.KillAt(t, cmd, crashMarker)
}

// TestCertificateCrashAfterEachStepResumes kills a certificate rotation
// at every point of its state machine, with addKey (signer-app) and with
// PATCH (lapsed-app), and reruns: the app ends with exactly one
// certificate, the vault's current version, the vault with exactly one
// new version, and the rerun sends no second add once the child's add
// had landed.
func TestCertificateCrashAfterEachStepResumes(t *testing.T) {
	points := []struct {
		app, name string
		adds      int // Graph adds the rerun sends
	}{
		{signerApp, "issuing", 1},
		{signerApp, "issued-unrecorded", 1},
		{signerApp, "adding", 1},
		{signerApp, "added-unrecorded", 0},
		{signerApp, "stored", 0},
		{signerApp, "removing", 0},
		{signerApp, "removed-unrecorded", 0},
		{lapsedApp, "issued-unrecorded", 1},
		{lapsedApp, "adding", 1},
		{lapsedApp, "added-unrecorded", 0},
	}
	for _, p := range points {
		name := map[string]string{signerApp: "addKey", lapsedApp: "PATCH"}[p.app] + "/" + p.name
		t.Run(name, func(t *testing.T) {
			f := newCertFixture(t, true)
			ctx := ctxFor(t)
			steps := Select(Plan(f.tenant(t), f.cfg, f.start), p.app)
			if len(steps) != 1 || steps[0].Skip != "" {
				t.Fatalf("plan: %+v", steps)
			}
			crashAt(t, f.fixture, steps, p.name)

			st := f.open(t)
			defer st.Close()
			tap := &proofTap{next: f.hc.Transport}
			o := f.options(t, &http.Client{Transport: tap}, nil)
			o.Store, o.RemoveUnconfirmed, o.Grace, o.Takeover = st, true, 0, true
			out, err := Apply(ctx, steps, o)
			if err != nil || len(out) != 1 || out[0].State != store.RotationDone {
				t.Fatalf("rerun: %+v, %v", out, err)
			}
			versions := 2 // the signer's old certificate and the new one
			if p.app == lapsedApp {
				versions = 1
			}
			f.checkCertRotated(t, steps[0], versions)
			if _, calls := tap.seen(); calls["addKey"]+calls["PATCH"] != p.adds {
				t.Errorf("the rerun's Graph writes %v, want %d add(s)", calls, p.adds)
			}
			all, _ := st.Rotations(ctx, store.RotationFilter{TenantID: fxTenant})
			if len(all) != 1 || all[0].Attempt != 1 || all[0].LeaseOwner != "" {
				t.Errorf("rotations: %+v", all)
			}
		})
	}
}
