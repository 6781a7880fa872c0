package emulator

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/credwatch/credwatch/internal/msgraph"
)

// Options configure a Server.
type Options struct {
	Listen string // "127.0.0.1:0" when empty
	// Directory is the tenant served, TenantID included. Start copies it:
	// changes made through the API show in Server.Directory, never here.
	Directory *msgraph.Directory
	Clients   []Client // clients allowed to get tokens
	Faults    Faults
	Logger    *slog.Logger     // nil = discard
	Now       func() time.Time // nil = time.Now

	// NonPremium serves a tenant without Entra ID P1/P2: sign-ins and
	// usage reports answer 403; directory audits stay available.
	NonPremium bool
	// ReportsLimit throttles the audit log, sign-in and report endpoints
	// per client; the zero value is Graph's 5 requests per 10 s.
	ReportsLimit RateLimit
	// Throttling is the directory's resource-unit budget per client; the
	// zero value prices requests but refuses none.
	Throttling Throttling
}

// Client is an application allowed to get tokens from the token service.
type Client struct {
	ID            string
	Secret        string              // "" = no secret accepted
	SecretExpires time.Time           // zero = never; expired -> AADSTS7000222
	Certificates  []*x509.Certificate // accepted for client_assertion
	Roles         []string            // app roles in issued tokens, e.g. "Application.Read.All"
}

// Server is a running emulator.
type Server struct {
	log     *slog.Logger
	now     func() time.Time
	tenant  string
	clients map[string]*Client // by lower-case client id

	// mu guards the served tenant: API writes take it exclusively,
	// Graph reads shared. src is Start's copy of Options.Directory, which
	// writes change in place; dir and act index it.
	mu         sync.RWMutex
	src        *msgraph.Directory
	dir        *directory
	act        *activityState
	nonPremium bool
	throttle   *throttle
	keyLists   *throttle // application lists selecting keyCredentials
	budget     *budget
	// changes logs what writes and Mutate changed, for delta queries.
	changes changeLog

	caPEM     []byte
	roots     *x509.CertPool
	signKey   *rsa.PrivateKey
	signKeyID string
	pageSeal  cipher.AEAD

	ln     net.Listener
	http   *http.Server
	url    string
	faults *faultState
	stats  statsCounter

	closeOnce sync.Once
	closeErr  error
	done      chan struct{}
}

// sharedSigningKey, when set (by tests, where RSA key generation dominates
// the run time), replaces the signing key otherwise generated at Start.
var sharedSigningKey *rsa.PrivateKey

// tenantIDPattern is what azidentity accepts as a tenant id.
var tenantIDPattern = regexp.MustCompile(`^[0-9a-zA-Z.-]+$`)

// Start validates opts, generates a CA, a TLS certificate and a token
// signing key, and serves until Close.
func Start(opts Options) (*Server, error) {
	if opts.Directory == nil {
		return nil, errors.New("emulator: Options.Directory is required")
	}
	tenant := opts.Directory.TenantID
	if !tenantIDPattern.MatchString(tenant) {
		return nil, fmt.Errorf("emulator: directory tenantId %q: want letters, digits, '-' or '.'", tenant)
	}
	s := &Server{
		log:        opts.Logger,
		now:        opts.Now,
		tenant:     strings.ToLower(tenant),
		clients:    make(map[string]*Client, len(opts.Clients)),
		nonPremium: opts.NonPremium,
		done:       make(chan struct{}),
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.now == nil {
		s.now = time.Now
	}
	for i := range opts.Clients {
		c := opts.Clients[i]
		key := strings.ToLower(c.ID)
		if key == "" {
			return nil, fmt.Errorf("emulator: clients[%d].ID: required", i)
		}
		if _, dup := s.clients[key]; dup {
			return nil, fmt.Errorf("emulator: clients[%d].ID %s: registered twice", i, c.ID)
		}
		c.Certificates = append([]*x509.Certificate(nil), c.Certificates...)
		c.Roles = append([]string(nil), c.Roles...)
		s.clients[key] = &c
	}
	s.src = deepCopy(opts.Directory)
	dir, err := indexDirectory(s.src)
	if err != nil {
		return nil, fmt.Errorf("emulator: %w", err)
	}
	s.dir = dir
	s.act = newActivityState(s.src)
	if s.faults, err = newFaultState(opts.Faults); err != nil {
		return nil, fmt.Errorf("emulator: %w", err)
	}
	if s.throttle, err = newThrottle(opts.ReportsLimit); err != nil {
		return nil, fmt.Errorf("emulator: %w", err)
	}
	if s.budget, err = newBudget(opts.Throttling, dir.users()); err != nil {
		return nil, fmt.Errorf("emulator: %w", err)
	}
	// The keyCredentials list limit is per tenant, so one key for all.
	s.keyLists, _ = newThrottle(RateLimit{Requests: s.budget.cfg.KeyCredentialLists, Window: time.Minute})

	listen := opts.Listen
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return nil, fmt.Errorf("emulator: listen address %q: %w", listen, err)
	}
	pki, err := newPKI(host, time.Now())
	if err != nil {
		return nil, fmt.Errorf("emulator: %w", err)
	}
	s.caPEM, s.roots = pki.caPEM, pki.roots
	if s.signKey = sharedSigningKey; s.signKey == nil {
		if s.signKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			return nil, fmt.Errorf("emulator: token signing key: %w", err)
		}
	}
	s.signKeyID = keyID(&s.signKey.PublicKey)
	sealKey := make([]byte, 32)
	if _, err := rand.Read(sealKey); err != nil {
		return nil, fmt.Errorf("emulator: page token key: %w", err)
	}
	block, err := aes.NewCipher(sealKey)
	if err != nil {
		return nil, fmt.Errorf("emulator: page token key: %w", err)
	}
	if s.pageSeal, err = cipher.NewGCM(block); err != nil {
		return nil, fmt.Errorf("emulator: page token key: %w", err)
	}

	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("emulator: listen: %w", err)
	}
	s.ln = ln
	s.url = "https://" + urlHostPort(host, ln.Addr())
	tlsConf := &tls.Config{
		Certificates: []tls.Certificate{pki.leaf},
		MinVersion:   tls.VersionTLS12,
		// HTTP/1.1 only: the reset and truncation faults hijack the
		// connection, which HTTP/2 does not allow.
		NextProtos: []string{"http/1.1"},
	}
	s.http = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		TLSNextProto:      map[string]func(*http.Server, *tls.Conn, http.Handler){},
		// Handshake failures from clients that do not trust the CA are
		// normal here; keep them out of stderr.
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	go func() {
		defer close(s.done)
		err := s.http.Serve(tls.NewListener(ln, tlsConf))
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("emulator stopped", "err", err)
		}
	}()
	s.log.Info("emulator started", "url", s.url, "tenant", s.tenant,
		"applications", len(dir.apps), "servicePrincipals", len(dir.sps), "clients", len(s.clients))
	return s, nil
}

