package cli

import (
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/credwatch/credwatch/internal/emulator"
	"github.com/credwatch/credwatch/internal/emulator/logsingestion"
	"github.com/credwatch/credwatch/internal/emulator/tenantgen"
	"github.com/credwatch/credwatch/internal/inventory"
	"github.com/credwatch/credwatch/internal/msgraph"
	"github.com/credwatch/credwatch/internal/scan"
)

func newEmulatorCmd(e *env) *cobra.Command {
	var listen, logsListen, snapshot, caOut, secretOut string
	var seed int64
	var apps int
	var faults emulator.Faults
	cmd := &cobra.Command{
		Use:   "emulator",
		Short: "Serve a Microsoft Graph, token service and Logs Ingestion emulator over HTTPS",
		Long: `emulator serves the Microsoft Entra token service and the Microsoft Graph
endpoints credwatch reads, over HTTPS with a CA generated at start, from the
demo tenant, a generated tenant (--apps) or a snapshot file. Any Graph client
can be pointed at it. It registers one scanner client and writes that
client's secret only to --client-secret-out, never to the terminal.

Beside it, on a port of its own (--logs-listen), it serves the Azure Monitor
Logs Ingestion API with one data collection rule declaring credwatch's two
streams as docs/sentinel/credwatch-dcr.json does, on which the scanner
client's service principal (by object id, as Azure assigns roles) holds
Monitoring Metrics Publisher. --ca-out holds the CAs of both endpoints.`,
		Example: `  credwatch emulator --listen 127.0.0.1:8443 --ca-out ca.pem --client-secret-out secret.txt
  credwatch emulator --apps 10000 --seed 7 --latency 20ms --client-secret-out secret.txt
  credwatch emulator --snapshot tenant.json --client-secret-out secret.txt`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var dir *msgraph.Directory
			switch {
			case snapshot != "" && apps > 0:
				return usagef("--snapshot and --apps exclude each other")
			case snapshot != "":
				s, err := inventory.LoadFile(snapshot)
				if err != nil {
					return usageError{err}
				}
				dir = &s.Directory
			case apps > 0:
				dir = tenantgen.Generate(tenantgen.Options{Seed: seed, Apps: apps, ExtraSPs: apps / 10, Now: e.now()})
			case apps < 0:
				return usagef("--apps %d: want a positive number", apps)
			default:
				dir = tenantgen.Demo(e.now())
			}
			secret, err := emulator.NewClientSecret()
			if err != nil {
				return err
			}
			client := emulator.Client{ID: scan.DemoClientID, Secret: secret, Roles: scan.DemoRoles}
			scannerOID := scannerObjectID(dir)
			srv, err := emulator.Start(emulator.Options{Listen: listen, Directory: dir, Clients: []emulator.Client{client}, Faults: faults, Logger: e.logger})
			if err != nil {
				return fmt.Errorf("start emulator: %w", err)
			}
			defer srv.Close()
			if logsListen == "" {
				host, _, err := net.SplitHostPort(listen)
				if err != nil {
					return usagef("--listen %q: want host:port", listen)
				}
				logsListen = net.JoinHostPort(host, "0")
			}
			rule := logsingestion.DemoRule(scannerOID)
			var streams []string
			for _, s := range rule.Streams {
				streams = append(streams, s.Name)
			}
			logs, err := logsingestion.Start(logsingestion.Options{Listen: logsListen, TenantID: srv.TenantID(), AuthorityHost: srv.AuthorityHost(),
				HTTPClient: srv.Client(), Rules: []logsingestion.Rule{rule}, Logger: e.logger})
			if err != nil {
				return fmt.Errorf("start logs ingestion emulator: %w", err)
			}
			defer logs.Close()
			if caOut != "" {
				if err := os.WriteFile(caOut, append(srv.CACertPEM(), logs.CACertPEM()...), 0o644); err != nil {
					return fmt.Errorf("write CA: %w", err)
				}
			}
			if secretOut != "" {
				if err := os.WriteFile(secretOut, []byte(secret+"\n"), 0o600); err != nil {
					return fmt.Errorf("write client secret: %w", err)
				}
			}
			w := e.stdout
			fmt.Fprintf(w, "credwatch emulator serving %d applications, %d service principals\n", len(dir.Applications), len(dir.ServicePrincipals))
			fmt.Fprintf(w, "  tenant id:       %s\n", srv.TenantID())
			fmt.Fprintf(w, "  authority host:  %s\n", srv.AuthorityHost())
			fmt.Fprintf(w, "  graph url:       %s\n", srv.GraphURL())
			fmt.Fprintf(w, "  scanner client:  %s\n", client.ID)
			fmt.Fprintf(w, "  scanner sp id:   %s\n", scannerOID)
			fmt.Fprintf(w, "  logs endpoint:   %s\n", logs.Endpoint())
			fmt.Fprintf(w, "  logs rule id:    %s\n", logsingestion.DemoRuleID)
			fmt.Fprintf(w, "  logs streams:    %s\n", strings.Join(streams, ", "))
			if caOut != "" {
				fmt.Fprintf(w, "  CA certificate:  %s\n", caOut)
			}
			if secretOut != "" {
				fmt.Fprintf(w, "  client secret:   in %s\n", secretOut)
				fmt.Fprintf(w, "\nScan it with:\n  AZURE_CLIENT_ID=%s AZURE_CLIENT_SECRET=\"$(cat %s)\" \\\n    credwatch scan --tenant %s --authority-host %s --graph-url %s --ca-file %s\n",
					client.ID, secretOut, srv.TenantID(), srv.AuthorityHost(), srv.GraphURL(), orDefault(caOut, "CA.pem"))
			} else {
				fmt.Fprintln(w, "  client secret:   not saved (give --client-secret-out FILE to sign in as the scanner)")
			}
			<-cmd.Context().Done()
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&listen, "listen", "127.0.0.1:8443", "listen on `ADDR`")
	f.StringVar(&logsListen, "logs-listen", "", "serve the Logs Ingestion API on `ADDR` (default: the --listen host, any port)")
	f.StringVar(&snapshot, "snapshot", "", "serve the tenant in snapshot `FILE`")
	f.IntVar(&apps, "apps", 0, "serve a generated tenant of `N` applications instead of the demo tenant")
	f.Int64Var(&seed, "seed", 1, "seed of the generated tenant")
	f.StringVar(&caOut, "ca-out", "", "write the CA certificates (PEM) of the Graph and Logs Ingestion endpoints to `FILE`")
	f.StringVar(&secretOut, "client-secret-out", "", "write the scanner client's secret to `FILE` (mode 0600)")
	f.DurationVar(&faults.Latency, "latency", 0, "add `DURATION` of latency to every Graph response")
	f.DurationVar(&faults.Jitter, "jitter", 0, "add up to `DURATION` of random latency on top")
	return cmd
}

// scannerObjectID is the object id of the scanner client's service
// principal in dir, the oid of its tokens, which the logs rule's role
// assignment names as Azure's do. A directory without one (the demo and
// generated tenants) gets the demo client's, reachable but not listed, so
// the tenant served looks as before.
func scannerObjectID(dir *msgraph.Directory) string {
	// The token service takes the first service principal with the
	// client's app id, listed ones before the others.
	for _, sps := range [][]msgraph.ServicePrincipal{dir.ServicePrincipals, dir.Resources} {
		for _, sp := range sps {
			if strings.EqualFold(sp.AppID, scan.DemoClientID) && sp.ID != "" {
				return sp.ID
			}
		}
	}
	dir.Resources = append(dir.Resources, scan.DemoClientServicePrincipal())
	return scan.DemoClientObjectID
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
