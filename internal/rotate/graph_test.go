package rotate

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/emulator"
	"github.com/credwatch/credwatch/internal/msgraph"
)

// TestGraphWritesRetriedOnlyWhenSafe: 429 and 503 say Graph did nothing,
// so every write is sent again; a 504 says only that a gateway stopped
// waiting, so addPassword and addKey, which would make a second
// credential, are not (resuming finds what a lost answer added), while
// removals and PATCH, which can be repeated, are.
func TestGraphWritesRetriedOnlyWhenSafe(t *testing.T) {
	f := newCertFixture(t, true)
	ctx := ctxFor(t)
	tap := &proofTap{next: f.hc.Transport}
	o := f.options(t, &http.Client{Transport: tap}, nil)
	dir := o.Directory.(*GraphDirectory)
	dir.sleep = func(context.Context, time.Duration) error { return nil }
	versions := f.certVersions(t, "signer-app")
	pk := proofKey{certificate: "signer-app", version: versions[0].Version, thumbprint: versions[0].Thumbprint}
	cs := f.vaultClient(t, f.hc, nil)
	next := newTestCert(t, "signer-app 2", f.start.Add(-day), f.start.AddDate(0, 6, 0))
	var added string // the secret a successful addPassword added
	addPassword := func() error {
		pw, err := dir.AddPassword(ctx, signerObj, "retry test", f.start.AddDate(0, 1, 0))
		if err == nil {
			added = pw.KeyID
		}
		return err
	}
	addKey := func() error {
		proof, err := proofToken(ctx, cs, pk, signerObj, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		_, err = dir.AddKey(ctx, signerObj, NewKey{DER: next.der, DisplayName: "retry test", Start: f.start, End: f.start.AddDate(0, 6, 0)}, proof)
		return err
	}
	var keep []msgraph.KeyCredential
	patch := func() error { return dir.PatchKeyCredentials(ctx, lapsedObj, keep, nil) }
	tests := []struct {
		name    string
		kind    emulator.FaultKind
		path    string
		call    string // as proofTap counts it
		do      func() error
		calls   int
		wantErr int // the status of the GraphError; 0 = success
	}{
		{"addPassword, 504", emulator.FaultGatewayTimeout, "/v1.0/applications/*/addPassword", "addPassword", addPassword, 1, 504},
		{"addPassword, 503", emulator.FaultUnavailable, "/v1.0/applications/*/addPassword", "addPassword", addPassword, 2, 0},
		{"addPassword, 429", emulator.FaultThrottle, "/v1.0/applications/*/addPassword", "addPassword", addPassword, 2, 0},
		{"addKey, 504", emulator.FaultGatewayTimeout, "/v1.0/applications/*/addKey", "addKey", addKey, 1, 504},
		{"addKey, 503", emulator.FaultUnavailable, "/v1.0/applications/*/addKey", "addKey", addKey, 2, 0},
		{"removePassword, 504", emulator.FaultGatewayTimeout, "/v1.0/applications/*/removePassword", "removePassword",
			func() error { return dir.RemovePassword(ctx, signerObj, added) }, 2, 0},
		{"PATCH, 504", emulator.FaultGatewayTimeout, "/v1.0/applications/" + lapsedObj, "PATCH", patch, 2, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.call == "PATCH" {
				var err error
				if keep, err = dir.KeyCredentials(ctx, lapsedObj); err != nil { // before the fault, which GETs of the path would take
					t.Fatal(err)
				}
			}
			if err := f.emu.SetFaults(emulator.Faults{Script: []emulator.ScriptedFault{{Path: tt.path, Kind: tt.kind}}}); err != nil {
				t.Fatal(err)
			}
			_, before := tap.seen()
			err := tt.do()
			_, after := tap.seen()
			var ge *GraphError
			switch {
			case tt.wantErr == 0 && err != nil:
				t.Errorf("error %v, want success after a retry", err)
			case tt.wantErr != 0 && (!errors.As(err, &ge) || ge.StatusCode != tt.wantErr):
				t.Errorf("error %v, want the %d, not retried", err, tt.wantErr)
			}
			if n := after[tt.call] - before[tt.call]; n != tt.calls {
				t.Errorf("%d %s requests, want %d", n, tt.call, tt.calls)
			}
		})
	}
}

// TestPatchSendsKeptCertificatesWithKeys: PATCH replaces the collection,
// so the certificates kept go back with their keys; one listed without
// its key stops the PATCH before anything is sent.
func TestPatchSendsKeptCertificatesWithKeys(t *testing.T) {
	f := newCertFixture(t, true)
	ctx := ctxFor(t)
	tap := &proofTap{next: f.hc.Transport}
	dir := f.options(t, &http.Client{Transport: tap}, nil).Directory
	keep, err := dir.KeyCredentials(ctx, signerObj)
	if err != nil {
		t.Fatal(err)
	}
	next := newTestCert(t, "signer-app 2", f.start.Add(-day), f.start.AddDate(0, 6, 0))
	add := &NewKey{KeyID: "e0000000-0000-4000-8000-000000000011", DER: next.der, DisplayName: "patched", Start: f.start, End: f.start.AddDate(0, 6, 0)}
	if err := dir.PatchKeyCredentials(ctx, signerObj, keep, add); err != nil {
		t.Fatal(err)
	}
	if got := f.appCerts(signerObj); len(got) != 2 || got[0].KeyID != signerOld || *got[0].Key != *keep[0].Key {
		t.Errorf("after PATCH the app has %+v, want the old certificate kept and the new one", got)
	}
	keyless := []msgraph.KeyCredential{f.appCerts(signerObj)[0], f.appCerts(signerObj)[1]}
	keyless[0].Key = nil
	_, before := tap.seen()
	if err := dir.PatchKeyCredentials(ctx, signerObj, keyless, nil); err == nil {
		t.Fatal("a PATCH with a certificate whose key is unknown was sent")
	}
	if _, after := tap.seen(); after["PATCH"] != before["PATCH"] {
		t.Error("the PATCH went out")
	}
	if n := len(f.appCerts(signerObj)); n != 2 {
		t.Errorf("the app has %d certificates, want both still", n)
	}
}
