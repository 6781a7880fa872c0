package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/credwatch/credwatch/internal/azure"
	"github.com/credwatch/credwatch/internal/azure/loganalytics"
	"github.com/credwatch/credwatch/internal/config"
	"github.com/credwatch/credwatch/internal/emulator/tenantgen"
	"github.com/credwatch/credwatch/internal/metrics"
	"github.com/credwatch/credwatch/internal/notify"
	"github.com/credwatch/credwatch/internal/scan"
	"github.com/credwatch/credwatch/internal/server"
	"github.com/credwatch/credwatch/internal/store"
)

// Environment variables that protect the dashboard when it listens beyond
// loopback; values are never logged.
const (
	envDashboardToken    = "CREDWATCH_DASHBOARD_TOKEN"
	envDashboardUser     = "CREDWATCH_DASHBOARD_USER"
	envDashboardPassword = "CREDWATCH_DASHBOARD_PASSWORD"
)

func newServeCmd(e *env) *cobra.Command {
	var sf storeFlags
	var demo bool
	var configPath, listen, tlsCert, tlsKey string
	var interval time.Duration
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Scan tenants on a schedule, notify people in time, serve metrics and a dashboard",
		Long: `serve scans every tenant in the configuration on its interval, records each
scan, sends the notifications that are due, exposes Prometheus metrics at
/metrics, sends findings to Log Analytics when configured, and serves a
read-only dashboard. It binds 127.0.0.1 by default; bound anywhere else it
requires ` + envDashboardToken + ` (bearer) or ` + envDashboardUser + `/` + envDashboardPassword + `
(basic auth) in the environment.`,
		Example: `  credwatch serve --demo
  credwatch serve --config credwatch.yaml --interval 6h
  CREDWATCH_DASHBOARD_TOKEN=... credwatch serve --config credwatch.yaml --listen 0.0.0.0:8443 --tls-cert tls.crt --tls-key tls.key`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (tlsCert == "") != (tlsKey == "") {
				return usagef("--tls-cert and --tls-key go together")
			}
			if interval < 0 {
				return usagef("--interval %s: want a positive duration, or 0 for scans on demand only", interval)
			}
			cfg := config.Default()
			if configPath != "" {
				var err error
				if cfg, err = config.Load(configPath); err != nil {
					return usageError{err}
				}
			}
			tenants, err := serveTenants(cfg, demo)
			if err != nil {
				return err
			}
			if demo && configPath == "" {
				demoConfig(&cfg.Config)
			}
			auth := server.AuthConfig{
				BearerToken:   os.Getenv(envDashboardToken),
				BasicUser:     os.Getenv(envDashboardUser),
				BasicPassword: os.Getenv(envDashboardPassword),
			}
			if err := server.CheckBind(listen, auth, tlsCert != ""); err != nil {
				return usagef("%v (in the environment: %s, or %s and %s)", err, envDashboardToken, envDashboardUser, envDashboardPassword)
			}
			ctx := cmd.Context()
			st, err := sf.open(ctx, e)
			if err != nil {
				return err
			}
			defer st.Close()

			r, err := newRunner(e, cfg, st, tenants, interval)
			if err != nil {
				return err
			}
			defer r.close()
			srv, err := server.New(server.Options{
				Store: st, Tenants: r.ids(), Scan: r.scan, Interval: interval,
				Metrics: promhttp.HandlerFor(r.registry, promhttp.HandlerOpts{}),
				Ready:   r.ready, Auth: auth, Logger: e.logger, Now: e.now,
			})
			if err != nil {
				return err
			}
			return serveHTTP(ctx, e, srv, listen, tlsCert, tlsKey)
		},
	}
	f := cmd.Flags()
	sf.register(f, false)
	f.BoolVar(&demo, "demo", false, "serve the built-in demo tenant")
	f.StringVar(&configPath, "config", "", "configuration `FILE`: tenants, policy, notifications, Log Analytics")
	f.StringVar(&listen, "listen", "127.0.0.1:8080", "listen on `ADDR`")
	f.DurationVar(&interval, "interval", 6*time.Hour, "scan each tenant every `DURATION` (jittered; 0 = only when asked)")
	f.StringVar(&tlsCert, "tls-cert", "", "serve HTTPS with this certificate `FILE` (PEM)")
	f.StringVar(&tlsKey, "tls-key", "", "private key `FILE` (PEM) of --tls-cert")
	return cmd
}

