package store

import (
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/credwatch/credwatch/internal/inventory"
	"github.com/credwatch/credwatch/internal/msgraph"
)

// DeltaState is where a tenant's delta queries resume, and the snapshot
// they resume from: an incremental scan applies the changes since the
// links to that snapshot instead of reading the tenant again.
type DeltaState struct {
	TenantID string
	// ApplicationsLink and ServicePrincipalsLink are the @odata.deltaLink
	// of the last round of each delta query: cursors into the directory,
	// useless without a token, never a credential.
	ApplicationsLink      string
	ServicePrincipalsLink string
	// Snapshot is the complete collection the links continue, in Graph's
	// shapes. Its Activity is not kept: every scan reads evidence afresh.
	Snapshot *inventory.Snapshot
	// SavedAt and Bytes (the compressed size) are set by Save and Load.
	SavedAt time.Time
	Bytes   int64
	// Interner is the one Load shared the snapshot's strings through;
	// changes applied to the snapshot share them through it too.
	Interner *msgraph.Interner
}

// deltaChunkSize is the most compressed bytes one stored chunk holds.
var deltaChunkSize = 1 << 20

const (
	baselineFormat  = "credwatch.delta-baseline"
	baselineVersion = 1
)

// baselineHeader opens the stored snapshot: its identity and how many
// objects of each kind follow, one JSON value each.
type baselineHeader struct {
	Format            string    `json:"format"`
	Version           int       `json:"version"`
	TenantID          string    `json:"tenantId"`
	CollectedAt       time.Time `json:"collectedAt"`
	Applications      int       `json:"applications"`
	ServicePrincipals int       `json:"servicePrincipals"`
	Resources         int       `json:"resources"`
}

