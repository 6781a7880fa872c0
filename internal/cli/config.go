package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/credwatch/credwatch/internal/config"
)

func newConfigCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Work with credwatch configuration files",
	}
	cmd.AddCommand(&cobra.Command{
		Use:     "check FILE",
		Short:   "Validate a configuration file and report every problem with its place",
		Example: `  credwatch config check credwatch.yaml`,
		Args:    usageArgs(cobra.ExactArgs(1)),
		RunE: func(_ *cobra.Command, args []string) error {
			if _, err := config.Load(args[0]); err != nil {
				return usageError{err}
			}
			fmt.Fprintf(e.stdout, "%s: ok\n", args[0])
			return nil
		},
	})
	return cmd
}
