package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/credwatch/credwatch/internal/store"
)

// storeFlags choose the scan history: a SQLite file in the user's state
// directory unless --store names another, or none with --no-store.
type storeFlags struct {
	dsn  string
	none bool
}

func (f *storeFlags) register(fs *pflag.FlagSet, optional bool) {
	fs.StringVar(&f.dsn, "store", "", "scan history `DSN`: sqlite:///path.db, a .db path or postgres://... (default: a SQLite file in the user's state directory)")
	if optional {
		fs.BoolVar(&f.none, "no-store", false, "do not record this scan in the history, and show no changes")
	}
}

// open returns the store, or nil with --no-store. A bad DSN is a usage
// error; an unreachable server a runtime one.
func (f *storeFlags) open(ctx context.Context, e *env) (*store.Store, error) {
	if f.none {
		if f.dsn != "" {
			return nil, usagef("--store and --no-store exclude each other")
		}
		return nil, nil
	}
	s, err := store.Open(ctx, f.dsn, e.logger)
	if err != nil {
		if errors.Is(err, store.ErrInvalidDSN) {
			return nil, usageError{err}
		}
		var tooNew *store.SchemaTooNewError
		if errors.As(err, &tooNew) {
			return nil, usageError{err}
		}
		return nil, fmt.Errorf("open store: %w", err)
	}
	return s, nil
}
