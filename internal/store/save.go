package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// maxBatchRows caps the rows of one multi-row INSERT; the dialect's bound
// parameter limit may cap it lower.
const maxBatchRows = 500

// testHookAfterBatch, when set by a test, runs after each batch INSERT
// inside Save's transaction, so a test can kill the process mid-write.
var testHookAfterBatch func(table string)

var (
	objectCols = []string{"scan_id", "ord", "type", "object_id", "app_id", "display_name", "created_at",
		"sign_in_audience", "sp_type", "app_owner_org_id", "first_party", "tags"}
	credentialCols = []string{"scan_id", "object_ord", "ord", "type", "key_id", "display_name", "hint",
		"start_at", "end_at", "thumbprint", "key_type", "key_usage", "paired_key_id", "issuer", "subject", "audiences"}
	ownerCols = []string{"scan_id", "object_ord", "ord", "type", "owner_id", "display_name",
		"user_principal_name", "mail"}
	permissionCols = []string{"scan_id", "object_ord", "ord", "resource", "resource_app_id", "app_role_id", "role_value"}
	findingCols    = []string{"scan_id", "ord", "finding_id", "rule_id", "severity", "object_type", "object_id",
		"app_id", "app_name", "key_id", "message", "deadline", "evidence", "suppressed", "suppression_reason"}
)

