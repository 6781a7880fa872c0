package rotate

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/azure/keyvault"
	"github.com/credwatch/credwatch/internal/emulator"
	kvemu "github.com/credwatch/credwatch/internal/emulator/keyvault"
	"github.com/credwatch/credwatch/internal/msgraph"
	"github.com/credwatch/credwatch/internal/policy"
	"github.com/credwatch/credwatch/internal/testclock"
)

const (
	signerObj   = "a0000000-0000-4000-8000-000000000011"
	signerApp   = "b0000000-0000-4000-8000-000000000011"
	signerOld   = "d0000000-0000-4000-8000-000000000011"
	lapsedObj   = "a0000000-0000-4000-8000-000000000012"
	lapsedApp   = "b0000000-0000-4000-8000-000000000012"
	lapsedOld   = "d0000000-0000-4000-8000-000000000012"
	keylessObj  = "a0000000-0000-4000-8000-000000000013"
	keylessApp  = "b0000000-0000-4000-8000-000000000013"
	certVault   = "kv-certs"
	certPollFor = 10 * time.Millisecond
)

// testCert is a certificate and its RSA key.
type testCert struct {
	der []byte
	key *rsa.PrivateKey
}

func newTestCert(t testing.TB, cn string, nb, na time.Time) testCert {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn}, NotBefore: nb, NotAfter: na}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return testCert{der, key}
}

// pem is the certificate with its key, as a user imports it.
func (c testCert) pem() []byte {
	k, _ := x509.MarshalPKCS8PrivateKey(c.key)
	return append(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: k}), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.der})...)
}

// notAfter is the certificate's end as Graph writes dates, to the second.
func (c testCert) notAfter() string {
	x, _ := x509.ParseCertificate(c.der)
	return x.NotAfter.UTC().Format("2006-01-02T15:04:05")
}

