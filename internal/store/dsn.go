package store

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// defaultConnectTimeout bounds a PostgreSQL connection attempt when the DSN
// does not say, so an unreachable server fails within seconds.
const defaultConnectTimeout = 5 * time.Second

type backend int

const (
	sqliteBackend backend = iota + 1
	postgresBackend
)

func (b backend) String() string {
	if b == postgresBackend {
		return "postgres"
	}
	return "sqlite"
}

// target is a parsed DSN: a SQLite file path or a PostgreSQL config.
type target struct {
	backend backend
	path    string          // sqlite: absolute file path
	pg      *pgx.ConnConfig // postgres
}

var schemeRE = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+.-]*)://`)

// DefaultDSN is the SQLite store in the user's state directory:
// $XDG_STATE_HOME/credwatch/credwatch.db, else
// ~/.local/state/credwatch/credwatch.db.
func DefaultDSN() (string, error) {
	dir := os.Getenv("XDG_STATE_HOME")
	// The XDG spec says relative values are invalid and to be ignored.
	if dir == "" || !filepath.IsAbs(dir) {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("default store location: %w", err)
		}
		dir = filepath.Join(home, ".local", "state")
	}
	return "sqlite://" + filepath.Join(dir, "credwatch", "credwatch.db"), nil
}

// parseDSN tells the backend from a DSN. Errors never repeat the DSN: a
// PostgreSQL one may carry a password.
func parseDSN(dsn string) (target, error) {
	m := schemeRE.FindStringSubmatch(dsn)
	if m == nil {
		if isSQLiteFile(dsn) {
			return sqliteTarget(dsn)
		}
		return target{}, fmt.Errorf("%w: no scheme and not a path ending .db (want sqlite://PATH, postgres://… or FILE.db)", ErrInvalidDSN)
	}
	switch strings.ToLower(m[1]) {
	case "sqlite", "sqlite3":
		return sqliteTarget(dsn[len(m[0]):])
	case "postgres", "postgresql":
		// pgx knows the scheme only in lower case.
		cfg, err := pgConfig(strings.ToLower(m[1]) + dsn[len(m[1]):])
		if err != nil {
			return target{}, err
		}
		return target{backend: postgresBackend, pg: cfg}, nil
	default:
		return target{}, fmt.Errorf("%w: unknown scheme %q (want sqlite://, postgres:// or postgresql://)", ErrInvalidDSN, m[1])
	}
}

func isSQLiteFile(p string) bool {
	switch strings.ToLower(filepath.Ext(p)) {
	case ".db", ".sqlite", ".sqlite3":
		return true
	}
	return false
}

func sqliteTarget(p string) (target, error) {
	if p == "" {
		return target{}, fmt.Errorf("%w: sqlite dsn has no file path", ErrInvalidDSN)
	}
	if strings.ContainsAny(p, "?#") {
		// Connection options are ours to set (WAL, busy timeout, foreign keys).
		return target{}, fmt.Errorf("%w: sqlite dsn takes no parameters: %q", ErrInvalidDSN, p)
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return target{}, fmt.Errorf("%w: sqlite path %q: %v", ErrInvalidDSN, p, err)
	}
	return target{backend: sqliteBackend, path: abs}, nil
}

// pgConfig parses a PostgreSQL URL and applies the default connect timeout
// unless the DSN (or PGCONNECT_TIMEOUT) sets one.
func pgConfig(dsn string) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("%w: postgres: %s", ErrInvalidDSN, pgParseReason(err))
	}
	if cfg.ConnectTimeout == 0 && !connectTimeoutSet(dsn) {
		cfg.ConnectTimeout = defaultConnectTimeout
	}
	return cfg, nil
}

func connectTimeoutSet(dsn string) bool {
	if _, ok := os.LookupEnv("PGCONNECT_TIMEOUT"); ok {
		return true
	}
	u, err := url.Parse(dsn)
	return err == nil && u.Query().Has("connect_timeout")
}

// pgParseReason is pgx's parse error without the connection string it
// echoes, whose password redaction is only best effort on malformed input.
func pgParseReason(err error) string {
	var pce *pgconn.ParseConfigError
	if !errors.As(err, &pce) {
		return "cannot parse connection string"
	}
	msg := pce.Error()
	inner := pce.Unwrap()
	if inner != nil {
		msg = strings.TrimSuffix(msg, " ("+inner.Error()+")")
	}
	// What is left reads "cannot parse `DSN`: reason".
	if i := strings.LastIndex(msg, "`: "); i >= 0 {
		msg = msg[i+3:]
	} else {
		msg = "cannot parse connection string"
	}
	if inner != nil {
		var ue *url.Error
		if errors.As(inner, &ue) {
			// url.Error repeats the whole URL; its cause names the bad part.
			inner = ue.Err
		}
		msg += ": " + inner.Error()
	}
	return msg
}
