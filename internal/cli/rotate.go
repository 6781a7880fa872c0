package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/spf13/cobra"

	"github.com/credwatch/credwatch/internal/azure"
	"github.com/credwatch/credwatch/internal/azure/graph"
	"github.com/credwatch/credwatch/internal/azure/keyvault"
	"github.com/credwatch/credwatch/internal/emulator"
	kvemu "github.com/credwatch/credwatch/internal/emulator/keyvault"
	"github.com/credwatch/credwatch/internal/emulator/tenantgen"
	"github.com/credwatch/credwatch/internal/inventory"
	"github.com/credwatch/credwatch/internal/msgraph"
	"github.com/credwatch/credwatch/internal/policy"
	"github.com/credwatch/credwatch/internal/report"
	"github.com/credwatch/credwatch/internal/rotate"
	"github.com/credwatch/credwatch/internal/scan"
	"github.com/credwatch/credwatch/internal/store"
)

// DemoRotatorID is the demo's rotation client: it may change applications
// and write the demo vaults' secrets.
const DemoRotatorID = "c7ed0a7c-0000-4000-8000-00000000a0a7"

// DemoRotatorObjectID is the object id of the demo rotation client's
// service principal, the oid of its tokens: the demo vaults' role
// assignments and access policies name it, as Azure's name the service
// principal and never the app id.
const DemoRotatorObjectID = "0b1ec7ed-0000-4000-8000-00000000a0a7"

// demoRotatorServicePrincipal is the rotation client's service principal,
// for the demo directory's Resources: the token service then signs the
// client's tokens with DemoRotatorObjectID as oid, and Graph does not list
// it, so the tenant scanned is the demo's as before.
func demoRotatorServicePrincipal() msgraph.ServicePrincipal {
	return msgraph.ServicePrincipal{ID: DemoRotatorObjectID, AppID: DemoRotatorID, DisplayName: "credwatch demo rotator",
		ServicePrincipalType: "Application"}
}

// newRotateCmd is `credwatch rotate plan|apply`.
func newRotateCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rotate",
		Short: "Replace due client secrets and certificates, keeping the new ones in Azure Key Vault",
		Long: `rotate replaces client secrets and certificates before they expire. For a
secret it adds a new one to the application and stores it in Key Vault as a new
version of the configured secret; for a certificate Key Vault issues the new
one and its public key is added to the application. Then it waits until the
consumers use the new credential, and removes the old one. See docs/rotation.md.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newRotatePlanCmd(e), newRotateApplyCmd(e))
	return cmd
}

// rotateFlags are what plan and apply share.
type rotateFlags struct {
	src        sourceFlags
	configPath string
	app        string
	allDue     bool
}

func (f *rotateFlags) register(cmd *cobra.Command) {
	f.src.register(cmd.Flags())
	cmd.Flags().StringVar(&f.configPath, "config", "", "configuration `FILE` with keyVaults and rotation settings")
	cmd.Flags().StringVar(&f.app, "app", "", "rotate the due credentials of one app (app id or object id)")
	cmd.Flags().BoolVar(&f.allDue, "all-due", false, "rotate every due credential")
}

func (f *rotateFlags) check() error {
	switch {
	case f.app == "" && !f.allDue:
		return usagef("choose what to rotate: --app ID or --all-due")
	case f.app != "" && f.allDue:
		return usagef("--app and --all-due exclude each other")
	}
	return f.src.validate()
}

// config loads the configuration; for the demo without one, it names the
// demo's vaults.
func (f *rotateFlags) config() (*policy.Config, error) {
	cfg, err := loadConfigFor(f.configPath, scannedTenant(&f.src))
	if err != nil {
		return nil, err
	}
	if f.src.demo && f.configPath == "" {
		cfg.KeyVaults = []policy.KeyVault{{Name: kvemu.DemoAppsVault}, {Name: kvemu.DemoLegacyVault}}
		cfg.Rotation.Targets = demoTargets
	}
	return cfg, nil
}

// demoTargets are the demo's rotation targets: old-sharepoint-connector's
// expired certificate, which has no vault copy, gets its successor in the
// demo's apps vault (added with PATCH, as no current certificate can sign
// a proof of possession).
var demoTargets = []policy.RotationTarget{{App: "old-sharepoint-connector", Vault: kvemu.DemoAppsVault, Secret: "old-sharepoint-connector"}}

func (f *rotateFlags) selected(steps []rotate.Step) []rotate.Step {
	if f.app != "" {
		return rotate.Select(steps, f.app)
	}
	return steps
}

func (f *rotateFlags) auth() azure.AuthOptions {
	return azure.AuthOptions{Cloud: f.src.cloud, TenantID: f.src.tenant, AuthorityHost: f.src.authorityHost,
		GraphURL: f.src.graphURL, CAFile: f.src.caFile}
}

// readTenant reads the tenant and its configured vaults from src.
func readTenant(ctx context.Context, src scan.Source) (*inventory.Tenant, error) {
	snap, err := src.Read(ctx, scan.Window{})
	if err != nil {
		return nil, scanError(err)
	}
	return scan.Build(src, snap)
}

func newRotatePlanCmd(e *env) *cobra.Command {
	var f rotateFlags
	var format string
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "List the credentials due for rotation and what rotating them would do; changes nothing",
		Example: `  credwatch rotate plan --demo --all-due
  credwatch rotate plan --tenant 72f9... --config credwatch.yaml --all-due
  credwatch rotate plan --snapshot tenant.json --config credwatch.yaml --app 1b2c... --format json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.check(); err != nil {
				return err
			}
			if format != "table" && format != "json" {
				return usagef("--format %q: want table or json", format)
			}
			cfg, err := f.config()
			if err != nil {
				return err
			}
			ro := scan.ReadOptions{Logger: e.logger, Now: e.now, Vaults: cfg.KeyVaults}
			var src scan.Source
			switch {
			case len(f.src.snapshots) > 0:
				src = scan.Files(f.src.snapshots)
			case f.src.demo:
				src = scan.Demo(ro)
			default:
				src = scan.Live(f.auth(), nil, ro)
			}
			t, err := readTenant(cmd.Context(), src)
			if err != nil {
				return err
			}
			steps := f.selected(rotate.Plan(t, cfg, e.now()))
			if format == "json" {
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				if steps == nil {
					steps = []rotate.Step{}
				}
				return enc.Encode(steps)
			}
			writePlan(e.stdout, steps)
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&format, "format", "table", "output `FORMAT`: table or json")
	return cmd
}

