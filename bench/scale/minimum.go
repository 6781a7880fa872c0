package main

import (
	"net/http"
	"time"

	"github.com/credwatch/credwatch/internal/azure/graph"
	"github.com/credwatch/credwatch/internal/msgraph"
)

// Contract figures the minimum is computed from (contract sections 1, 4, 5
// and Graph's $expand limits).
const (
	pageMax         = 999 // $top on directory lists
	expandedPageMax = 100 // objects a page of a list with $expand holds
	expandedMax     = 20  // objects one $expand returns per parent
	batchMax        = 20  // requests one $batch carries
	budgetWindow    = 10 * time.Second
)

// plan is a way to read a tenant: how many requests of each kind, and what
// they cost.
type plan struct {
	name     string
	requests int
	ru       int
	// chain is the longest run of requests that must follow one another
	// (a list's pages, each needing the previous one's nextLink).
	chain int
}

// minimum is the fewest requests that read everything credwatch reports
// about d, over the two ways the contract allows: lists with owners
// expanded (100 a page, the applications' certificates listed apart) plus
// $batch lookups of federated credentials,
// grants and owners past the expansion limit; or plain lists (999 a page)
// plus $batch lookups of every object's owners too. Either way the resource
// service principals that name the grants are read once, after the grants
// (a $batch or two). The requests are priced with the client's cost table,
// which is the emulator's.
func minimum(d *msgraph.Directory) plan {
	a, s := len(d.Applications), len(d.ServicePrincipals)
	overflow, follow, followRU := 0, 0, 0
	for _, app := range d.Applications {
		if len(app.Owners) >= expandedMax {
			overflow++
		}
		follow += extraPages(len(app.Owners))
	}
	resources := map[string]bool{}
	for _, sp := range d.ServicePrincipals {
		if len(sp.Owners) >= expandedMax {
			overflow++
		}
		follow += extraPages(len(sp.Owners)) + extraPages(len(sp.AppRoleAssignments))
		for _, g := range sp.AppRoleAssignments {
			resources[g.ResourceID] = true
		}
	}
	followRU = follow // owners and assignment pages with $select: 1 RU each
	r := len(resources)
	cost := func(u string) int { return graph.ResourceUnits(http.MethodGet, u) }
	ficRU := cost("/applications/x/federatedIdentityCredentials?$select=id")
	grantRU := cost("/servicePrincipals/x/appRoleAssignments?$select=id&$top=999")
	ownersRU := cost("/applications/x/owners?$select=id&$top=999")
	resRU := cost("/servicePrincipals/x?$select=id,appRoles")

	// With owners expanded, the applications' keyCredentials come from a
	// list of their own (999 a page): lists that select them are held to
	// 150 requests a minute, which 100-app pages would reach from 15,000
	// apps on and which would then set the pace, not the budget.
	expanded := plan{name: "expand owners"}
	ap, sp, kp := ceil(a, expandedPageMax), ceil(s, expandedPageMax), ceil(a, pageMax)
	lookups := a + s + overflow
	expanded.requests = ap + sp + kp + ceil(lookups, batchMax) + ceil(r, batchMax) + follow
	expanded.ru = ap*cost("/applications?$select=id&$expand=owners&$top=999") +
		sp*cost("/servicePrincipals?$select=id&$expand=owners&$top=999") +
		kp*cost("/applications?$select=id,keyCredentials&$top=999") +
		a*ficRU + s*grantRU + overflow*ownersRU + r*resRU + followRU
	expanded.chain = max(ap, sp, kp)

	plain := plan{name: "plain lists"}
	ap, sp = ceil(a, pageMax), ceil(s, pageMax)
	lookups = 2*a + 2*s
	plain.requests = ap + sp + ceil(lookups, batchMax) + ceil(r, batchMax) + follow
	plain.ru = ap*cost("/applications?$select=id&$top=999") + sp*cost("/servicePrincipals?$select=id&$top=999") +
		a*ficRU + s*grantRU + (a+s)*ownersRU + r*resRU + followRU
	plain.chain = max(ap, sp)

	if plain.requests < expanded.requests {
		return plain
	}
	return expanded
}

// extraPages is how many pages past the first a relationship of n takes.
func extraPages(n int) int {
	if n <= pageMax {
		return 0
	}
	return ceil(n, pageMax) - 1
}

func ceil(n, per int) int { return (n + per - 1) / per }

// lowerBound is the least wall time p can take against a budget of
// budget RU per window starting full, with latency per response: the RU
// beyond the first bucket at the refill rate, or the longest chain of
// requests that wait on one another, whichever is longer.
func lowerBound(p plan, budget int, latency time.Duration) time.Duration {
	refill := time.Duration(float64(max(0, p.ru-budget)) / float64(budget) * float64(budgetWindow))
	return max(refill, time.Duration(p.chain)*latency)
}
