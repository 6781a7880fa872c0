package emulator

import (
	"maps"
	"sync"
)

// Stats counts requests by kind and the faults injected since Start.
// Requests inside a $batch count under their own kind as well as in
// BatchedRequests.
type Stats struct {
	OpenIDConfig  int // GET .well-known/openid-configuration
	TokenRequests int // POST oauth2/v2.0/token, whatever the outcome
	TokensIssued  int
	TokenFailures int

	// GraphRequests counts Graph requests off the wire ($batch posts
	// included, the requests inside them not); BatchedRequests counts
	// those inside batches.
	GraphRequests   int
	BatchedRequests int

	ListApplications             int
	ListServicePrincipals        int
	GetApplication               int
	GetServicePrincipal          int
	Owners                       int
	AppRoleAssignments           int
	FederatedIdentityCredentials int
	Batch                        int // POST $batch

	DirectoryAudits            int // GET auditLogs/directoryAudits
	SignIns                    int // GET auditLogs/signIns
	CredentialSignInActivities int // GET reports/appCredentialSignInActivities
	Policies                   int // GET of any app management policy path
	Mutations                  int // addPassword, removePassword, addKey, removeKey, PATCH, owner $ref add and removal
	// ReportsThrottled counts 429s from the reports limit (Options.ReportsLimit),
	// not from injected faults.
	ReportsThrottled int
	// KeyListsThrottled counts 429s from the limit on application lists
	// that select keyCredentials (Throttling.KeyCredentialLists).
	KeyListsThrottled int

	// ResourceUnits is what the directory budget charged (Throttling),
	// whether or not it is enforced; Throttled counts the 429s it gave.
	ResourceUnits int
	Throttled     int
	// ByKind splits requests, resource units and budget 429s by request
	// kind: "list-applications", "list-servicePrincipals",
	// "delta-applications", "delta-servicePrincipals", "owners",
	// "appRoleAssignments", "federatedIdentityCredentials",
	// "get-servicePrincipal", "batch", ... Requests inside a $batch count
	// under their own kind.
	ByKind map[string]KindStats

	Unauthorized int // Graph 401
	Forbidden    int // Graph 403
	NotFound     int // Graph 404

	// Status counts Graph responses (outer and inner) by HTTP status,
	// faults included.
	Status map[int]int
	Faults FaultStats
}

// KindStats counts one kind of request.
type KindStats struct {
	Requests      int
	ResourceUnits int
	Throttled     int
}

// FaultStats counts injected faults by kind.
type FaultStats struct {
	Latency        int // requests delayed (fixed latency, jitter or scripted delay)
	Throttle       int // 429
	Unavailable    int // 503
	GatewayTimeout int // 504
	Reset          int
	Truncate       int
}

// request kinds, used for stats and logs.
const (
	kindOpenID      = "openid-configuration"
	kindKeys        = "keys"
	kindToken       = "token"
	kindListApps    = "list-applications"
	kindListSPs     = "list-servicePrincipals"
	kindGetApp      = "get-application"
	kindGetSP       = "get-servicePrincipal"
	kindOwners      = "owners"
	kindAssignments = "appRoleAssignments"
	kindFICs        = "federatedIdentityCredentials"
	kindDeltaApps   = "delta-applications"
	kindDeltaSPs    = "delta-servicePrincipals"
	kindBatch       = "batch"
	kindCount       = "count"
	kindUnknown     = "unknown"

	kindAudits         = "directoryAudits"
	kindSignIns        = "signIns"
	kindCredUsage      = "appCredentialSignInActivities"
	kindTenantPolicy   = "defaultAppManagementPolicy"
	kindAppPolicies    = "appManagementPolicies"
	kindObjectPolicies = "object-appManagementPolicies"
	kindAddPassword    = "addPassword"
	kindRemovePassword = "removePassword"
	kindAddOwner       = "add-owner"
	kindRemoveOwner    = "remove-owner"
)

type statsCounter struct {
	mu sync.Mutex
	s  Stats
}

func (c *statsCounter) update(f func(*Stats)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f(&c.s)
}

func (c *statsCounter) kind(k string) {
	c.update(func(s *Stats) {
		s.byKind(k, func(ks *KindStats) { ks.Requests++ })
		switch k {
		case kindOpenID:
			s.OpenIDConfig++
		case kindToken:
			s.TokenRequests++
		case kindListApps:
			s.ListApplications++
		case kindListSPs:
			s.ListServicePrincipals++
		case kindGetApp:
			s.GetApplication++
		case kindGetSP:
			s.GetServicePrincipal++
		case kindOwners:
			s.Owners++
		case kindAssignments:
			s.AppRoleAssignments++
		case kindFICs:
			s.FederatedIdentityCredentials++
		case kindBatch:
			s.Batch++
		case kindAudits:
			s.DirectoryAudits++
		case kindSignIns:
			s.SignIns++
		case kindCredUsage:
			s.CredentialSignInActivities++
		case kindTenantPolicy, kindAppPolicies, kindObjectPolicies:
			s.Policies++
		case kindAddPassword, kindRemovePassword, kindAddKey, kindRemoveKey, kindUpdateApp, kindUpdateSP,
			kindAddOwner, kindRemoveOwner:
			s.Mutations++
		}
	})
}

// byKind changes the counters of kind k.
func (s *Stats) byKind(k string, f func(*KindStats)) {
	if s.ByKind == nil {
		s.ByKind = map[string]KindStats{}
	}
	ks := s.ByKind[k]
	f(&ks)
	s.ByKind[k] = ks
}

// charged counts resource units a request of kind k paid.
func (c *statsCounter) charged(k string, ru int) {
	c.update(func(s *Stats) {
		s.ResourceUnits += ru
		s.byKind(k, func(ks *KindStats) { ks.ResourceUnits += ru })
	})
}

// refused counts a 429 from the directory budget.
func (c *statsCounter) refused(k string) {
	c.update(func(s *Stats) {
		s.Throttled++
		s.byKind(k, func(ks *KindStats) { ks.Throttled++ })
	})
}

func (c *statsCounter) graphStatus(code int) {
	c.update(func(s *Stats) {
		if s.Status == nil {
			s.Status = map[int]int{}
		}
		s.Status[code]++
		switch code {
		case 401:
			s.Unauthorized++
		case 403:
			s.Forbidden++
		case 404:
			s.NotFound++
		}
	})
}

func (c *statsCounter) fault(k FaultKind) {
	c.update(func(s *Stats) {
		switch k {
		case FaultThrottle:
			s.Faults.Throttle++
		case FaultUnavailable:
			s.Faults.Unavailable++
		case FaultGatewayTimeout:
			s.Faults.GatewayTimeout++
		case FaultReset:
			s.Faults.Reset++
		case FaultTruncate:
			s.Faults.Truncate++
		}
	})
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	out := s.stats.s
	out.Status = maps.Clone(s.stats.s.Status)
	out.ByKind = maps.Clone(s.stats.s.ByKind)
	return out
}
