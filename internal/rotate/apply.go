package rotate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/credwatch/credwatch/internal/azure/keyvault"
	"github.com/credwatch/credwatch/internal/inventory"
	"github.com/credwatch/credwatch/internal/store"
)

// SecretStore is the vault side of a rotation: *keyvault.VaultClient.
type SecretStore interface {
	SetSecret(ctx context.Context, name string, w keyvault.SecretWrite) (keyvault.SecretMeta, error)
	SecretVersions(ctx context.Context, name string) ([]keyvault.SecretMeta, error)
}

// DefaultLease is how long a run holds a rotation: another run leaves it
// alone meanwhile, and takes it over (as a crashed run's) afterwards.
const DefaultLease = 10 * time.Minute

// Options configure Apply.
type Options struct {
	Store     *store.Store
	Directory Directory
	// Vault returns the store of the vault a step names (its keyVaults
	// name).
	Vault func(name string) (SecretStore, error)
	// Certificates returns the certificate store of the vault a step
	// names; nil uses what Vault returns, which must then be one too
	// (*keyvault.VaultClient is).
	Certificates func(name string) (CertificateStore, error)
	// Import, when set, is a certificate with its private key that the
	// one certificate rotation this run starts imports into the vault,
	// instead of having the vault issue a self-signed one.
	Import *keyvault.CertificateImport
	// CertificatePoll is how often to ask Key Vault whether a new
	// certificate is issued; default 2 s.
	CertificatePoll time.Duration
	// Usage reads credential sign-ins; nil means usage is unknown, so
	// removal needs RemoveUnconfirmed.
	Usage    Usage
	TenantID string
	// App limits resumed rotations to one app (app id or object id); ""
	// resumes every unfinished rotation of the tenant.
	App string
	// Grace is how long consumers have to move to the new secret.
	Grace time.Duration
	// RemoveUnconfirmed removes the old credential once Grace has passed
	// even when usage does not show the consumers moved.
	RemoveUnconfirmed bool
	ContentType       string // default text/plain
	// Lease and Owner: see DefaultLease. Takeover ignores other runs'
	// leases (when the operator knows they are dead).
	Lease    time.Duration
	Owner    string // default host:pid
	Takeover bool
	Now      func() time.Time
	Logger   *slog.Logger

	// hook, in tests, runs at each named point of the state machine: the
	// crash test stops the process there.
	hook func(point string)
}

// Outcome is where one rotation stands after Apply.
type Outcome struct {
	RotationID string
	AppName    string
	AppID      string
	OldKeyID   string
	NewKeyID   string
	State      store.RotationState
	// Note says what happens next ("waiting: …") or why nothing was done.
	Note string
}

// VaultWriteError is a rotation stopped because Key Vault did not take
// the new secret; the new credential was removed again (Removed) or, if
// that failed too, is left for the next run to remove. For a certificate
// (Certificate set) the vault comes first, so nothing had been added to
// the app.
type VaultWriteError struct {
	AppName, Vault, Secret string
	Certificate            bool
	NewKeyID               string
	Removed                bool
	Err                    error
}

func (e *VaultWriteError) Error() string {
	if e.Certificate {
		return fmt.Sprintf("rotate %s: key vault %s did not make the new certificate %s (%v); nothing was added to the app", e.AppName, e.Vault, e.Secret, e.Err)
	}
	then := "the new credential " + e.NewKeyID + " was removed again; the app is as it was"
	if !e.Removed {
		then = "removing the new credential " + e.NewKeyID + " failed too; the next run removes it"
	}
	return fmt.Sprintf("rotate %s: key vault %s did not take the new secret %s (%v); %s", e.AppName, e.Vault, e.Secret, e.Err, then)
}

func (e *VaultWriteError) Unwrap() error { return e.Err }

type applier struct {
	o   Options
	log *slog.Logger
}

