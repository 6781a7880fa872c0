package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/credwatch/credwatch/internal/inventory"
	"github.com/credwatch/credwatch/internal/policy"
)

const scanCols = `id, tenant_id, source, scanned_at, collected_at, complete, incomplete,
	object_count, credential_count, finding_count`

type rowScanner interface{ Scan(dest ...any) error }

func scanInfo(row rowScanner) (ScanInfo, error) {
	var (
		si                  ScanInfo
		scanned, collected  sql.NullString
		incomplete          sql.NullString
		objects, creds, fin int64
	)
	if err := row.Scan(&si.ID, &si.TenantID, &si.Source, &scanned, &collected, &si.Complete, &incomplete,
		&objects, &creds, &fin); err != nil {
		return si, err
	}
	var err error
	if si.ScannedAt, err = decTime(scanned); err != nil {
		return si, err
	}
	if si.CollectedAt, err = decTime(collected); err != nil {
		return si, err
	}
	if si.Incomplete, err = decStrings(incomplete); err != nil {
		return si, err
	}
	si.Objects, si.Credentials, si.Findings = int(objects), int(creds), int(fin)
	return si, nil
}

// Scans lists stored scans, newest first (by scan time, then id).
func (s *Store) Scans(ctx context.Context, f Filter) ([]ScanInfo, error) {
	if f.Limit < 0 {
		return nil, fmt.Errorf("list scans: negative limit %d", f.Limit)
	}
	q := `SELECT ` + scanCols + ` FROM scans WHERE 1 = 1`
	var args []any
	if f.TenantID != "" {
		q += ` AND tenant_id = ?`
		args = append(args, f.TenantID)
	}
	if !f.Since.IsZero() {
		since, err := fmtTime(f.Since)
		if err != nil {
			return nil, fmt.Errorf("list scans: since: %w", err)
		}
		q += ` AND scanned_at >= ?`
		args = append(args, since)
	}
	q += ` ORDER BY scanned_at DESC, id DESC`
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	rows, err := s.db.QueryContext(ctx, s.backend.rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("list scans: %w", err)
	}
	defer rows.Close()
	var out []ScanInfo
	for rows.Next() {
		si, err := scanInfo(rows)
		if err != nil {
			return nil, fmt.Errorf("list scans: %w", err)
		}
		out = append(out, si)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list scans: %w", err)
	}
	return out, nil
}

// LatestComplete is the newest complete scan of a tenant, or with beforeID
// set, the newest complete one ordered before that scan (by scan time, then
// id). It returns nil, nil when there is none; partial scans never count.
func (s *Store) LatestComplete(ctx context.Context, tenantID string, beforeID int64) (*ScanInfo, error) {
	q := `SELECT ` + scanCols + ` FROM scans WHERE tenant_id = ? AND complete`
	args := []any{tenantID}
	if beforeID != 0 {
		var at string
		err := s.db.QueryRowContext(ctx, s.backend.rebind(`SELECT scanned_at FROM scans WHERE id = ?`), beforeID).Scan(&at)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("latest complete scan before %d: %w", beforeID, ErrNotFound)
		}
		if err != nil {
			return nil, fmt.Errorf("latest complete scan before %d: %w", beforeID, err)
		}
		q += ` AND (scanned_at < ? OR (scanned_at = ? AND id < ?))`
		args = append(args, at, at, beforeID)
	}
	q += ` ORDER BY scanned_at DESC, id DESC LIMIT 1`
	si, err := scanInfo(s.db.QueryRowContext(ctx, s.backend.rebind(q), args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("latest complete scan of %s: %w", tenantID, err)
	}
	return &si, nil
}

// Load reads a stored scan back: the tenant with every object, credential,
// owner and permission in saved order, and the findings.
func (s *Store) Load(ctx context.Context, id int64) (*Record, error) {
	// No transaction needed: a scan is written in one transaction and never
	// changed, so once its row is visible all of its rows are.
	r, err := s.load(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("load scan %d: %w", id, err)
	}
	return r, nil
}

