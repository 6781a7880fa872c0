package emulator

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// TenantSize is a tenant's size tier, which sets Graph's identity and
// access budget per app per tenant.
type TenantSize string

// Tenant size tiers, as Graph's throttling limits define them.
const (
	TenantSmall  TenantSize = "S" // fewer than 50 users: 3,500 RU per 10 s
	TenantMedium TenantSize = "M" // 50 to 500 users: 5,000 RU per 10 s
	TenantLarge  TenantSize = "L" // more than 500 users: 8,000 RU per 10 s
)

// ResourceUnits is the tier's budget per 10 seconds.
func (z TenantSize) ResourceUnits() int {
	switch z {
	case TenantSmall:
		return 3500
	case TenantMedium:
		return 5000
	}
	return 8000
}

// sizeForUsers is the tier of a tenant with n users.
func sizeForUsers(n int) TenantSize {
	switch {
	case n < 50:
		return TenantSmall
	case n <= 500:
		return TenantMedium
	}
	return TenantLarge
}

// Throttling is Graph's identity and access budget: a token bucket of
// resource units (RU) per client, refilled evenly over Window, and a
// second bucket for writes. Each directory request costs the RU of its
// kind (see RequestCost); one the bucket cannot pay for is refused with
// 429 and a Retry-After after which it would be paid, and refused
// requests cost nothing. The zero value is off: every response still
// carries x-ms-resource-unit and Stats still count RU, but nothing is
// refused.
type Throttling struct {
	Enabled bool
	// Size picks the budget; "" derives it from the users the directory
	// knows (owners and audit actors).
	Size TenantSize
	// ResourceUnits per Window overrides Size when positive.
	ResourceUnits int
	// Window is the refill period; default 10 s.
	Window time.Duration
	// WriteQuota writes per WriteWindow; defaults 3,000 per 2 min 30 s.
	WriteQuota  int
	WriteWindow time.Duration
	// KeyCredentialLists bounds the application lists that $select
	// keyCredentials, per minute per tenant, whoever asks; default 150.
	KeyCredentialLists int
}

func (t Throttling) normalize(users int) (Throttling, error) {
	if t.ResourceUnits < 0 || t.Window < 0 || t.WriteQuota < 0 || t.WriteWindow < 0 || t.KeyCredentialLists < 0 {
		return t, fmt.Errorf("throttling: ResourceUnits, Window, WriteQuota, WriteWindow and KeyCredentialLists must not be negative")
	}
	switch t.Size {
	case "":
		t.Size = sizeForUsers(users)
	case TenantSmall, TenantMedium, TenantLarge:
	default:
		return t, fmt.Errorf("throttling.Size %q: want S, M or L", t.Size)
	}
	if t.ResourceUnits == 0 {
		t.ResourceUnits = t.Size.ResourceUnits()
	}
	if t.Window == 0 {
		t.Window = 10 * time.Second
	}
	if t.WriteQuota == 0 {
		t.WriteQuota = 3000
	}
	if t.WriteWindow == 0 {
		t.WriteWindow = 150 * time.Second
	}
	if t.KeyCredentialLists == 0 {
		t.KeyCredentialLists = 150
	}
	return t, nil
}

// RequestCost is the resource units Graph charges for one directory
// request (contract section 5): GET applications (list and delta) and GET
// servicePrincipals/{id}/appRoleAssignments cost 2, any other read 1,
// a write 1 (and one write from the write quota); $select takes 1 off,
// $expand adds 1, $top under 20 takes 1 off, and nothing costs less than
// 1. A $batch costs nothing itself: each request inside it is charged as
// if sent alone. The query options are read from the URL as sent, so a
// delta page after the first (whose $select travels in its token) costs
// the base price.
func RequestCost(method, path, rawQuery string) int {
	r := &http.Request{Method: method, URL: &url.URL{Path: path, RawQuery: rawQuery}}
	return costOf(parseRoute(r).kind, method, rawQuery)
}

