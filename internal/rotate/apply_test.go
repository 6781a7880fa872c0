package rotate

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/azure/keyvault"
	kvemu "github.com/credwatch/credwatch/internal/emulator/keyvault"
	"github.com/credwatch/credwatch/internal/store"
	"github.com/credwatch/credwatch/internal/testclock"
)

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// checkRotated asserts the end state of a finished rotation of one app:
// exactly one secret, the new one with the planned name, the old one gone,
// and the vault's current version carrying the new key id, its end date,
// and the secret Graph returned for it.
func checkRotated(t *testing.T, f *fixture, step Step, secrets []string) string {
	t.Helper()
	creds := f.appSecrets(step.ObjectID)
	if len(creds) != 1 {
		t.Fatalf("%s has %d secrets after the rotation, want exactly the new one: %+v", step.AppName, len(creds), creds)
	}
	c := creds[0]
	if strings.EqualFold(c.KeyID, step.OldKeyID) || c.DisplayName == nil || *c.DisplayName != step.NewDisplayName {
		t.Fatalf("%s's secret is %s %v, want a new one named %q", step.AppName, c.KeyID, c.DisplayName, step.NewDisplayName)
	}
	versions := f.kv.SecretVersions(vaultName, step.Secret)
	if len(versions) == 0 {
		t.Fatalf("vault secret %s is missing", step.Secret)
	}
	cur := versions[len(versions)-1]
	if !strings.EqualFold(cur.Tags[keyvault.TagKeyID], c.KeyID) || cur.Tags[keyvault.TagAppID] != step.AppID ||
		!cur.Expires.Equal(step.NewEnd) || cur.ContentType != "text/plain" {
		t.Errorf("vault version for %s: tags %v, expires %v (want %v), content type %q", step.AppName, cur.Tags, cur.Expires, step.NewEnd, cur.ContentType)
	}
	found := secrets == nil // nil: the secret came from a run the test cannot see
	for _, s := range secrets {
		found = found || s == cur.Value
	}
	if !found {
		t.Errorf("the vault's value for %s is not a secret Graph returned", step.AppName)
	}
	return c.KeyID
}

