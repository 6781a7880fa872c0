// Command credwatch keeps Microsoft Entra ID application credentials from
// expiring unnoticed, living forever, or being abused.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/credwatch/credwatch/internal/cli"
)

func main() {
	cli.TuneGC()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