// costOf prices a request of kind; 0 means it is not charged against the
// directory budget ($batch, audit logs and reports, which have their own
// limit).
func costOf(kind, method, rawQuery string) int {
	switch kind {
	case kindBatch, kindAudits, kindSignIns, kindCredUsage, kindOpenID, kindKeys, kindToken:
		return 0
	}
	if method != http.MethodGet && method != http.MethodHead {
		return 1
	}
	ru := 1
	switch kind {
	case kindListApps, kindDeltaApps, kindAssignments:
		ru = 2
	}
	for _, part := range strings.Split(rawQuery, "&") {
		k, v, _ := strings.Cut(part, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			continue
		}
		switch strings.ToLower(key) {
		case "$select":
			ru--
		case "$expand":
			ru++
		case "$top":
			if val, err := url.QueryUnescape(v); err == nil {
				if n, err := strconv.Atoi(strings.TrimSpace(val)); err == nil && n < 20 {
					ru--
				}
			}
		}
	}
	return max(ru, 1)
}

// Throttling is the budget the server applies, defaults filled in: the
// tier and resource units derived from the directory when not given.
func (s *Server) Throttling() Throttling { return s.budget.cfg }

// budget holds one bucket pair per client. Refill is continuous, so the
// wait it names in Retry-After is exact, rounded up to whole seconds.
type budget struct {
	mu      sync.Mutex
	cfg     Throttling
	buckets map[string]*bucket
}

type bucket struct {
	ru, writes float64
	at         time.Time
}

func newBudget(t Throttling, users int) (*budget, error) {
	t, err := t.normalize(users)
	if err != nil {
		return nil, err
	}
	return &budget{cfg: t, buckets: map[string]*bucket{}}, nil
}

// verdict is the budget's answer for one request.
type verdict struct {
	ok         bool
	retryAfter int     // whole seconds, when refused
	used       float64 // fraction of the RU bucket spent after this request
	info       string  // x-ms-throttle-information when refused
	scope      string  // Read, Write or ReadWrite, for x-ms-throttle-scope
}

// charge takes cost RU (and a write when write) from client's buckets at
// now, or refuses the request without taking anything.
func (b *budget) charge(client string, cost int, write bool, now time.Time) verdict {
	b.mu.Lock()
	defer b.mu.Unlock()
	capRU, capW := float64(b.cfg.ResourceUnits), float64(b.cfg.WriteQuota)
	k := b.buckets[client]
	if k == nil {
		k = &bucket{ru: capRU, writes: capW, at: now}
		b.buckets[client] = k
	}
	if dt := now.Sub(k.at); dt > 0 {
		k.ru = math.Min(capRU, k.ru+capRU*dt.Seconds()/b.cfg.Window.Seconds())
		k.writes = math.Min(capW, k.writes+capW*dt.Seconds()/b.cfg.WriteWindow.Seconds())
		k.at = now
	}
	scope := "Read"
	if write {
		scope = "ReadWrite"
	}
	c := float64(cost)
	if k.ru < c {
		wait := (c - k.ru) / capRU * b.cfg.Window.Seconds()
		return verdict{retryAfter: ceilSeconds(wait), used: (capRU - k.ru + c) / capRU, info: "ResourceUnitLimitExceeded", scope: scope}
	}
	if write && k.writes < 1 {
		wait := (1 - k.writes) / capW * b.cfg.WriteWindow.Seconds()
		return verdict{retryAfter: ceilSeconds(wait), used: (capRU - k.ru) / capRU, info: "WriteLimitExceeded", scope: "Write"}
	}
	k.ru -= c
	if write {
		k.writes--
	}
	return verdict{ok: true, used: (capRU - k.ru) / capRU}
}

// ceilSeconds rounds a wait up to whole seconds, at least 1: waiting that
// long always suffices.
func ceilSeconds(s float64) int {
	return max(1, int(math.Ceil(s-1e-9)))
}
