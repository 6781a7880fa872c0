package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrations embed.FS

// newMigrator is goose over this backend's embedded migrations.
func newMigrator(db *sql.DB, b backend) (*goose.Provider, error) {
	sub, err := fs.Sub(migrations, "migrations/"+b.String())
	if err != nil {
		return nil, err
	}
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	dialect := goose.DialectSQLite3
	if b == postgresBackend {
		dialect = goose.DialectPostgres
		// Two credwatch processes starting on a fresh shared database must
		// not both create the schema. SQLite serialises writers itself.
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	return goose.NewProvider(dialect, db, sub, opts...)
}

// supportedVersion is the newest schema version this binary ships.
func supportedVersion(p *goose.Provider) int64 {
	src := p.ListSources()
	return src[len(src)-1].Version
}

// migrate refuses a schema newer than this binary knows, before anything is
// written, then applies pending migrations.
func (s *Store) migrate(ctx context.Context) error {
	p, err := newMigrator(s.db, s.backend)
	if err != nil {
		return fmt.Errorf("load store migrations: %w", err)
	}
	supported := supportedVersion(p)
	// On an existing store this only reads; on an empty one it creates the
	// version table, which the migrations below need anyway.
	current, err := p.GetDBVersion(ctx)
	if err != nil {
		return fmt.Errorf("read store schema version: %w", err)
	}
	if current > supported {
		return &SchemaTooNewError{Version: current, Supported: supported}
	}
	for attempt := 0; ; attempt++ {
		results, err := p.Up(ctx)
		for _, r := range results {
			if r.Error == nil {
				s.logger.Info("store schema migrated", "backend", s.backend.String(),
					"version", r.Source.Version, "duration", r.Duration)
			}
		}
		if err == nil {
			return nil
		}
		// SQLite has no advisory lock: another process opening a new store at
		// the same moment may have applied the migration this one tried
		// (each runs in its own transaction). Go again while the version
		// moves; a migration that fails on its own leaves it where it was.
		if s.backend == sqliteBackend && attempt < 10 {
			if v, verr := p.GetDBVersion(ctx); verr == nil && v > current {
				if v > supported {
					return &SchemaTooNewError{Version: v, Supported: supported}
				}
				current = v
				continue
			}
		}
		return fmt.Errorf("migrate store schema from version %d: %w", current, err)
	}
}
