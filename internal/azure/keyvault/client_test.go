package keyvault

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/credwatch/credwatch/internal/emulator"
	"github.com/credwatch/credwatch/internal/emulator/emulatortest"
	kvemu "github.com/credwatch/credwatch/internal/emulator/keyvault"
	"github.com/credwatch/credwatch/internal/inventory"
	"github.com/credwatch/credwatch/internal/msgraph"
)

// The clients sign in by app id; vault roles name, as in Azure, their
// service principals' object ids, the oid of their tokens.
const (
	tenant      = "7a1c0de5-0000-4000-8000-00000000c11e"
	officer     = "c11e0000-0000-4000-8000-0000000000b1"
	officerOID  = "0b1ec700-0000-4000-8000-0000000000b1"
	outsider    = "c11e0000-0000-4000-8000-0000000000b2"
	outsiderOID = "0b1ec700-0000-4000-8000-0000000000b2"
	secretStr   = "test-client-secret-not-a-real-one"
)

type fixture struct {
	kv   *kvemu.Server
	cred azcore.TokenCredential
	out  azcore.TokenCredential // a caller with no access anywhere
	opts Options
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	sts, err := emulator.Start(emulator.Options{Directory: &msgraph.Directory{TenantID: tenant, ServicePrincipals: []msgraph.ServicePrincipal{
		{ID: officerOID, AppID: officer, DisplayName: "officer"}, {ID: outsiderOID, AppID: outsider, DisplayName: "outsider"}}},
		Clients: []emulator.Client{{ID: officer, Secret: secretStr}, {ID: outsider, Secret: secretStr}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sts.Close() })
	kv, err := kvemu.Start(kvemu.Options{TenantID: tenant, AuthorityHost: sts.AuthorityHost(), HTTPClient: sts.Client(),
		ManagementReaders: []string{officerOID},
		Vaults: []kvemu.Vault{
			{Name: "kv-app", EnableRBACAuthorization: true, EnableSoftDelete: true,
				RoleAssignments: []kvemu.RoleAssignment{{Principal: officerOID, Role: "Key Vault Administrator"}},
				DiagnosticSettings: []kvemu.DiagnosticSetting{{Name: "law", WorkspaceID: "/subscriptions/s/resourceGroups/r/providers/Microsoft.OperationalInsights/workspaces/w",
					Logs: []kvemu.LogSetting{{Category: "AuditEvent", Enabled: true}}}}},
			{Name: "kv-locked", PublicNetworkAccess: "Disabled", NetworkACLs: &kvemu.NetworkACLs{DefaultAction: "Deny", IPRules: []string{"203.0.113.0/24"}},
				AccessPolicies: []kvemu.AccessPolicy{{ObjectID: officerOID, Secrets: []string{"get"}}}},
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kv.Close() })
	hc := kv.Client(sts.CACertPEM())
	mk := func(id string) azcore.TokenCredential { return emulatortest.Credential(t, sts, id, secretStr, hc) }
	return &fixture{kv: kv, cred: mk(officer), out: mk(outsider), opts: Options{HTTPClient: hc, DisableChallengeResourceVerification: true}}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestSetSecretThenListMetadataOnly(t *testing.T) {
	f := newFixture(t)
	ctx := ctxT(t)
	vc, err := NewVaultClient(f.kv.VaultURL("kv-app"), f.cred, f.opts)
	if err != nil {
		t.Fatal(err)
	}
	end := time.Date(2027, 5, 6, 7, 8, 9, 0, time.UTC)
	m, err := vc.SetSecret(ctx, "payroll", SecretWrite{Value: "first-value", ContentType: "text/plain",
		Tags: map[string]string{TagAppID: "app-1", TagKeyID: "key-1"}, Expires: end})
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "payroll" || len(m.Version) != 32 || !m.Expires.Equal(end) || m.Tags[TagKeyID] != "key-1" {
		t.Errorf("SetSecret = %+v", m)
	}
	if _, err := vc.SetSecret(ctx, "payroll", SecretWrite{Value: "second-value"}); err != nil {
		t.Fatal(err)
	}
	list, err := vc.ListSecrets(ctx)
	if err != nil || len(list) != 1 || list[0].Name != "payroll" || list[0].Version != "" {
		t.Fatalf("ListSecrets = %+v, %v", list, err)
	}
	versions, err := vc.SecretVersions(ctx, "payroll")
	if err != nil || len(versions) != 2 || versions[0].Tags[TagKeyID] != "key-1" || versions[1].Tags != nil {
		t.Fatalf("SecretVersions = %+v, %v", versions, err)
	}
	if _, err := vc.SecretVersions(ctx, "missing"); !IsNotFound(err) {
		t.Errorf("versions of a missing secret: %v, want not found", err)
	}
}

func TestErrorsAreTypedAndCarryNoValue(t *testing.T) {
	f := newFixture(t)
	ctx := ctxT(t)
	vc, err := NewVaultClient(f.kv.VaultURL("kv-app"), f.out, f.opts)
	if err != nil {
		t.Fatal(err)
	}
	const value = "CANARY-never-in-an-error"
	_, err = vc.SetSecret(ctx, "x", SecretWrite{Value: value})
	var e *Error
	if !IsForbidden(err) || !strings.Contains(err.Error(), "ForbiddenByRbac") {
		t.Fatalf("SetSecret as an outsider = %v, want a 403 ForbiddenByRbac *Error", err)
	}
	if e, _ = err.(*Error); e == nil || e.Op != "set secret x" || strings.Contains(e.Message, "\n") {
		t.Errorf("error fields: %+v", e)
	}
	if strings.Contains(err.Error(), value) {
		t.Fatal("the error carries the secret value")
	}
	locked, _ := NewVaultClient(f.kv.VaultURL("kv-locked"), f.cred, f.opts)
	_, err = locked.ListSecrets(ctx)
	if !IsForbidden(err) || !strings.Contains(err.Error(), "ForbiddenByFirewall") {
		t.Errorf("listing a closed vault = %v, want ForbiddenByFirewall", err)
	}
}

func TestCollectReadsEveryPartAndNamesWhatItCannot(t *testing.T) {
	f := newFixture(t)
	ctx := ctxT(t)
	vc, _ := NewVaultClient(f.kv.VaultURL("kv-app"), f.cred, f.opts)
	if _, err := vc.SetSecret(ctx, "copy", SecretWrite{Value: "v", Tags: map[string]string{TagKeyID: "K-1"}}); err != nil {
		t.Fatal(err)
	}
	cert, err := vc.CreateCertificate(ctx, "cert", CertificateRequest{Subject: "CN=app", Poll: time.Millisecond})
	if err != nil || len(cert.Thumbprint) != 40 || len(cert.DER) == 0 {
		t.Fatalf("CreateCertificate = %+v, %v", cert.CertificateMeta, err)
	}
	targets := []Target{
		{Name: "app", URL: f.kv.VaultURL("kv-app"), ResourceID: f.kv.ResourceID("kv-app")},
		{Name: "locked", URL: f.kv.VaultURL("kv-locked"), ResourceID: f.kv.ResourceID("kv-locked")},
		{Name: "gone", URL: f.kv.VaultURL("kv-app"), ResourceID: "/subscriptions/" + f.kv.SubscriptionID() + "/resourceGroups/rg-credwatch/providers/Microsoft.KeyVault/vaults/kv-gone"},
	}
	vaults, err := Collect(ctx, f.cred, targets, CollectOptions{Options: f.opts, ManagementURL: f.kv.ManagementURL()})
	if err != nil || len(vaults) != 3 {
		t.Fatalf("Collect = %d vaults, %v", len(vaults), err)
	}
	app := vaults[0]
	if len(app.Unavailable) != 0 || app.Properties == nil || !app.Properties.EnableRBACAuthorization || !app.Properties.EnableSoftDelete ||
		app.Properties.EnablePurgeProtection || len(app.DiagnosticSettings) != 1 || app.DiagnosticSettings[0].Logs[0].Category != "AuditEvent" {
		t.Errorf("app vault = %+v", app)
	}
	var copyLinked, managed bool
	for _, s := range app.Secrets {
		copyLinked = copyLinked || (s.Name == "copy" && s.LinkedKeyID() == "k-1")
		managed = managed || (s.Name == "cert" && s.Managed)
	}
	if !copyLinked || !managed || len(app.Certificates) != 1 || app.Certificates[0].Thumbprint != cert.Thumbprint {
		t.Errorf("app vault contents: secrets %+v, certificates %+v", app.Secrets, app.Certificates)
	}
	locked := vaults[1]
	if !strings.Contains(locked.Unavailable[inventory.VaultPartSecrets], "ForbiddenByFirewall") || locked.Read(inventory.VaultPartSecrets) {
		t.Errorf("locked vault secrets should be unavailable: %+v", locked.Unavailable)
	}
	if p := locked.Properties; p == nil || p.PublicNetworkAccess != "Disabled" || p.NetworkDefaultAction != "Deny" || p.AccessPolicies != 1 ||
		len(p.IPRules) != 1 || p.EnableRBACAuthorization {
		t.Errorf("locked vault properties = %+v", p)
	}
	if gone := vaults[2]; gone.Read(inventory.VaultPartProperties) || !strings.Contains(gone.Unavailable[inventory.VaultPartProperties], "ResourceNotFound") {
		t.Errorf("unknown vault resource: %+v", gone.Unavailable)
	}
}

func TestManagementRefusesNonReaders(t *testing.T) {
	f := newFixture(t)
	m, err := NewManagement(f.kv.ManagementURL(), "", f.out, f.opts)
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Vault(ctxT(t), f.kv.ResourceID("kv-app"))
	var e *Error
	if !IsForbidden(err) || !strings.Contains(err.Error(), "AuthorizationFailed") {
		t.Fatalf("Vault as a non-reader = %v", err)
	}
	_ = e
	if _, err := m.Vault(ctxT(t), "/not/a/vault"); err == nil || !strings.Contains(err.Error(), "resource id") {
		t.Errorf("bad resource id: %v", err)
	}
	if _, err := NewManagement("http://plain", "", f.out, f.opts); err == nil {
		t.Error("a plain-http management url was accepted")
	}
	_ = http.StatusOK
}
