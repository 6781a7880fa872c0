package cli

import (
	"context"
	"errors"

	"github.com/spf13/pflag"

	"github.com/credwatch/credwatch/internal/azure"
	"github.com/credwatch/credwatch/internal/inventory"
	"github.com/credwatch/credwatch/internal/policy"
	"github.com/credwatch/credwatch/internal/scan"
)

// sourceFlags are the flags that choose where a tenant's data comes from:
// the built-in demo tenant, a live tenant, or snapshot files.
type sourceFlags struct {
	demo      bool
	tenant    string
	snapshots []string

	cloud         string
	authorityHost string
	graphURL      string
	caFile        string
}

func (f *sourceFlags) register(fs *pflag.FlagSet) {
	fs.BoolVar(&f.demo, "demo", false, "scan the built-in demo tenant (served by an in-process emulator)")
	fs.StringVar(&f.tenant, "tenant", "", "scan a live tenant `ID` (credentials from the AZURE_* environment or the Azure CLI)")
	fs.StringArrayVar(&f.snapshots, "snapshot", nil, "read a snapshot `FILE` instead of a live tenant (repeatable)")
	fs.StringVar(&f.cloud, "cloud", "public", "Azure cloud: public, usgov or china")
	fs.StringVar(&f.authorityHost, "authority-host", "", "token service `URL` (https) instead of the cloud's")
	fs.StringVar(&f.graphURL, "graph-url", "", "Microsoft Graph base `URL` instead of the cloud's (e.g. https://host:8443/v1.0)")
	fs.StringVar(&f.caFile, "ca-file", "", "extra PEM `FILE` of CA certificates to trust for the token service and Graph")
}

func (f *sourceFlags) validate() error {
	n := 0
	for _, set := range []bool{f.demo, f.tenant != "", len(f.snapshots) > 0} {
		if set {
			n++
		}
	}
	switch {
	case n == 0:
		return usagef("choose a source: --demo, --tenant ID or --snapshot FILE")
	case n > 1:
		return usagef("--demo, --tenant and --snapshot exclude each other")
	}
	switch f.cloud {
	case "public", "usgov", "china":
	default:
		return usagef("--cloud %q: want public, usgov or china", f.cloud)
	}
	return nil
}

// source builds the chosen source, reading vaults too when given;
// progress goes to a terminal only.
func (f *sourceFlags) source(e *env, p *progress, vaults []policy.KeyVault) (scan.Source, error) {
	if err := f.validate(); err != nil {
		return nil, err
	}
	ro := scan.ReadOptions{Logger: e.logger, Now: e.now, Progress: p.update, Vaults: vaults}
	switch {
	case len(f.snapshots) > 0:
		return scan.Files(f.snapshots), nil
	case f.demo:
		return scan.Demo(ro), nil
	}
	return scan.Live(azure.AuthOptions{
		Cloud:         f.cloud,
		TenantID:      f.tenant,
		AuthorityHost: f.authorityHost,
		GraphURL:      f.graphURL,
		CAFile:        f.caFile,
	}, nil, ro), nil
}

// read fetches the chosen source's snapshot, with activity evidence over
// w when the source is live.
func (f *sourceFlags) read(ctx context.Context, e *env, w scan.Window) (*inventory.Snapshot, error) {
	p := newProgress(e.stderr)
	defer p.done()
	src, err := f.source(e, p, nil)
	if err != nil {
		return nil, err
	}
	s, err := src.Read(ctx, w)
	return s, scanError(err)
}

// scanError makes problems with the user's input usage errors.
func scanError(err error) error {
	if err == nil {
		return nil
	}
	var ie *scan.InputError
	if errors.As(err, &ie) {
		return usageError{err}
	}
	return err
}
