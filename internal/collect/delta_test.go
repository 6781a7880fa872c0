package collect

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/azure"
	"github.com/credwatch/credwatch/internal/azure/graph"
	"github.com/credwatch/credwatch/internal/emulator"
	"github.com/credwatch/credwatch/internal/emulator/tenantgen"
	"github.com/credwatch/credwatch/internal/inventory"
	"github.com/credwatch/credwatch/internal/msgraph"
	"github.com/credwatch/credwatch/internal/testclock"
)

// deltaTenant serves a generated tenant on a clock the test moves; client
// signs in afresh each call, as a later scan would.
type deltaTenant struct {
	srv    *emulator.Server
	clock  *testclock.Clock
	id     string
	secret string
}

func startDeltaTenant(t *testing.T, apps int) *deltaTenant {
	t.Helper()
	clock := testclock.New(emuNow)
	dir := tenantgen.Generate(tenantgen.Options{Seed: 11, Apps: apps, ExtraSPs: apps / 10, Now: emuNow})
	secret, err := emulator.NewClientSecret()
	if err != nil {
		t.Fatal(err)
	}
	id := "5ca77e40-0000-4000-8000-0000000000d1"
	srv, err := emulator.Start(emulator.Options{Directory: dir, Now: clock.Now,
		Clients: []emulator.Client{{ID: id, Secret: secret, Roles: []string{"Application.Read.All"}}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return &deltaTenant{srv: srv, clock: clock, id: id, secret: secret}
}

func (d *deltaTenant) client(t *testing.T) *graph.Client {
	t.Helper()
	o := azure.AuthOptions{TenantID: d.srv.TenantID(), AuthorityHost: d.srv.AuthorityHost(), GraphURL: d.srv.GraphURL(), HTTPClient: d.srv.Client()}
	cred, err := azure.NewClientSecretCredential(o, d.id, d.secret)
	if err != nil {
		t.Fatal(err)
	}
	c, err := azure.NewGraphClient(o, cred, graph.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// canonical is a snapshot's directory as JSON with every list sorted, so
// two scans compare whatever order Graph returned things in.
func canonical(t *testing.T, s *inventory.Snapshot) []byte {
	t.Helper()
	d := s.Directory
	d.Activity = nil
	d.Applications = slices.Clone(d.Applications)
	d.ServicePrincipals = slices.Clone(d.ServicePrincipals)
	d.Resources = slices.Clone(d.Resources)
	slices.SortFunc(d.Applications, func(a, b msgraph.Application) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(d.ServicePrincipals, func(a, b msgraph.ServicePrincipal) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(d.Resources, func(a, b msgraph.ServicePrincipal) int { return cmp.Compare(a.ID, b.ID) })
	b, err := json.MarshalIndent(d, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sameDirectory(t *testing.T, what string, got, want *inventory.Snapshot) {
	t.Helper()
	g, w := canonical(t, got), canonical(t, want)
	if bytes.Equal(g, w) {
		return
	}
	gl, wl := bytes.Split(g, []byte("\n")), bytes.Split(w, []byte("\n"))
	for i := range min(len(gl), len(wl)) {
		if !bytes.Equal(gl[i], wl[i]) {
			t.Fatalf("%s: differs from a full scan at line %d:\n got: %s\nwant: %s", what, i+1, gl[i], wl[i])
		}
	}
	t.Fatalf("%s: %d lines, a full scan %d", what, len(gl), len(wl))
}

// After random changes of every kind, a delta scan applied to the last
// snapshot is exactly what a full scan reads, round after round, and it
// costs a fraction of the requests.
func TestDeltaEqualsFullAfterRandomChanges(t *testing.T) {
	d := startDeltaTenant(t, 200)
	ctx := context.Background()
	c := d.client(t)
	snap, links, err := Full(ctx, c, d.srv.TenantID(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !snap.Complete || links.Applications == "" || links.ServicePrincipals == "" {
		t.Fatalf("full scan: complete %v, links %+v", snap.Complete, links)
	}
	for round := range 3 {
		var made map[string]int
		if err := d.srv.Mutate(func(dir *msgraph.Directory) {
			made = tenantgen.Churn(dir, tenantgen.ChurnOptions{Seed: int64(round + 1), Apps: 30, Now: emuNow})
		}); err != nil {
			t.Fatal(err)
		}
		before := c.Stats().Requests
		next, nextLinks, err := Delta(ctx, c, snap, links, Options{})
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		deltaRequests := c.Stats().Requests - before
		full, err := Collect(ctx, d.client(t), d.srv.TenantID(), Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("round %d: changes %v; delta %d requests", round, made, deltaRequests)
		sameDirectory(t, "round "+string(rune('1'+round)), next, full)
		if !next.Complete {
			t.Fatalf("round %d: delta incomplete: %v", round, next.Incomplete)
		}
		snap, links = next, nextLinks
	}

	// Replaying the first links over the current snapshot changes nothing:
	// every change it repeats is already there.
	full, err := Collect(ctx, c, d.srv.TenantID(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.srv.Mutate(func(*msgraph.Directory) {}); err != nil {
		t.Fatal(err)
	}
	same, _, err := Delta(ctx, c, snap, links, Options{})
	if err != nil {
		t.Fatal(err)
	}
	sameDirectory(t, "replay", same, full)
}

func TestDeltaReadsOnlyChangedObjects(t *testing.T) {
	d := startDeltaTenant(t, 300)
	ctx := context.Background()
	c := d.client(t)
	snap, links, err := Full(ctx, c, d.srv.TenantID(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	full := d.srv.Stats()
	if err := d.srv.Mutate(func(dir *msgraph.Directory) {
		tenantgen.Churn(dir, tenantgen.ChurnOptions{Seed: 5, Apps: 3, Now: emuNow})
	}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Delta(ctx, c, snap, links, Options{}); err != nil {
		t.Fatal(err)
	}
	st := d.srv.Stats()
	inner := st.BatchedRequests - full.BatchedRequests
	// Three changed apps, their service principals at most: owners and one
	// relationship each, plus the resources.
	if inner > 3*4+len(snap.Resources) {
		t.Errorf("%d lookups for 3 changed applications", inner)
	}
	if calls := st.GraphRequests - full.GraphRequests; calls > 5 {
		t.Errorf("delta scan made %d requests, want 2 delta rounds and a few batches", calls)
	}
}

func TestDeltaExpiredTokenSaysSo(t *testing.T) {
	d := startDeltaTenant(t, 5)
	ctx := context.Background()
	snap, links, err := Full(ctx, d.client(t), d.srv.TenantID(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	d.clock.Advance(8 * 24 * time.Hour)
	_, _, err = Delta(ctx, d.client(t), snap, links, Options{})
	if !errors.Is(err, ErrDeltaExpired) {
		t.Fatalf("err = %v, want ErrDeltaExpired", err)
	}
	var ge *graph.Error
	if !errors.As(err, &ge) || ge.StatusCode != 410 {
		t.Errorf("err = %v, want Graph's 410 inside", err)
	}
	if _, _, err := Delta(ctx, d.client(t), snap, DeltaLinks{}, Options{}); !errors.Is(err, ErrDeltaExpired) {
		t.Errorf("no links: %v, want ErrDeltaExpired", err)
	}
	incomplete := *snap
	incomplete.Complete = false
	if _, _, err := Delta(ctx, d.client(t), &incomplete, links, Options{}); err == nil {
		t.Error("delta over an incomplete snapshot accepted")
	}
}
