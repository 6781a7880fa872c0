package store

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParseDSN feeds DSNs as a user could type them into configuration:
// parsing must not panic, and a refusal is one line wrapping ErrInvalidDSN.
func FuzzParseDSN(f *testing.F) {
	for _, s := range []string{
		"", "x.db", "sqlite:///a/b.db", "sqlite://rel.db", "sqlite://", "mysql://h/db",
		"postgres://u:pw@h:5432/db?sslmode=disable&connect_timeout=3",
		"postgresql://u@[::1]:5432/db?search_path=cw", "postgres://u:pw@h:port/db", "postgres://%zz@h/db",
		"host=h dbname=d", "C:\\credwatch\\history.db",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, dsn string) {
		tg, err := parseDSN(dsn)
		if err != nil {
			if !errors.Is(err, ErrInvalidDSN) {
				t.Fatalf("%q: error does not wrap ErrInvalidDSN: %v", dsn, err)
			}
			if strings.ContainsAny(err.Error(), "\n\r") && !strings.ContainsAny(dsn, "\n\r") {
				t.Fatalf("%q: error is not one line: %q", dsn, err)
			}
			return
		}
		switch tg.backend {
		case sqliteBackend:
			if tg.path == "" {
				t.Fatalf("%q: sqlite target without path", dsn)
			}
		case postgresBackend:
			if tg.pg == nil {
				t.Fatalf("%q: postgres target without config", dsn)
			}
		default:
			t.Fatalf("%q: no backend", dsn)
		}
	})
}
