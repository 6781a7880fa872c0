package cli

import (
	"fmt"
	"io"
	"slices"

	"github.com/spf13/cobra"

	"github.com/credwatch/credwatch/internal/config"
	kvemu "github.com/credwatch/credwatch/internal/emulator/keyvault"
	"github.com/credwatch/credwatch/internal/emulator/tenantgen"
	"github.com/credwatch/credwatch/internal/policy"
	"github.com/credwatch/credwatch/internal/report"
	"github.com/credwatch/credwatch/internal/scan"
)

func newScanCmd(e *env) *cobra.Command {
	var src sourceFlags
	var sf storeFlags
	var configPath, format, out, failOn string
	var showSuppressed, full bool
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
			file, err := loadConfigFile(configPath)
			if err != nil {
				return err
			}
			cfg := policyFor(file, scannedTenant(&src))
			if src.demo && configPath == "" {
				demoConfig(cfg)
			}
			ctx := cmd.Context()
			p := newProgress(e.stderr)
			source, err := src.source(e, p, cfg.KeyVaults)
			if err != nil {
				return err
			}
			st, err := sf.open(ctx, e)
			if err != nil {
				return err
			}
			if st != nil {
				defer st.Close()
			}
			// With history, a live scan after the first reads only what
			// changed (Graph delta queries); --full reads everything.
			source = scan.Incremental(source, st, scan.IncrementalOptions{Full: full})
			so := scan.Options{Config: cfg, Store: st, Activity: true, Now: e.now, Logger: e.logger}
			if file != nil && len(src.snapshots) > 0 {
				// A snapshot's tenant is known only once read: judge it by
				// its entry, if the file has one with overrides.
				so.ConfigFor = func(id string) *policy.Config {
					p, _ := file.TenantPolicy(id)
					return p
				}
			}
			res, err := scan.Run(ctx, source, so)
			p.done()
			if err != nil {
				return scanError(err)
			}
			t, findings, changes, now := res.Tenant, res.Findings, res.Changes, res.At
			doc := report.NewScan(t, findings, now)
			opts := report.Options{ShowSuppressed: showSuppressed, Rules: reportRules(res.Config), Now: now}
			if err := writeOutput(e.stdout, out, func(w io.Writer) error {
				if err := report.Write(w, format, doc, opts); err != nil {
					return err
				}
				// A person reading the table also sees what changed; other
				// formats are for machines, which ask credwatch diff.
				if changes != nil && format == "table" {
					fmt.Fprintln(w)
					return report.WriteDiff(w, "table", changes)
				}
				return nil
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
	sf.register(cmd.Flags(), true)
	cmd.Flags().StringVar(&configPath, "config", "", "configuration `FILE` (YAML): its policy, with the scanned tenant's overrides when it lists the tenant; defaults apply without one")
	cmd.Flags().StringVar(&format, "format", "table", "output `FORMAT`: table, json, csv, sarif, markdown or html")
	cmd.Flags().StringVarP(&out, "output", "o", "", "write to `FILE` instead of standard output")
	cmd.Flags().StringVar(&failOn, "fail-on", "", "exit 3 when a finding at or above `SEVERITY` is found (info, low, medium, high, critical)")
	cmd.Flags().BoolVar(&full, "full", false, "read the whole tenant even when the history holds delta state from the last scan")
	cmd.Flags().BoolVar(&showSuppressed, "show-suppressed", false, "show findings covered by an exception in table, CSV, Markdown and HTML output (JSON and SARIF always carry them, marked)")
	return cmd
}

// demoConfig declares what a security team would for the demo tenant:
// who may add credentials, where apps sign in from, and which vaults hold
// the apps' credentials.
func demoConfig(cfg *policy.Config) {
	cfg.KeyVaults = []policy.KeyVault{{Name: kvemu.DemoAppsVault}, {Name: kvemu.DemoLegacyVault}}
	cfg.Rules.CW020.AllowedActors = append([]string(nil), tenantgen.DemoAllowedActors...)
	names := make([]string, 0, len(tenantgen.DemoNetworks))
	for app := range tenantgen.DemoNetworks {
		names = append(names, app)
	}
	slices.Sort(names)
	for _, app := range names {
		cfg.Rules.CW030.Networks = append(cfg.Rules.CW030.Networks, policy.Network{App: app, CIDRs: tenantgen.DemoNetworks[app]})
	}
}

// loadConfig reads the top-level policy of a configuration file; the file
// may also hold serve mode's sections.
func loadConfig(path string) (*policy.Config, error) { return loadConfigFor(path, "") }

// loadConfigFor reads the policy tenantID is judged by: the file's
// top-level policy, with the tenant's overrides (tenants[].policy) when
// the file lists it. The file is validated whole, every tenant's
// overrides included.
func loadConfigFor(path, tenantID string) (*policy.Config, error) {
	file, err := loadConfigFile(path)
	if err != nil {
		return nil, err
	}
	return policyFor(file, tenantID), nil
}

// loadConfigFile reads and validates a configuration file; nil without
// one.
func loadConfigFile(path string) (*config.Config, error) {
	if path == "" {
		return nil, nil
	}
	cfg, err := config.Load(path)
	if err != nil {
		return nil, usageError{err}
	}
	return cfg, nil
}

// policyFor is the policy tenantID is judged by under file (the defaults
// without one).
func policyFor(file *config.Config, tenantID string) *policy.Config {
	if file == nil {
		return policy.DefaultConfig()
	}
	return file.PolicyFor(tenantID)
}

// scannedTenant is the tenant the source flags name before anything is
// read: --tenant's, or the demo tenant; "" for snapshot files, whose
// tenant only their data tells.
func scannedTenant(f *sourceFlags) string {
	switch {
	case len(f.snapshots) > 0:
		return ""
	case f.demo:
		return tenantgen.DemoTenantID
	}
	return f.tenant
}

func reportRules(cfg *policy.Config) []report.RuleInfo {
	cat := policy.Catalog(cfg)
	out := make([]report.RuleInfo, 0, len(cat))
	for _, r := range cat {
		out = append(out, report.RuleInfo{ID: r.ID, Title: r.Title, Severity: r.Severity, Help: r.Why + "\n\nFix: " + r.Fix})
	}
	return out
}
