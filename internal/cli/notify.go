package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/credwatch/credwatch/internal/config"
	"github.com/credwatch/credwatch/internal/notify"
)

func newNotifyCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "notify",
		Short: "Work with notification channels",
	}
	var configPath, channel string
	test := &cobra.Command{
		Use:     "test",
		Short:   "Send a sample notification through one configured channel",
		Example: `  CREDWATCH_TEAMS_URL=... credwatch notify test --config credwatch.yaml --channel secops-teams`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if configPath == "" || channel == "" {
				return usagef("notify test needs --config FILE and --channel NAME")
			}
			cfg, err := config.Load(configPath)
			if err != nil {
				return usageError{err}
			}
			if cfg.Notifications == nil {
				return usagef("%s configures no notification channels", configPath)
			}
			n, err := notify.New(cfg.Notifications, nil, notify.Options{Logger: e.logger, Now: e.now})
			if err != nil {
				return usageError{err}
			}
			if err := n.Test(cmd.Context(), channel); err != nil {
				return fmt.Errorf("notify test: %w", err)
			}
			fmt.Fprintf(e.stdout, "sample sent through %s\n", channel)
			return nil
		},
	}
	test.Flags().StringVar(&configPath, "config", "", "configuration `FILE` with the channel")
	test.Flags().StringVar(&channel, "channel", "", "channel `NAME` to test")
	cmd.AddCommand(test)
	return cmd
}