// serveHTTP listens until ctx ends, then shuts down: requests in flight
// get a few seconds, and the scheduler abandons its scan through ctx.
func serveHTTP(ctx context.Context, e *env, srv *server.Server, listen, tlsCert, tlsKey string) error {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	scheme := "http"
	if tlsCert != "" {
		scheme = "https"
	}
	fmt.Fprintf(e.stdout, "credwatch serving on %s://%s\n", scheme, ln.Addr())

	var wg sync.WaitGroup
	runErr := make(chan error, 1)
	wg.Go(func() { runErr <- srv.Run(ctx) })
	serveErr := make(chan error, 1)
	go func() {
		if tlsCert != "" {
			serveErr <- hs.ServeTLS(ln, tlsCert, tlsKey)
		} else {
			serveErr <- hs.Serve(ln)
		}
	}()
	select {
	case err = <-serveErr:
		err = fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = hs.Shutdown(shutdown)
	wg.Wait()
	if rerr := <-runErr; err == nil && rerr != nil {
		err = rerr
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// serveTenants are the tenants to scan: the demo tenant, or the config's.
func serveTenants(cfg *config.Config, demo bool) ([]config.Tenant, error) {
	if demo {
		if len(cfg.Tenants) > 0 {
			return nil, usagef("--demo serves the demo tenant only; remove tenants from the configuration or drop --demo")
		}
		return []config.Tenant{{ID: tenantgen.DemoTenantID, Name: "demo"}}, nil
	}
	if len(cfg.Tenants) == 0 {
		return nil, usagef("no tenants to serve: list them under tenants: in --config, or use --demo")
	}
	return cfg.Tenants, nil
}

// runner is what serve does for each scheduled scan: run the pipeline,
// then feed metrics, notifications and Log Analytics.
type runner struct {
	e        *env
	cfg      *config.Config
	st       *store.Store
	tenants  map[string]config.Tenant
	order    []string
	demo     bool
	interval time.Duration

	collector *metrics.Collector
	ops       *metrics.Ops
	registry  *prometheus.Registry
	notifier  *notify.Notifier
	// Log Analytics streams, when configured; with --demo and none
	// configured, demoLA is the demo's own ingestion endpoint they use.
	findingsLA, credentialsLA *loganalytics.Client
	demoLA                    *scan.DemoIngestion

	mu          sync.Mutex
	notifyFails map[string]string // channel -> last error
}

func newRunner(e *env, cfg *config.Config, st *store.Store, tenants []config.Tenant, interval time.Duration) (*runner, error) {
	r := &runner{
		e: e, cfg: cfg, st: st, interval: interval,
		tenants:     map[string]config.Tenant{},
		collector:   metrics.NewCollector(),
		ops:         metrics.NewOps(),
		notifyFails: map[string]string{},
	}
	r.registry = metrics.Registry(r.collector, r.ops)
	for _, t := range tenants {
		r.tenants[t.ID] = t
		r.order = append(r.order, t.ID)
		r.ops.InitTenant(t.ID)
		r.demo = r.demo || (t.ID == tenantgen.DemoTenantID && t.Name == "demo")
	}
	if n := cfg.Notifications; n != nil {
		notifier, err := notify.New(n, r.st, notify.Options{Logger: e.logger, Now: e.now})
		if err != nil {
			return nil, usageError{fmt.Errorf("notifications: %w", err)}
		}
		if err := notifier.Check(); err != nil {
			return nil, usageError{fmt.Errorf("notifications: %w", err)}
		}
		r.notifier = notifier
		for _, c := range n.Channels {
			r.ops.InitChannel(c.Name)
		}
	}
	if err := r.initLogAnalytics(); err != nil {
		r.close()
		return nil, err
	}
	return r, nil
}

// initLogAnalytics makes the clients of the configured Log Analytics
// streams. The demo without a logAnalytics section sends to an ingestion
// emulator of its own, so the upload path runs as it would against Azure;
// a configured one always wins.
func (r *runner) initLogAnalytics() error {
	la := r.cfg.LogAnalytics
	var cred azcore.TokenCredential
	var hc *http.Client
	if la == nil && r.demo {
		d, err := scan.StartDemoIngestion(scan.ReadOptions{Logger: r.e.logger, Now: r.e.now})
		if err != nil {
			return err
		}
		r.demoLA = d
		la, cred, hc = &config.LogAnalytics{Endpoint: d.Endpoint, RuleID: d.RuleID}, d.Credential, d.HTTPClient
		r.e.logger.Info("demo: findings and inventory go to the demo's Logs Ingestion endpoint", "endpoint", d.Endpoint, "rule", d.RuleID)
	}
	if la == nil {
		return nil
	}
	if cred == nil {
		var err error
		if cred, err = azure.NewCredential(azure.AuthOptions{}); err != nil {
			return usageError{fmt.Errorf("logAnalytics credential: %w", err)}
		}
	}
	client := func(stream string) (*loganalytics.Client, error) {
		c, err := loganalytics.New(cred, loganalytics.Options{Endpoint: la.Endpoint, RuleID: la.RuleID, Stream: stream, HTTPClient: hc, Logger: r.e.logger})
		if err != nil {
			return nil, usageError{fmt.Errorf("logAnalytics: %w", err)}
		}
		return c, nil
	}
	var err error
	if r.findingsLA, err = client(orDefault(la.FindingsStream, loganalytics.FindingsStream)); err != nil {
		return err
	}
	if r.credentialsLA, err = client(orDefault(la.CredentialsStream, loganalytics.CredentialsStream)); err != nil {
		return err
	}
	return nil
}

// close stops what the runner started (the demo's ingestion endpoint).
func (r *runner) close() {
	if r.demoLA != nil {
		r.demoLA.Close()
	}
}

func (r *runner) ids() []string { return r.order }

// source signs in to one tenant as its configuration says.
func (r *runner) source(t config.Tenant) (scan.Source, error) {
	ro := scan.ReadOptions{Logger: r.e.logger, Now: r.e.now, Vaults: r.cfg.PolicyFor(t.ID).KeyVaults}
	if r.demo {
		return scan.Demo(ro), nil
	}
	auth := azure.AuthOptions{Cloud: t.Cloud, TenantID: t.ID, AuthorityHost: t.AuthorityHost, GraphURL: t.GraphURL, CAFile: t.CAFile}
	var cred azcore.TokenCredential
	var err error
	switch {
	case t.ClientSecretEnv != "":
		secret := os.Getenv(t.ClientSecretEnv)
		if secret == "" {
			return nil, fmt.Errorf("tenant %s: %s is empty", t.ID, t.ClientSecretEnv)
		}
		cred, err = azure.NewClientSecretCredential(auth, t.ClientID, secret)
	case t.ClientSecretFile != "":
		b, rerr := os.ReadFile(t.ClientSecretFile)
		if rerr != nil {
			return nil, fmt.Errorf("tenant %s: client secret: %w", t.ID, rerr)
		}
		cred, err = azure.NewClientSecretCredential(auth, t.ClientID, strings.TrimSpace(string(b)))
	case t.CertificateFile != "":
		b, rerr := os.ReadFile(t.CertificateFile)
		if rerr != nil {
			return nil, fmt.Errorf("tenant %s: client certificate: %w", t.ID, rerr)
		}
		var pw []byte
		if t.CertificatePasswordEnv != "" {
			pw = []byte(os.Getenv(t.CertificatePasswordEnv))
		}
		cred, err = azure.NewClientCertificateCredential(auth, t.ClientID, b, pw)
	}
	if err != nil {
		return nil, fmt.Errorf("tenant %s: %w", t.ID, err)
	}
	// nil cred: the process's AZURE_* environment. After the first scan of
	// a tenant, only what changed is read (Graph delta queries).
	return scan.Incremental(scan.Live(auth, cred, ro), r.st, scan.IncrementalOptions{}), nil
}

// scan is the server's Scan func: one tenant, start to finish.
func (r *runner) scan(ctx context.Context, tenantID string) error {
	t, ok := r.tenants[tenantID]
	if !ok {
		return fmt.Errorf("unknown tenant %s", tenantID)
	}
	src, err := r.source(t)
	if err != nil {
		r.ops.ScanDone(tenantID, metrics.ScanFailure)
		return err
	}
	started := time.Now()
	// Each tenant is judged by its own policy: the top-level one with its
	// overrides.
	res, err := scan.Run(ctx, src, scan.Options{Config: r.cfg.PolicyFor(tenantID), Store: r.st, Activity: true, Now: r.e.now, Logger: r.e.logger})
	if err != nil {
		r.ops.ScanDone(tenantID, metrics.ScanFailure)
		return err
	}
	result := metrics.ScanSuccess
	if !res.Tenant.Complete {
		result = metrics.ScanIncomplete
	}
	r.ops.ScanDone(tenantID, result)
	r.collector.SetScan(tenantID, res.Tenant, res.Findings, metrics.ScanInfo{
		Duration: time.Since(started), Complete: res.Tenant.Complete, At: r.e.now(), Interval: r.interval,
	})
	if r.notifier != nil {
		rep, err := r.notifier.Notify(ctx, res.Tenant, res.Findings)
		r.recordNotify(rep, err)
	}
	if r.findingsLA != nil {
		now := r.e.now()
		r.upload(ctx, tenantID, r.findingsLA, loganalytics.FindingRows(tenantID, now, res.Findings))
		r.upload(ctx, tenantID, r.credentialsLA, loganalytics.CredentialRows(tenantID, now, res.Tenant))
	}
	return nil
}

// upload sends rows to one Log Analytics stream; a failure is counted and
// logged, and never fails the scan, which is already recorded.
func (r *runner) upload(ctx context.Context, tenantID string, c *loganalytics.Client, rows []any) {
	out, err := c.Upload(ctx, rows)
	r.ops.IngestionBatches(out.Batches-out.FailedBatches, out.FailedBatches)
	if err != nil {
		r.e.logger.Warn("log analytics upload failed", "tenant", tenantID, "err", err)
	}
}

func (r *runner) recordNotify(rep notify.Report, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range rep.Channels {
		var cerr error
		if c.Failed > 0 || len(c.Errors) > 0 {
			cerr = errors.New(strings.Join(c.Errors, "; "))
			r.notifyFails[c.Channel] = cerr.Error()
		} else {
			delete(r.notifyFails, c.Channel)
		}
		r.ops.Notification(c.Channel, cerr)
	}
	if err != nil {
		r.e.logger.Warn("notifications failed", "err", err)
	}
}

// ready reports failing notification channels to /readyz.
func (r *runner) ready() (bool, map[string]any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.notifyFails) == 0 {
		return true, nil
	}
	fails := map[string]any{}
	for ch, msg := range r.notifyFails {
		fails[ch] = msg
	}
	return false, map[string]any{"notificationFailures": fails}
}
