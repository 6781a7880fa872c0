package scan

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/credwatch/credwatch/internal/activity"
	"github.com/credwatch/credwatch/internal/azure"
	"github.com/credwatch/credwatch/internal/azure/graph"
	"github.com/credwatch/credwatch/internal/collect"
	"github.com/credwatch/credwatch/internal/emulator"
	kvemu "github.com/credwatch/credwatch/internal/emulator/keyvault"
	"github.com/credwatch/credwatch/internal/emulator/logsingestion"
	"github.com/credwatch/credwatch/internal/emulator/tenantgen"
	"github.com/credwatch/credwatch/internal/inventory"
	"github.com/credwatch/credwatch/internal/msgraph"
	"github.com/credwatch/credwatch/internal/policy"
)

// Window is the span of activity evidence a live read fetches; a zero
// Window reads none.
type Window struct {
	AuditSince, SignInsSince time.Time
}

// Source is where a tenant's data comes from.
type Source interface {
	// TenantID is the tenant the source reads, or "" when only the data
	// will tell (snapshot files).
	TenantID() string
	// Name labels the data in reports ("graph", "demo", "snapshot:…").
	Name() string
	// Read fetches the tenant, with activity evidence over w when the
	// source is live.
	Read(ctx context.Context, w Window) (*inventory.Snapshot, error)
}

// ReadOptions are shared by the live sources.
type ReadOptions struct {
	Logger   *slog.Logger
	Now      func() time.Time
	Progress func(stage string, done, total int)
	// Vaults are the key vaults to read beside the tenant (config
	// keyVaults); ManagementURL the Resource Manager endpoint their
	// settings are read from (default the public cloud's).
	Vaults        []policy.KeyVault
	ManagementURL string
}

// Live reads a tenant through Microsoft Graph with cred (nil: the
// credential azure.NewCredential selects from the environment).
func Live(auth azure.AuthOptions, cred azcore.TokenCredential, o ReadOptions) Source {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &live{auth: auth, cred: cred, o: o}
}

type live struct {
	auth azure.AuthOptions
	cred azcore.TokenCredential
	o    ReadOptions
}

func (l *live) TenantID() string { return l.auth.TenantID }
func (l *live) Name() string     { return "graph" }

func (l *live) Read(ctx context.Context, w Window) (*inventory.Snapshot, error) {
	cred := l.cred
	if cred == nil && len(l.o.Vaults) > 0 {
		// One credential for Graph and the vaults.
		c, err := azure.NewCredential(l.auth)
		if err != nil {
			return nil, err
		}
		cred = c
	}
	gc, err := azure.NewGraphClient(l.auth, cred, graph.Options{Logger: l.o.Logger})
	if err != nil {
		return nil, err
	}
	s, err := collect.Collect(ctx, gc, l.auth.TenantID, collect.Options{Logger: l.o.Logger, Now: l.o.Now, Progress: l.o.Progress})
	if err != nil {
		return nil, fmt.Errorf("collect tenant %s: %w", l.auth.TenantID, err)
	}
	if w != (Window{}) {
		if l.o.Progress != nil {
			l.o.Progress("activity", 0, 0)
		}
		a, err := activity.Fetch(ctx, gc, activity.FetchOptions{AuditSince: w.AuditSince, SignInsSince: w.SignInsSince, Logger: l.o.Logger, Now: l.o.Now})
		if a == nil {
			return nil, fmt.Errorf("read activity of tenant %s: %w", l.auth.TenantID, err)
		}
		// A part that failed is named in a.Unavailable, and the rules that
		// need it stay silent; the inventory itself is still whole.
		for part, why := range a.Unavailable {
			l.o.Logger.Warn("activity evidence unavailable", "part", part, "reason", why)
		}
		s.Activity = a
	}
	if s.Vaults, err = readVaults(ctx, l.auth, cred, l.o); err != nil {
		return nil, err
	}
	return s, nil
}

// DemoClientID is the scanner application registered in the demo
// emulator.
const DemoClientID = "c7ed0a7c-0000-4000-8000-00000000c0de"

// DemoRoles are the application permissions of the demo scanner: what
// every read feature needs, nothing that writes.
var DemoRoles = []string{"Application.Read.All", "AuditLog.Read.All", "Policy.Read.All"}

// Demo serves the built-in demo tenant from an in-process emulator and
// reads it through the live path: an azidentity token from the emulator's
// token service, the Graph client over HTTPS. Only the URLs and the
// trusted CA differ from Azure.
func Demo(o ReadOptions) Source { return &demo{o: o} }

type demo struct{ o ReadOptions }

func (d *demo) TenantID() string { return tenantgen.DemoTenantID }
func (d *demo) Name() string     { return "demo" }

