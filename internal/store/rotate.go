package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// RotationState is where a credential rotation stands. The rotate package
// documents the state machine; the store only keeps it.
type RotationState string

// The states of a rotation, in the order a successful one passes them.
const (
	RotationPending  RotationState = "pending"  // planned, nothing done
	RotationAdding   RotationState = "adding"   // addPassword sent; its answer not yet recorded
	RotationAdded    RotationState = "added"    // the new key id is known; the vault write pending
	RotationStored   RotationState = "stored"   // the new secret is in the vault: waiting for consumers
	RotationRemoving RotationState = "removing" // removing the old credential
	RotationDone     RotationState = "done"
	// RotationRollback: the vault refused the write; the new credential
	// must be removed again. RotationFailed: it was, and the run stopped.
	RotationRollback RotationState = "rollback"
	RotationFailed   RotationState = "failed"
)

// Active reports whether a rotation in this state is unfinished.
func (s RotationState) Active() bool { return s != RotationDone && s != RotationFailed }

// Errors callers branch on.
var (
	// ErrRotationExists: the credential already has an unfinished rotation.
	ErrRotationExists = errors.New("the credential already has an unfinished rotation")
	// ErrRotationConflict: another run changed the rotation since it was read.
	ErrRotationConflict = errors.New("the rotation was changed by another run")
	// ErrRotationNotFound: no rotation has the id.
	ErrRotationNotFound = errors.New("no such rotation")
)

// Rotation is one credential's rotation. It never holds a secret value:
// the new secret exists only in memory between Graph's answer and the
// vault write.
type Rotation struct {
	ID          string
	TenantID    string
	ObjectID    string // the application's object id
	AppID       string
	AppName     string
	Kind        string // secret or certificate
	OldKeyID    string
	Vault       string // the vault's configured name
	SecretName  string // the secret (or certificate) in it
	DisplayName string // of the new credential
	EndAt       time.Time
	State       RotationState
	// Rev counts the updates; UpdateRotation changes the row only if it
	// still has the Rev read.
	Rev     int
	Attempt int
	// KeysBefore are the key ids on the app before the last addPassword,
	// so a crash between sending it and recording its answer can be
	// cleaned up.
	KeysBefore    []string
	NewKeyID      string
	SecretVersion string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	StoredAt      time.Time // the vault write; zero before
	FinishedAt    time.Time
	LeaseOwner    string
	LeaseUntil    time.Time
	Error         string // the last failure, never a secret
}

// RotationFilter selects rotations; zero fields select everything.
type RotationFilter struct {
	TenantID   string
	ActiveOnly bool
	Limit      int // newest first; 0 = no limit
}

const rotationColumns = `id, tenant_id, object_id, app_id, app_name, kind, old_key_id, vault, secret_name, display_name,
	end_at, state, active, rev, attempt, keys_before, new_key_id, secret_version, created_at, updated_at,
	stored_at, finished_at, lease_owner, lease_until, error`

// rotationArgs are r's columns in rotationColumns order.
func rotationArgs(r *Rotation) ([]any, error) {
	var errs [7]error
	var end, created, updated string
	var stored, finished, lease, keys any
	end, errs[0] = fmtTime(r.EndAt)
	created, errs[1] = fmtTime(r.CreatedAt)
	updated, errs[2] = fmtTime(r.UpdatedAt)
	stored, errs[3] = encTime(r.StoredAt)
	finished, errs[4] = encTime(r.FinishedAt)
	lease, errs[5] = encTime(r.LeaseUntil)
	keys, errs[6] = encStrings(r.KeysBefore)
	if err := errors.Join(errs[:]...); err != nil {
		return nil, err
	}
	active := 0
	if r.State.Active() {
		active = 1
	}
	return []any{r.ID, r.TenantID, r.ObjectID, r.AppID, r.AppName, r.Kind, r.OldKeyID, r.Vault, r.SecretName, r.DisplayName,
		end, string(r.State), active, r.Rev, r.Attempt, keys, r.NewKeyID, r.SecretVersion, created, updated,
		stored, finished, r.LeaseOwner, lease, truncateUTF8(r.Error, maxNotificationError)}, nil
}

func validRotation(r *Rotation) error {
	switch {
	case r == nil:
		return errors.New("no rotation")
	case r.ID == "" || r.TenantID == "" || r.ObjectID == "" || r.OldKeyID == "":
		return errors.New("id, tenant, object and old key id are required")
	case r.State == "":
		return errors.New("state is required")
	}
	return nil
}

