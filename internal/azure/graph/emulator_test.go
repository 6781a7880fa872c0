package graph_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/azure"
	"github.com/credwatch/credwatch/internal/azure/graph"
	"github.com/credwatch/credwatch/internal/emulator"
	"github.com/credwatch/credwatch/internal/msgraph"
	"github.com/credwatch/credwatch/internal/testclock"
)

// These tests run the client against the emulator over HTTPS, with one
// fake clock for both: the emulator's budget refills only as the client
// sleeps.

// clock is a test clock the client also sleeps on: sleeping moves it.
type clock struct{ *testclock.Clock }

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	if d > 0 {
		c.Advance(d)
	}
	return ctx.Err()
}

const clientID = "9ace0000-0000-4000-8000-000000000001"

func tenant(n int) *msgraph.Directory {
	d := &msgraph.Directory{TenantID: "7a1c0de5-0000-4000-8000-0000000000ff"}
	for i := range n {
		owner := msgraph.DirectoryObject{ODataType: "#microsoft.graph.user", ID: fmt.Sprintf("d0000000-0000-4000-8000-%012d", i%9)}
		d.Applications = append(d.Applications, msgraph.Application{
			ID: fmt.Sprintf("a0000000-0000-4000-8000-%012d", i), AppID: fmt.Sprintf("b0000000-0000-4000-8000-%012d", i),
			DisplayName: fmt.Sprintf("app-%d", i), Owners: []msgraph.DirectoryObject{owner},
		})
		d.ServicePrincipals = append(d.ServicePrincipals, msgraph.ServicePrincipal{
			ID: fmt.Sprintf("5b000000-0000-4000-8000-%012d", i), AppID: fmt.Sprintf("b0000000-0000-4000-8000-%012d", i),
			DisplayName: fmt.Sprintf("app-%d", i), Owners: []msgraph.DirectoryObject{owner},
		})
	}
	return d
}

// start serves d and returns a client factory: a new client signs in
// afresh, as one must after the fake clock outlives a token.
func start(t *testing.T, d *msgraph.Directory, th emulator.Throttling, clk *clock, g graph.Options) (*emulator.Server, func() *graph.Client) {
	t.Helper()
	secret, err := emulator.NewClientSecret()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := emulator.Start(emulator.Options{Directory: d, Now: clk.Now, Throttling: th,
		Clients: []emulator.Client{{ID: clientID, Secret: secret, Roles: []string{"Application.Read.All"}}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	o := azure.AuthOptions{TenantID: srv.TenantID(), AuthorityHost: srv.AuthorityHost(), GraphURL: srv.GraphURL(), HTTPClient: srv.Client()}
	g.Now, g.Sleep = clk.Now, clk.Sleep
	return srv, func() *graph.Client {
		cred, err := azure.NewClientSecretCredential(o, clientID, secret)
		if err != nil {
			t.Fatal(err)
		}
		c, err := azure.NewGraphClient(o, cred, g)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
}

// scan reads the tenant as a collection does: both lists with owners
// expanded, then each object's relationships through $batch.
func scan(t *testing.T, c *graph.Client) int {
	t.Helper()
	ctx := context.Background()
	var reqs []graph.BatchRequest
	err := graph.ListPages(ctx, c, "/applications?$select=id&$expand=owners($select=id)&$top=999", func(p []msgraph.Application) error {
		for _, a := range p {
			reqs = append(reqs, graph.BatchRequest{ID: a.ID, URL: "/applications/" + a.ID + "/federatedIdentityCredentials?$select=id"})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = graph.ListPages(ctx, c, "/servicePrincipals?$select=id&$expand=owners($select=id)&$top=999", func(p []msgraph.ServicePrincipal) error {
		for _, s := range p {
			reqs = append(reqs, graph.BatchRequest{ID: s.ID, URL: "/servicePrincipals/" + s.ID + "/appRoleAssignments?$top=999"})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.Batch(ctx, reqs)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range out {
		if r.Err() != nil {
			t.Fatalf("%s: %v", r.ID, r.Err())
		}
	}
	return len(reqs)
}

func TestPacingKeepsAScanUnderTheBudget(t *testing.T) {
	const budget = 300 // RU per 10 s; the scan costs about 3 windows' worth
	for _, tt := range []struct {
		name string
		g    graph.Options
	}{
		{"known budget", graph.Options{ResourceUnits: budget}},
		{"learned budget", graph.Options{MaxResourceUnits: 2000}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clk := &clock{testclock.New(time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC))}
			tt.g.Concurrency = 1
			srv, client := start(t, tenant(300), emulator.Throttling{Enabled: true, ResourceUnits: budget}, clk, tt.g)
			c := client()
			began := clk.Now()
			scan(t, c)
			took := clk.Now().Sub(began)
			st, cs := srv.Stats(), c.Stats()
			if st.Throttled != 0 || cs.Throttled != 0 {
				t.Errorf("429s: emulator %d, client %d; want none", st.Throttled, cs.Throttled)
			}
			if cs.ResourceUnits != int64(st.ResourceUnits) {
				t.Errorf("client counted %d RU, emulator charged %d", cs.ResourceUnits, st.ResourceUnits)
			}
			// Everything beyond the first full bucket waits for refills;
			// pacing should not wait much longer than that.
			bound := time.Duration(float64(st.ResourceUnits-budget) / budget * float64(10*time.Second))
			if took < bound || took > bound*115/100 {
				t.Errorf("scan of %d RU took %s of the budget's time, want %s to %s", st.ResourceUnits, took, bound, bound*115/100)
			}
			if cs.Budget < budget*95/100 || cs.Budget > budget*105/100 {
				t.Errorf("client paced to %d RU, want about %d", cs.Budget, budget)
			}
		})
	}
}

func TestDeltaRoundsAgainstTheEmulator(t *testing.T) {
	clk := &clock{testclock.New(time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC))}
	srv, client := start(t, tenant(450), emulator.Throttling{}, clk, graph.Options{})
	c := client()
	ctx := context.Background()
	type item struct {
		ID          string         `json:"id"`
		DisplayName string         `json:"displayName"`
		Removed     map[string]any `json:"@removed"`
	}
	var first []item
	link, err := graph.Delta(ctx, c, "/applications/delta?$select=id,displayName", func(p []item) error {
		first = append(first, p...)
		return nil
	})
	if err != nil || len(first) != 450 {
		t.Fatalf("round 1: %d items, %v", len(first), err)
	}
	if err := srv.Mutate(func(d *msgraph.Directory) {
		d.Applications[10].DisplayName = "renamed"
		d.Applications = d.Applications[:449]
	}); err != nil {
		t.Fatal(err)
	}
	var second []item
	if _, err := graph.Delta(ctx, c, link, func(p []item) error {
		second = append(second, p...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(second) != 2 || second[0].DisplayName != "renamed" || second[1].Removed == nil {
		t.Errorf("round 2: %+v, want the renamed app and the removed one", second)
	}
	clk.Advance(8 * 24 * time.Hour)
	_, err = graph.Delta(ctx, client(), link, func([]item) error { return nil })
	if !graph.IsDeltaExpired(err) {
		t.Errorf("8 days later: %v, want an expired delta state", err)
	}
}