func (d *demo) Read(ctx context.Context, w Window) (*inventory.Snapshot, error) {
	now := time.Now
	if d.o.Now != nil {
		now = d.o.Now
	}
	secret, err := emulator.NewClientSecret()
	if err != nil {
		return nil, err
	}
	client := emulator.Client{ID: DemoClientID, Secret: secret, Roles: DemoRoles}
	dir := tenantgen.Demo(now())
	// The vaults' role assignments and access policies name the client's
	// service principal by object id, as Azure's do: pin it.
	dir.Resources = append(dir.Resources, DemoClientServicePrincipal())
	srv, err := emulator.Start(emulator.Options{Directory: dir, Clients: []emulator.Client{client}, Logger: d.o.Logger, Now: now})
	if err != nil {
		return nil, fmt.Errorf("start demo emulator: %w", err)
	}
	defer srv.Close()
	auth := azure.AuthOptions{
		TenantID:      srv.TenantID(),
		AuthorityHost: srv.AuthorityHost(),
		GraphURL:      srv.GraphURL(),
		HTTPClient:    srv.Client(), // trusts the emulator's CA; nothing else differs
	}
	ro := d.o
	if len(ro.Vaults) > 0 {
		// The demo's key vaults, served by their own emulator that trusts
		// the demo token service.
		kv, err := kvemu.Start(kvemu.Options{TenantID: srv.TenantID(), AuthorityHost: srv.AuthorityHost(), HTTPClient: srv.Client(),
			Vaults: kvemu.DemoVaults(dir, now(), DemoClientObjectID, ""), ManagementReaders: []string{DemoClientObjectID}, Logger: d.o.Logger, Now: now})
		if err != nil {
			return nil, fmt.Errorf("start demo key vault emulator: %w", err)
		}
		defer kv.Close()
		auth.HTTPClient = kv.Client(srv.CACertPEM())
		ro = demoVaultOptions(ro, kv)
	}
	cred, err := azure.NewClientSecretCredential(auth, client.ID, secret)
	if err != nil {
		return nil, fmt.Errorf("demo credential: %w", err)
	}
	return Live(auth, cred, ro).Read(ctx, w)
}

// DemoIngestion is the demo's Azure Monitor Logs Ingestion endpoint: the
// emulator's peer of the service, with a token service of its own that
// signs in the demo client, which holds Monitoring Metrics Publisher on
// the demo's data collection rule. Unlike the demo tenant, served only
// while a scan reads it, it runs until Close, so uploads after each scan
// go through it.
type DemoIngestion struct {
	Endpoint string // the data collection endpoint
	RuleID   string // the rule's immutable id
	// Credential signs in the demo client; HTTPClient trusts the peer's
	// and the token service's CAs. Only these and the URLs differ from
	// Azure.
	Credential azcore.TokenCredential
	HTTPClient *http.Client
	// Server holds what was received, for tests.
	Server *logsingestion.Server
	sts    *emulator.Server
}

// DemoClientObjectID is the object id of the demo client's service
// principal where an emulator pins it (DemoClientServicePrincipal): the
// oid of its tokens, which Azure role assignments name.
const DemoClientObjectID = "0b1ec7ed-0000-4000-8000-00000000c0de"

// DemoClientServicePrincipal is the demo client's service principal, for
// an emulator's Directory.Resources: the token service then signs the
// client's tokens with DemoClientObjectID as oid, and Graph does not list
// it.
func DemoClientServicePrincipal() msgraph.ServicePrincipal {
	return msgraph.ServicePrincipal{ID: DemoClientObjectID, AppID: DemoClientID, DisplayName: "credwatch demo client",
		ServicePrincipalType: "Application"}
}

// StartDemoIngestion starts the demo's ingestion endpoint, whose rule
// declares credwatch's two streams as docs/sentinel/credwatch-dcr.json
// does and gives the demo client's service principal Monitoring Metrics
// Publisher.
func StartDemoIngestion(o ReadOptions) (*DemoIngestion, error) {
	secret, err := emulator.NewClientSecret()
	if err != nil {
		return nil, err
	}
	sts, err := emulator.Start(emulator.Options{
		Directory: &msgraph.Directory{TenantID: tenantgen.DemoTenantID, Resources: []msgraph.ServicePrincipal{DemoClientServicePrincipal()}},
		Clients:   []emulator.Client{{ID: DemoClientID, Secret: secret}}, Logger: o.Logger, Now: o.Now})
	if err != nil {
		return nil, fmt.Errorf("start demo token service: %w", err)
	}
	li, err := logsingestion.Start(logsingestion.Options{TenantID: sts.TenantID(), AuthorityHost: sts.AuthorityHost(), HTTPClient: sts.Client(),
		Rules: []logsingestion.Rule{logsingestion.DemoRule(DemoClientObjectID)}, Logger: o.Logger, Now: o.Now})
	if err != nil {
		sts.Close()
		return nil, fmt.Errorf("start demo logs ingestion emulator: %w", err)
	}
	d := &DemoIngestion{Endpoint: li.Endpoint(), RuleID: logsingestion.DemoRuleID, HTTPClient: li.Client(sts.CACertPEM()), Server: li, sts: sts}
	if d.Credential, err = azure.NewClientSecretCredential(azure.AuthOptions{TenantID: sts.TenantID(), AuthorityHost: sts.AuthorityHost(),
		HTTPClient: d.HTTPClient}, DemoClientID, secret); err != nil {
		d.Close()
		return nil, fmt.Errorf("demo credential: %w", err)
	}
	return d, nil
}

// Close stops the endpoint and its token service.
func (d *DemoIngestion) Close() {
	d.Server.Close()
	d.sts.Close()
}

// Files reads snapshot files of any supported kind, merged.
func Files(paths []string) Source { return files(paths) }

type files []string

func (f files) TenantID() string { return "" }

func (f files) Name() string {
	if len(f) == 1 {
		return "snapshot:" + f[0]
	}
	return fmt.Sprintf("snapshot:%s (+%d more)", f[0], len(f)-1)
}

func (f files) Read(context.Context, Window) (*inventory.Snapshot, error) {
	snaps := make([]*inventory.Snapshot, 0, len(f))
	for _, p := range f {
		s, err := inventory.LoadFile(p)
		if err != nil {
			return nil, &InputError{err}
		}
		snaps = append(snaps, s)
	}
	s, err := inventory.Merge(snaps...)
	if err != nil {
		return nil, &InputError{fmt.Errorf("merge snapshots: %w", err)}
	}
	return s, nil
}

// InputError is a problem with what the user gave (a missing or malformed
// snapshot file), as opposed to a failure while scanning.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }
