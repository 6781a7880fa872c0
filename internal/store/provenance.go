package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/credwatch/credwatch/internal/activity"
)

// Provenance reads who added a tenant's credentials, as earlier scans read
// it from the audit log: the records of the keys want accepts (by
// lower-case key id; nil accepts all), and the key ids of every record
// stored, so a caller can tell which are gone.
func (s *Store) Provenance(ctx context.Context, tenantID string, want func(key string) bool) (map[string]activity.Change, []string, error) {
	rows, err := s.db.QueryContext(ctx, s.backend.rebind(`SELECT key_id, change FROM credential_provenance WHERE tenant_id = ?`), tenantID)
	if err != nil {
		return nil, nil, fmt.Errorf("read credential provenance of %s: %w", tenantID, err)
	}
	defer rows.Close()
	out := map[string]activity.Change{}
	var stored []string
	for rows.Next() {
		var key string
		var doc []byte
		if err := rows.Scan(&key, &doc); err != nil {
			return nil, nil, fmt.Errorf("read credential provenance of %s: %w", tenantID, err)
		}
		stored = append(stored, key)
		if want != nil && !want(key) {
			continue
		}
		var ch activity.Change
		if err := json.Unmarshal(doc, &ch); err != nil {
			return nil, nil, fmt.Errorf("read credential provenance of %s: key %s: %w", tenantID, key, err)
		}
		out[key] = ch
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("read credential provenance of %s: %w", tenantID, err)
	}
	return out, stored, nil
}

// UpdateProvenance writes the records in upsert (by key id) and deletes
// those of the keys in remove, in one transaction and in key order, so
// two scans of a tenant at once cannot deadlock each other.
func (s *Store) UpdateProvenance(ctx context.Context, tenantID string, upsert map[string]activity.Change, remove []string) error {
	if len(upsert) == 0 && len(remove) == 0 {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save credential provenance of %s: %w", tenantID, err)
	}
	defer func() { _ = tx.Rollback() }() // a no-op after Commit
	q := s.backend.rebind
	keys := make([]string, 0, len(upsert))
	for k := range upsert {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	ins, err := tx.PrepareContext(ctx, q(`INSERT INTO credential_provenance (tenant_id, key_id, change) VALUES (?, ?, ?)
		ON CONFLICT (tenant_id, key_id) DO UPDATE SET change = excluded.change`))
	if err != nil {
		return fmt.Errorf("save credential provenance of %s: %w", tenantID, err)
	}
	defer ins.Close()
	for _, k := range keys {
		doc, err := json.Marshal(upsert[k])
		if err != nil {
			return fmt.Errorf("save credential provenance of %s: key %s: %w", tenantID, k, err)
		}
		if _, err := ins.ExecContext(ctx, tenantID, strings.ToLower(k), string(doc)); err != nil {
			return fmt.Errorf("save credential provenance of %s: key %s: %w", tenantID, k, err)
		}
	}
	remove = slices.Sorted(slices.Values(remove))
	del, err := tx.PrepareContext(ctx, q(`DELETE FROM credential_provenance WHERE tenant_id = ? AND key_id = ?`))
	if err != nil {
		return fmt.Errorf("save credential provenance of %s: %w", tenantID, err)
	}
	defer del.Close()
	for _, k := range remove {
		if _, err := del.ExecContext(ctx, tenantID, strings.ToLower(k)); err != nil {
			return fmt.Errorf("save credential provenance of %s: key %s: %w", tenantID, k, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("save credential provenance of %s: commit: %w", tenantID, err)
	}
	return nil
}
