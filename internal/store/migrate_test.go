package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/credwatch/credwatch/internal/inventory"
	"github.com/credwatch/credwatch/internal/policy"
)

// v1Record is what testdata/v1-scan.sql holds as scan 1.
func v1Record() *Record {
	return &Record{
		ID: 1,
		Tenant: &inventory.Tenant{ID: tenantA, CollectedAt: ts("2024-11-30T23:59:00Z"), Source: "graph", Complete: true,
			Objects: []inventory.Object{{Type: inventory.Application, ID: "obj-v1", AppID: "app-v1",
				DisplayName: "Legacy Sync", CreatedAt: ts("2020-01-01T00:00:00Z"), SignInAudience: "AzureADMyOrg",
				Tags: []string{"legacy"},
				Credentials: []inventory.Credential{{Type: inventory.Secret, KeyID: "key-v1", DisplayName: "old secret",
					Hint: "q~Z", Start: ts("2024-01-01T00:00:00Z"), End: ts("2025-01-01T00:00:00Z")}},
				Owners: []*inventory.Owner{{Type: inventory.OwnerUser, ID: "user-v1", DisplayName: "Bo",
					UserPrincipalName: "bo@contoso.example"}},
				Permissions: []inventory.Permission{{Resource: "Microsoft Graph", ResourceAppID: graphApp,
					AppRoleID: usersRole, Value: "User.Read.All"}},
			}}},
		Findings: []policy.Finding{{ID: "f-v1", RuleID: "CW002", Severity: policy.High, ObjectType: inventory.Application,
			ObjectID: "obj-v1", AppID: "app-v1", AppName: "Legacy Sync", KeyID: "key-v1",
			Message: "secret expires in 31 days", Deadline: ptr(ts("2025-01-01T00:00:00Z")),
			Evidence: map[string]string{"daysLeft": "31"}}},
		ScannedAt: ts("2024-12-01T00:00:00Z"),
	}
}

func execScript(t *testing.T, db *sql.DB, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range strings.Split(string(b), ";\n") {
		if strings.TrimSpace(stripComments(stmt)) == "" {
			continue
		}
		if _, err := db.ExecContext(context.Background(), stmt); err != nil {
			t.Fatalf("%s: %v\n%s", path, err, stmt)
		}
	}
}

func stripComments(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "--") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// latestMigration is the highest version among the embedded migrations.
func latestMigration(t *testing.T) int64 {
	t.Helper()
	entries, err := fs.ReadDir(migrations, "migrations/sqlite")
	if err != nil {
		t.Fatal(err)
	}
	var latest int64
	for _, e := range entries {
		v, err := strconv.ParseInt(strings.SplitN(e.Name(), "_", 2)[0], 10, 64)
		if err != nil {
			t.Fatalf("migration %s: %v", e.Name(), err)
		}
		latest = max(latest, v)
	}
	return latest
}

func schemaVersion(t *testing.T, db *sql.DB) int64 {
	t.Helper()
	var v int64
	if err := db.QueryRowContext(context.Background(), "SELECT max(version_id) FROM goose_db_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestOpenMigratesVersion1StoreWithData(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db, b := rawDB(t, dsn)
		p, err := newMigrator(db, b)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.UpTo(ctx, 1); err != nil {
			t.Fatalf("migrate to version 1: %v", err)
		}
		execScript(t, db, "testdata/v1-scan.sql")
		if b == postgresBackend {
			// The script sets ids itself; move the identity past them as
			// a real version-1 store's would be.
			if _, err := db.ExecContext(ctx, "SELECT setval(pg_get_serial_sequence('scans', 'id'), 2)"); err != nil {
				t.Fatal(err)
			}
		}

		s := openTest(t, dsn)
		if v, want := schemaVersion(t, db), latestMigration(t); v != want {
			t.Fatalf("schema version after Open = %d, want %d", v, want)
		}
		scans, err := s.Scans(ctx, Filter{})
		if err != nil {
			t.Fatal(err)
		}
		want := []ScanInfo{
			{ID: 2, TenantID: tenantA, Source: "graph", ScannedAt: ts("2024-12-02T00:00:00Z"),
				Incomplete: []string{"servicePrincipals: 503 after 5 retries"}},
			{ID: 1, TenantID: tenantA, Source: "graph", ScannedAt: ts("2024-12-01T00:00:00Z"),
				CollectedAt: ts("2024-11-30T23:59:00Z"), Complete: true, Objects: 1, Credentials: 1, Findings: 1},
		}
		if !reflect.DeepEqual(scans, want) {
			t.Errorf("Scans after migration = %#v\nwant (counts backfilled) %#v", scans, want)
		}
		got, err := s.Load(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		assertRecordEqual(t, v1Record(), got)
		latest, err := s.LatestComplete(ctx, tenantA, 0)
		if err != nil || latest == nil || latest.ID != 1 {
			t.Errorf("LatestComplete = %+v, %v; want scan 1", latest, err)
		}
		// New scans land after the migrated ones.
		id, err := s.Save(ctx, sampleRecord())
		if err != nil {
			t.Fatal(err)
		}
		if id <= 2 {
			t.Errorf("new scan id %d reuses a migrated one", id)
		}
	})
}

