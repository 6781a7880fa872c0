package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/spf13/cobra"
)

// Exit codes, documented in the README.
const (
	ExitOK       = 0
	ExitError    = 1 // scan or runtime error
	ExitUsage    = 2 // usage or configuration error
	ExitFindings = 3 // findings at or above --fail-on
)

// usageError marks errors that are the caller's to fix (bad flags, bad
// config); Run maps them to ExitUsage.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// exitError carries a chosen exit code with no further message.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// Run executes the command line args and returns the process exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return run(ctx, args, &env{stdout: stdout, stderr: stderr, now: func() time.Time { return time.Now().UTC() }})
}

// run is Run with the clock injected, for tests.
func run(ctx context.Context, args []string, e *env) int {
	stderr := e.stderr
	root := newRoot(e)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	fmt.Fprintf(stderr, "credwatch: %v\n", err)
	var ue usageError
	if errors.As(err, &ue) {
		return ExitUsage
	}
	return ExitError
}

func newRoot(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "credwatch",
		Short: "Watch Microsoft Entra ID application credentials",
		Long: `credwatch inventories every client secret, certificate and federated
credential on a tenant's applications and service principals, judges them
against policy, and tells people before anything expires or is abused.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		// An unknown command is a usage error, not a runtime one.
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("unknown command %q; see credwatch --help", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	// Flag parse errors are usage errors.
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })

	var logLevel string
	root.PersistentFlags().StringVar(&logLevel, "log-level", "warn", "log `LEVEL` on stderr: debug, info, warn or error")
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		l, err := newLogger(e.stderr, logLevel)
		e.logger = l
		return err
	}
	root.AddCommand(
		newScanCmd(e),
		newInventoryCmd(e),
		newSnapshotCmd(e),
		newRulesCmd(e),
		newConfigCmd(e),
		newHistoryCmd(e),
		newDiffCmd(e),
		newServeCmd(e),
		newNotifyCmd(e),
		newRotateCmd(e),
		newEmulatorCmd(e),
	)
	return root
}

// usageArgs makes a cobra argument check's error a usage error.
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}

// noArgs rejects positional arguments as a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("%s takes no arguments, got %q", cmd.CommandPath(), args[0])
	}
	return nil
}

// env carries what every command needs from the process.
type env struct {
	stdout, stderr io.Writer
	logger         *slog.Logger
	now            func() time.Time
}