func writePlan(w io.Writer, steps []rotate.Step) {
	if len(steps) == 0 {
		fmt.Fprintln(w, "Nothing is due for rotation.")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "APP\tKIND\tKEY\tENDS\tNEW NAME\tNEW END\tSTORE IN\tOLD REMOVED AFTER")
	for _, s := range steps {
		ends := s.OldEnd.Format(time.DateOnly)
		if s.Expired {
			ends += " (expired)"
		}
		store := "-"
		if s.Vault != "" {
			store = s.Vault + "/" + s.Secret + " (" + s.StoreFrom + ")"
		}
		if s.Skip != "" {
			store = "skipped (see below)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", report.Visible(s.AppName), s.Kind, shortID(s.OldKeyID), ends,
			report.Visible(s.NewDisplayName), s.NewEnd.Format(time.DateOnly), store, s.RemoveAfter.Format(time.DateOnly))
	}
	tw.Flush()
	// Reasons are long sentences: below the table, so they do not stretch
	// its columns.
	ready := 0
	for _, s := range steps {
		if s.Skip == "" {
			ready++
			continue
		}
		fmt.Fprintf(w, "  %s %s skipped: %s\n", report.Visible(s.AppName), shortID(s.OldKeyID), s.Skip)
	}
	fmt.Fprintf(w, "\n%d due, %d can be applied. Nothing was changed.\n", len(steps), ready)
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// envCertificatePassword holds the password of --certificate-file, when
// it is a PKCS#12 file that has one.
const envCertificatePassword = "CREDWATCH_CERTIFICATE_PASSWORD"

func newRotateApplyCmd(e *env) *cobra.Command {
	var f rotateFlags
	var sf storeFlags
	var unconfirmed, takeover bool
	var certFile string
	cmd := &cobra.Command{
		Use:   "apply",
		Short: "Rotate due credentials: add, store in Key Vault, wait for consumers, remove the old",
		Long: `apply carries out the plan one credential at a time, recording every step in
the store so that an interrupted run resumes where it stopped. It never prints,
logs or stores a secret or private key: the new secret goes from Microsoft
Graph's answer straight to Key Vault, and a new certificate is made in Key
Vault, whose key stays there. A rotation whose consumers have not moved yet
waits; run apply again later (serve mode or a scheduled job) to finish it.

A certificate is issued by Key Vault (self-signed, RSA 2048) unless
--certificate-file gives one to import (PEM with its key, or PKCS#12 with the
password in ` + envCertificatePassword + `), for the one app chosen with --app.
It is imported as PEM, so the vault keeps its key where credwatch can sign
with it when the certificate is rotated again.`,
		Example: `  credwatch rotate apply --demo --all-due --remove-unconfirmed
  credwatch rotate apply --tenant 72f9... --config credwatch.yaml --all-due
  credwatch rotate apply --tenant 72f9... --config credwatch.yaml --app 1b2c... --remove-unconfirmed
  credwatch rotate apply --tenant 72f9... --config credwatch.yaml --app 1b2c... --certificate-file app-2027.pfx`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.check(); err != nil {
				return err
			}
			if len(f.src.snapshots) > 0 {
				return usagef("apply changes a tenant: use --tenant ID or --demo, not --snapshot")
			}
			if certFile != "" && f.app == "" {
				return usagef("--certificate-file rotates one app's certificate: choose it with --app")
			}
			var imp *keyvault.CertificateImport
			if certFile != "" {
				data, err := os.ReadFile(certFile)
				if err != nil {
					return usagef("--certificate-file: %v", err)
				}
				imp = &keyvault.CertificateImport{Data: data, Password: os.Getenv(envCertificatePassword)}
				// Read it now, so a file that cannot be imported stops the
				// run before it changes anything.
				if _, err := imp.Certificate(); err != nil {
					var fe *keyvault.CertificateFileError
					if errors.As(err, &fe) {
						err = fe.Err
					}
					hint := ""
					if errors.Is(err, keyvault.ErrCertificatePassword) {
						hint = " (its password is read from " + envCertificatePassword + ")"
					}
					return usagef("--certificate-file %s: %v%s", certFile, err, hint)
				}
			}
			cfg, err := f.config()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			w, err := f.wiring(ctx, e, cfg)
			if err != nil {
				return err
			}
			defer w.close()
			st := w.store
			if st == nil {
				if st, err = sf.open(ctx, e); err != nil {
					return err
				}
				defer st.Close()
			}
			t, err := readTenant(ctx, w.source)
			if err != nil {
				return err
			}
			steps := f.selected(rotate.Plan(t, cfg, e.now()))
			outcomes, err := rotate.Apply(ctx, steps, rotate.Options{Store: st, Directory: w.dir, Vault: w.vault, Usage: w.usage,
				TenantID: t.ID, App: f.app, Grace: time.Duration(cfg.Rotation.GraceDays) * 24 * time.Hour, RemoveUnconfirmed: unconfirmed,
				ContentType: cfg.Rotation.ContentType, Takeover: takeover, Import: imp, Now: e.now, Logger: e.logger})
			writeOutcomes(e.stdout, outcomes)
			return err
		},
	}
	f.register(cmd)
	sf.register(cmd.Flags(), false)
	cmd.Flags().BoolVar(&unconfirmed, "remove-unconfirmed", false, "remove an old credential once the grace period has passed even when sign-ins do not show its consumers moved")
	cmd.Flags().BoolVar(&takeover, "takeover", false, "take over rotations another run holds (only when that run is known to be dead)")
	cmd.Flags().StringVar(&certFile, "certificate-file", "", "import this certificate `FILE` (PEM with its key, or PKCS#12) as the new certificate of the --app")
	return cmd
}

