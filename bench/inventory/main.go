// Command inventory measures a full inventory of a generated tenant: it
// serves the tenant from the emulator in this process, runs the credwatch
// binary against it as a child process (so the child's peak RSS is the
// scanner's alone), and prints requests made, wall time and peak RSS.
//
//	go run ./bench/inventory -apps 10000 -latency 20ms
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/credwatch/credwatch/internal/emulator"
	"github.com/credwatch/credwatch/internal/emulator/tenantgen"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run() error {
	apps := flag.Int("apps", 10000, "applications (each with a service principal)")
	extraSPs := flag.Int("extra-sps", 0, "service principals without an application")
	latency := flag.Duration("latency", 20*time.Millisecond, "emulator latency per Graph response")
	seed := flag.Int64("seed", 1, "tenant seed")
	flag.Parse()

	tmp, err := os.MkdirTemp("", "credwatch-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "credwatch")
	build := exec.Command("go", "build", "-o", bin, "./cmd/credwatch")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build credwatch: %w", err)
	}

	genStart := time.Now()
	dir := tenantgen.Generate(tenantgen.Options{Seed: *seed, Apps: *apps, ExtraSPs: *extraSPs, Now: time.Now().UTC()})
	genTime := time.Since(genStart)
	secret, err := emulator.NewClientSecret()
	if err != nil {
		return err
	}
	client := emulator.Client{ID: "b3c4c0de-0000-4000-8000-00000000be4c", Secret: secret, Roles: []string{"Application.Read.All"}}
	srv, err := emulator.Start(emulator.Options{Directory: dir, Clients: []emulator.Client{client}, Faults: emulator.Faults{Latency: *latency}})
	if err != nil {
		return err
	}
	defer srv.Close()
	ca := filepath.Join(tmp, "ca.pem")
	if err := os.WriteFile(ca, srv.CACertPEM(), 0o600); err != nil {
		return err
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "snapshot", "--tenant", srv.TenantID(),
		"--authority-host", srv.AuthorityHost(), "--graph-url", srv.GraphURL(), "--ca-file", ca,
		"-o", filepath.Join(tmp, "snapshot.json"))
	cmd.Env = append(os.Environ(), "AZURE_CLIENT_ID="+client.ID, "AZURE_CLIENT_SECRET="+secret, "AZURE_TENANT_ID="+srv.TenantID())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	before := srv.Stats()
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("scan: %w: %s", err, stderr.String())
	}
	wall := time.Since(start)
	after := srv.Stats()
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)

	fi, _ := os.Stat(filepath.Join(tmp, "snapshot.json"))
	fmt.Printf("tenant: %d applications, %d service principals (generated in %s)\n", len(dir.Applications), len(dir.ServicePrincipals), genTime.Round(time.Millisecond))
	fmt.Printf("emulator latency: %s per Graph response\n", *latency)
	fmt.Printf("graph requests:   %d (batched inner requests: %d)\n", after.GraphRequests-before.GraphRequests, after.BatchedRequests-before.BatchedRequests)
	fmt.Printf("token requests:   %d\n", after.TokenRequests-before.TokenRequests)
	fmt.Printf("wall time:        %s\n", wall.Round(time.Millisecond))
	if ru != nil {
		fmt.Printf("peak RSS:         %.1f MiB\n", float64(ru.Maxrss)/1024)
	}
	if fi != nil {
		fmt.Printf("snapshot size:    %.1f MiB\n", float64(fi.Size())/(1<<20))
	}
	return nil
}