// CreateRotation records a new rotation. It fails with ErrRotationExists
// when the credential (tenant, object, old key id) already has an
// unfinished one. Times default to now; Rev starts at 1.
func (s *Store) CreateRotation(ctx context.Context, r *Rotation) error {
	if err := validRotation(r); err != nil {
		return fmt.Errorf("create rotation: %w", err)
	}
	now := s.now().UTC()
	if r.CreatedAt.IsZero() {
		r.CreatedAt = now
	}
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = r.CreatedAt
	}
	r.Rev = 1
	args, err := rotationArgs(r)
	if err != nil {
		return fmt.Errorf("create rotation: %w", err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("create rotation: begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	var n int
	if err := tx.QueryRowContext(ctx, s.backend.rebind(`SELECT count(*) FROM rotations
		WHERE tenant_id = ? AND object_id = ? AND old_key_id = ? AND active = 1`), r.TenantID, r.ObjectID, r.OldKeyID).Scan(&n); err != nil {
		return fmt.Errorf("create rotation: %w", err)
	}
	if n > 0 {
		return ErrRotationExists
	}
	q := `INSERT INTO rotations (` + rotationColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	if _, err := tx.ExecContext(ctx, s.backend.rebind(q), args...); err != nil {
		return fmt.Errorf("create rotation: %w", err)
	}
	if err := tx.Commit(); err != nil {
		// The unique index stops a concurrent creator that passed the
		// count at the same moment.
		return fmt.Errorf("create rotation: commit: %w", err)
	}
	return nil
}

// UpdateRotation writes r if the stored row still has r.Rev, and then
// increments r.Rev; otherwise it returns ErrRotationConflict and changes
// nothing. UpdatedAt defaults to now.
func (s *Store) UpdateRotation(ctx context.Context, r *Rotation) error {
	if err := validRotation(r); err != nil {
		return fmt.Errorf("update rotation: %w", err)
	}
	next := *r
	next.Rev = r.Rev + 1
	next.UpdatedAt = s.now().UTC()
	args, err := rotationArgs(&next)
	if err != nil {
		return fmt.Errorf("update rotation %s: %w", r.ID, err)
	}
	// Every column but id, tenant_id, object_id, old_key_id and created_at.
	q := `UPDATE rotations SET app_id = ?, app_name = ?, kind = ?, vault = ?, secret_name = ?, display_name = ?,
		end_at = ?, state = ?, active = ?, rev = ?, attempt = ?, keys_before = ?, new_key_id = ?, secret_version = ?,
		updated_at = ?, stored_at = ?, finished_at = ?, lease_owner = ?, lease_until = ?, error = ?
		WHERE id = ? AND rev = ?`
	set := append(append([]any{}, args[3:6]...), args[7:18]...)
	set = append(set, args[19:]...)
	set = append(set, r.ID, r.Rev)
	res, err := s.db.ExecContext(ctx, s.backend.rebind(q), set...)
	if err != nil {
		return fmt.Errorf("update rotation %s: %w", r.ID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("update rotation %s: %w", r.ID, err)
	}
	if n != 1 {
		return fmt.Errorf("update rotation %s: %w", r.ID, ErrRotationConflict)
	}
	r.Rev, r.UpdatedAt = next.Rev, next.UpdatedAt
	return nil
}

// GetRotation reads one rotation.
func (s *Store) GetRotation(ctx context.Context, id string) (*Rotation, error) {
	rows, err := s.db.QueryContext(ctx, s.backend.rebind(`SELECT `+rotationColumns+` FROM rotations WHERE id = ?`), id)
	if err != nil {
		return nil, fmt.Errorf("read rotation %s: %w", id, err)
	}
	list, err := scanRotations(rows)
	if err != nil {
		return nil, fmt.Errorf("read rotation %s: %w", id, err)
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("read rotation %s: %w", id, ErrRotationNotFound)
	}
	return &list[0], nil
}

// Rotations lists rotations, newest first.
func (s *Store) Rotations(ctx context.Context, f RotationFilter) ([]Rotation, error) {
	if f.Limit < 0 {
		return nil, fmt.Errorf("list rotations: negative limit %d", f.Limit)
	}
	q := `SELECT ` + rotationColumns + ` FROM rotations WHERE 1 = 1`
	var args []any
	if f.TenantID != "" {
		q += ` AND tenant_id = ?`
		args = append(args, f.TenantID)
	}
	if f.ActiveOnly {
		q += ` AND active = 1`
	}
	q += ` ORDER BY created_at DESC, id`
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	rows, err := s.db.QueryContext(ctx, s.backend.rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("list rotations: %w", err)
	}
	out, err := scanRotations(rows)
	if err != nil {
		return nil, fmt.Errorf("list rotations: %w", err)
	}
	return out, nil
}

func scanRotations(rows *sql.Rows) ([]Rotation, error) {
	defer rows.Close()
	var out []Rotation
	for rows.Next() {
		var (
			r                                          Rotation
			state                                      string
			active, rev, attempt                       int64
			keys, stored, finished, lease, end, cr, up sql.NullString
		)
		if err := rows.Scan(&r.ID, &r.TenantID, &r.ObjectID, &r.AppID, &r.AppName, &r.Kind, &r.OldKeyID, &r.Vault, &r.SecretName,
			&r.DisplayName, &end, &state, &active, &rev, &attempt, &keys, &r.NewKeyID, &r.SecretVersion, &cr, &up,
			&stored, &finished, &r.LeaseOwner, &lease, &r.Error); err != nil {
			return nil, err
		}
		r.State, r.Rev, r.Attempt = RotationState(state), int(rev), int(attempt)
		var errs [7]error
		r.EndAt, errs[0] = decTime(end)
		r.CreatedAt, errs[1] = decTime(cr)
		r.UpdatedAt, errs[2] = decTime(up)
		r.StoredAt, errs[3] = decTime(stored)
		r.FinishedAt, errs[4] = decTime(finished)
		r.LeaseUntil, errs[5] = decTime(lease)
		r.KeysBefore, errs[6] = decStrings(keys)
		if err := errors.Join(errs[:]...); err != nil {
			return nil, fmt.Errorf("rotation %s: %w", r.ID, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
