package rotate

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/credwatch/credwatch/internal/azure/keyvault"
	kvemu "github.com/credwatch/credwatch/internal/emulator/keyvault"
	"github.com/credwatch/credwatch/internal/policy"
	"github.com/credwatch/credwatch/internal/store"
)

func stepOf(t *testing.T, steps []Step, objectID string) Step {
	t.Helper()
	for _, s := range steps {
		if s.ObjectID == objectID {
			return s
		}
	}
	t.Fatalf("no step for %s in %+v", objectID, steps)
	return Step{}
}

// TestApplyRotatesCertificates rotates both kinds of due certificate end
// to end: signer-app's with addKey and removeKey (proofs signed by keys
// in the vault), lapsed-app's with PATCH; keyless-app's is skipped by the
// plan. Then it looks for every private key the vault holds, and every
// proof sent, in the logs, the store and the outcomes.
func TestApplyRotatesCertificates(t *testing.T) {
	f := newCertFixture(t, false)
	ctx := ctxFor(t)
	steps := Plan(f.tenant(t), f.cfg, f.start)
	if len(steps) != 3 {
		t.Fatalf("plan = %+v", steps)
	}
	signer, lapsed, keyless := stepOf(t, steps, signerObj), stepOf(t, steps, lapsedObj), stepOf(t, steps, keylessObj)
	if signer.Skip != "" || signer.StoreFrom != FromVaultTag || signer.Secret != "signer-app" || lapsed.Skip != "" || lapsed.StoreFrom != FromConfig ||
		!strings.Contains(keyless.Skip, "without its private key") {
		t.Fatalf("plan: signer %+v\nlapsed %+v\nkeyless %+v", signer, lapsed, keyless)
	}
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	tap := &proofTap{next: f.hc.Transport}
	st := f.open(t)
	defer st.Close()
	o := f.options(t, &http.Client{Transport: tap}, log)
	o.Store = st

	out, err := Apply(ctx, steps, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 3 || out[0].State != store.RotationStored || out[1].State != store.RotationStored || !strings.Contains(out[2].Note, "skipped") {
		t.Fatalf("first run: %+v, want two stored and waiting, one skipped", out)
	}
	for _, s := range []Step{signer, lapsed} {
		if n := len(f.appCerts(s.ObjectID)); n != 2 {
			t.Errorf("while waiting %s has %d certificates, want old and new", s.AppName, n)
		}
	}
	if _, calls := tap.seen(); calls["addKey"] != 1 || calls["PATCH"] != 1 {
		t.Errorf("Graph writes %v, want one addKey (signer) and one PATCH (lapsed)", calls)
	}

	f.clk.Advance(7 * day)
	o = f.options(t, &http.Client{Transport: tap}, log) // fresh tokens on the advanced clock
	o.Store, o.RemoveUnconfirmed = st, true
	out2, err := Apply(ctx, nil, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(out2) != 2 || out2[0].State != store.RotationDone || out2[1].State != store.RotationDone {
		t.Fatalf("second run: %+v, want both done", out2)
	}
	f.checkCertRotated(t, signer, 2)
	f.checkCertRotated(t, lapsed, 1)
	proofs, calls := tap.seen()
	if calls["removeKey"] != 2 || calls["PATCH"] != 1 || len(proofs) != 3 {
		t.Errorf("Graph writes %v with %d proofs, want removeKey for both old certificates (the new ones sign)", calls, len(proofs))
	}
	if n := len(f.appCerts(keylessObj)); n != 1 || len(f.certVersions(t, "keyless-app")) != 1 {
		t.Error("keyless-app was skipped and must be untouched")
	}

	st.Close()
	var texts bytes.Buffer
	for _, oc := range append(out, out2...) {
		texts.WriteString(oc.Note + oc.NewKeyID + oc.OldKeyID)
	}
	canaries := append(f.keyCanaries("signer-app"), f.keyCanaries("lapsed-app")...)
	if len(canaries) != 3 {
		t.Fatalf("%d private keys in the vault, want the signer's old and new and lapsed-app's new", len(canaries))
	}
	for _, canary := range append(canaries, proofs...) {
		for what, b := range map[string][]byte{"logs": logs.Bytes(), "store": f.storeBytes(t), "outcomes": texts.Bytes()} {
			if bytes.Contains(b, []byte(canary)) {
				t.Errorf("a private key or proof appears in the %s", what)
			}
		}
	}
	if !bytes.Contains(logs.Bytes(), []byte("new certificate added")) {
		t.Error("the logs should record the rotation (they are searched for keys)")
	}
}

// TestCertificateVaultRefusalChangesNothing: Key Vault refuses to issue
// the certificate, which comes before Graph: the run stops with a
// *VaultWriteError saying nothing was added, the app and vault are as
// they were, and the next run rotates.
func TestCertificateVaultRefusalChangesNothing(t *testing.T) {
	f := newCertFixture(t, true)
	ctx := ctxFor(t)
	steps := Select(Plan(f.tenant(t), f.cfg, f.start), signerApp)
	st := f.open(t)
	defer st.Close()
	o := f.options(t, f.hc, nil)
	o.Store = st
	f.kv.FailNext(kvemu.Fault{Vault: certVault, Op: kvemu.OpCreateCertificate, Message: "Caller is not authorized to perform action on resource."})
	_, err := Apply(ctx, steps, o)
	var verr *VaultWriteError
	if !errors.As(err, &verr) || !verr.Certificate {
		t.Fatalf("Apply = %v, want a certificate *VaultWriteError", err)
	}
	for _, want := range []string{"signer-app", certVault, "ForbiddenByRbac", "nothing was added"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if creds := f.appCerts(signerObj); len(creds) != 1 || creds[0].KeyID != signerOld {
		t.Errorf("the app changed: %+v", creds)
	}
	if n := len(f.certVersions(t, "signer-app")); n != 1 {
		t.Errorf("the vault gained a version: %d", n)
	}
	rs, _ := st.Rotations(ctx, store.RotationFilter{TenantID: fxTenant})
	if len(rs) != 1 || rs[0].State != store.RotationFailed {
		t.Errorf("rotation = %+v", rs)
	}
	o.RemoveUnconfirmed, o.Grace = true, 0
	if out, err := Apply(ctx, steps, o); err != nil || len(out) != 1 || out[0].State != store.RotationDone {
		t.Fatalf("retry: %+v, %v", out, err)
	}
	f.checkCertRotated(t, steps[0], 2)
}

// TestNoProofKeyStopsBeforeAnything: a step the plan would skip, applied
// anyway (say, from an older plan): the app has a current certificate
// whose key is not in the vault, so apply fails with ErrNoProofKey before
// the vault or the app changes.
func TestNoProofKeyStopsBeforeAnything(t *testing.T) {
	f := newCertFixture(t, true)
	ctx := ctxFor(t)
	step := stepOf(t, Plan(f.tenant(t), f.cfg, f.start), keylessObj)
	step.Skip = ""
	st := f.open(t)
	defer st.Close()
	o := f.options(t, f.hc, nil)
	o.Store = st
	out, err := Apply(ctx, []Step{step}, o)
	if !errors.Is(err, ErrNoProofKey) || !strings.Contains(err.Error(), "not its private key") || len(out) != 1 || out[0].State != store.RotationFailed {
		t.Fatalf("Apply = %+v, %v; want failed with ErrNoProofKey", out, err)
	}
	// A vault certificate none of whose versions is the app's current
	// one (the plan cannot tell, seeing only the current version): the
	// same, naming the certificate that could sign.
	f.cfg.Rotation.Targets = append(f.cfg.Rotation.Targets, policy.RotationTarget{AppID: keylessApp, Vault: certVault, Secret: "signer-app"})
	step = stepOf(t, Plan(f.tenant(t), f.cfg, f.start), keylessObj)
	if step.Skip != "" {
		t.Errorf("plan skip = %q; which version is the app's is for apply to find", step.Skip)
	}
	out, err = Apply(ctx, []Step{step}, o)
	if !errors.Is(err, ErrNoProofKey) || !strings.Contains(err.Error(), f.keyed.thumbprint()) || out[0].State != store.RotationFailed {
		t.Fatalf("Apply = %+v, %v; want failed with ErrNoProofKey naming the current certificate", out, err)
	}
	if n := len(f.certVersions(t, "signer-app")); n != 1 {
		t.Errorf("the target vault certificate gained a version: %d", n)
	}
	if n := len(f.certVersions(t, "keyless-app")); n != 1 {
		t.Errorf("the vault gained a version: %d", n)
	}
	if n := len(f.appCerts(keylessObj)); n != 1 {
		t.Errorf("the app changed: %d certificates", n)
	}
}

// TestImportGivenCertificate: with a certificate to import, the rotation
// puts that certificate in the vault and on the app; an interrupted
// import resumes only when given the file again, and meanwhile waits
// without holding up the run; and one file cannot rotate two
// certificates.
func TestImportGivenCertificate(t *testing.T) {
	f := newCertFixture(t, true)
	ctx := ctxFor(t)
	steps := Plan(f.tenant(t), f.cfg, f.start)
	given := newTestCert(t, "signer-app 2", f.start.Add(-day), f.start.AddDate(0, 6, 0))
	st := f.open(t)
	defer st.Close()
	o := f.options(t, f.hc, nil)
	o.Store, o.Import = st, &keyvault.CertificateImport{Data: given.pem()}

	if _, err := Apply(ctx, steps, o); err == nil || !strings.Contains(err.Error(), "choose one app") {
		t.Fatalf("importing for two certificates = %v, want a refusal", err)
	}
	signer := Select(steps, signerApp)
	o.hook = func(p string) {
		if p == "importing" {
			panic(errStop)
		}
	}
	func() {
		defer func() {
			if v := recover(); v != errStop {
				panic(v)
			}
		}()
		Apply(ctx, signer, o)
	}()
	// Resumed without the file, among other due rotations: it waits for
	// the file, lets go of its lease, and the others go on.
	o.hook, o.Import, o.Owner, o.Takeover = nil, nil, "another run", true // the crashed run's lease
	out, err := Apply(ctx, steps, o)
	if err != nil || len(out) != 3 {
		t.Fatalf("resuming without the file = %+v, %v; want no error and every rotation", out, err)
	}
	if out[0].AppID != signerApp || out[0].State != RotationImporting || !strings.Contains(out[0].Note, "give --certificate-file again") {
		t.Errorf("the importing rotation: %+v", out[0])
	}
	if lapsed := out[1]; lapsed.AppID != lapsedApp || lapsed.State != store.RotationStored {
		t.Errorf("the other due rotation did not go on: %+v", lapsed)
	}
	if n := len(f.certVersions(t, "signer-app")); n != 1 {
		t.Fatalf("the vault changed: %d versions", n)
	}
	rs, _ := st.Rotations(ctx, store.RotationFilter{TenantID: fxTenant, ActiveOnly: true})
	for _, r := range rs {
		if r.AppID == signerApp && r.LeaseOwner != "" {
			t.Errorf("the waiting rotation is still held by %q", r.LeaseOwner)
		}
	}
	o.Import, o.Owner, o.Takeover = &keyvault.CertificateImport{Data: given.pem()}, "a third run", false
	o.Grace, o.RemoveUnconfirmed = 0, true
	if out, err := Apply(ctx, signer, o); err != nil || out[0].State != store.RotationDone {
		t.Fatalf("resuming with the file = %+v, %v", out, err)
	}
	f.checkCertRotated(t, signer[0], 2)
	if creds := f.appCerts(signerObj); thumbprintOf64(*creds[0].Key) != given.thumbprint() {
		t.Error("the app's certificate is not the one given")
	}
	if c := f.appCerts(signerObj)[0]; c.EndDateTime == "" || !strings.HasPrefix(c.EndDateTime, given.notAfter()) {
		t.Errorf("the credential ends %s, want with the given certificate (%s)", c.EndDateTime, given.notAfter())
	}
}

var errStop = errors.New("stop here")

// TestImportPKCS12ThroughRemoval: a PKCS#12 file given to import (here
// OpenSSL 3's defaults, a copy of the keyvault package's
// testdata/import/aes256.pfx) goes on the app, and the rotation finishes:
// removing the old certificate takes a proof signed with the imported
// key, read back from the vault.
func TestImportPKCS12ThroughRemoval(t *testing.T) {
	f := newCertFixture(t, true)
	ctx := ctxFor(t)
	pfx, err := os.ReadFile(filepath.Join("testdata", "given.pfx"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := (keyvault.CertificateImport{Data: pfx, Password: "test-password"}).Certificate()
	if err != nil {
		t.Fatal(err)
	}
	signer := Select(Plan(f.tenant(t), f.cfg, f.start), signerApp)
	st := f.open(t)
	defer st.Close()
	o := f.options(t, f.hc, nil)
	o.Store, o.Import = st, &keyvault.CertificateImport{Data: pfx, Password: "test-password"}
	o.Grace, o.RemoveUnconfirmed = 0, true
	out, err := Apply(ctx, signer, o)
	if err != nil || len(out) != 1 || out[0].State != store.RotationDone {
		t.Fatalf("Apply = %+v, %v; want done", out, err)
	}
	f.checkCertRotated(t, signer[0], 2)
	if creds := f.appCerts(signerObj); thumbprintOf64(*creds[0].Key) != strings.ToUpper(hex.EncodeToString(sha1Sum(want.Raw))) {
		t.Error("the app's certificate is not the one in the file")
	}
	if vs := f.kv.SecretVersions(certVault, "signer-app"); vs[len(vs)-1].ContentType != keyvault.ContentTypePEM {
		t.Errorf("the imported version's secret is %q, want PEM (which the next proof is signed from)", vs[len(vs)-1].ContentType)
	}
}

func sha1Sum(b []byte) []byte { s := sha1.Sum(b); return s[:] }

// refuseAddKey is Graph refusing addKey once, as an app management
// policy would.
type refuseAddKey struct {
	Directory
	refused bool
}

func (d *refuseAddKey) AddKey(ctx context.Context, objectID string, k NewKey, proof string) (string, error) {
	if !d.refused {
		d.refused = true
		return "", &GraphError{Op: "addKey on application " + objectID, StatusCode: 400, Code: "CredentialInvalidLifetimeAsPerAppPolicy"}
	}
	return d.Directory.AddKey(ctx, objectID, k, proof)
}

// TestPlanAfterRefusedAddKey: Graph refused a rotation's addKey, so the
// vault certificate's current version is one the app does not have. The
// next plan still finds the vault certificate and plans the step, and
// apply signs the proof with the older version that is the app's.
func TestPlanAfterRefusedAddKey(t *testing.T) {
	f := newCertFixture(t, true)
	ctx := ctxFor(t)
	step := stepOf(t, Plan(f.tenant(t), f.cfg, f.start), signerObj)
	st := f.open(t)
	defer st.Close()
	o := f.options(t, f.hc, nil)
	o.Store = st
	o.Directory = &refuseAddKey{Directory: o.Directory}
	out, err := Apply(ctx, []Step{step}, o)
	if err == nil || len(out) != 1 || out[0].State != store.RotationFailed {
		t.Fatalf("Apply = %+v, %v; want failed", out, err)
	}
	if n := len(f.certVersions(t, "signer-app")); n != 2 {
		t.Fatalf("the vault has %d versions, want the old and the refused one", n)
	}
	again := stepOf(t, Plan(f.tenant(t), f.cfg, f.start), signerObj)
	if again.Skip != "" || again.Vault != certVault || again.Secret != "signer-app" {
		t.Fatalf("plan after the refusal: %+v; want the step planned to signer-app", again)
	}
	o = f.options(t, f.hc, nil)
	o.Store, o.Grace, o.RemoveUnconfirmed = st, 0, true
	if out, err := Apply(ctx, []Step{again}, o); err != nil || len(out) != 1 || out[0].State != store.RotationDone {
		t.Fatalf("Apply after the refusal = %+v, %v; want done", out, err)
	}
	f.checkCertRotated(t, again, 3)
}
