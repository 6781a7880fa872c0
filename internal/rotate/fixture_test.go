package rotate

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/credwatch/credwatch/internal/azure/graph"
	"github.com/credwatch/credwatch/internal/azure/keyvault"
	"github.com/credwatch/credwatch/internal/emulator"
	kvemu "github.com/credwatch/credwatch/internal/emulator/keyvault"
	"github.com/credwatch/credwatch/internal/inventory"
	"github.com/credwatch/credwatch/internal/msgraph"
	"github.com/credwatch/credwatch/internal/policy"
	"github.com/credwatch/credwatch/internal/store"
)

const (
	fxTenant   = "7a1c0de5-0000-4000-8000-0000000000r0"
	rotatorID  = "c11e0000-0000-4000-8000-0000000000r1" // Application.ReadWrite.All, AuditLog.Read.All
	rotatorOID = "0b1ec700-0000-4000-8000-0000000000r1" // its service principal, which vault roles name
	fxSecret   = "rotator-test-secret-not-real"
	payrollObj = "a0000000-0000-4000-8000-000000000001"
	payrollApp = "b0000000-0000-4000-8000-000000000001"
	payrollOld = "d0000000-0000-4000-8000-000000000001"
	billingObj = "a0000000-0000-4000-8000-000000000002"
	billingApp = "b0000000-0000-4000-8000-000000000002"
	billingOld = "d0000000-0000-4000-8000-000000000002"
	freshObj   = "a0000000-0000-4000-8000-000000000003"
	vaultName  = "kv-rot"
)

// fixture is a tenant in the Graph emulator, a vault in the Key Vault
// emulator, and a store: payroll-export (secret due in 10 days, its vault
// copy tagged with its key id), billing-sync (due in 20 days, stored by a
// configured target) and fresh-app (not due).
type fixture struct {
	emu   *emulator.Server
	kv    *kvemu.Server
	hc    *http.Client
	start time.Time
	dsn   string
	dbDir string
	cfg   *policy.Config
	caDir string
}

func fxDirectory(now time.Time, usage bool) *msgraph.Directory {
	pw := func(key, name string, end time.Time) []msgraph.PasswordCredential {
		n, h := name, "abc"
		return []msgraph.PasswordCredential{{KeyID: key, DisplayName: &n, Hint: &h,
			StartDateTime: end.AddDate(0, -6, 0).Format(time.RFC3339), EndDateTime: end.Format(time.RFC3339)}}
	}
	d := &msgraph.Directory{TenantID: fxTenant, Resources: []msgraph.ServicePrincipal{rotatorSP()}, Applications: []msgraph.Application{
		{ID: payrollObj, AppID: payrollApp, DisplayName: "payroll-export", SignInAudience: "AzureADMyOrg",
			PasswordCredentials: pw(payrollOld, "prod", now.Add(10*day))},
		{ID: billingObj, AppID: billingApp, DisplayName: "billing-sync", SignInAudience: "AzureADMyOrg",
			PasswordCredentials: pw(billingOld, "billing", now.Add(20*day))},
		{ID: freshObj, AppID: "b0000000-0000-4000-8000-000000000003", DisplayName: "fresh-app", SignInAudience: "AzureADMyOrg",
			PasswordCredentials: pw("d0000000-0000-4000-8000-000000000003", "fresh", now.Add(200*day))},
	}}
	if usage {
		// payroll's old key signed in an hour ago: its consumers have not
		// moved yet.
		d.Activity = &msgraph.Activity{CredentialSignInActivities: []msgraph.AppCredentialSignInActivity{{
			ID: "u1", AppID: payrollApp, AppObjectID: payrollObj, KeyID: payrollOld, KeyType: "clientSecret", CredentialOrigin: "application",
			SignInActivity: &msgraph.SignInActivity{LastSignInDateTime: now.Add(-time.Hour).Format(time.RFC3339)},
		}}}
	}
	return d
}

// rotatorSP is the rotator's service principal, unlisted: the token
// service signs the rotator's tokens with its object id as oid, which
// vault role assignments name, as Azure's do.
func rotatorSP() msgraph.ServicePrincipal {
	return msgraph.ServicePrincipal{ID: rotatorOID, AppID: rotatorID, DisplayName: "rotator", ServicePrincipalType: "Application"}
}

