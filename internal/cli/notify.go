package cli

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/credwatch/credwatch/internal/config"
	"github.com/credwatch/credwatch/internal/localtls"
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
	cmd.AddCommand(test, newNotifyReceiveCmd(e))
	return cmd
}

func newNotifyReceiveCmd(e *env) *cobra.Command {
	var listen, caOut, keyEnv string
	cmd := &cobra.Command{
		Use:   "receive",
		Short: "Receive credwatch webhook notifications locally and print them",
		Long: `receive serves HTTPS with a CA it makes at start and prints one line per
finding that credwatch's generic webhook delivers to it. Point a webhook
channel's URL at it and trust the CA with notifications.caFile to watch
notifications arrive without a chat workspace.`,
		Example: `  credwatch notify receive --listen 127.0.0.1:9443 --ca-out receiver-ca.pem
  CREDWATCH_WEBHOOK_URL=https://127.0.0.1:9443/hooks/demo credwatch serve --demo --config serve-demo.yaml`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var key []byte
			if keyEnv != "" {
				if key = []byte(os.Getenv(keyEnv)); len(key) == 0 {
					return usagef("--key-env %s: the variable is empty", keyEnv)
				}
			}
			host, _, err := net.SplitHostPort(listen)
			if err != nil {
				return usagef("--listen %q: %v", listen, err)
			}
			p, err := localtls.New(host, time.Now())
			if err != nil {
				return err
			}
			if caOut != "" {
				if err := os.WriteFile(caOut, p.CAPEM, 0o644); err != nil {
					return fmt.Errorf("write CA: %w", err)
				}
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return fmt.Errorf("listen: %w", err)
			}
			rc := &notify.Receiver{Key: key, Out: e.stdout, Now: e.now}
			hs := &http.Server{Handler: rc, ReadHeaderTimeout: 10 * time.Second,
				TLSConfig: &tls.Config{Certificates: []tls.Certificate{p.Leaf}, MinVersion: tls.VersionTLS12}}
			fmt.Fprintf(e.stdout, "receiving credwatch webhooks on https://%s/\n", ln.Addr())
			go func() {
				<-cmd.Context().Done()
				_ = hs.Close()
			}()
			if err := hs.ServeTLS(ln, "", ""); !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("serve: %w", err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:9443", "listen on `ADDR`")
	cmd.Flags().StringVar(&caOut, "ca-out", "", "write the receiver's CA certificate (PEM) to `FILE`, for notifications.caFile")
	cmd.Flags().StringVar(&keyEnv, "key-env", "", "verify deliveries' signatures with the HMAC key in environment variable `NAME`")
	return cmd
}
