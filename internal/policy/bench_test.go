package policy

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/inventory"
)

// benchMix shapes a generated tenant.
type benchMix struct {
	secretLifetimes, certLifetimes []time.Duration
	expiredOneIn                   int // one credential in N is an expired leftover
	undescribedOneIn               int // one credential in N has no description
}

var (
	// typicalMix is a tenant that follows current guidance more or less:
	// mostly 90–180-day secrets, yearly certificates, a few leftovers.
	typicalMix = benchMix{
		secretLifetimes:  []time.Duration{90 * day, 180 * day, 180 * day, 180 * day, 365 * day},
		certLifetimes:    []time.Duration{365 * day, 365 * day, 365 * day, 365 * day, 3 * 365 * day},
		expiredOneIn:     30,
		undescribedOneIn: 20,
	}
	// neglectedMix is the worst case: long lifetimes, many leftovers,
	// about every other credential has a finding.
	neglectedMix = benchMix{
		secretLifetimes:  []time.Duration{90 * day, 180 * day, 365 * day, 365 * day, 730 * day},
		certLifetimes:    []time.Duration{365 * day, 365 * day, 730 * day},
		expiredOneIn:     10,
		undescribedOneIn: 10,
	}
)

// benchTenant builds a deterministic tenant of n objects with 4 credentials
// each: applications (two secrets, a certificate, a federated credential)
// and their service principals (SAML signing certificates) in pairs. Each
// credential is at a random point of its lifetime.
func benchTenant(n int, mix benchMix) *inventory.Tenant {
	r := rand.New(rand.NewPCG(42, 1))
	objs := make([]inventory.Object, n)
	creds := make([]inventory.Credential, 4*n) // one backing array: fewer allocations while building
	perms := []inventory.Permission{graphPerm("Mail.Send"), graphPerm("User.Read.All")}
	readOnly := []inventory.Permission{graphPerm("User.Read.All")}
	owners := []*inventory.Owner{{Type: inventory.OwnerUser, ID: "u1", UserPrincipalName: "dev@contoso.com"}}
	for i := range objs {
		appID := fmt.Sprintf("%08x-0000-4000-8000-%012x", i/2, i/2)
		o := &objs[i]
		o.AppID = appID
		o.ID = fmt.Sprintf("%08x-1111-4000-8000-%012x", i, i)
		o.DisplayName = "app-" + appID[:8]
		if i%2 == 0 {
			o.Type = inventory.Application
			o.SignInAudience = "AzureADMyOrg"
			if i%20 == 0 {
				o.SignInAudience = "AzureADMultipleOrgs"
			}
		} else {
			o.Type = inventory.ServicePrincipal
			o.ServicePrincipalType = "Application"
		}
		switch {
		case i%100 < 2: // an app and its service principal
			o.Permissions = perms
			o.Owners = owners
		case i%7 == 0:
			o.Permissions = readOnly
		}
		cs := creds[4*i : 4*i+4 : 4*i+4]
		for j := range cs {
			c := &cs[j]
			c.KeyID = fmt.Sprintf("%08x-2222-4000-8000-%08x%04x", i, i, j)
			if r.IntN(mix.undescribedOneIn) > 0 {
				c.DisplayName = "deploy " + c.KeyID[:8]
			}
			lifetimes := mix.secretLifetimes
			switch {
			case o.Type == inventory.ServicePrincipal:
				c.Type, c.Usage = inventory.Certificate, "Sign,Verify"
				lifetimes = mix.certLifetimes
			case j < 2:
				c.Type = inventory.Secret
			case j == 2:
				c.Type, c.Usage = inventory.Certificate, "Verify"
				lifetimes = mix.certLifetimes
			default:
				c.Type = inventory.Federated
				continue
			}
			life := lifetimes[r.IntN(len(lifetimes))]
			age := time.Duration(r.Int64N(int64(life)))
			if r.IntN(mix.expiredOneIn) == 0 {
				age = life + time.Duration(r.Int64N(int64(365*day)))
			}
			c.Start = now.Add(-age).Truncate(time.Second)
			c.End = c.Start.Add(life)
		}
		o.Credentials = cs
	}
	return &inventory.Tenant{ID: "bench", CollectedAt: now, Complete: true, Objects: objs}
}

// BenchmarkEvaluate1M evaluates one million credentials (250,000 objects ×
// 4) with the default configuration and reports credentials per second, for
// a typical tenant and for a neglected one where about every other
// credential has a finding (each finding costs a SHA-256 id, a message and
// its place in the sorted result).
func BenchmarkEvaluate1M(b *testing.B) {
	for _, bc := range []struct {
		name string
		mix  benchMix
	}{{"typical", typicalMix}, {"neglected", neglectedMix}} {
		b.Run(bc.name, func(b *testing.B) {
			t := benchTenant(250_000, bc.mix)
			cfg := DefaultConfig()
			creds := 0
			for _, o := range t.Objects {
				creds += len(o.Credentials)
			}
			b.ReportAllocs()
			b.ResetTimer()
			var findings int
			for b.Loop() {
				findings = len(Evaluate(t, cfg, now))
			}
			b.ReportMetric(float64(creds)*float64(b.N)/b.Elapsed().Seconds(), "creds/s")
			b.ReportMetric(float64(findings), "findings/op")
		})
	}
}
