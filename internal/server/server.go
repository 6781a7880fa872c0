package server

import (
	"context"
	crand "crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	mathrand "math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/credwatch/credwatch/internal/store"
)

// Options configure a Server.
type Options struct {
	Store *store.Store
	// Tenants are the tenant ids served (from config). Pages and the API
	// show only these tenants, even when the store holds others.
	Tenants []string
	// Scan runs one scan of a tenant (collect, evaluate, store, notify). It
	// must return soon after ctx ends. Nil disables scanning: no scheduler
	// and no "scan now".
	Scan func(ctx context.Context, tenantID string) error
	// Interval is each tenant's scan interval, jittered by ±10% so tenants
	// drift apart. Zero means no scheduled scans (only "scan now"), and
	// readiness does not judge the age of scans.
	Interval time.Duration
	// Metrics is mounted at /metrics when non-nil (behind Auth).
	Metrics http.Handler
	// Ready adds readiness checks (notification failures, say); detail is
	// shown in the /readyz body, so it must hold no secret. May be nil.
	Ready func() (ok bool, detail map[string]any)
	// Auth protects every path but /healthz when set.
	Auth   AuthConfig
	Logger *slog.Logger
	// Now is the clock pages and readiness use; time.Now when nil.
	Now func() time.Time
	// Rand returns a number in [0, 1) for the jitter; math/rand when nil.
	Rand func() float64
}

// AuthConfig holds the dashboard's credentials. The values come from the
// environment and are never logged: String, GoString and LogValue show
// only which kinds are configured.
type AuthConfig struct {
	BearerToken   string
	BasicUser     string
	BasicPassword string
}

// Enabled reports whether any credential is configured.
func (a AuthConfig) Enabled() bool {
	return a.BearerToken != "" || a.BasicUser != "" || a.BasicPassword != ""
}

func (a AuthConfig) validate() error {
	if (a.BasicUser == "") != (a.BasicPassword == "") {
		return errors.New("auth: basic authentication needs both a user and a password")
	}
	for _, r := range a.BasicUser {
		if r == ':' || r < 0x20 || r == 0x7f {
			return errors.New("auth: basic user must not contain ':' or control characters")
		}
	}
	return nil
}

// mode names the configured kinds of credentials, for messages and logs.
func (a AuthConfig) mode() string {
	switch {
	case a.BearerToken != "" && a.BasicUser != "":
		return "bearer+basic"
	case a.BearerToken != "":
		return "bearer"
	case a.BasicUser != "":
		return "basic"
	}
	return "none"
}

// String names the configured kinds, never the values: "auth(basic)".
func (a AuthConfig) String() string { return "auth(" + a.mode() + ")" }

// GoString keeps %#v from printing the fields.
func (a AuthConfig) GoString() string { return a.String() }

// LogValue keeps slog from printing the fields.
func (a AuthConfig) LogValue() slog.Value { return slog.StringValue(a.mode()) }

// Format keeps every fmt verb (%+v included) from printing the fields.
func (a AuthConfig) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(a.String())) }

var (
	// ErrUnknownTenant is returned for a tenant id the server does not serve.
	ErrUnknownTenant = errors.New("unknown tenant")
	// ErrNotRunning is returned by ScanNow while Run is not running.
	ErrNotRunning = errors.New("scheduler is not running")
	// ErrNoScanner is returned by ScanNow when Options.Scan is nil.
	ErrNoScanner = errors.New("scanning is not configured")
)

// Server serves the dashboard and API and runs the scheduler.
type Server struct {
	o       Options
	store   *store.Store
	tenants []string
	log     *slog.Logger
	now     func() time.Time
	rand    func() float64
	csrfKey []byte
	// crossOrigin rejects cross-site POSTs by Sec-Fetch-Site and Origin.
	crossOrigin *http.CrossOriginProtection

	records *lru[int64, *store.Record]
	diffs   *lru[[2]int64, *store.Diff]

	mu      sync.Mutex
	running bool
	state   map[string]*tenantState

	handler http.Handler
}

// New checks the options and builds a Server. It starts nothing: serve
// Handler() and call Run for the scheduler.
func New(o Options) (*Server, error) {
	if o.Store == nil {
		return nil, errors.New("new server: no store")
	}
	if len(o.Tenants) == 0 {
		return nil, errors.New("new server: no tenants to serve")
	}
	seen := map[string]bool{}
	for i, id := range o.Tenants {
		switch {
		case id == "":
			return nil, fmt.Errorf("new server: tenants[%d]: empty tenant id", i)
		case seen[id]:
			return nil, fmt.Errorf("new server: tenants[%d]: tenant %q listed twice", i, id)
		}
		seen[id] = true
	}
	if o.Interval < 0 {
		return nil, fmt.Errorf("new server: interval %s is negative", o.Interval)
	}
	if o.Interval > 0 && o.Scan == nil {
		return nil, errors.New("new server: a scan interval needs a Scan func")
	}
	if err := o.Auth.validate(); err != nil {
		return nil, fmt.Errorf("new server: %w", err)
	}
	s := &Server{
		o:           o,
		store:       o.Store,
		tenants:     append([]string(nil), o.Tenants...),
		log:         o.Logger,
		now:         o.Now,
		rand:        o.Rand,
		csrfKey:     make([]byte, 32),
		crossOrigin: http.NewCrossOriginProtection(),
		records:     newLRU[int64, *store.Record](2*len(o.Tenants) + 4),
		diffs:       newLRU[[2]int64, *store.Diff](256),
		state:       make(map[string]*tenantState, len(o.Tenants)),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.rand == nil {
		s.rand = mathrand.Float64
	}
	// The CSRF key lives only in memory: a restart invalidates open forms,
	// which costs one resubmission. (crypto/rand.Read cannot fail.)
	_, _ = crand.Read(s.csrfKey)
	for _, id := range s.tenants {
		s.state[id] = &tenantState{trigger: make(chan struct{}, 1)}
	}
	s.handler = s.routes()
	return s, nil
}

// Handler is the HTTP handler for every endpoint.
func (s *Server) Handler() http.Handler { return s.handler }

// serves reports whether the server serves the tenant.
func (s *Server) serves(tenantID string) bool {
	_, ok := s.state[tenantID]
	return ok
}

// routes builds the handler tree: /healthz answers anyone; everything else
// passes the auth check first.
func (s *Server) routes() http.Handler {
	app := http.NewServeMux()
	app.HandleFunc("GET /readyz", s.readyz)
	app.HandleFunc("GET /{$}", s.overview)
	app.HandleFunc("GET /credentials", s.credentials)
	app.HandleFunc("GET /apps/{objectType}/{objectId}", s.appDetail)
	app.HandleFunc("GET /scans", s.scans)
	app.HandleFunc("POST /scans", s.scanNowForm)
	app.HandleFunc("GET /scans/{id}", s.scanDetail)
	app.HandleFunc("GET /api/v1/scans", s.apiScans)
	app.HandleFunc("GET /api/v1/scans/{id}", s.apiScan)
	app.HandleFunc("GET /api/v1/findings", s.apiFindings)
	if s.o.Metrics != nil {
		app.Handle("GET /metrics", s.o.Metrics)
	}
	app.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		s.errorPage(w, r, http.StatusNotFound, "No page here.")
	})

	root := http.NewServeMux()
	root.HandleFunc("GET /healthz", s.healthz)
	root.Handle("/", s.requireAuth(app))
	return s.logRequests(securityHeaders(root))
}