// Apply carries out the steps one credential at a time, after resuming
// the tenant's unfinished rotations (a crashed or waiting run's). Steps
// with Skip set, and steps whose credential already has an unfinished
// rotation, are not started again. It returns an Outcome per rotation
// touched and stops at the first error, after recording it.
func Apply(ctx context.Context, steps []Step, o Options) ([]Outcome, error) {
	if o.Store == nil || o.Directory == nil || o.Vault == nil || o.TenantID == "" {
		return nil, errors.New("apply rotation: store, directory, vaults and tenant are required")
	}
	if o.Now == nil {
		o.Now = func() time.Time { return time.Now().UTC() }
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Lease <= 0 {
		o.Lease = DefaultLease
	}
	if o.Owner == "" {
		host, _ := os.Hostname()
		o.Owner = fmt.Sprintf("%s:%d", host, os.Getpid())
	}
	if o.ContentType == "" {
		o.ContentType = "text/plain"
	}
	if o.hook == nil {
		o.hook = func(string) {}
	}
	if o.Import != nil {
		// A file that cannot be imported is refused before anything
		// changes.
		if _, err := o.Import.Certificate(); err != nil {
			return nil, fmt.Errorf("apply rotation: %w", err)
		}
		n := 0
		for _, s := range steps {
			if s.Skip == "" && s.Kind == inventory.Certificate {
				n++
			}
		}
		if n > 1 {
			return nil, fmt.Errorf("apply rotation: a certificate to import rotates one certificate, and %d are due: choose one app", n)
		}
	}
	a := &applier{o: o, log: o.Logger}
	var out []Outcome
	active, err := o.Store.Rotations(ctx, store.RotationFilter{TenantID: o.TenantID, ActiveOnly: true})
	if err != nil {
		return nil, err
	}
	slices.Reverse(active) // oldest first
	for i := range active {
		r := &active[i]
		if o.App != "" && !strings.EqualFold(r.AppID, o.App) && !strings.EqualFold(r.ObjectID, o.App) {
			continue
		}
		oc, err := a.run(ctx, r)
		out = append(out, oc)
		if err != nil {
			return out, err
		}
	}
	for _, s := range steps {
		if s.Skip != "" {
			out = append(out, Outcome{AppName: s.AppName, AppID: s.AppID, OldKeyID: s.OldKeyID, Note: "skipped: " + s.Skip})
			continue
		}
		if s.Kind != inventory.Secret && s.Kind != inventory.Certificate {
			out = append(out, Outcome{AppName: s.AppName, AppID: s.AppID, OldKeyID: s.OldKeyID, Note: "skipped: only secrets and certificates are rotated"})
			continue
		}
		if slices.ContainsFunc(active, func(r store.Rotation) bool {
			return strings.EqualFold(r.ObjectID, s.ObjectID) && strings.EqualFold(r.OldKeyID, s.OldKeyID)
		}) {
			continue // resumed above
		}
		now := o.Now()
		r := &store.Rotation{ID: uuid.NewString(), TenantID: o.TenantID, ObjectID: s.ObjectID, AppID: s.AppID, AppName: s.AppName,
			Kind: string(s.Kind), OldKeyID: strings.ToLower(s.OldKeyID), Vault: s.Vault, SecretName: s.Secret,
			DisplayName: s.NewDisplayName, EndAt: s.NewEnd, State: store.RotationPending, Attempt: 1, CreatedAt: now}
		if s.Kind == inventory.Certificate && o.Import != nil {
			// Recorded from the start, so a resumed run knows to ask for
			// the file rather than issue a certificate of its own.
			r.State = RotationImporting
		}
		if err := o.Store.CreateRotation(ctx, r); err != nil {
			if errors.Is(err, store.ErrRotationExists) {
				out = append(out, Outcome{AppName: s.AppName, AppID: s.AppID, OldKeyID: s.OldKeyID, Note: "skipped: another run started rotating it"})
				continue
			}
			return out, err
		}
		a.log.Info("rotation started", "rotation", r.ID, "app", r.AppName, "appId", r.AppID, "oldKeyId", r.OldKeyID,
			"vault", r.Vault, "secret", r.SecretName)
		oc, err := a.run(ctx, r)
		out = append(out, oc)
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// save records r with the lease renewed.
func (a *applier) save(ctx context.Context, r *store.Rotation) error {
	r.LeaseOwner, r.LeaseUntil = a.o.Owner, a.o.Now().Add(a.o.Lease)
	if err := a.o.Store.UpdateRotation(ctx, r); err != nil {
		return fmt.Errorf("record rotation %s (%s): %w", r.ID, r.State, err)
	}
	return nil
}

// release records r as no longer held by this run.
func (a *applier) release(ctx context.Context, r *store.Rotation) error {
	r.LeaseOwner, r.LeaseUntil = "", time.Time{}
	if err := a.o.Store.UpdateRotation(ctx, r); err != nil {
		return fmt.Errorf("record rotation %s (%s): %w", r.ID, r.State, err)
	}
	return nil
}

func outcome(r *store.Rotation, note string) Outcome {
	return Outcome{RotationID: r.ID, AppName: r.AppName, AppID: r.AppID, OldKeyID: r.OldKeyID, NewKeyID: r.NewKeyID, State: r.State, Note: note}
}

// run moves one rotation as far as it can go now.
func (a *applier) run(ctx context.Context, r *store.Rotation) (Outcome, error) {
	now := a.o.Now()
	if r.LeaseOwner != "" && r.LeaseOwner != a.o.Owner && now.Before(r.LeaseUntil) && !a.o.Takeover {
		return outcome(r, fmt.Sprintf("skipped: held by %s until %s (a run in progress, or one that crashed: rerun then, or take it over)",
			r.LeaseOwner, r.LeaseUntil.Format(time.RFC3339))), nil
	}
	if err := a.save(ctx, r); err != nil { // take the lease
		return outcome(r, ""), err
	}
	for {
		var err error
		cert := isCertificate(r)
		switch r.State {
		case store.RotationPending, RotationIssuing, RotationImporting:
			if cert {
				err = a.issueCert(ctx, r)
			} else {
				err = a.addAndStore(ctx, r)
			}
		case store.RotationAdding, store.RotationAdded:
			switch {
			case cert:
				err = a.recoverCertAdding(ctx, r)
			case r.State == store.RotationAdding:
				err = a.recoverAdding(ctx, r)
			default:
				err = a.recoverAdded(ctx, r)
			}
		case store.RotationRollback:
			err = a.rollback(ctx, r, r.Error)
		case store.RotationStored:
			var wait string
			if wait, err = a.decide(ctx, r); err == nil && wait != "" {
				return outcome(r, wait), a.release(ctx, r)
			}
		case store.RotationRemoving:
			if cert {
				err = a.removeOldCert(ctx, r)
			} else {
				err = a.removeOld(ctx, r)
			}
		case store.RotationDone:
			a.log.Info("rotation done", "rotation", r.ID, "app", r.AppName, "oldKeyId", r.OldKeyID, "newKeyId", r.NewKeyID)
			return outcome(r, "rotated: the old credential is removed"), a.release(ctx, r)
		case store.RotationFailed:
			return outcome(r, "failed: "+r.Error), a.release(ctx, r)
		default:
			return outcome(r, ""), fmt.Errorf("rotation %s: unknown state %q", r.ID, r.State)
		}
		if errors.Is(err, errNeedCertificateFile) {
			return outcome(r, err.Error()), a.release(ctx, r)
		}
		if err != nil {
			return outcome(r, "stopped: "+err.Error()), err
		}
	}
}

// rejected reports whether Key Vault refused a write outright (a 4xx
// other than a timeout or throttling), so it certainly did not land, or
// the certificate file to import could not be read, so nothing was sent.
func rejected(err error) bool {
	var e *keyvault.Error
	var fe *keyvault.CertificateFileError
	return errors.As(err, &fe) || (errors.As(err, &e) && e.StatusCode >= 400 && e.StatusCode < 500 && e.StatusCode != 408 && e.StatusCode != 429)
}

// decide is step 3: it returns a note when the rotation must wait, or
// moves it to removing.
func (a *applier) decide(ctx context.Context, r *store.Rotation) (string, error) {
	now := a.o.Now()
	var oldLast, newLast time.Time
	known := false
	if a.o.Usage != nil {
		m, err := a.o.Usage.LastSignIns(ctx, r.AppID)
		if err != nil {
			a.log.Warn("credential usage unavailable; removal needs --remove-unconfirmed", "rotation", r.ID, "err", err)
		} else {
			known = true
			oldLast, newLast = m[strings.ToLower(r.OldKeyID)], m[strings.ToLower(r.NewKeyID)]
		}
	}
	d := Decide(now, r.StoredAt, a.o.Grace, oldLast, newLast, known, a.o.RemoveUnconfirmed)
	if d.Wait {
		return "waiting: " + d.Reason, nil
	}
	a.log.Info("removing the old credential", "rotation", r.ID, "app", r.AppName, "oldKeyId", r.OldKeyID, "why", d.Reason)
	r.State, r.Error = store.RotationRemoving, ""
	if err := a.save(ctx, r); err != nil {
		return "", err
	}
	a.o.hook("removing")
	return "", nil
}
