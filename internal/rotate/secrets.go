package rotate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/credwatch/credwatch/internal/azure/keyvault"
	"github.com/credwatch/credwatch/internal/store"
)

// The steps of a secret's rotation; certs.go has a certificate's.

// addAndStore is steps 1 and 2: addPassword, record the new key id, write
// the secret to the vault, record that. The secret text lives only in this
// function's variables, between Graph's answer and the vault write.
func (a *applier) addAndStore(ctx context.Context, r *store.Rotation) error {
	creds, err := a.o.Directory.PasswordCredentials(ctx, r.ObjectID)
	if err != nil {
		return err
	}
	var before []string
	oldThere := false
	for _, c := range creds {
		before = append(before, strings.ToLower(c.KeyID))
		oldThere = oldThere || strings.EqualFold(c.KeyID, r.OldKeyID)
	}
	if !oldThere {
		// Removed by someone else meanwhile: nothing left to rotate.
		r.State, r.Error, r.FinishedAt = store.RotationFailed, "the old credential is no longer on the application", a.o.Now()
		return a.save(ctx, r)
	}
	vault, err := a.o.Vault(r.Vault)
	if err != nil {
		return fmt.Errorf("rotation %s: vault %s: %w", r.ID, r.Vault, err)
	}
	r.State, r.KeysBefore = store.RotationAdding, before
	if err := a.save(ctx, r); err != nil {
		return err
	}
	a.o.hook("adding")
	pw, err := a.o.Directory.AddPassword(ctx, r.ObjectID, r.DisplayName, r.EndAt)
	if err != nil {
		var ge *GraphError
		if errors.As(err, &ge) && ge.StatusCode >= 400 && ge.StatusCode < 500 {
			// Refused (a policy, a permission): nothing was added.
			r.State, r.Error, r.FinishedAt = store.RotationFailed, err.Error(), a.o.Now()
			if serr := a.save(ctx, r); serr != nil {
				return errors.Join(err, serr)
			}
		}
		// Otherwise the answer was lost: the state stays "adding", and
		// the next run removes whatever the call may have added.
		return fmt.Errorf("rotate %s: %w", r.AppName, err)
	}
	secret := pw.SecretText
	a.o.hook("added-unrecorded")
	r.State, r.NewKeyID = store.RotationAdded, pw.KeyID
	if err := a.save(ctx, r); err != nil {
		return err
	}
	a.log.Info("new credential added", "rotation", r.ID, "app", r.AppName, "newKeyId", r.NewKeyID, "hint", pw.Hint)
	a.o.hook("added")

	meta, werr := vault.SetSecret(ctx, r.SecretName, keyvault.SecretWrite{Value: secret, ContentType: a.o.ContentType,
		Tags: map[string]string{keyvault.TagAppID: r.AppID, keyvault.TagKeyID: r.NewKeyID}, Expires: r.EndAt})
	a.o.hook("stored-unrecorded")
	if werr != nil {
		// A write whose answer was lost may have landed: look before
		// undoing it.
		v, found, ferr := a.findVersion(ctx, vault, r)
		switch {
		case found:
			meta = v
		case rejected(werr) || ferr == nil:
			// Refused, or certainly not there: undo the add.
			return a.rollback(ctx, r, werr.Error())
		default:
			// Neither the write nor the check answered: the state stays
			// "added", and the next run looks again before deciding.
			return fmt.Errorf("rotate %s: the vault write's outcome is unknown (%v; checking failed too: %v); rerun to resume", r.AppName, werr, ferr)
		}
	}
	r.State, r.SecretVersion, r.StoredAt = store.RotationStored, meta.Version, a.o.Now()
	if err := a.save(ctx, r); err != nil {
		return err
	}
	a.log.Info("new secret stored", "rotation", r.ID, "vault", r.Vault, "secret", r.SecretName, "version", r.SecretVersion)
	a.o.hook("stored")
	return nil
}

// findVersion looks for the version of the rotation's secret tagged with
// its new key id. err is set only when the vault could not say.
func (a *applier) findVersion(ctx context.Context, vault SecretStore, r *store.Rotation) (keyvault.SecretMeta, bool, error) {
	versions, err := vault.SecretVersions(ctx, r.SecretName)
	if keyvault.IsNotFound(err) {
		return keyvault.SecretMeta{}, false, nil
	}
	if err != nil {
		a.log.Warn("cannot list secret versions", "rotation", r.ID, "err", err)
		return keyvault.SecretMeta{}, false, err
	}
	for i := len(versions) - 1; i >= 0; i-- {
		if strings.EqualFold(versions[i].Tags[keyvault.TagKeyID], r.NewKeyID) {
			return versions[i], true, nil
		}
	}
	return keyvault.SecretMeta{}, false, nil
}