// urlHostPort is the host:port clients should use: the listen host, with
// unspecified addresses replaced by loopback.
func urlHostPort(host string, addr net.Addr) string {
	_, port, _ := net.SplitHostPort(addr.String())
	ip := net.ParseIP(host)
	switch {
	case host == "" || (ip != nil && ip.IsUnspecified()):
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// URL is the server's base URL, https://127.0.0.1:PORT.
func (s *Server) URL() string { return s.url }

// AuthorityHost is the authority host for azidentity's cloud configuration.
func (s *Server) AuthorityHost() string { return s.url + "/" }

// GraphURL is the Graph v1.0 root.
func (s *Server) GraphURL() string { return s.url + "/v1.0" }

// GraphBetaURL is the Graph beta root, where sign-ins and usage reports
// live.
func (s *Server) GraphBetaURL() string { return s.url + "/beta" }

// Directory returns a deep copy of the tenant as it stands now: the
// Directory given to Start with every change made through the API since,
// and the audit records those changes wrote.
func (s *Server) Directory() *msgraph.Directory {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return deepCopy(s.src)
}

// TenantID is the tenant served.
func (s *Server) TenantID() string { return s.tenant }

// CACertPEM is the CA certificate generated at Start, in PEM.
func (s *Server) CACertPEM() []byte { return append([]byte(nil), s.caPEM...) }

// Client returns an HTTP client that trusts the server's CA.
func (s *Server) Client() *http.Client {
	return &http.Client{Transport: &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: s.roots, MinVersion: tls.VersionTLS12},
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     30 * time.Second,
	}}
}

// SetFaults replaces the fault configuration at run time; the random
// generator is reseeded from f.Seed and scripted counts start afresh. An
// invalid configuration is refused and the previous one kept.
func (s *Server) SetFaults(f Faults) error {
	if err := s.faults.set(f); err != nil {
		return fmt.Errorf("emulator: %w", err)
	}
	return nil
}

// Close stops the server and waits for it to finish serving.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		// Close, not Shutdown: clients dial spare connections they never
		// use, and Shutdown counts those as active for five seconds. Nothing
		// in flight at Close is worth waiting for in an emulator.
		err := s.http.Close()
		<-s.done
		s.closeErr = err
	})
	return s.closeErr
}

// ServeHTTP routes token service and Graph requests.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if p == "/v1.0" || strings.HasPrefix(p, "/v1.0/") || p == "/beta" || strings.HasPrefix(p, "/beta/") {
		s.serveGraph(w, r, nil)
		return
	}
	s.serveSTS(w, r)
}

// baseURL is scheme and host as the client reached us, so links and
// issuers match the authority it configured.
func baseURL(r *http.Request) string {
	return "https://" + r.Host
}
