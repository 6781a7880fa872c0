package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/credwatch/credwatch/internal/activity"
)

// Provenance reads who added each credential of a tenant, as earlier scans
// read it from the audit log, by lower-case key id.
func (s *Store) Provenance(ctx context.Context, tenantID string) (map[string]activity.Change, error) {
	rows, err := s.db.QueryContext(ctx, s.backend.rebind(`SELECT key_id, change FROM credential_provenance WHERE tenant_id = ?`), tenantID)
	if err != nil {
		return nil, fmt.Errorf("read credential provenance of %s: %w", tenantID, err)
	}
	defer rows.Close()
	out := map[string]activity.Change{}
	for rows.Next() {
		var key, doc string
		if err := rows.Scan(&key, &doc); err != nil {
			return nil, fmt.Errorf("read credential provenance of %s: %w", tenantID, err)
		}
		var ch activity.Change
		if err := json.Unmarshal([]byte(doc), &ch); err != nil {
			return nil, fmt.Errorf("read credential provenance of %s: key %s: %w", tenantID, key, err)
		}
		out[key] = ch
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read credential provenance of %s: %w", tenantID, err)
	}
	return out, nil
}

// SaveProvenance records who added each credential in changes (by key
// id). With replace, the tenant's other rows go: a complete scan knows
// every credential there is, so a key it does not name is gone; a partial
// scan only adds and updates.
func (s *Store) SaveProvenance(ctx context.Context, tenantID string, changes map[string]activity.Change, replace bool) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save credential provenance of %s: %w", tenantID, err)
	}
	defer func() { _ = tx.Rollback() }() // a no-op after Commit
	q := s.backend.rebind
	if replace {
		if _, err := tx.ExecContext(ctx, q(`DELETE FROM credential_provenance WHERE tenant_id = ?`), tenantID); err != nil {
			return fmt.Errorf("save credential provenance of %s: %w", tenantID, err)
		}
	}
	stmt, err := tx.PrepareContext(ctx, q(`INSERT INTO credential_provenance (tenant_id, key_id, change) VALUES (?, ?, ?)
		ON CONFLICT (tenant_id, key_id) DO UPDATE SET change = excluded.change`))
	if err != nil {
		return fmt.Errorf("save credential provenance of %s: %w", tenantID, err)
	}
	defer stmt.Close()
	for key, ch := range changes {
		doc, err := json.Marshal(ch)
		if err != nil {
			return fmt.Errorf("save credential provenance of %s: key %s: %w", tenantID, key, err)
		}
		if _, err := stmt.ExecContext(ctx, tenantID, strings.ToLower(key), string(doc)); err != nil {
			return fmt.Errorf("save credential provenance of %s: key %s: %w", tenantID, key, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("save credential provenance of %s: commit: %w", tenantID, err)
	}
	return nil
}
