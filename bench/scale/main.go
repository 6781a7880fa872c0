// Command scale measures credwatch against a large tenant at Graph's pace:
// for each size it serves a generated tenant from the emulator in this
// process (20 ms per response, the directory's resource-unit budget
// enforced), runs a full scan as a child process (so the child's peak RSS
// is the scanner's alone), then the naive script-style baseline in this
// process, then changes 1% of the applications and runs the scan again,
// which reads only the changes. It prints, per size, requests against the
// minimum the API contract permits, resource units, wall time against the
// lower bound the budget and latency set, 429s and peak RSS.
//
//	go run ./bench/scale -sizes 10000,50000,100000
//	go run ./bench/scale -sizes 10000 -naive full
package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/credwatch/credwatch/internal/cli"
	"github.com/credwatch/credwatch/internal/emulator"
	"github.com/credwatch/credwatch/internal/emulator/tenantgen"
	"github.com/credwatch/credwatch/internal/msgraph"
)

func main() {
	if os.Getenv(childEnv) != "" {
		if err := runChild(); err != nil {
			fmt.Fprintln(os.Stderr, "scale child:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type config struct {
	sizes        []int
	latency      time.Duration
	seed         int64
	naive        string
	naiveObjects int
	churn        float64
	memLimit     string
	tmp, exe     string
}

func run() error {
	var c config
	sizes := flag.String("sizes", "10000,50000,100000", "comma-separated tenant sizes (applications, each with a service principal)")
	flag.DurationVar(&c.latency, "latency", 20*time.Millisecond, "emulator latency per Graph response ($batch items included)")
	flag.Int64Var(&c.seed, "seed", 1, "tenant seed")
	flag.StringVar(&c.naive, "naive", "sample", "naive baseline: full, sample (relationships of the first -naive-objects of each kind, extrapolated) or off")
	flag.IntVar(&c.naiveObjects, "naive-objects", 1000, "objects of each kind the sampled naive baseline reads")
	flag.Float64Var(&c.churn, "churn", 0.01, "share of applications changed before the incremental scan")
	flag.StringVar(&c.memLimit, "memlimit", "", "GOMEMLIMIT for the scanner, such as 250MiB (default: none, or as the environment sets it)")
	flag.Parse()
	for _, f := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return fmt.Errorf("-sizes %q: want positive integers separated by commas", *sizes)
		}
		c.sizes = append(c.sizes, n)
	}
	switch c.naive {
	case "full", "sample", "off":
	default:
		return fmt.Errorf("-naive %q: want full, sample or off", c.naive)
	}
	var err error
	if c.exe, err = os.Executable(); err != nil {
		return err
	}
	if c.tmp, err = os.MkdirTemp("", "credwatch-scale-"); err != nil {
		return err
	}
	defer os.RemoveAll(c.tmp)

	limit := cmp.Or(c.memLimit, os.Getenv("GOMEMLIMIT"), "none")
	gogc := cmp.Or(os.Getenv("GOGC"), strconv.Itoa(cli.GCPercent))
	fmt.Printf("credwatch scale benchmark: sizes %v, latency %s per response, throttling on, %d CPUs, naive baseline %s, scanner GOGC %s, GOMEMLIMIT %s\n\n",
		c.sizes, c.latency, runtime.NumCPU(), c.naive, gogc, limit)
	for _, n := range c.sizes {
		if err := runSize(c, n); err != nil {
			return fmt.Errorf("%d applications: %w", n, err)
		}
	}
	return nil
}

// scanRun is one child scan as the emulator and the kernel saw it.
type scanRun struct {
	child     childResult
	wall      time.Duration // the child process, start to exit
	rss       float64       // MiB
	cpu       time.Duration // the child's user and system time
	rssUpper  bool          // rss is only an upper bound (no VmHWM)
	stats     emulator.Stats
	requests  int
	ru        int
	throttled int
}

func runSize(c config, n int) error {
	started := time.Now()
	dir := tenantgen.Generate(tenantgen.Options{Seed: c.seed, Apps: n, Now: time.Now().UTC()})
	apps, sps := len(dir.Applications), len(dir.ServicePrincipals)
	creds, owners, granted := 0, 0, 0
	for _, a := range dir.Applications {
		creds += len(a.PasswordCredentials) + len(a.KeyCredentials) + len(a.FederatedIdentityCredentials)
		owners += len(a.Owners)
	}
	for _, p := range dir.ServicePrincipals {
		if len(p.AppRoleAssignments) > 0 {
			granted++
		}
	}
	best := minimum(dir)
	dir.Activity = nil // the scan reads no evidence here
	scanner, err := newClient("5ca1ab1e-0000-4000-8000-000000000001")
	if err != nil {
		return err
	}
	naiveClient, err := newClient("5ca1ab1e-0000-4000-8000-000000000002")
	if err != nil {
		return err
	}
	srv, err := emulator.Start(emulator.Options{Directory: dir, Clients: []emulator.Client{scanner, naiveClient},
		Faults: emulator.Faults{Latency: c.latency}, Throttling: emulator.Throttling{Enabled: true}})
	if err != nil {
		return err
	}
	defer srv.Close()
	dir = nil // the emulator has its own copy
	th := srv.Throttling()
	budget := th.ResourceUnits
	work := filepath.Join(c.tmp, strconv.Itoa(n))
	if err := os.MkdirAll(work, 0o700); err != nil {
		return err
	}
	ca := filepath.Join(work, "ca.pem")
	if err := os.WriteFile(ca, srv.CACertPEM(), 0o600); err != nil {
		return err
	}
	fmt.Printf("tenant of %d applications, %d service principals (%.1f credentials and %.1f owners an application, %.0f%% of service principals granted application permissions); tier %s: %d RU per %s; set up in %s\n",
		apps, sps, float64(creds)/float64(apps), float64(owners)/float64(apps), 100*float64(granted)/float64(sps),
		th.Size, budget, th.Window, time.Since(started).Round(time.Second))

	full, err := scanOnce(c, srv, scanner, ca, work)
	if err != nil {
		return fmt.Errorf("full scan: %w", err)
	}
	var nr *naiveResult
	if c.naive != "off" {
		limit := c.naiveObjects
		if c.naive == "full" {
			limit = 0
		}
		r, err := naive(context.Background(), srv, naiveClient, limit)
		if err != nil {
			return fmt.Errorf("naive baseline: %w", err)
		}
		nr = &r
	}
	changes := max(1, int(float64(n)*c.churn))
	var made map[string]int
	if err := srv.Mutate(func(d *msgraph.Directory) {
		made = tenantgen.Churn(d, tenantgen.ChurnOptions{Seed: c.seed, Apps: changes, Now: time.Now().UTC()})
	}); err != nil {
		return err
	}
	delta, err := scanOnce(c, srv, scanner, ca, work)
	if err != nil {
		return fmt.Errorf("incremental scan: %w", err)
	}
	printSize(n, best, budget, c, full, nr, delta, changes, made)
	return nil
}

func newClient(id string) (emulator.Client, error) {
	secret, err := emulator.NewClientSecret()
	return emulator.Client{ID: id, Secret: secret, Roles: []string{"Application.Read.All"}}, err
}

// scanOnce runs the scanner as a child process with the store in work.
func scanOnce(c config, srv *emulator.Server, client emulator.Client, ca, work string) (scanRun, error) {
	cmd := exec.Command(c.exe)
	cmd.Env = append(os.Environ(), childEnv+"=1", childTenant+"="+srv.TenantID(), childAuthor+"="+srv.AuthorityHost(),
		childGraph+"="+srv.GraphURL(), childCA+"="+ca, childStore+"=sqlite://"+filepath.Join(work, "credwatch.db"),
		childID+"="+client.ID, childSecret+"="+client.Secret)
	if c.memLimit != "" {
		cmd.Env = append(cmd.Env, "GOMEMLIMIT="+c.memLimit)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	before := srv.Stats()
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return scanRun{}, fmt.Errorf("%w: %s", err, lastLines(stderr.String(), 5))
	}
	r := scanRun{wall: time.Since(start), stats: srv.Stats()}
	if err := json.Unmarshal(stdout.Bytes(), &r.child); err != nil {
		return scanRun{}, fmt.Errorf("child output %q: %w", stdout.String(), err)
	}
	r.rss = float64(r.child.PeakRSS) / (1 << 20)
	r.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && r.rss == 0 {
		// No /proc: the rusage figure, which may be the parent's.
		r.rss, r.rssUpper = float64(ru.Maxrss)/1024, true
	}
	if !r.child.Complete {
		return scanRun{}, fmt.Errorf("scan incomplete: %s", lastLines(stderr.String(), 5))
	}
	r.requests = r.stats.GraphRequests - before.GraphRequests
	r.ru = r.stats.ResourceUnits - before.ResourceUnits
	// Budget 429s and those of the keyCredentials list limit alike.
	r.throttled = r.stats.Throttled - before.Throttled + r.stats.KeyListsThrottled - before.KeyListsThrottled
	r.stats.ByKind = diffKinds(r.stats.ByKind, before.ByKind)
	return r, nil
}

func diffKinds(after, before map[string]emulator.KindStats) map[string]emulator.KindStats {
	out := map[string]emulator.KindStats{}
	for k, a := range after {
		b := before[k]
		if d := (emulator.KindStats{Requests: a.Requests - b.Requests, ResourceUnits: a.ResourceUnits - b.ResourceUnits,
			Throttled: a.Throttled - b.Throttled}); d != (emulator.KindStats{}) {
			out[k] = d
		}
	}
	return out
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

func printSize(n int, best plan, budget int, c config, full scanRun, nr *naiveResult, delta scanRun, changes int, made map[string]int) {
	bound := lowerBound(best, budget, c.latency)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "run\trequests\tminimum\treq/min\tRU\tmin RU\twall (read)\twall (scan)\tlower bound\tread/bound\t429s\tpeak RSS\t")
	fmt.Fprintf(tw, "full scan\t%d\t%d\t%.3f\t%d\t%d\t%s\t%s\t%s\t%.3f\t%d\t%s\t\n",
		full.requests, best.requests, float64(full.requests)/float64(best.requests), full.ru, best.ru,
		round(full.child.Read), round(full.child.Total), round(bound), float64(full.child.Read)/float64(bound), full.throttled, full.rssText())
	if nr != nil {
		req, wall := nr.extrapolated()
		label := "naive"
		if nr.sampled {
			label = "naive (extrapolated)"
		}
		fmt.Fprintf(tw, "%s\t%d\t\t%.1fx ours\t\t\t%s\t\t\t%.1fx ours\t%d\t\t\n", label, req, float64(req)/float64(full.requests),
			round(wall), float64(wall)/float64(full.child.Read), nr.throttled)
	}
	fmt.Fprintf(tw, "incremental (%d apps changed)\t%d\t\t%.1f%% of full\t%d\t\t%s\t%s\t\t\t%d\t%s\t\n", changes,
		delta.requests, 100*float64(delta.requests)/float64(full.requests), delta.ru,
		round(delta.child.Read), round(delta.child.Total), delta.throttled, delta.rssText())
	tw.Flush()
	fmt.Printf("  minimum plan: %s lists, %d requests in a chain of %d pages; %d objects inventoried, %d findings\n",
		best.name, best.requests, best.chain, full.child.Objects, full.child.Findings)
	fmt.Printf("  scanner live heap: full scan %s once read, %s at the end; incremental %s once read, %s at the end\n",
		mib(full.child.LiveRead), mib(full.child.LiveEnd), mib(delta.child.LiveRead), mib(delta.child.LiveEnd))
	fmt.Printf("  scanner resident set by step (sampled): full scan %s; incremental %s\n", bySteps(full.child.StepRSS), bySteps(delta.child.StepRSS))
	fmt.Printf("  scanner CPU time: full scan %s, incremental %s\n", round(full.cpu), round(delta.cpu))
	fmt.Printf("  full scan by kind: %s\n", kinds(full.stats.ByKind))
	fmt.Printf("  incremental by kind: %s\n", kinds(delta.stats.ByKind))
	if nr != nil {
		fmt.Printf("  naive: %d list requests in %s, then %d relationship requests in %s (%d 429s)\n",
			nr.listRequests, round(nr.listWall), nr.relRequests, round(nr.relWall), nr.throttled)
	}
	fmt.Printf("  changes: %v\n\n", made)
}

func kinds(m map[string]emulator.KindStats) string {
	var parts []string
	for _, k := range []string{"list-applications", "list-servicePrincipals", "delta-applications", "delta-servicePrincipals",
		"federatedIdentityCredentials", "appRoleAssignments", "owners", "get-servicePrincipal", "batch"} {
		if s, ok := m[k]; ok {
			parts = append(parts, fmt.Sprintf("%s %d req/%d RU", k, s.Requests, s.ResourceUnits))
		}
	}
	return strings.Join(parts, ", ")
}

func bySteps(m map[string]uint64) string {
	var parts []string
	for _, name := range stepNames {
		if b, ok := m[name]; ok {
			parts = append(parts, name+" "+mib(b))
		}
	}
	return strings.Join(parts, ", ")
}

// rssText is the peak resident set, marked "≤" when only the rusage
// figure (which may be the parent's) was to be had.
func (r scanRun) rssText() string {
	if r.rssUpper {
		return fmt.Sprintf("≤%.0f MiB", r.rss)
	}
	return fmt.Sprintf("%.0f MiB", r.rss)
}

func mib(b uint64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

func round(d time.Duration) time.Duration {
	if d > time.Minute {
		return d.Round(time.Second)
	}
	return d.Round(10 * time.Millisecond)
}