// rollback removes the new credential after the vault refused its secret,
// and stops the run with a *VaultWriteError.
func (a *applier) rollback(ctx context.Context, r *store.Rotation, cause string) error {
	r.State, r.Error = store.RotationRollback, cause
	if err := a.save(ctx, r); err != nil {
		return err
	}
	a.o.hook("rollback")
	verr := &VaultWriteError{AppName: r.AppName, Vault: r.Vault, Secret: r.SecretName, NewKeyID: r.NewKeyID, Err: errors.New(cause)}
	if err := a.o.Directory.RemovePassword(ctx, r.ObjectID, r.NewKeyID); err != nil {
		a.log.Error("remove the new credential after the vault refused its secret", "rotation", r.ID, "newKeyId", r.NewKeyID, "err", err)
		return verr
	}
	verr.Removed = true
	r.State, r.FinishedAt = store.RotationFailed, a.o.Now()
	if err := a.save(ctx, r); err != nil {
		return errors.Join(verr, err)
	}
	a.log.Error("rotation failed: vault refused the new secret; new credential removed", "rotation", r.ID, "app", r.AppName,
		"vault", r.Vault, "secret", r.SecretName, "newKeyId", r.NewKeyID)
	return verr
}

// recoverAdding resumes a run that stopped after sending addPassword and
// before recording its answer: any credential the call added (one not on
// the app before, with the planned display name) is an orphan whose
// secret is lost. It is removed, and the rotation starts over.
func (a *applier) recoverAdding(ctx context.Context, r *store.Rotation) error {
	creds, err := a.o.Directory.PasswordCredentials(ctx, r.ObjectID)
	if err != nil {
		return err
	}
	for _, c := range creds {
		if slices.Contains(r.KeysBefore, strings.ToLower(c.KeyID)) || c.DisplayName == nil || *c.DisplayName != r.DisplayName {
			continue
		}
		if err := a.o.Directory.RemovePassword(ctx, r.ObjectID, c.KeyID); err != nil {
			return err
		}
		a.log.Warn("removed a credential an interrupted run added and could not record", "rotation", r.ID, "keyId", c.KeyID)
	}
	r.State, r.Attempt, r.KeysBefore = store.RotationPending, r.Attempt+1, nil
	return a.save(ctx, r)
}

// recoverAdded resumes a run that stopped after recording the new key id:
// if the vault has the secret (the write landed before the stop), the
// rotation goes on from there; if not, the secret is lost with the
// process, so the new credential is removed and the rotation starts over.
func (a *applier) recoverAdded(ctx context.Context, r *store.Rotation) error {
	vault, err := a.o.Vault(r.Vault)
	if err != nil {
		return fmt.Errorf("rotation %s: vault %s: %w", r.ID, r.Vault, err)
	}
	v, found, err := a.findVersion(ctx, vault, r)
	if err != nil {
		// Without the vault's word the new credential may hold the only
		// working copy: keep it, and look again next run.
		return fmt.Errorf("rotate %s: cannot tell whether the vault has the new secret: %w", r.AppName, err)
	}
	if found {
		r.State, r.SecretVersion, r.StoredAt = store.RotationStored, v.Version, v.Created
		if r.StoredAt.IsZero() {
			r.StoredAt = a.o.Now()
		}
		return a.save(ctx, r)
	}
	if err := a.o.Directory.RemovePassword(ctx, r.ObjectID, r.NewKeyID); err != nil {
		return err
	}
	a.log.Warn("removed the new credential of an interrupted run: its secret was never stored", "rotation", r.ID, "keyId", r.NewKeyID)
	r.State, r.Attempt, r.NewKeyID, r.KeysBefore = store.RotationPending, r.Attempt+1, "", nil
	return a.save(ctx, r)
}

// removeOld is step 4.
func (a *applier) removeOld(ctx context.Context, r *store.Rotation) error {
	if err := a.o.Directory.RemovePassword(ctx, r.ObjectID, r.OldKeyID); err != nil {
		return fmt.Errorf("rotate %s: %w", r.AppName, err)
	}
	a.o.hook("removed-unrecorded")
	r.State, r.FinishedAt = store.RotationDone, a.o.Now()
	return a.save(ctx, r)
}
