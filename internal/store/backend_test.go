package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
)

// testPostgresDSN is the PostgreSQL server the suite runs against (trust
// auth); CREDWATCH_TEST_POSTGRES_DSN points it elsewhere.
const testPostgresDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

func TestMain(m *testing.M) {
	// Re-executed as a child by the crash test.
	if mode := os.Getenv(helperModeEnv); mode != "" {
		os.Exit(runHelper(mode))
	}
	code := m.Run()
	if pgAdmin != nil {
		pgAdmin.Close()
	}
	os.Exit(code)
}

// forEachBackend runs one test body against SQLite and PostgreSQL, each in
// a fresh, empty store.
func forEachBackend(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		fn(t, "sqlite://"+filepath.Join(t.TempDir(), "credwatch.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		fn(t, postgresDSN(t))
	})
}

func basePostgresDSN() string {
	if d := os.Getenv("CREDWATCH_TEST_POSTGRES_DSN"); d != "" {
		return d
	}
	return testPostgresDSN
}

var (
	pgAdmin     *sql.DB
	pgAdminErr  error
	pgAdminOnce sync.Once
)

// postgresDSN creates a schema of its own for the test, dropped at its end,
// and returns a DSN whose search_path selects it. An unreachable server
// fails the test under CI or CREDWATCH_REQUIRE_POSTGRES, else skips it.
func postgresDSN(t testing.TB) string {
	t.Helper()
	pgAdminOnce.Do(func() {
		cfg, err := pgConfig(basePostgresDSN())
		if err != nil {
			pgAdminErr = err
			return
		}
		cfg.ConnectTimeout = 3 * time.Second
		db := stdlib.OpenDB(*cfg)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := db.PingContext(ctx); err != nil {
			db.Close()
			pgAdminErr = err
			return
		}
		pgAdmin = db
	})
	if pgAdminErr != nil {
		if os.Getenv("CI") != "" || os.Getenv("CREDWATCH_REQUIRE_POSTGRES") != "" {
			t.Fatalf("PostgreSQL is required (CI or CREDWATCH_REQUIRE_POSTGRES set) but unreachable: %v", pgAdminErr)
		}
		t.Skipf("SKIPPING POSTGRESQL TESTS: server unreachable (%v); set CREDWATCH_REQUIRE_POSTGRES=1 to make this fail", pgAdminErr)
	}
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		t.Fatal(err)
	}
	schema := "cw_test_" + hex.EncodeToString(rnd[:])
	ctx := context.Background()
	if _, err := pgAdmin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create test schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := pgAdmin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop test schema %s: %v", schema, err)
		}
	})
	sep := "?"
	if strings.Contains(basePostgresDSN(), "?") {
		sep = "&"
	}
	return basePostgresDSN() + sep + "search_path=" + schema
}

// openTest opens a store and closes it when the test ends.
func openTest(t *testing.T, dsn string) *Store {
	t.Helper()
	s, err := Open(context.Background(), dsn, nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// rawDB opens the DSN's database without migrating it, for tests that set
// up or inspect a schema by hand.
func rawDB(t *testing.T, dsn string) (*sql.DB, backend) {
	t.Helper()
	tg, err := parseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	var db *sql.DB
	if tg.backend == sqliteBackend {
		db, err = openSQLite(context.Background(), tg.path)
	} else {
		db, err = openPostgres(context.Background(), tg.pg)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, tg.backend
}