// Save stores a scan, complete or partial, in one transaction: either all
// of it is visible afterwards or none. It returns the new scan's id.
func (s *Store) Save(ctx context.Context, r *Record) (int64, error) {
	if r == nil || r.Tenant == nil {
		return 0, errors.New("save scan: record has no tenant")
	}
	start := time.Now()
	info := r.info()
	if info.ScannedAt.IsZero() {
		info.ScannedAt = s.now()
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("save scan: begin: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			_ = tx.Rollback()
		}
	}()
	id, err := s.insertScan(ctx, tx, info)
	if err != nil {
		return 0, fmt.Errorf("save scan: %w", err)
	}
	w := &writer{s: s, ctx: ctx, tx: tx, id: id, r: r}
	for _, step := range []func() error{w.objects, w.credentials, w.owners, w.permissions, w.findings} {
		if err := step(); err != nil {
			return 0, fmt.Errorf("save scan: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("save scan: commit: %w", err)
	}
	committed = true
	s.logger.Debug("scan saved", "id", id, "tenant", info.TenantID, "objects", info.Objects,
		"credentials", info.Credentials, "findings", info.Findings, "duration", time.Since(start))
	return id, nil
}

func (s *Store) insertScan(ctx context.Context, tx *sql.Tx, info ScanInfo) (int64, error) {
	scannedAt, err := fmtTime(info.ScannedAt)
	if err != nil {
		return 0, fmt.Errorf("scanned at: %w", err)
	}
	collectedAt, err := encTime(info.CollectedAt)
	if err != nil {
		return 0, fmt.Errorf("tenant collected at: %w", err)
	}
	incomplete, err := encStrings(info.Incomplete)
	if err != nil {
		return 0, err
	}
	var id int64
	err = tx.QueryRowContext(ctx, s.backend.rebind(`INSERT INTO scans
		(tenant_id, source, collected_at, scanned_at, complete, incomplete, object_count, credential_count, finding_count)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		info.TenantID, info.Source, collectedAt, scannedAt, info.Complete, incomplete,
		info.Objects, info.Credentials, info.Findings).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("insert scan: %w", err)
	}
	return id, nil
}

// writer holds one Save's transaction. Children are written table by table,
// after all objects, so every foreign key finds its parent row.
type writer struct {
	s   *Store
	ctx context.Context
	tx  *sql.Tx
	id  int64
	r   *Record
}

func (w *writer) objects() error {
	in := w.s.newInserter(w.ctx, w.tx, "objects", objectCols)
	for i := range w.r.Tenant.Objects {
		o := &w.r.Tenant.Objects[i]
		created, err := encTime(o.CreatedAt)
		if err != nil {
			return fmt.Errorf("objects[%d] (%s) created: %w", i, o.ID, err)
		}
		tags, err := encStrings(o.Tags)
		if err != nil {
			return err
		}
		if err := in.add(w.id, i, string(o.Type), o.ID, o.AppID, o.DisplayName, created, o.SignInAudience,
			o.ServicePrincipalType, o.AppOwnerOrganizationID, o.FirstParty, tags); err != nil {
			return err
		}
	}
	return in.close()
}

func (w *writer) credentials() error {
	in := w.s.newInserter(w.ctx, w.tx, "credentials", credentialCols)
	for i := range w.r.Tenant.Objects {
		o := &w.r.Tenant.Objects[i]
		for j := range o.Credentials {
			c := &o.Credentials[j]
			start, err := encTime(c.Start)
			if err != nil {
				return fmt.Errorf("objects[%d] (%s) credentials[%d] start: %w", i, o.ID, j, err)
			}
			end, err := encTime(c.End)
			if err != nil {
				return fmt.Errorf("objects[%d] (%s) credentials[%d] end: %w", i, o.ID, j, err)
			}
			aud, err := encStrings(c.Audiences)
			if err != nil {
				return err
			}
			if err := in.add(w.id, i, j, string(c.Type), c.KeyID, c.DisplayName, c.Hint, start, end,
				c.Thumbprint, c.KeyType, c.Usage, c.PairedKeyID, c.Issuer, c.Subject, aud); err != nil {
				return err
			}
		}
	}
	return in.close()
}

func (w *writer) owners() error {
	in := w.s.newInserter(w.ctx, w.tx, "owners", ownerCols)
	for i := range w.r.Tenant.Objects {
		for j, ow := range w.r.Tenant.Objects[i].Owners {
			if err := in.add(w.id, i, j, string(ow.Type), ow.ID, ow.DisplayName, ow.UserPrincipalName, ow.Mail); err != nil {
				return err
			}
		}
	}
	return in.close()
}

func (w *writer) permissions() error {
	in := w.s.newInserter(w.ctx, w.tx, "permissions", permissionCols)
	for i := range w.r.Tenant.Objects {
		for j, p := range w.r.Tenant.Objects[i].Permissions {
			if err := in.add(w.id, i, j, p.Resource, p.ResourceAppID, p.AppRoleID, p.Value); err != nil {
				return err
			}
		}
	}
	return in.close()
}

func (w *writer) findings() error {
	in := w.s.newInserter(w.ctx, w.tx, "findings", findingCols)
	for i := range w.r.Findings {
		f := &w.r.Findings[i]
		var deadline any
		if f.Deadline != nil {
			d, err := fmtTime(*f.Deadline)
			if err != nil {
				return fmt.Errorf("findings[%d] (%s) deadline: %w", i, f.ID, err)
			}
			deadline = d
		}
		ev, err := encMap(f.Evidence)
		if err != nil {
			return err
		}
		if err := in.add(w.id, i, f.ID, f.RuleID, int(f.Severity), string(f.ObjectType), f.ObjectID, f.AppID,
			f.AppName, f.KeyID, f.Message, deadline, ev, f.Suppressed, f.SuppressionReason); err != nil {
			return err
		}
	}
	return in.close()
}

// inserter batches rows into multi-row INSERTs, reusing one prepared
// statement for every full batch.
type inserter struct {
	ctx   context.Context
	tx    *sql.Tx
	b     backend
	table string
	cols  []string
	batch int // rows per full batch
	args  []any
	full  *sql.Stmt
}

func (s *Store) newInserter(ctx context.Context, tx *sql.Tx, table string, cols []string) *inserter {
	// SQLite binds at most 32766 parameters, PostgreSQL 65535.
	limit := 32766
	if s.backend == postgresBackend {
		limit = 65535
	}
	batch := min(maxBatchRows, limit/len(cols))
	return &inserter{ctx: ctx, tx: tx, b: s.backend, table: table, cols: cols, batch: batch,
		args: make([]any, 0, batch*len(cols))}
}

func (in *inserter) add(vals ...any) error {
	in.args = append(in.args, vals...)
	if len(in.args) >= in.batch*len(in.cols) {
		return in.flush()
	}
	return nil
}

func (in *inserter) flush() error {
	n := len(in.args) / len(in.cols)
	if n == 0 {
		return nil
	}
	var err error
	if n == in.batch {
		if in.full == nil {
			in.full, err = in.tx.PrepareContext(in.ctx, in.sql(n))
			if err != nil {
				return fmt.Errorf("prepare insert into %s: %w", in.table, err)
			}
		}
		_, err = in.full.ExecContext(in.ctx, in.args...)
	} else {
		_, err = in.tx.ExecContext(in.ctx, in.sql(n), in.args...)
	}
	if err != nil {
		return fmt.Errorf("insert into %s: %w", in.table, err)
	}
	in.args = in.args[:0]
	if testHookAfterBatch != nil {
		testHookAfterBatch(in.table)
	}
	return nil
}

// close writes the last partial batch and releases the statement.
func (in *inserter) close() error {
	err := in.flush()
	if in.full != nil {
		if cerr := in.full.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("insert into %s: %w", in.table, cerr)
		}
	}
	return err
}

func (in *inserter) sql(rows int) string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(in.cols)), ", ") + ")"
	var sb strings.Builder
	sb.Grow(32 + len(in.table) + 16*len(in.cols) + rows*(len(row)+2))
	sb.WriteString("INSERT INTO " + in.table + " (" + strings.Join(in.cols, ", ") + ") VALUES ")
	for i := range rows {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(row)
	}
	return in.b.rebind(sb.String())
}