func (s *Store) load(ctx context.Context, id int64) (*Record, error) {
	si, err := scanInfo(s.db.QueryRowContext(ctx, s.backend.rebind(`SELECT `+scanCols+` FROM scans WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	t := &inventory.Tenant{ID: si.TenantID, CollectedAt: si.CollectedAt, Source: si.Source,
		Complete: si.Complete, Incomplete: si.Incomplete}
	rd := reader{ctx: ctx, db: s.db, b: s.backend, id: id}
	err = rd.objects(func(_ int, o *inventory.Object) error {
		t.Objects = append(t.Objects, *o)
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = rd.credentials(func(ord int, c *inventory.Credential) error {
		o, err := parent(t.Objects, ord)
		if err == nil {
			o.Credentials = append(o.Credentials, *c)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	err = rd.owners(func(ord int, ow *inventory.Owner) error {
		o, err := parent(t.Objects, ord)
		if err == nil {
			cp := *ow
			o.Owners = append(o.Owners, &cp)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	err = rd.permissions(func(ord int, p *inventory.Permission) error {
		o, err := parent(t.Objects, ord)
		if err == nil {
			o.Permissions = append(o.Permissions, *p)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	var findings []policy.Finding
	err = rd.findings(func(f *policy.Finding) error {
		findings = append(findings, *f)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Record{ID: id, Tenant: t, Findings: findings, ScannedAt: si.ScannedAt}, nil
}

// reader reads one scan's child tables.
type reader struct {
	ctx context.Context
	db  *sql.DB
	b   backend
	id  int64
}

// each runs a query on the scan's rows and calls fn for every row.
func (rd reader) each(table, q string, fn func(*sql.Rows) error) error {
	rows, err := rd.db.QueryContext(rd.ctx, rd.b.rebind(q), rd.id)
	if err != nil {
		return fmt.Errorf("read %s: %w", table, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return fmt.Errorf("read %s: %w", table, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read %s: %w", table, err)
	}
	return nil
}

// objects calls fn with each object in saved order; its ordinal is its
// index, which child rows refer to.
func (rd reader) objects(fn func(ord int, o *inventory.Object) error) error {
	n := 0
	return rd.each("objects", `SELECT ord, type, object_id, app_id, display_name, created_at, sign_in_audience,
		sp_type, app_owner_org_id, first_party, tags FROM objects WHERE scan_id = ? ORDER BY ord`,
		func(rows *sql.Rows) error {
			var (
				o             inventory.Object
				ord           int
				typ           string
				created, tags sql.NullString
			)
			if err := rows.Scan(&ord, &typ, &o.ID, &o.AppID, &o.DisplayName, &created, &o.SignInAudience,
				&o.ServicePrincipalType, &o.AppOwnerOrganizationID, &o.FirstParty, &tags); err != nil {
				return err
			}
			if ord != n {
				return fmt.Errorf("object %d missing", n)
			}
			n++
			o.Type = inventory.ObjectType(typ)
			var err error
			if o.CreatedAt, err = decTime(created); err != nil {
				return err
			}
			if o.Tags, err = decStrings(tags); err != nil {
				return err
			}
			return fn(ord, &o)
		})
}

// parent is the object a child row belongs to, checked against the objects
// read, so a damaged store is an error and not a panic.
func parent(objs []inventory.Object, ord int) (*inventory.Object, error) {
	if ord < 0 || ord >= len(objs) {
		return nil, fmt.Errorf("row refers to object %d of %d", ord, len(objs))
	}
	return &objs[ord], nil
}

// credentials calls fn with each credential and its object's ordinal, in
// saved order.
func (rd reader) credentials(fn func(ord int, c *inventory.Credential) error) error {
	return rd.each("credentials", `SELECT object_ord, type, key_id, display_name, hint, start_at, end_at,
		thumbprint, key_type, key_usage, paired_key_id, issuer, subject, audiences
		FROM credentials WHERE scan_id = ? ORDER BY object_ord, ord`,
		func(rows *sql.Rows) error {
			var (
				c               inventory.Credential
				ord             int
				typ             string
				start, end, aud sql.NullString
			)
			if err := rows.Scan(&ord, &typ, &c.KeyID, &c.DisplayName, &c.Hint, &start, &end, &c.Thumbprint,
				&c.KeyType, &c.Usage, &c.PairedKeyID, &c.Issuer, &c.Subject, &aud); err != nil {
				return err
			}
			c.Type = inventory.CredentialType(typ)
			var err error
			if c.Start, err = decTime(start); err != nil {
				return err
			}
			if c.End, err = decTime(end); err != nil {
				return err
			}
			if c.Audiences, err = decStrings(aud); err != nil {
				return err
			}
			return fn(ord, &c)
		})
}

// owners calls fn with each owner and its object's ordinal.
func (rd reader) owners(fn func(ord int, ow *inventory.Owner) error) error {
	return rd.each("owners", `SELECT object_ord, type, owner_id, display_name, user_principal_name, mail
		FROM owners WHERE scan_id = ? ORDER BY object_ord, ord`,
		func(rows *sql.Rows) error {
			var (
				ow  inventory.Owner
				ord int
				typ string
			)
			if err := rows.Scan(&ord, &typ, &ow.ID, &ow.DisplayName, &ow.UserPrincipalName, &ow.Mail); err != nil {
				return err
			}
			ow.Type = inventory.OwnerType(typ)
			return fn(ord, &ow)
		})
}

// permissions calls fn with each permission and its object's ordinal.
func (rd reader) permissions(fn func(ord int, p *inventory.Permission) error) error {
	return rd.each("permissions", `SELECT object_ord, resource, resource_app_id, app_role_id, role_value
		FROM permissions WHERE scan_id = ? ORDER BY object_ord, ord`,
		func(rows *sql.Rows) error {
			var (
				p   inventory.Permission
				ord int
			)
			if err := rows.Scan(&ord, &p.Resource, &p.ResourceAppID, &p.AppRoleID, &p.Value); err != nil {
				return err
			}
			return fn(ord, &p)
		})
}

// findings calls fn with each finding in saved order.
func (rd reader) findings(fn func(f *policy.Finding) error) error {
	return rd.each("findings", `SELECT finding_id, rule_id, severity, object_type, object_id, app_id, app_name,
		key_id, message, deadline, evidence, suppressed, suppression_reason
		FROM findings WHERE scan_id = ? ORDER BY ord`,
		func(rows *sql.Rows) error {
			var (
				f            policy.Finding
				sev          int
				typ          string
				deadline, ev sql.NullString
			)
			if err := rows.Scan(&f.ID, &f.RuleID, &sev, &typ, &f.ObjectID, &f.AppID, &f.AppName, &f.KeyID,
				&f.Message, &deadline, &ev, &f.Suppressed, &f.SuppressionReason); err != nil {
				return err
			}
			f.Severity = policy.Severity(sev)
			f.ObjectType = inventory.ObjectType(typ)
			if deadline.Valid {
				d, err := decTime(deadline)
				if err != nil {
					return err
				}
				f.Deadline = &d
			}
			var err error
			if f.Evidence, err = decMap(ev); err != nil {
				return err
			}
			return fn(&f)
		})
}

// Baseline reads what CW021 needs of a stored scan, its object ids and
// credential key ids, without loading the scan.
func (s *Store) Baseline(ctx context.Context, id int64) (*policy.Baseline, error) {
	si, err := scanInfo(s.db.QueryRowContext(ctx, s.backend.rebind(`SELECT `+scanCols+` FROM scans WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("read baseline of scan %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read baseline of scan %d: %w", id, err)
	}
	b := policy.NewBaseline(si.TenantID, si.CollectedAt, si.Complete)
	rd := reader{ctx: ctx, db: s.db, b: s.backend, id: id}
	err = rd.each("objects", `SELECT object_id FROM objects WHERE scan_id = ?`, func(rows *sql.Rows) error {
		var oid string
		if err := rows.Scan(&oid); err != nil {
			return err
		}
		b.AddObject(oid)
		return nil
	})
	if err == nil {
		err = rd.each("credentials", `SELECT key_id, paired_key_id FROM credentials WHERE scan_id = ?`, func(rows *sql.Rows) error {
			var key, paired string
			if err := rows.Scan(&key, &paired); err != nil {
				return err
			}
			b.AddKey(key)
			b.AddKey(paired)
			return nil
		})
	}
	if err != nil {
		return nil, fmt.Errorf("read baseline of scan %d: %w", id, err)
	}
	return b, nil
}
