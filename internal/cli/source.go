package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/spf13/pflag"

	"github.com/credwatch/credwatch/internal/azure"
	"github.com/credwatch/credwatch/internal/azure/graph"
	"github.com/credwatch/credwatch/internal/collect"
	"github.com/credwatch/credwatch/internal/emulator"
	"github.com/credwatch/credwatch/internal/emulator/tenantgen"
	"github.com/credwatch/credwatch/internal/inventory"
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
	f.registerEndpoint(fs)
}

// registerEndpoint adds the flags that point the live client at a cloud or
// at any compatible endpoint.
func (f *sourceFlags) registerEndpoint(fs *pflag.FlagSet) {
	fs.StringVar(&f.cloud, "cloud", "public", "Azure cloud: public, usgov or china")
	fs.StringVar(&f.authorityHost, "authority-host", "", "token service `URL` (https) instead of the cloud's")
	fs.StringVar(&f.graphURL, "graph-url", "", "Microsoft Graph base `URL` instead of the cloud's (e.g. https://host:8443/v1.0)")
	fs.StringVar(&f.caFile, "ca-file", "", "extra PEM `FILE` of CA certificates to trust for the token service and Graph")
}

func (f *sourceFlags) validate() error {
	n := 0
	if f.demo {
		n++
	}
	if f.tenant != "" {
		n++
	}
	if len(f.snapshots) > 0 {
		n++
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

// env carries what every command needs from the process.
type env struct {
	stdout, stderr io.Writer
	logger         *slog.Logger
	now            func() time.Time
}

// load reads the chosen source into a snapshot.
func (f *sourceFlags) load(ctx context.Context, e *env) (*inventory.Snapshot, string, error) {
	if err := f.validate(); err != nil {
		return nil, "", err
	}
	switch {
	case len(f.snapshots) > 0:
		snaps := make([]*inventory.Snapshot, 0, len(f.snapshots))
		for _, p := range f.snapshots {
			s, err := inventory.LoadFile(p)
			if err != nil {
				// A missing or unreadable snapshot is the caller's to fix.
				return nil, "", usageError{err}
			}
			snaps = append(snaps, s)
		}
		s, err := inventory.Merge(snaps...)
		if err != nil {
			return nil, "", usageError{fmt.Errorf("merge snapshots: %w", err)}
		}
		src := "snapshot:" + f.snapshots[0]
		if len(f.snapshots) > 1 {
			src = fmt.Sprintf("snapshot:%s (+%d more)", f.snapshots[0], len(f.snapshots)-1)
		}
		return s, src, nil
	case f.demo:
		s, err := collectDemo(ctx, e)
		return s, "demo", err
	default:
		opts := azure.AuthOptions{
			Cloud:         f.cloud,
			TenantID:      f.tenant,
			AuthorityHost: f.authorityHost,
			GraphURL:      f.graphURL,
			CAFile:        f.caFile,
		}
		cred, err := azure.NewCredential(opts)
		if err != nil {
			return nil, "", usageError{fmt.Errorf("credentials: %w", err)}
		}
		s, err := collectLive(ctx, e, opts, cred)
		return s, "graph", err
	}
}

// collectDemo runs the whole live path against an in-process emulator
// serving the demo tenant: a real token from its token service, the real
// Graph client over HTTPS.
func collectDemo(ctx context.Context, e *env) (*inventory.Snapshot, error) {
	dir := tenantgen.Demo(e.now())
	secret, err := emulator.NewClientSecret()
	if err != nil {
		return nil, err
	}
	client := emulator.Client{
		ID:     demoClientID,
		Secret: secret,
		Roles:  []string{"Application.Read.All"},
	}
	srv, err := emulator.Start(emulator.Options{Directory: dir, Clients: []emulator.Client{client}, Logger: e.logger})
	if err != nil {
		return nil, fmt.Errorf("start demo emulator: %w", err)
	}
	defer srv.Close()
	opts := azure.AuthOptions{
		TenantID:      srv.TenantID(),
		AuthorityHost: srv.AuthorityHost(),
		GraphURL:      srv.GraphURL(),
		HTTPClient:    srv.Client(), // trusts the emulator's CA, nothing else differs
	}
	cred, err := azure.NewClientSecretCredential(opts, client.ID, secret)
	if err != nil {
		return nil, fmt.Errorf("demo credential: %w", err)
	}
	return collectLive(ctx, e, opts, cred)
}

// demoClientID is the scanner application registered in the demo emulator.
const demoClientID = "c7ed0a7c-0000-4000-8000-00000000c0de"

func collectLive(ctx context.Context, e *env, opts azure.AuthOptions, cred azcore.TokenCredential) (*inventory.Snapshot, error) {
	gc, err := azure.NewGraphClient(opts, cred, graph.Options{Logger: e.logger})
	if err != nil {
		return nil, usageError{err}
	}
	p := newProgress(e.stderr)
	defer p.done()
	s, err := collect.Collect(ctx, gc, opts.TenantID, collect.Options{Logger: e.logger, Now: e.now, Progress: p.update})
	if err != nil {
		return nil, fmt.Errorf("collect tenant %s: %w", opts.TenantID, err)
	}
	return s, nil
}
