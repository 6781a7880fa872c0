package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver for the test schema admin

	"github.com/credwatch/credwatch/internal/inventory"
	"github.com/credwatch/credwatch/internal/notify/notifytest"
	"github.com/credwatch/credwatch/internal/policy"
	"github.com/credwatch/credwatch/internal/store"
	"github.com/credwatch/credwatch/internal/syncbuf"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// t0 is the tests' "now".
var t0 = time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)

const tenantID = "11111111-2222-3333-4444-555555555555"

// hostileName is an app name written to break out of every format.
const hostileName = `<script>alert("x")</script> & [click](https://evil.example) <!channel> *bold*`

func tp(t time.Time) *time.Time { return &t }

func fixtureTenant() *inventory.Tenant {
	return &inventory.Tenant{ID: tenantID, CollectedAt: t0, Source: "demo", Complete: true, Objects: []inventory.Object{
		{
			Type: inventory.Application, ID: "obj-payroll", AppID: "app-payroll", DisplayName: "Payroll Sync",
			Tags: []string{"Prod", "finance"},
			Credentials: []inventory.Credential{
				{Type: inventory.Secret, KeyID: "key-payroll", Hint: "Ab1",
					DisplayName: "prod secret - rotation runbook: https://wiki.contoso.example/runbooks/payroll.",
					Start:       t0.AddDate(-1, 0, 0), End: t0.Add(7 * day)},
				{Type: inventory.Secret, KeyID: "key-old", DisplayName: "old", End: t0.Add(-3 * day)},
			},
			Owners: []*inventory.Owner{
				{Type: inventory.OwnerUser, ID: "u-alice", DisplayName: "Alice Admin", Mail: "alice@contoso.example"},
				{Type: inventory.OwnerUser, ID: "u-bob", DisplayName: "Bob Builder", UserPrincipalName: "bob@contoso.example"},
				{Type: inventory.OwnerGroup, ID: "g-payroll", DisplayName: "Payroll Team"},
				{Type: inventory.OwnerUser, ID: "u-guest", DisplayName: "No Address", UserPrincipalName: "guest_ext#EXT#"},
			},
		},
		{
			Type: inventory.Application, ID: "obj-hostile", AppID: "app-hostile", DisplayName: hostileName,
			Tags: []string{"dev"},
			Credentials: []inventory.Credential{
				{Type: inventory.Certificate, KeyID: "key-hostile", DisplayName: `<b>cert</b> see javascript:alert(1)`,
					End: t0.Add(20 * day)},
			},
			Owners: []*inventory.Owner{
				{Type: inventory.OwnerUser, ID: "u-carol", DisplayName: "Carol <Ops>", Mail: "carol@contoso.example"},
				{Type: inventory.OwnerUser, ID: "u-alice", DisplayName: "Alice Admin", Mail: "ALICE@contoso.example"},
			},
		},
		{
			Type: inventory.ServicePrincipal, ID: "obj-legacy", AppID: "app-legacy", DisplayName: "Legacy Portal",
		},
	}}
}

func finding(rule string, sev policy.Severity, objectID, appID, appName, keyID, msg string, deadline *time.Time) policy.Finding {
	typ := inventory.Application
	if objectID == "obj-legacy" {
		typ = inventory.ServicePrincipal
	}
	return policy.Finding{ID: policy.FindingID(rule, objectID, keyID), RuleID: rule, Severity: sev, ObjectType: typ,
		ObjectID: objectID, AppID: appID, AppName: appName, KeyID: keyID, Message: msg, Deadline: deadline}
}

// Fixture findings.
var (
	fPayrollExpiring = finding("CW002", policy.High, "obj-payroll", "app-payroll", "Payroll Sync", "key-payroll",
		`client secret "prod secret" expires in 7 days (2025-06-08)`, tp(t0.Add(7*day)))
	fHostileExpiring = finding("CW002", policy.Medium, "obj-hostile", "app-hostile", hostileName, "key-hostile",
		`certificate "<b>cert</b>" expires in 20 days (2025-06-21)`, tp(t0.Add(20*day)))
	fLegacyPerms = finding("CW010", policy.Critical, "obj-legacy", "app-legacy", "Legacy Portal", "",
		"holds tier-0 application permissions: RoleManagement.ReadWrite.Directory", nil)
	fPayrollExpired = finding("CW001", policy.Medium, "obj-payroll", "app-payroll", "Payroll Sync", "key-old",
		`client secret "old" expired 3 days ago (2025-05-29) and is still attached`, tp(t0.Add(-3*day)))
	fPayrollNoDesc = finding("CW005", policy.Low, "obj-payroll", "app-payroll", "Payroll Sync", "key-payroll",
		"credential has no runbook link in its description", nil)
)

