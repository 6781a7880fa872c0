package store

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParseDSN(t *testing.T) {
	t.Setenv("PGCONNECT_TIMEOUT", "")
	os.Unsetenv("PGCONNECT_TIMEOUT")
	cwd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		dsn     string
		backend backend
		path    string        // sqlite
		timeout time.Duration // postgres
	}{
		{dsn: "sqlite:///var/lib/credwatch/history.db", backend: sqliteBackend, path: "/var/lib/credwatch/history.db"},
		{dsn: "sqlite://history.db", backend: sqliteBackend, path: filepath.Join(cwd, "history.db")},
		{dsn: "sqlite://state/with space.db", backend: sqliteBackend, path: filepath.Join(cwd, "state/with space.db")},
		{dsn: "history.db", backend: sqliteBackend, path: filepath.Join(cwd, "history.db")},
		{dsn: "/tmp/x/History.SQLITE", backend: sqliteBackend, path: "/tmp/x/History.SQLITE"},
		{dsn: "postgres://credwatch@db.internal.example:5433/history?sslmode=require",
			backend: postgresBackend, timeout: defaultConnectTimeout},
		{dsn: "postgresql://credwatch@db.internal.example/history?connect_timeout=2",
			backend: postgresBackend, timeout: 2 * time.Second},
		{dsn: "POSTGRES://credwatch@db.internal.example/history", backend: postgresBackend, timeout: defaultConnectTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.dsn, func(t *testing.T) {
			got, err := parseDSN(tt.dsn)
			if err != nil {
				t.Fatal(err)
			}
			if got.backend != tt.backend {
				t.Fatalf("backend = %v, want %v", got.backend, tt.backend)
			}
			if tt.backend == sqliteBackend && got.path != tt.path {
				t.Errorf("path = %q, want %q", got.path, tt.path)
			}
			if tt.backend == postgresBackend && got.pg.ConnectTimeout != tt.timeout {
				t.Errorf("connect timeout = %v, want %v", got.pg.ConnectTimeout, tt.timeout)
			}
		})
	}
}

func TestParseDSNErrors(t *testing.T) {
	tests := []struct {
		dsn  string
		want string
	}{
		{"mysql://root@localhost/credwatch", `unknown scheme "mysql"`},
		{"file:///tmp/x.db", `unknown scheme "file"`},
		{"credwatch", "no scheme and not a path ending .db"},
		{"host=localhost dbname=credwatch password=hunter2", "no scheme"},
		{"sqlite://", "sqlite dsn has no file path"},
		{"sqlite:///tmp/x.db?mode=ro", "sqlite dsn takes no parameters"},
		{"postgres://credwatch:hunter2@db.example:notaport/history", "postgres: "},
		{"postgres://credwatch:hunter2@db.example/history?connect_timeout=soon", "invalid connect_timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.dsn, func(t *testing.T) {
			_, err := parseDSN(tt.dsn)
			if err == nil {
				t.Fatal("accepted")
			}
			if !errors.Is(err, ErrInvalidDSN) {
				t.Errorf("err = %v, not ErrInvalidDSN", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want it to say %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("err repeats the password: %q", err)
			}
			if strings.Count(err.Error(), "\n") > 0 {
				t.Errorf("err is not one line: %q", err)
			}
		})
	}
}

func TestDefaultDSNFollowsXDGStateHome(t *testing.T) {
	state := t.TempDir()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_STATE_HOME", state)
	got, err := DefaultDSN()
	if err != nil {
		t.Fatal(err)
	}
	if want := "sqlite://" + filepath.Join(state, "credwatch", "credwatch.db"); got != want {
		t.Errorf("DefaultDSN = %q, want %q", got, want)
	}
	// The XDG spec says a relative value is to be ignored.
	t.Setenv("XDG_STATE_HOME", "relative/state")
	got, err = DefaultDSN()
	if err != nil {
		t.Fatal(err)
	}
	if want := "sqlite://" + filepath.Join(home, ".local", "state", "credwatch", "credwatch.db"); got != want {
		t.Errorf("DefaultDSN = %q, want %q", got, want)
	}
}

func TestOpenDefaultCreatesPrivateStore(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state")
	t.Setenv("XDG_STATE_HOME", state)
	s, err := Open(context.Background(), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	dir := filepath.Join(state, "credwatch")
	for path, want := range map[string]os.FileMode{dir: 0o700 | os.ModeDir, filepath.Join(dir, "credwatch.db"): 0o600} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s mode = %v, want %v", path, fi.Mode(), want)
		}
	}
	if _, err := s.Save(context.Background(), sampleRecord()); err != nil {
		t.Fatal(err)
	}
	// SQLite gives the WAL the database file's permissions.
	if fi, err := os.Stat(filepath.Join(dir, "credwatch.db-wal")); err == nil && fi.Mode().Perm() != 0o600 {
		t.Errorf("WAL mode = %v, want 0600", fi.Mode())
	}
}

func TestOpenFailsFastOnBadTargets(t *testing.T) {
	garbage := filepath.Join(t.TempDir(), "not-a-store.db")
	if err := os.WriteFile(garbage, []byte(strings.Repeat("this is not a database\n", 200)), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		dsn        string
		want       string
		invalidDSN bool
	}{
		{"unknown scheme", "redis://127.0.0.1:6379/0", `unknown scheme "redis"`, true},
		{"bad postgres dsn", "postgres://credwatch@127.0.0.1:99999999/x", "invalid store dsn: postgres", true},
		{"unreachable postgres", "postgres://postgres@127.0.0.1:1/test?sslmode=disable", "connect to postgres store 127.0.0.1:1/test", false},
		{"not a database file", garbage, "not-a-store.db", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A hang fails here rather than stalling the suite.
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s, err := Open(ctx, tt.dsn, nil)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if ctx.Err() != nil {
				t.Fatalf("Open ran into the test's deadline: %v", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want it to say %q", err, tt.want)
			}
			if errors.Is(err, ErrInvalidDSN) != tt.invalidDSN {
				t.Errorf("errors.Is(err, ErrInvalidDSN) = %v, want %v", !tt.invalidDSN, tt.invalidDSN)
			}
		})
	}
}

// A server that accepts but never answers must not hang Open: without
// connect_timeout in the DSN the default bound applies.
func TestOpenPostgresSilentServerTimesOut(t *testing.T) {
	t.Setenv("PGCONNECT_TIMEOUT", "")
	os.Unsetenv("PGCONNECT_TIMEOUT")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 4*defaultConnectTimeout)
	defer cancel()
	_, err = Open(ctx, "postgres://postgres@"+ln.Addr().String()+"/test?sslmode=disable", nil)
	if err == nil {
		t.Fatal("Open succeeded against a silent server")
	}
	if ctx.Err() != nil {
		t.Fatalf("Open waited past the connect timeout: %v", err)
	}
	if !strings.Contains(err.Error(), "timeout") {
		t.Errorf("err = %q, want a timeout", err)
	}
}
