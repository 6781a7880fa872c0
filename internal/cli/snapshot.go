package cli

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/credwatch/credwatch/internal/inventory"
	"github.com/credwatch/credwatch/internal/scan"
)

func newSnapshotCmd(e *env) *cobra.Command {
	var src sourceFlags
	var out string
	cmd := &cobra.Command{
		Use:   "snapshot",
		Short: "Save everything a scan reads to a file, for offline scans later",
		Long: `snapshot writes credwatch's own snapshot format: exactly what a live scan
fetched from Microsoft Graph (applications, service principals, owners,
application permissions), with no secret values. Scan it later with
--snapshot FILE.`,
		Example: `  credwatch snapshot --tenant 72f9... -o tenant.json
  credwatch snapshot --demo -o demo.json
  credwatch scan --snapshot tenant.json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// A snapshot holds what a first scan reads, evidence included.
			since := e.now().Add(-scan.DefaultLookback)
			s, err := src.read(cmd.Context(), e, scan.Window{AuditSince: since, SignInsSince: since})
			if err != nil {
				return err
			}
			return writeOutput(e.stdout, out, func(w io.Writer) error {
				return inventory.WriteSnapshot(w, s)
			})
		},
	}
	src.register(cmd.Flags())
	cmd.Flags().StringVarP(&out, "output", "o", "", "write to `FILE` instead of standard output")
	return cmd
}