// SaveDeltaState replaces the tenant's delta state in one transaction. The
// snapshot is written object by object through gzip into chunks, so saving
// a 100,000-application tenant never holds its JSON in memory. Only a
// complete snapshot of the same tenant is accepted: a delta applied to a
// partial one would read the gaps as absences.
func (s *Store) SaveDeltaState(ctx context.Context, st *DeltaState) error {
	switch {
	case st == nil || st.Snapshot == nil:
		return errors.New("save delta state: no snapshot")
	case st.TenantID == "":
		return errors.New("save delta state: tenant id: required")
	case st.ApplicationsLink == "" || st.ServicePrincipalsLink == "":
		return fmt.Errorf("save delta state of %s: both delta links are required", st.TenantID)
	case !st.Snapshot.Complete:
		return fmt.Errorf("save delta state of %s: the snapshot is incomplete", st.TenantID)
	case st.Snapshot.TenantID != st.TenantID:
		return fmt.Errorf("save delta state of %s: the snapshot is of tenant %q", st.TenantID, st.Snapshot.TenantID)
	}
	collected, err := fmtTime(st.Snapshot.CollectedAt)
	if err != nil {
		return fmt.Errorf("save delta state of %s: collected at: %w", st.TenantID, err)
	}
	savedAt := s.now().UTC()
	saved, err := fmtTime(savedAt)
	if err != nil {
		return fmt.Errorf("save delta state of %s: %w", st.TenantID, err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save delta state of %s: begin: %w", st.TenantID, err)
	}
	defer func() { _ = tx.Rollback() }() // a no-op after Commit
	q := s.backend.rebind
	for _, stmt := range []string{`DELETE FROM delta_snapshot_chunks WHERE tenant_id = ?`, `DELETE FROM delta_state WHERE tenant_id = ?`} {
		if _, err := tx.ExecContext(ctx, q(stmt), st.TenantID); err != nil {
			return fmt.Errorf("save delta state of %s: %w", st.TenantID, err)
		}
	}
	snap := st.Snapshot
	objects := len(snap.Applications) + len(snap.ServicePrincipals)
	if _, err := tx.ExecContext(ctx, q(`INSERT INTO delta_state
		(tenant_id, applications_link, sps_link, collected_at, saved_at, objects, snapshot_bytes)
		VALUES (?, ?, ?, ?, ?, ?, 0)`), st.TenantID, st.ApplicationsLink, st.ServicePrincipalsLink, collected, saved, objects); err != nil {
		return fmt.Errorf("save delta state of %s: %w", st.TenantID, err)
	}
	cw := &chunkWriter{ctx: ctx, tx: tx, stmt: q(`INSERT INTO delta_snapshot_chunks (tenant_id, ord, data) VALUES (?, ?, ?)`), tenant: st.TenantID}
	if err := writeBaseline(cw, snap); err != nil {
		return fmt.Errorf("save delta state of %s: %w", st.TenantID, err)
	}
	if err := cw.flush(); err != nil {
		return fmt.Errorf("save delta state of %s: %w", st.TenantID, err)
	}
	if _, err := tx.ExecContext(ctx, q(`UPDATE delta_state SET snapshot_bytes = ? WHERE tenant_id = ?`), cw.total, st.TenantID); err != nil {
		return fmt.Errorf("save delta state of %s: %w", st.TenantID, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("save delta state of %s: commit: %w", st.TenantID, err)
	}
	st.SavedAt, st.Bytes = savedAt, cw.total
	s.logger.Debug("delta state saved", "tenant", st.TenantID, "objects", objects, "bytes", cw.total, "chunks", cw.ord)
	return nil
}

// writeBaseline writes snap as a header and one JSON value per object,
// gzip-compressed.
func writeBaseline(w io.Writer, snap *inventory.Snapshot) error {
	gz, err := gzip.NewWriterLevel(w, gzip.BestSpeed)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(gz)
	h := baselineHeader{Format: baselineFormat, Version: baselineVersion, TenantID: snap.TenantID,
		CollectedAt: snap.CollectedAt.UTC(), Applications: len(snap.Applications),
		ServicePrincipals: len(snap.ServicePrincipals), Resources: len(snap.Resources)}
	if err := enc.Encode(h); err != nil {
		return err
	}
	for i := range snap.Applications {
		if err := enc.Encode(&snap.Applications[i]); err != nil {
			return fmt.Errorf("applications[%d]: %w", i, err)
		}
	}
	for _, list := range [][]msgraph.ServicePrincipal{snap.ServicePrincipals, snap.Resources} {
		for i := range list {
			if err := enc.Encode(&list[i]); err != nil {
				return fmt.Errorf("service principal %s: %w", list[i].ID, err)
			}
		}
	}
	return gz.Close()
}

// chunkWriter stores what is written to it as rows of at most
// deltaChunkSize bytes.
type chunkWriter struct {
	ctx    context.Context
	tx     *sql.Tx
	stmt   string
	tenant string
	buf    []byte
	ord    int
	total  int64
}

func (w *chunkWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if w.buf == nil {
			w.buf = make([]byte, 0, deltaChunkSize)
		}
		k := copy(w.buf[len(w.buf):cap(w.buf)], p)
		w.buf, p = w.buf[:len(w.buf)+k], p[k:]
		if len(w.buf) == cap(w.buf) {
			if err := w.flush(); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

func (w *chunkWriter) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	if _, err := w.tx.ExecContext(w.ctx, w.stmt, w.tenant, w.ord, w.buf); err != nil {
		return fmt.Errorf("store snapshot chunk %d: %w", w.ord, err)
	}
	w.ord++
	w.total += int64(len(w.buf))
	w.buf = nil // the driver may keep the slice; start a new one
	return nil
}

// LoadDeltaState returns the tenant's delta state, or nil when it has
// none. The snapshot is decoded as its chunks stream in.
func (s *Store) LoadDeltaState(ctx context.Context, tenantID string) (*DeltaState, error) {
	st := &DeltaState{TenantID: tenantID}
	var collected, saved sql.NullString
	var objects int64
	err := s.db.QueryRowContext(ctx, s.backend.rebind(`SELECT applications_link, sps_link, collected_at, saved_at, objects, snapshot_bytes
		FROM delta_state WHERE tenant_id = ?`), tenantID).Scan(&st.ApplicationsLink, &st.ServicePrincipalsLink, &collected, &saved, &objects, &st.Bytes)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load delta state of %s: %w", tenantID, err)
	}
	if st.SavedAt, err = decTime(saved); err != nil {
		return nil, fmt.Errorf("load delta state of %s: %w", tenantID, err)
	}
	rows, err := s.db.QueryContext(ctx, s.backend.rebind(`SELECT data FROM delta_snapshot_chunks WHERE tenant_id = ? ORDER BY ord`), tenantID)
	if err != nil {
		return nil, fmt.Errorf("load delta state of %s: %w", tenantID, err)
	}
	defer rows.Close()
	st.Interner = msgraph.NewInterner()
	snap, err := readBaseline(&chunkReader{rows: rows}, st.Interner)
	if err != nil {
		return nil, fmt.Errorf("load delta state of %s: stored snapshot: %w", tenantID, err)
	}
	if snap.TenantID != tenantID || len(snap.Applications)+len(snap.ServicePrincipals) != int(objects) {
		return nil, fmt.Errorf("load delta state of %s: stored snapshot is of tenant %q with %d objects, not the %d recorded",
			tenantID, snap.TenantID, len(snap.Applications)+len(snap.ServicePrincipals), objects)
	}
	st.Snapshot = snap
	return st, nil
}

// readBaseline decodes what writeBaseline wrote.
func readBaseline(r io.Reader, in *msgraph.Interner) (*inventory.Snapshot, error) {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(gz)
	var h baselineHeader
	if err := dec.Decode(&h); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	if h.Format != baselineFormat || h.Version != baselineVersion {
		return nil, fmt.Errorf("format %q version %d: want %s version %d", h.Format, h.Version, baselineFormat, baselineVersion)
	}
	if h.Applications < 0 || h.ServicePrincipals < 0 || h.Resources < 0 {
		return nil, errors.New("header: negative counts")
	}
	snap := &inventory.Snapshot{
		SchemaVersion: inventory.SnapshotSchemaVersion, Kind: inventory.SnapshotKind,
		CollectedAt: h.CollectedAt, Complete: true,
		Directory: msgraph.Directory{TenantID: h.TenantID,
			// Sized from the header, but never trusting it for more than
			// the objects actually decoded.
			Applications:      make([]msgraph.Application, 0, min(h.Applications, 1<<20)),
			ServicePrincipals: make([]msgraph.ServicePrincipal, 0, min(h.ServicePrincipals, 1<<20)),
			Resources:         []msgraph.ServicePrincipal{},
		},
	}
	// Decoding gives every string a copy of its own: share them object by
	// object, as the collection that made the snapshot did, so the copies
	// are garbage before the next object rather than at the end.
	for i := range h.Applications {
		var a msgraph.Application
		if err := dec.Decode(&a); err != nil {
			return nil, fmt.Errorf("applications[%d]: %w", i, err)
		}
		in.Application(&a)
		snap.Applications = append(snap.Applications, a)
	}
	for i := range h.ServicePrincipals {
		var p msgraph.ServicePrincipal
		if err := dec.Decode(&p); err != nil {
			return nil, fmt.Errorf("servicePrincipals[%d]: %w", i, err)
		}
		in.ServicePrincipal(&p)
		snap.ServicePrincipals = append(snap.ServicePrincipals, p)
	}
	for i := range h.Resources {
		var p msgraph.ServicePrincipal
		if err := dec.Decode(&p); err != nil {
			return nil, fmt.Errorf("resources[%d]: %w", i, err)
		}
		snap.Resources = append(snap.Resources, p)
	}
	if dec.More() {
		return nil, errors.New("data after the last object")
	}
	return snap, nil
}

// chunkReader reads the stored chunks in order as one stream.
type chunkReader struct {
	rows *sql.Rows
	buf  []byte
}

func (r *chunkReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if !r.rows.Next() {
			if err := r.rows.Err(); err != nil {
				return 0, err
			}
			return 0, io.EOF
		}
		if err := r.rows.Scan(&r.buf); err != nil {
			return 0, err
		}
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// DeleteDeltaState forgets the tenant's delta state, so its next scan is
// a full one. Deleting what is not there is not an error.
func (s *Store) DeleteDeltaState(ctx context.Context, tenantID string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("delete delta state of %s: %w", tenantID, err)
	}
	defer func() { _ = tx.Rollback() }()
	for _, stmt := range []string{`DELETE FROM delta_snapshot_chunks WHERE tenant_id = ?`, `DELETE FROM delta_state WHERE tenant_id = ?`} {
		if _, err := tx.ExecContext(ctx, s.backend.rebind(stmt), tenantID); err != nil {
			return fmt.Errorf("delete delta state of %s: %w", tenantID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("delete delta state of %s: %w", tenantID, err)
	}
	return nil
}
