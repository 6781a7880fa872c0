package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// sqliteBusyTimeout is how long a writer waits for another process's
// transaction (a scan saving while serve reads, say) before failing.
const sqliteBusyTimeout = 10 * time.Second

// Store is an open scan history. It is safe for concurrent use.
type Store struct {
	db      *sql.DB
	backend backend
	logger  *slog.Logger
	now     func() time.Time // stamps Records saved without ScannedAt
}

// Open connects to the store the DSN names and migrates its schema forward.
// DSN forms: "" (DefaultDSN), sqlite:///abs/path.db, sqlite://relative.db,
// a plain path ending .db, postgres://… or postgresql://… (pgx syntax). A
// store whose schema is newer than this binary knows is refused with a
// *SchemaTooNewError and left untouched.
func Open(ctx context.Context, dsn string, logger *slog.Logger) (*Store, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if dsn == "" {
		d, err := DefaultDSN()
		if err != nil {
			return nil, err
		}
		dsn = d
	}
	t, err := parseDSN(dsn)
	if err != nil {
		return nil, err
	}
	var (
		db    *sql.DB
		where string
	)
	switch t.backend {
	case sqliteBackend:
		where = t.path
		db, err = openSQLite(ctx, t.path)
	case postgresBackend:
		where = pgWhere(t.pg)
		db, err = openPostgres(ctx, t.pg)
	}
	if err != nil {
		return nil, err
	}
	s := &Store{db: db, backend: t.backend, logger: logger, now: time.Now}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	logger.Debug("store opened", "backend", t.backend.String(), "where", where)
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return nil
}

func openSQLite(ctx context.Context, path string) (*sql.DB, error) {
	// The history names every app and owner: keep it private to the user.
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create store directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case err == nil:
		f.Close()
	case !errors.Is(err, fs.ErrExist):
		return nil, fmt.Errorf("create store file: %w", err)
	}
	// A file: URI so that any character in the path is taken literally.
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(path)}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", sqliteBusyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	// BEGIN IMMEDIATE takes the write lock up front, so two writers queue on
	// busy_timeout instead of one failing to upgrade a read lock.
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", u.String()+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
	}
	return db, nil
}

func openPostgres(ctx context.Context, cfg *pgx.ConnConfig) (*sql.DB, error) {
	db := stdlib.OpenDB(*cfg)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to postgres store %s: %w", pgWhere(cfg), err)
	}
	return db, nil
}

// pgWhere names a PostgreSQL store for messages, without credentials.
func pgWhere(cfg *pgx.ConnConfig) string {
	return fmt.Sprintf("%s:%d/%s", cfg.Host, cfg.Port, cfg.Database)
}
