package cli

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// writeOutput renders to path, or to stdout when path is "" or "-". A file
// is written beside its target and renamed into place, so a failed render
// never leaves a truncated report where the last good one was.
func writeOutput(stdout io.Writer, path string, render func(io.Writer) error) error {
	if path == "" || path == "-" {
		return render(stdout)
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if err := render(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// isTerminal reports whether w is a character device (a terminal) and CI
// is unset: progress output is for people watching, never for logs.
func isTerminal(w io.Writer) bool {
	if os.Getenv("CI") != "" {
		return false
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// newLogger builds the one logger of a run, text to stderr.
func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, usagef("--log-level %q: want debug, info, warn or error", level)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}

// progress draws one status line on a terminal while a scan runs; on
// anything else it stays silent.
type progress struct {
	w       io.Writer
	on      bool
	last    time.Time
	started bool
}

func newProgress(w io.Writer) *progress { return &progress{w: w, on: isTerminal(w)} }

func (p *progress) update(stage string, done, total int) {
	if !p.on {
		return
	}
	now := time.Now()
	if now.Sub(p.last) < 100*time.Millisecond && done != total {
		return
	}
	p.last = now
	p.started = true
	msg := stage
	if total > 0 {
		msg = fmt.Sprintf("%s %d/%d", stage, done, total)
	} else if done > 0 {
		msg = fmt.Sprintf("%s %d", stage, done)
	}
	fmt.Fprintf(p.w, "\r\033[K%s", strings.TrimSpace(msg))
}

func (p *progress) done() {
	if p.on && p.started {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