func suppressed(f policy.Finding) policy.Finding {
	f.Suppressed, f.SuppressionReason = true, "accepted risk"
	return f
}

func fixtureFindings() []policy.Finding {
	return []policy.Finding{fPayrollExpiring, fHostileExpiring, fLegacyPerms, fPayrollExpired, fPayrollNoDesc,
		suppressed(finding("CW004", policy.High, "obj-legacy", "app-legacy", "Legacy Portal", "key-x", "never expires", nil))}
}

// harness is a Notifier's world: a clock, an environment, a log, and the
// waits it asked for.
type harness struct {
	t      *testing.T
	now    time.Time
	env    map[string]string
	logs   *syncbuf.Buffer
	mu     sync.Mutex
	sleeps []time.Duration
	server *notifytest.WebhookServer // for the HTTP client that trusts every httptest server
}

func newHarness(t *testing.T) *harness {
	return &harness{t: t, now: t0, env: map[string]string{}, logs: &syncbuf.Buffer{},
		server: notifytest.NewWebhookServer(t)}
}

func (h *harness) options() Options {
	return Options{
		HTTPClient: h.server.Client(),
		Logger:     slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:        func() time.Time { return h.now },
		Getenv:     func(k string) string { return h.env[k] },
		Sleep: func(ctx context.Context, d time.Duration) error {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.sleeps = append(h.sleeps, d)
			return ctx.Err()
		},
		RequestTimeout: 10 * time.Second,
	}
}

func (h *harness) waits() []time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]time.Duration(nil), h.sleeps...)
}

func (h *harness) notifier(cfg *Config, st StateStore) *Notifier {
	h.t.Helper()
	n, err := New(cfg, st, h.options())
	if err != nil {
		h.t.Fatalf("New: %v", err)
	}
	return n
}

// webhookFindings decodes the generic webhook bodies a server received.
func webhookFindings(t *testing.T, reqs []notifytest.Request) [][]WebhookFinding {
	t.Helper()
	var out [][]WebhookFinding
	for _, r := range reqs {
		var p WebhookPayload
		if err := json.Unmarshal(r.Body, &p); err != nil {
			t.Fatalf("webhook body: %v\n%s", err, r.Body)
		}
		out = append(out, p.Findings)
	}
	return out
}

// sqliteStore opens a store in the test's directory; the path lets a test
// reopen it.
func sqliteDSN(t *testing.T) string {
	return "sqlite://" + filepath.Join(t.TempDir(), "credwatch.db")
}

func openStore(t *testing.T, dsn string) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), dsn, nil)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// forEachBackend runs fn against a fresh SQLite store and a fresh
// PostgreSQL schema.
func forEachBackend(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, sqliteDSN(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, postgresDSN(t)) })
}

const testPostgresDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

var (
	pgOnce  sync.Once
	pgAdmin *sql.DB
	pgErr   error
)

// postgresDSN makes a schema for the test, dropped at its end, and
// returns a DSN selecting it. An unreachable server fails the test under
// CI or CREDWATCH_REQUIRE_POSTGRES, else skips it loudly.
func postgresDSN(t *testing.T) string {
	t.Helper()
	base := os.Getenv("CREDWATCH_TEST_POSTGRES_DSN")
	if base == "" {
		base = testPostgresDSN
	}
	pgOnce.Do(func() {
		db, err := sql.Open("pgx", base+sepFor(base)+"connect_timeout=3")
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			err = db.PingContext(ctx)
			cancel()
		}
		pgAdmin, pgErr = db, err
	})
	if pgErr != nil {
		if os.Getenv("CI") != "" || os.Getenv("CREDWATCH_REQUIRE_POSTGRES") != "" {
			t.Fatalf("PostgreSQL is required (CI or CREDWATCH_REQUIRE_POSTGRES set) but unreachable: %v", pgErr)
		}
		t.Skipf("SKIPPING POSTGRESQL TESTS: server unreachable (%v); set CREDWATCH_REQUIRE_POSTGRES=1 to make this fail", pgErr)
	}
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	schema := "cw_notify_" + hex.EncodeToString(rnd[:])
	if _, err := pgAdmin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create test schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := pgAdmin.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			t.Errorf("drop test schema %s: %v", schema, err)
		}
	})
	return base + sepFor(base) + "search_path=" + schema
}

func sepFor(dsn string) string {
	if strings.Contains(dsn, "?") {
		return "&"
	}
	return "?"
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it after a deliberate change)\ngot:\n%s", path, got)
	}
}
