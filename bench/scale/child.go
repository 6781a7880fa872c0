package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"time"

	"github.com/credwatch/credwatch/internal/azure"
	"github.com/credwatch/credwatch/internal/cli"
	"github.com/credwatch/credwatch/internal/inventory"
	"github.com/credwatch/credwatch/internal/scan"
	"github.com/credwatch/credwatch/internal/store"
)

// The scanner runs as a child process (this program again, with childEnv
// set), so its peak RSS is the scan's alone, not the emulator's. It runs
// the pipeline credwatch scan runs with a store: an incremental live
// source, inventory, policy, history.
const (
	childEnv     = "CREDWATCH_SCALE_CHILD"
	childTenant  = "CREDWATCH_SCALE_TENANT"
	childAuthor  = "CREDWATCH_SCALE_AUTHORITY"
	childGraph   = "CREDWATCH_SCALE_GRAPH"
	childCA      = "CREDWATCH_SCALE_CA"
	childStore   = "CREDWATCH_SCALE_STORE"
	childID      = "CREDWATCH_SCALE_CLIENT_ID"
	childSecret  = "CREDWATCH_SCALE_CLIENT_SECRET"
	childTimeout = 2 * time.Hour
)

// childResult is what the child prints on stdout.
type childResult struct {
	Read     time.Duration `json:"read"`  // reading the tenant (the source)
	Total    time.Duration `json:"total"` // the whole pipeline
	Objects  int           `json:"objects"`
	Complete bool          `json:"complete"`
	Findings int           `json:"findings"`
	// LiveRead and LiveEnd are the live heap, in bytes, once the tenant
	// is read (the snapshot) and once the scan is recorded and compared
	// with the previous one (the inventory and findings).
	LiveRead, LiveEnd uint64 `json:",omitempty"`
	// PeakRSS is the child's own peak resident set, in bytes, from the
	// kernel's high-water mark of its address space; 0 where the kernel
	// does not tell. The parent cannot take it from the child's rusage:
	// Linux counts there the parent's resident set at the fork, which
	// here is the emulator holding the whole tenant.
	PeakRSS uint64 `json:",omitempty"`
	// StepRSS is the highest resident set sampled in each step of the
	// scan (stages.go), in bytes.
	StepRSS map[string]uint64 `json:",omitempty"`
}

// timed measures how long its source takes to read, and the live heap
// once it has.
type timed struct {
	scan.Source
	took time.Duration
	live uint64
}

func (t *timed) Read(ctx context.Context, w scan.Window) (*inventory.Snapshot, error) {
	start := time.Now()
	s, err := t.Source.Read(ctx, w)
	t.took = time.Since(start)
	t.live = liveHeap()
	return s, err
}

// liveHeap collects garbage and returns what is left: a few hundred
// milliseconds on a large heap, outside the timings above.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func runChild() error {
	cli.TuneGC() // as the command does
	ctx, cancel := context.WithTimeout(context.Background(), childTimeout)
	defer cancel()
	st := newSteps()
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	go st.sample(sctx)
	log := slog.New(handler{next: slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}), level: slog.LevelInfo, s: st})
	auth := azure.AuthOptions{TenantID: os.Getenv(childTenant), AuthorityHost: os.Getenv(childAuthor),
		GraphURL: os.Getenv(childGraph), CAFile: os.Getenv(childCA)}
	cred, err := azure.NewClientSecretCredential(auth, os.Getenv(childID), os.Getenv(childSecret))
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, os.Getenv(childStore), log)
	if err != nil {
		return err
	}
	defer db.Close()
	src := &timed{Source: scan.Incremental(scan.Live(auth, cred, scan.ReadOptions{Logger: log}), db, scan.IncrementalOptions{})}
	start := time.Now()
	res, err := scan.Run(ctx, src, scan.Options{Store: db, Logger: log})
	if err != nil {
		return err
	}
	out := childResult{Read: src.took, Total: time.Since(start), Objects: len(res.Tenant.Objects),
		Complete: res.Tenant.Complete, Findings: len(res.Findings), LiveRead: src.live, LiveEnd: liveHeap(), PeakRSS: statusBytes("VmHWM:"), StepRSS: st.peaks()}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}