// fingerprint is everything Open could change in a store: its schema, the
// migration log and the scans.
func fingerprint(t *testing.T, db *sql.DB, b backend) string {
	t.Helper()
	queries := []string{
		"SELECT id, version_id, is_applied, tstamp FROM goose_db_version ORDER BY id",
		"SELECT id, tenant_id, scanned_at, complete, object_count FROM scans ORDER BY id",
		"SELECT scan_id, ord, object_id FROM objects ORDER BY scan_id, ord",
	}
	if b == sqliteBackend {
		queries = append(queries, "SELECT type, name, coalesce(sql, '') FROM sqlite_master ORDER BY name")
	} else {
		queries = append(queries,
			`SELECT table_name, column_name, data_type FROM information_schema.columns
			 WHERE table_schema = current_schema() ORDER BY table_name, column_name`,
			`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY indexname`)
	}
	var sb strings.Builder
	for _, q := range queries {
		rows, err := db.QueryContext(context.Background(), q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(&sb, vals...)
		}
		rows.Close()
	}
	return sb.String()
}

func fileHash(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", sha256.Sum256(b))
}

func TestOpenRefusesNewerSchemaUntouched(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := openTest(t, dsn)
		if _, err := s.Save(ctx, sampleRecord()); err != nil {
			t.Fatal(err)
		}
		s.Close()
		// A future credwatch's migration 7.
		db, b := rawDB(t, dsn)
		if _, err := db.ExecContext(ctx, "INSERT INTO goose_db_version (version_id, is_applied) VALUES (7, TRUE)"); err != nil {
			t.Fatal(err)
		}
		before := fingerprint(t, db, b)
		tg, _ := parseDSN(dsn)
		var hashBefore string
		if b == sqliteBackend {
			db.Close() // checkpoints the WAL into the file
			hashBefore = fileHash(t, tg.path)
		}

		_, err := Open(ctx, dsn, nil)
		var tooNew *SchemaTooNewError
		latest := latestMigration(t)
		if !errors.As(err, &tooNew) || tooNew.Version != 7 || tooNew.Supported != latest {
			t.Fatalf("Open = %v, want SchemaTooNewError{7, %d}", err, latest)
		}
		msg := fmt.Sprintf("store schema version 7 is newer than this credwatch supports (%d); upgrade credwatch", latest)
		if err.Error() != msg {
			t.Errorf("message = %q, want %q", err, msg)
		}

		if b == sqliteBackend {
			if h := fileHash(t, tg.path); h != hashBefore {
				t.Error("refused Open changed the database file")
			}
			db, _ = rawDB(t, dsn)
		}
		if after := fingerprint(t, db, b); after != before {
			t.Errorf("refused Open changed the store:\nbefore %s\nafter %s", before, after)
		}
	})
}

func TestMigrationsDownAndUpAgain(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db, b := rawDB(t, dsn)
		p, err := newMigrator(db, b)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Up(ctx); err != nil {
			t.Fatalf("up: %v", err)
		}
		if _, err := p.DownTo(ctx, 0); err != nil {
			t.Fatalf("down to 0: %v", err)
		}
		if _, err := p.Up(ctx); err != nil {
			t.Fatalf("up again: %v", err)
		}
		if v, want := schemaVersion(t, db), latestMigration(t); v != want {
			t.Errorf("version = %d, want %d", v, want)
		}
	})
}

func TestMigrationsExistForBothDialects(t *testing.T) {
	list := func(dir string) []string {
		ents, err := fs.ReadDir(migrations, "migrations/"+dir)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		return names
	}
	sq, pg := list("sqlite"), list("postgres")
	if len(sq) < 2 || !reflect.DeepEqual(sq, pg) {
		t.Errorf("sqlite migrations %v and postgres migrations %v differ", sq, pg)
	}
}
