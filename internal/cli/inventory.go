package cli

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/credwatch/credwatch/internal/inventory"
	"github.com/credwatch/credwatch/internal/report"
	"github.com/credwatch/credwatch/internal/scan"
)

func newInventoryCmd(e *env) *cobra.Command {
	var src sourceFlags
	var format, out string
	cmd := &cobra.Command{
		Use:   "inventory",
		Short: "List every credential, one row per secret, certificate or federated credential",
		Example: `  credwatch inventory --demo
  credwatch inventory --tenant 72f9... --format csv -o credentials.csv
  credwatch inventory --snapshot apps.json --snapshot sps.json --format json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch format {
			case "table", "json", "csv":
			default:
				return usagef("--format %q: want table, json or csv", format)
			}
			t, err := loadTenant(cmd, e, &src)
			if err != nil {
				return err
			}
			return writeOutput(e.stdout, out, func(w io.Writer) error {
				return report.WriteInventory(w, format, t, e.now())
			})
		},
	}
	src.register(cmd.Flags())
	cmd.Flags().StringVar(&format, "format", "table", "output `FORMAT`: table, json or csv")
	cmd.Flags().StringVarP(&out, "output", "o", "", "write to `FILE` instead of standard output")
	return cmd
}

// loadTenant reads the chosen source and builds the inventory from it.
func loadTenant(cmd *cobra.Command, e *env, src *sourceFlags) (*inventory.Tenant, error) {
	p := newProgress(e.stderr)
	defer p.done()
	s, err := src.source(e, p, nil)
	if err != nil {
		return nil, err
	}
	snap, err := s.Read(cmd.Context(), scan.Window{})
	if err != nil {
		return nil, scanError(err)
	}
	t, err := scan.Build(s, snap)
	return t, scanError(err)
}