func (c testCert) thumbprint() string {
	sum := sha1.Sum(c.der)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

func (c testCert) credential(keyID string) msgraph.KeyCredential {
	x, _ := x509.ParseCertificate(c.der)
	sum := sha1.Sum(c.der)
	cki, key, name := base64.StdEncoding.EncodeToString(sum[:]), base64.StdEncoding.EncodeToString(c.der), x.Subject.String()
	return msgraph.KeyCredential{CustomKeyIdentifier: &cki, DisplayName: &name, Key: &key, KeyID: keyID,
		StartDateTime: x.NotBefore.UTC().Format(time.RFC3339), EndDateTime: x.NotAfter.UTC().Format(time.RFC3339),
		Type: "AsymmetricX509Cert", Usage: "Verify"}
}

// certFixture is a tenant of three apps with certificates, a vault and a
// store, on one settable clock:
//
//	signer-app   current certificate due in 10 days, in the vault with its key
//	             (certificate signer-app): the new one goes on with addKey
//	lapsed-app   certificate expired 5 days ago, no other: PATCH adds the new
//	             one; a configured target names certificate lapsed-app
//	keyless-app  current certificate due in 12 days whose vault copy has no key:
//	             nothing can sign addKey's proof
type certFixture struct {
	*fixture
	clk                   *testclock.Clock
	signer, lapsed, keyed testCert
}

// newCertFixture runs the emulators on a settable clock shared with
// Apply, or (real) on the real one, which a crashing child process can
// share.
func newCertFixture(t *testing.T, real bool) *certFixture {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Second)
	clk := testclock.New(now)
	nowFn := clk.Now
	if real {
		clk, nowFn = nil, nil
	}
	f := &certFixture{clk: clk,
		signer: newTestCert(t, "signer-app", now.AddDate(0, -11, 0), now.Add(10*day)),
		lapsed: newTestCert(t, "lapsed-app", now.AddDate(-1, 0, 0), now.Add(-5*day)),
		keyed:  newTestCert(t, "keyless-app", now.AddDate(0, -11, 0), now.Add(12*day)),
	}
	dir := &msgraph.Directory{TenantID: fxTenant, Resources: []msgraph.ServicePrincipal{rotatorSP()}, Applications: []msgraph.Application{
		{ID: signerObj, AppID: signerApp, DisplayName: "signer-app", SignInAudience: "AzureADMyOrg",
			PasswordCredentials: []msgraph.PasswordCredential{}, KeyCredentials: []msgraph.KeyCredential{f.signer.credential(signerOld)}},
		{ID: lapsedObj, AppID: lapsedApp, DisplayName: "lapsed-app", SignInAudience: "AzureADMyOrg",
			PasswordCredentials: []msgraph.PasswordCredential{}, KeyCredentials: []msgraph.KeyCredential{f.lapsed.credential(lapsedOld)}},
		{ID: keylessObj, AppID: keylessApp, DisplayName: "keyless-app", SignInAudience: "AzureADMyOrg",
			PasswordCredentials: []msgraph.PasswordCredential{}, KeyCredentials: []msgraph.KeyCredential{f.keyed.credential("d0000000-0000-4000-8000-000000000013")}},
	}}
	emu, err := emulator.Start(emulator.Options{Directory: dir, Now: nowFn,
		Clients: []emulator.Client{{ID: rotatorID, Secret: fxSecret, Roles: []string{"Application.ReadWrite.All", "AuditLog.Read.All"}}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	kv, err := kvemu.Start(kvemu.Options{TenantID: fxTenant, AuthorityHost: emu.AuthorityHost(), HTTPClient: emu.Client(), Now: nowFn,
		Vaults: []kvemu.Vault{{Name: certVault, EnableRBACAuthorization: true, EnableSoftDelete: true,
			// Officer issues certificates; Certificate User reads the key of
			// the one that signs a proof.
			RoleAssignments: []kvemu.RoleAssignment{{Principal: rotatorOID, Role: "Key Vault Certificates Officer"},
				{Principal: rotatorOID, Role: "Key Vault Certificate User"}},
			Certificates: []kvemu.Certificate{{Name: "keyless-app", DER: f.keyed.der}}}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kv.Close() })
	dbDir := t.TempDir()
	f.fixture = &fixture{emu: emu, kv: kv, hc: kv.Client(emu.CACertPEM()), start: now, dbDir: dbDir,
		dsn: "sqlite://" + filepath.Join(dbDir, "credwatch.db"), caDir: t.TempDir()}
	f.cfg = policy.DefaultConfig()
	f.cfg.KeyVaults = []policy.KeyVault{{Name: certVault, URL: kv.VaultURL(certVault)}}
	f.cfg.Rotation.Targets = []policy.RotationTarget{{AppID: lapsedApp, Vault: certVault, Secret: "lapsed-app"}}
	// The signer's current certificate is in the vault with its key, as
	// an operator would have imported it.
	vc := f.vaultClient(t, f.hc, nil)
	if _, err := vc.ImportCertificate(context.Background(), "signer-app", keyvault.CertificateImport{Data: f.signer.pem()}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *certFixture) vaultClient(t testing.TB, hc *http.Client, log *slog.Logger) *keyvault.VaultClient {
	t.Helper()
	vc, err := keyvault.NewVaultClient(f.kv.VaultURL(certVault), f.cred(t, hc), keyvault.Options{HTTPClient: hc, Logger: log, DisableChallengeResourceVerification: true})
	if err != nil {
		t.Fatal(err)
	}
	return vc
}

// options are Apply's options on the fixture's clock, through hc.
func (f *certFixture) options(t testing.TB, hc *http.Client, log *slog.Logger) Options {
	dir, vaults, usage := f.wire(t, hc, log)
	o := Options{Directory: dir, Vault: vaults, Usage: usage, TenantID: fxTenant, Grace: 7 * day, Logger: log, CertificatePoll: certPollFor}
	if f.clk != nil {
		o.Now = f.clk.Now
	}
	return o
}

// appCerts is the application's certificates as the emulator holds them.
func (f *certFixture) appCerts(objectID string) []msgraph.KeyCredential {
	for _, a := range f.emu.Directory().Applications {
		if a.ID == objectID {
			return a.KeyCredentials
		}
	}
	return nil
}

// certVersions lists a vault certificate's versions.
func (f *certFixture) certVersions(t testing.TB, name string) []keyvault.CertificateMeta {
	t.Helper()
	vs, err := f.vaultClient(t, f.hc, nil).CertificateVersions(context.Background(), name)
	if err != nil && !keyvault.IsNotFound(err) {
		t.Fatal(err)
	}
	return vs
}

// keyCanaries are lines of every private key the vault holds for name:
// they must appear nowhere but in the vault.
func (f *certFixture) keyCanaries(name string) []string {
	var out []string
	for _, v := range f.kv.SecretVersions(certVault, name) {
		rest := []byte(v.Value)
		for {
			var b *pem.Block
			b, rest = pem.Decode(rest)
			if b == nil {
				break
			}
			if strings.HasSuffix(b.Type, "PRIVATE KEY") {
				out = append(out, base64.StdEncoding.EncodeToString(b.Bytes)[40:100])
			}
		}
	}
	return out
}

// checkCertRotated asserts the end of a certificate rotation: the app's
// only certificate is the vault certificate's current version, a
// version this rotation made, named as planned, ending when planned (or
// with the certificate). It returns the new key id.
func (f *certFixture) checkCertRotated(t *testing.T, step Step, versions int) string {
	t.Helper()
	creds := f.appCerts(step.ObjectID)
	if len(creds) != 1 {
		t.Fatalf("%s has %d certificates after the rotation, want exactly the new one: %+v", step.AppName, len(creds), creds)
	}
	c := creds[0]
	vs := f.certVersions(t, step.Secret)
	if len(vs) != versions {
		t.Fatalf("vault certificate %s has %d versions, want %d", step.Secret, len(vs), versions)
	}
	cur := vs[len(vs)-1]
	if strings.EqualFold(c.KeyID, step.OldKeyID) || c.Key == nil || !strings.EqualFold(thumbprintOf64(*c.Key), cur.Thumbprint) {
		t.Errorf("%s's certificate %s is not the vault's current version %s", step.AppName, c.KeyID, cur.Version)
	}
	if cur.Tags[keyvault.TagRotationID] == "" || cur.Tags[keyvault.TagAppID] != step.AppID {
		t.Errorf("the vault's new version is not tagged with the rotation and app: %v", cur.Tags)
	}
	end, _ := time.Parse(time.RFC3339Nano, c.EndDateTime)
	if c.DisplayName == nil || *c.DisplayName != step.NewDisplayName || (!end.Equal(step.NewEnd) && !end.Equal(cur.Expires)) || end.After(step.NewEnd) {
		t.Errorf("%s's new certificate: name %v, end %v; want %q ending %v", step.AppName, c.DisplayName, end, step.NewDisplayName, step.NewEnd)
	}
	return c.KeyID
}

func thumbprintOf64(key string) string {
	der, _ := base64.StdEncoding.DecodeString(key)
	sum := sha1.Sum(der)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// proofTap notes every proof of possession sent to Graph.
type proofTap struct {
	next   http.RoundTripper
	mu     sync.Mutex
	proofs []string
	calls  map[string]int // by last path segment and method
}

func (p *proofTap) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Method != http.MethodGet {
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		r.Body = io.NopCloser(bytes.NewReader(b))
		var body struct {
			Proof string `json:"proof"`
		}
		p.mu.Lock()
		if p.calls == nil {
			p.calls = map[string]int{}
		}
		seg := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
		if r.Method == http.MethodPatch {
			seg = "PATCH"
		}
		if strings.Contains(r.URL.Path, "/v1.0/") && len(b) > 0 {
			p.calls[seg]++
		}
		if json.Unmarshal(b, &body) == nil && body.Proof != "" {
			p.proofs = append(p.proofs, body.Proof)
		}
		p.mu.Unlock()
	}
	return p.next.RoundTrip(r)
}

func (p *proofTap) seen() ([]string, map[string]int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	calls := map[string]int{}
	for k, v := range p.calls {
		calls[k] = v
	}
	return append([]string(nil), p.proofs...), calls
}
