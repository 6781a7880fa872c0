package cli

import (
	"io"
	"slices"

	"github.com/spf13/cobra"

	"github.com/credwatch/credwatch/internal/policy"
	"github.com/credwatch/credwatch/internal/report"
)

func newScanCmd(e *env) *cobra.Command {
	var src sourceFlags
	var configPath, format, out, failOn string
	var showSuppressed bool
	cmd := &cobra.Command{
		Use:   "scan",
		Short: "Inventory a tenant's credentials and report what is wrong",
		Example: `  credwatch scan --demo
  credwatch scan --tenant 72f9... --config credwatch.yaml --fail-on high
  credwatch scan --snapshot tenant.json --format sarif -o credwatch.sarif
  credwatch scan --demo --format html -o report.html`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !slices.Contains(report.Formats(), format) {
				return usagef("--format %q: want one of %v", format, report.Formats())
			}
			var threshold *policy.Severity
			if failOn != "" {
				s, err := policy.ParseSeverity(failOn)
				if err != nil {
					return usagef("--fail-on: %v", err)
				}
				threshold = &s
			}
			cfg, err := loadConfig(configPath)
			if err != nil {
				return err
			}
			t, err := loadTenant(cmd, e, &src)
			if err != nil {
				return err
			}
			now := e.now()
			findings := policy.Evaluate(t, cfg, now)
			scan := report.NewScan(t, findings, now)
			opts := report.Options{ShowSuppressed: showSuppressed, Rules: reportRules(cfg), Now: now}
			if err := writeOutput(e.stdout, out, func(w io.Writer) error {
				return report.Write(w, format, scan, opts)
			}); err != nil {
				return err
			}
			if threshold != nil {
				for _, f := range findings {
					if !f.Suppressed && f.Severity >= *threshold {
						return exitError{ExitFindings}
					}
				}
			}
			return nil
		},
	}
	src.register(cmd.Flags())
	cmd.Flags().StringVar(&configPath, "config", "", "policy configuration `FILE` (YAML); defaults apply without one")
	cmd.Flags().StringVar(&format, "format", "table", "output `FORMAT`: table, json, csv, sarif, markdown or html")
	cmd.Flags().StringVarP(&out, "output", "o", "", "write to `FILE` instead of standard output")
	cmd.Flags().StringVar(&failOn, "fail-on", "", "exit 3 when a finding at or above `SEVERITY` is found (info, low, medium, high, critical)")
	cmd.Flags().BoolVar(&showSuppressed, "show-suppressed", false, "show findings covered by an exception in table, CSV and Markdown output")
	return cmd
}

func loadConfig(path string) (*policy.Config, error) {
	if path == "" {
		return policy.DefaultConfig(), nil
	}
	cfg, err := policy.LoadConfig(path)
	if err != nil {
		return nil, usageError{err}
	}
	return cfg, nil
}

func reportRules(cfg *policy.Config) []report.RuleInfo {
	cat := policy.Catalog(cfg)
	out := make([]report.RuleInfo, 0, len(cat))
	for _, r := range cat {
		out = append(out, report.RuleInfo{ID: r.ID, Title: r.Title, Severity: r.Severity, Help: r.Why + "\n\nFix: " + r.Fix})
	}
	return out
}
