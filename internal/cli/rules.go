package cli

import (
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/credwatch/credwatch/internal/policy"
)

func newRulesCmd(e *env) *cobra.Command {
	var configPath string
	cmd := &cobra.Command{
		Use:   "rules [RULE_ID]",
		Short: "List the rule catalog, or explain one rule",
		Example: `  credwatch rules
  credwatch rules CW004
  credwatch rules --config credwatch.yaml`,
		Args: usageArgs(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfig(configPath)
			if err != nil {
				return err
			}
			cat := policy.Catalog(cfg)
			if len(args) == 1 {
				for _, r := range cat {
					if strings.EqualFold(r.ID, args[0]) {
						printRule(e, r)
						return nil
					}
				}
				return usagef("unknown rule %q; `credwatch rules` lists them", args[0])
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSEVERITY\tTITLE\tTHRESHOLDS")
			for _, r := range cat {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Severity, r.Title, thresholds(r))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "", "show severities and thresholds as configured in `FILE`")
	return cmd
}

func thresholds(r policy.RuleInfo) string {
	keys := make([]string, 0, len(r.Thresholds))
	for k := range r.Thresholds {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+"="+r.Thresholds[k])
	}
	return strings.Join(parts, " ")
}

func printRule(e *env, r policy.RuleInfo) {
	fmt.Fprintf(e.stdout, "%s  %s\nDefault severity: %s\n", r.ID, r.Title, r.Severity)
	if t := thresholds(r); t != "" {
		fmt.Fprintf(e.stdout, "Thresholds: %s\n", t)
	}
	fmt.Fprintf(e.stdout, "\nWhy it matters\n  %s\n\nHow to fix\n  %s\n", indent(r.Why), indent(r.Fix))
}

func indent(s string) string { return strings.ReplaceAll(strings.TrimSpace(s), "\n", "\n  ") }