// TestApplyRotatesAndKeepsTheSecretOutOfEverything rotates both due
// secrets end to end and then looks for every secret Graph returned in the
// logs, the store's files, the outcomes and the errors: it must be in the
// vault and nowhere else.
func TestApplyRotatesAndKeepsTheSecretOutOfEverything(t *testing.T) {
	f := newFixture(t, false)
	ctx := ctxFor(t)
	steps := Plan(f.tenant(t), f.cfg, f.start)
	if len(steps) != 2 || steps[0].AppName != "payroll-export" || steps[0].StoreFrom != FromVaultTag || steps[1].StoreFrom != FromConfig {
		t.Fatalf("plan = %+v", steps)
	}
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	tap := &secretTap{next: f.hc.Transport}
	hc := &http.Client{Transport: tap}
	dir, vaults, usage := f.wire(t, hc, log)
	st := f.open(t)
	defer st.Close()
	clk := testclock.New(f.start)
	o := Options{Store: st, Directory: dir, Vault: vaults, Usage: usage, TenantID: fxTenant, Grace: 7 * day, Now: clk.Now, Logger: log}

	out, err := Apply(ctx, steps, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 || out[0].State != store.RotationStored || !strings.Contains(out[0].Note, "waiting") {
		t.Fatalf("first run: %+v, want both stored and waiting for consumers", out)
	}
	if n := len(f.appSecrets(payrollObj)); n != 2 {
		t.Fatalf("while waiting payroll has %d secrets, want old and new", n)
	}
	clk.Advance(7 * day)
	o.RemoveUnconfirmed = true
	out2, err := Apply(ctx, nil, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(out2) != 2 || out2[0].State != store.RotationDone || out2[1].State != store.RotationDone {
		t.Fatalf("second run: %+v, want both done", out2)
	}
	secrets := tap.secrets()
	if len(secrets) != 2 {
		t.Fatalf("Graph returned %d secrets, want 2", len(secrets))
	}
	for _, s := range steps {
		checkRotated(t, f, s, secrets)
	}
	if n := len(f.kv.SecretVersions(vaultName, "payroll-export")); n != 2 {
		t.Errorf("the tagged vault secret has %d versions, want the old and the new", n)
	}
	st.Close()
	var texts bytes.Buffer
	for _, oc := range append(out, out2...) {
		texts.WriteString(oc.Note + oc.NewKeyID + oc.OldKeyID)
	}
	for _, canary := range secrets {
		for what, b := range map[string][]byte{"logs": logs.Bytes(), "store": f.storeBytes(t), "outcomes": texts.Bytes()} {
			if bytes.Contains(b, []byte(canary)) {
				t.Errorf("a new secret appears in the %s", what)
			}
		}
	}
	if !bytes.Contains(logs.Bytes(), []byte("new secret stored")) {
		t.Error("the logs should record the rotation (they are searched for the secret)")
	}
}

// TestApplyWaitsForConsumers: the old key signed in an hour ago, the new
// one never: the rotation waits through the grace period, and after it
// only --remove-unconfirmed removes the old key.
func TestApplyWaitsForConsumers(t *testing.T) {
	f := newFixture(t, true)
	ctx := ctxFor(t)
	steps := Select(Plan(f.tenant(t), f.cfg, f.start), payrollApp)
	dir, vaults, usage := f.wire(t, f.hc, nil)
	st := f.open(t)
	defer st.Close()
	clk := testclock.New(f.start)
	o := Options{Store: st, Directory: dir, Vault: vaults, Usage: usage, TenantID: fxTenant, App: payrollApp, Grace: 7 * day, Now: clk.Now}
	for _, adv := range []time.Duration{0, 6 * day, day + time.Hour} {
		clk.Advance(adv)
		out, err := Apply(ctx, steps, o)
		if err != nil {
			t.Fatal(err)
		}
		if len(out) != 1 || out[0].State != store.RotationStored {
			t.Fatalf("after %v: %+v, want still waiting", adv, out)
		}
		if !strings.Contains(out[0].Note, "has not signed in yet") {
			t.Errorf("note %q should say the new key is unused", out[0].Note)
		}
	}
	o.RemoveUnconfirmed = true
	out, err := Apply(ctx, steps, o)
	if err != nil || len(out) != 1 || out[0].State != store.RotationDone {
		t.Fatalf("with --remove-unconfirmed: %+v, %v", out, err)
	}
	if n := len(f.appSecrets(payrollObj)); n != 1 {
		t.Errorf("payroll has %d secrets, want 1", n)
	}
	if n := len(f.appSecrets(billingObj)); n != 1 || f.appSecrets(billingObj)[0].KeyID != billingOld {
		t.Errorf("billing-sync was not selected and must be untouched")
	}
}

// TestVaultRefusalRemovesTheNewCredential: Key Vault refuses the write;
// the new credential is removed again, the rotation is recorded failed,
// and the run stops with a clear error that holds no secret.
func TestVaultRefusalRemovesTheNewCredential(t *testing.T) {
	f := newFixture(t, false)
	ctx := ctxFor(t)
	steps := Plan(f.tenant(t), f.cfg, f.start)
	tap := &secretTap{next: f.hc.Transport}
	dir, vaults, usage := f.wire(t, &http.Client{Transport: tap}, nil)
	st := f.open(t)
	defer st.Close()
	f.kv.FailNext(kvemu.Fault{Vault: vaultName, Op: kvemu.OpSetSecret, Message: "Caller is not authorized to perform action on resource."})
	out, err := Apply(ctx, steps, Options{Store: st, Directory: dir, Vault: vaults, Usage: usage, TenantID: fxTenant, Now: func() time.Time { return f.start }})
	var verr *VaultWriteError
	if !errors.As(err, &verr) || !verr.Removed {
		t.Fatalf("Apply = %v, want a *VaultWriteError with the credential removed", err)
	}
	msg := err.Error()
	for _, want := range []string{"payroll-export", vaultName, "ForbiddenByRbac", "was removed again"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if len(out) != 1 {
		t.Errorf("the run should stop at the first app: %+v", out)
	}
	if creds := f.appSecrets(payrollObj); len(creds) != 1 || creds[0].KeyID != payrollOld {
		t.Errorf("payroll after the refusal: %+v, want only the old secret", creds)
	}
	if n := len(f.appSecrets(billingObj)); n != 1 {
		t.Errorf("billing-sync was touched after the stop")
	}
	if v := f.kv.SecretVersions(vaultName, "payroll-export"); len(v) != 1 {
		t.Errorf("the vault gained a version: %d", len(v))
	}
	rs, _ := st.Rotations(ctx, store.RotationFilter{TenantID: fxTenant})
	if len(rs) != 1 || rs[0].State != store.RotationFailed || !strings.Contains(rs[0].Error, "ForbiddenByRbac") {
		t.Errorf("stored rotation = %+v", rs)
	}
	for _, s := range tap.secrets() {
		if strings.Contains(msg, s) || strings.Contains(rs[0].Error, s) {
			t.Error("the error carries the secret")
		}
	}
	// The next run starts a fresh rotation and succeeds.
	out, err = Apply(ctx, Select(steps, payrollApp), Options{Store: st, Directory: dir, Vault: vaults, TenantID: fxTenant, App: payrollApp,
		RemoveUnconfirmed: true, Now: func() time.Time { return f.start }})
	if err != nil || len(out) != 1 || out[0].State != store.RotationDone {
		t.Fatalf("retry: %+v, %v", out, err)
	}
	checkRotated(t, f, steps[0], tap.secrets())
}

func TestLeaseOfAnotherRunIsRespected(t *testing.T) {
	f := newFixture(t, false)
	ctx := ctxFor(t)
	steps := Select(Plan(f.tenant(t), f.cfg, f.start), payrollApp)
	dir, vaults, _ := f.wire(t, f.hc, nil)
	st := f.open(t)
	defer st.Close()
	r := &store.Rotation{ID: "held", TenantID: fxTenant, ObjectID: payrollObj, AppID: payrollApp, AppName: "payroll-export", Kind: "secret",
		OldKeyID: payrollOld, Vault: vaultName, SecretName: "payroll-export", DisplayName: steps[0].NewDisplayName, EndAt: steps[0].NewEnd,
		State: store.RotationPending, Attempt: 1}
	if err := st.CreateRotation(ctx, r); err != nil {
		t.Fatal(err)
	}
	r.LeaseOwner, r.LeaseUntil = "other-host:42", f.start.Add(5*time.Minute)
	if err := st.UpdateRotation(ctx, r); err != nil {
		t.Fatal(err)
	}
	o := Options{Store: st, Directory: dir, Vault: vaults, TenantID: fxTenant, RemoveUnconfirmed: true, Now: func() time.Time { return f.start }}
	out, err := Apply(ctx, steps, o)
	if err != nil || len(out) != 1 || !strings.Contains(out[0].Note, "held by other-host:42") {
		t.Fatalf("Apply = %+v, %v; want the held rotation skipped", out, err)
	}
	if n := len(f.appSecrets(payrollObj)); n != 1 {
		t.Fatalf("a held rotation was worked on: %d secrets", n)
	}
	o.Takeover = true
	if out, err := Apply(ctx, steps, o); err != nil || out[0].State != store.RotationDone {
		t.Fatalf("takeover: %+v, %v", out, err)
	}
}