func newFixture(t *testing.T, usage bool) *fixture {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Second)
	emu, err := emulator.Start(emulator.Options{Directory: fxDirectory(now, usage),
		Clients: []emulator.Client{{ID: rotatorID, Secret: fxSecret, Roles: []string{"Application.ReadWrite.All", "AuditLog.Read.All"}}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	kv, err := kvemu.Start(kvemu.Options{TenantID: fxTenant, AuthorityHost: emu.AuthorityHost(), HTTPClient: emu.Client(),
		Vaults: []kvemu.Vault{{Name: vaultName, EnableRBACAuthorization: true, EnableSoftDelete: true,
			RoleAssignments: []kvemu.RoleAssignment{{Principal: rotatorOID, Role: "Key Vault Secrets Officer"}},
			Secrets:         []kvemu.Secret{{Name: "payroll-export", Value: "the-old-secret", Tags: map[string]string{"credwatchKeyId": payrollOld}}}}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kv.Close() })
	dbDir := t.TempDir()
	f := &fixture{emu: emu, kv: kv, hc: kv.Client(emu.CACertPEM()), start: now, dbDir: dbDir,
		dsn: "sqlite://" + filepath.Join(dbDir, "credwatch.db"), caDir: t.TempDir()}
	f.cfg = policy.DefaultConfig()
	f.cfg.KeyVaults = []policy.KeyVault{{Name: vaultName, URL: kv.VaultURL(vaultName)}}
	f.cfg.Rotation.Targets = []policy.RotationTarget{{AppID: billingApp, Vault: vaultName, Secret: "billing-sync"}}
	return f
}

func (f *fixture) cred(t testing.TB, hc *http.Client) azcore.TokenCredential {
	c, err := azidentity.NewClientSecretCredential(fxTenant, rotatorID, fxSecret, &azidentity.ClientSecretCredentialOptions{
		ClientOptions:            azcore.ClientOptions{Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: f.emu.AuthorityHost()}, Transport: hc},
		DisableInstanceDiscovery: true})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// tenant is the inventory as a scan would build it: the directory as it
// stands and the vault's metadata.
func (f *fixture) tenant(t *testing.T) *inventory.Tenant {
	t.Helper()
	var targets []keyvault.Target
	for _, kv := range f.cfg.KeyVaults {
		targets = append(targets, keyvault.Target{Name: kv.Name, URL: kv.VaultURL()})
	}
	vaults, err := keyvault.Collect(context.Background(), f.cred(t, f.hc), targets,
		keyvault.CollectOptions{Options: keyvault.Options{HTTPClient: f.hc, DisableChallengeResourceVerification: true}})
	if err != nil {
		t.Fatal(err)
	}
	tn, err := inventory.Build(&inventory.Snapshot{Directory: *f.emu.Directory(), CollectedAt: f.start, Complete: true, Vaults: vaults}, "test")
	if err != nil {
		t.Fatal(err)
	}
	return tn
}

// wire is the live side of Apply: Graph, the vault and usage over HTTPS.
func (f *fixture) wire(t testing.TB, hc *http.Client, log *slog.Logger) (Directory, func(string) (SecretStore, error), Usage) {
	cred := f.cred(t, hc)
	gc, err := graph.New(cred, graph.Options{BaseURL: f.emu.GraphURL(), HTTPClient: hc, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	dir, err := NewGraphDirectory(gc, f.emu.GraphURL(), "", cred, hc)
	if err != nil {
		t.Fatal(err)
	}
	vaults := func(name string) (SecretStore, error) {
		kv, ok := f.cfg.KeyVaultByName(name)
		if !ok {
			return nil, fmt.Errorf("vault %s is not configured", name)
		}
		return keyvault.NewVaultClient(kv.VaultURL(), cred, keyvault.Options{HTTPClient: hc, Logger: log, DisableChallengeResourceVerification: true})
	}
	return dir, vaults, NewGraphUsage(gc)
}

func (f *fixture) open(t testing.TB) *store.Store {
	st, err := store.Open(context.Background(), f.dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// secretTap is a transport that notes every secretText Graph returns: the
// real secrets, which serve as canaries.
type secretTap struct {
	next http.RoundTripper
	mu   sync.Mutex
	seen []string
}

func (s *secretTap) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := s.next.RoundTrip(r)
	if err != nil || !strings.HasSuffix(r.URL.Path, "/addPassword") {
		return resp, err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	var pc struct {
		SecretText string `json:"secretText"`
	}
	if json.Unmarshal(b, &pc) == nil && pc.SecretText != "" {
		s.mu.Lock()
		s.seen = append(s.seen, pc.SecretText)
		s.mu.Unlock()
	}
	return resp, nil
}

func (s *secretTap) secrets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.seen...)
}

// appSecrets is the application's secrets as the emulator holds them now.
func (f *fixture) appSecrets(objectID string) []msgraph.PasswordCredential {
	for _, a := range f.emu.Directory().Applications {
		if a.ID == objectID {
			return a.PasswordCredentials
		}
	}
	return nil
}

// storeBytes is everything the SQLite store wrote to disk.
func (f *fixture) storeBytes(t *testing.T) []byte {
	t.Helper()
	var all []byte
	entries, _ := os.ReadDir(f.dbDir)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(f.dbDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return all
}