func writeOutcomes(w io.Writer, out []rotate.Outcome) {
	if len(out) == 0 {
		fmt.Fprintln(w, "Nothing to rotate.")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "APP\tOLD KEY\tNEW KEY\tSTATE\tNOTE")
	for _, o := range out {
		state := string(o.State)
		if state == "" {
			state = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", report.Visible(o.AppName), shortID(o.OldKeyID), orDashText(shortID(o.NewKeyID)), state, o.Note)
	}
	tw.Flush()
}

func orDashText(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// applyWiring is what apply talks to: Graph, the vaults, usage, and the
// source the plan reads.
type applyWiring struct {
	source scan.Source
	dir    rotate.Directory
	vault  func(name string) (rotate.SecretStore, error)
	usage  rotate.Usage
	store  *store.Store // set for the demo, which keeps its own
	close  func()
}

func (f *rotateFlags) wiring(ctx context.Context, e *env, cfg *policy.Config) (*applyWiring, error) {
	if f.src.demo {
		return demoWiring(ctx, e, cfg)
	}
	auth := f.auth()
	cred, err := azure.NewCredential(auth)
	if err != nil {
		return nil, err
	}
	return liveWiring(auth, cred, cfg, e, scan.ReadOptions{Logger: e.logger, Now: e.now, Vaults: cfg.KeyVaults})
}

func liveWiring(auth azure.AuthOptions, cred azcore.TokenCredential, cfg *policy.Config, e *env, ro scan.ReadOptions) (*applyWiring, error) {
	gc, err := azure.NewGraphClient(auth, cred, graph.Options{Logger: e.logger})
	if err != nil {
		return nil, err
	}
	_, graphURL, scope, err := azure.Endpoints(auth)
	if err != nil {
		return nil, err
	}
	hc, err := azure.HTTPClient(auth)
	if err != nil {
		return nil, err
	}
	dir, err := rotate.NewGraphDirectory(gc, graphURL, scope, cred, hc)
	if err != nil {
		return nil, err
	}
	urls := map[string]string{}
	for _, v := range ro.Vaults {
		urls[strings.ToLower(v.Name)] = v.VaultURL()
	}
	vault := func(name string) (rotate.SecretStore, error) {
		u, ok := urls[strings.ToLower(name)]
		if !ok {
			return nil, fmt.Errorf("vault %s is not in keyVaults", name)
		}
		return keyvault.NewVaultClient(u, cred, keyvault.Options{HTTPClient: hc, Logger: e.logger,
			DisableChallengeResourceVerification: keyvault.OutsideAzure(u)})
	}
	return &applyWiring{source: scan.Live(auth, cred, ro), dir: dir, vault: vault, usage: rotate.NewGraphUsage(gc), close: func() {}}, nil
}

// demoWiring serves the demo tenant and vaults for the length of the run,
// with a rotation client allowed to change them, and a throw-away store:
// the demo is gone when the process ends, so nothing is left to resume.
func demoWiring(_ context.Context, e *env, cfg *policy.Config) (*applyWiring, error) {
	now := e.now()
	secret, err := emulator.NewClientSecret()
	if err != nil {
		return nil, err
	}
	dir := tenantgen.Demo(now)
	dir.Resources = append(dir.Resources, demoRotatorServicePrincipal())
	client := emulator.Client{ID: DemoRotatorID, Secret: secret,
		Roles: []string{"Application.ReadWrite.All", "AuditLog.Read.All", "Policy.Read.All"}}
	srv, err := emulator.Start(emulator.Options{Directory: dir, Clients: []emulator.Client{client}, Logger: e.logger, Now: e.now})
	if err != nil {
		return nil, fmt.Errorf("start demo emulator: %w", err)
	}
	kv, err := kvemu.Start(kvemu.Options{TenantID: srv.TenantID(), AuthorityHost: srv.AuthorityHost(), HTTPClient: srv.Client(),
		Vaults: kvemu.DemoVaults(dir, now, DemoRotatorObjectID, DemoRotatorObjectID), Logger: e.logger, Now: e.now})
	if err != nil {
		srv.Close()
		return nil, fmt.Errorf("start demo key vault emulator: %w", err)
	}
	tmp, err := os.MkdirTemp("", "credwatch-rotate-demo-")
	if err != nil {
		kv.Close()
		srv.Close()
		return nil, err
	}
	closeAll := func() { kv.Close(); srv.Close(); os.RemoveAll(tmp) }
	st, err := store.Open(context.Background(), "sqlite://"+filepath.Join(tmp, "demo.db"), e.logger)
	if err != nil {
		closeAll()
		return nil, err
	}
	auth := azure.AuthOptions{TenantID: srv.TenantID(), AuthorityHost: srv.AuthorityHost(), GraphURL: srv.GraphURL(),
		HTTPClient: kv.Client(srv.CACertPEM())}
	cred, err := azure.NewClientSecretCredential(auth, client.ID, secret)
	if err != nil {
		st.Close()
		closeAll()
		return nil, err
	}
	var vaults []policy.KeyVault
	for _, v := range cfg.KeyVaults {
		if u := kv.VaultURL(v.Name); u != "" {
			vaults = append(vaults, policy.KeyVault{Name: v.Name, URL: u, ResourceID: kv.ResourceID(v.Name)})
		}
	}
	cfg.KeyVaults = vaults
	w, err := liveWiring(auth, cred, cfg, e, scan.ReadOptions{Logger: e.logger, Now: e.now, Vaults: vaults, ManagementURL: kv.ManagementURL()})
	if err != nil {
		st.Close()
		closeAll()
		return nil, err
	}
	w.store = st
	w.close = func() { st.Close(); closeAll() }
	return w, nil
}
