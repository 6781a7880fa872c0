package logsingestion

import (
	"crypto/rsa"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/credwatch/credwatch/internal/emulator/tokencheck"
	"github.com/credwatch/credwatch/internal/localtls"
)

// APIVersion is the api-version the service answers.
const APIVersion = "2023-01-01"

// MaxBodyBytes is the service's limit on one call, as sent and after
// decompression: its 413 says "Maximum allowed content length: 1048576
// bytes (1 MB)".
const MaxBodyBytes = 1 << 20

// MaxFieldBytes is the longest field value kept; longer values are cut,
// as the service cuts them.
const MaxFieldBytes = 64 << 10

// DefaultRequestsPerMinute is the service's limit of calls per minute per
// data collection rule.
const DefaultRequestsPerMinute = 12_000

// Audience is what tokens for the Logs Ingestion API are issued for in the
// public cloud.
const Audience = "https://monitor.azure.com"

// PublisherRole is the built-in role whose data action lets a principal
// send data through a data collection rule.
const PublisherRole = "Monitoring Metrics Publisher"

// DefaultSubscriptionID holds the rules when Options.SubscriptionID is
// empty.
const DefaultSubscriptionID = "00000000-0000-4000-8000-00000000c0de"

// Options configure a Server.
type Options struct {
	// Listen is the address to serve on; default 127.0.0.1:0 (any port).
	Listen string
	// TenantID is the tenant whose tokens are accepted; required.
	TenantID string
	// AuthorityHost is the token service (https://host:port/) whose key
	// set, {AuthorityHost}{tenant}/discovery/v2.0/keys, signs accepted
	// tokens.
	AuthorityHost string
	// HTTPClient fetches the key set; it must trust the token service's
	// CA. Default http.DefaultClient.
	HTTPClient *http.Client
	// SigningKeys, when set, are trusted (by key id) instead of fetching
	// the key set.
	SigningKeys map[string]*rsa.PublicKey
	// SubscriptionID holds the rules, for their resource ids; default
	// DefaultSubscriptionID.
	SubscriptionID string
	// Rules are the data collection rules served.
	Rules []Rule
	// RequestsPerMinute bounds the calls to each rule in a minute; 0 means
	// DefaultRequestsPerMinute, a negative value no limit.
	RequestsPerMinute int
	Logger            *slog.Logger     // nil = discard
	Now               func() time.Time // nil = time.Now
}

// Rule is a data collection rule that takes data through the API.
type Rule struct {
	// ImmutableID is what calls name: "dcr-" and 32 hex digits.
	ImmutableID string
	// Name and ResourceGroup place the rule's resource id; defaults
	// "dcr-credwatch" and "rg-monitoring".
	Name, ResourceGroup string
	// Streams are the input streams declared.
	Streams []Stream
	// RoleAssignments are the roles principals hold on the rule. Only
	// PublisherRole lets a principal send data.
	RoleAssignments []RoleAssignment
}

// Stream is a declared input stream, such as Custom-MyTable.
type Stream struct {
	Name string
	// Columns are the declared columns; with none, any column whose name a
	// declaration could hold is taken.
	Columns []Column
}

// Column is a declared column: a name and one of string, int, long,
// real, boolean, datetime or dynamic.
type Column struct {
	Name, Type string
}

// RoleAssignment gives a principal a built-in Azure role on a rule:
// "Monitoring Metrics Publisher", "Monitoring Reader", "Monitoring
// Contributor", "Reader", "Contributor" or "Owner". As in Azure, Principal
// is the object id of the caller's service principal (its tokens' oid
// claim), never its app id.
type RoleAssignment struct {
	Principal string
	Role      string
}

// Request is what the server saw of one call; refused calls included.
type Request struct {
	RuleID, Stream  string // as the path named them
	Principal       string // the caller's app id, once its token is checked
	Gzip            bool
	WireBytes       int // body as sent
	Bytes           int // body after decompression
	Rows            int // rows kept; 0 when refused
	Status          int
	Code            string // error code; "" on success
	ClientRequestID string
}

// Server is a running Logs Ingestion emulator. Its methods are safe for
// concurrent use.
type Server struct {
	log    *slog.Logger
	now    func() time.Time
	tenant string
	keys   *tokencheck.KeySet
	limit  int

	mu       sync.Mutex // guards rules' contents, requests and faults
	rules    map[string]*rule
	requests []Request
	faults   []*faultRule

	pki  *localtls.PKI
	url  string
	srv  *http.Server
	done chan struct{}

	closeOnce sync.Once
}

// rule is a Rule as served.
type rule struct {
	cfg     Rule
	armID   string
	streams map[string]*stream // by lower-case name
	// A fixed one-minute window counts calls for the rate limit.
	windowStart time.Time
	calls       int
}

type stream struct {
	cfg  Stream
	cols map[string]bool // nil: any valid name
	rows []json.RawMessage
}

// Start validates opts, generates a CA and serves until Close.
func Start(opts Options) (*Server, error) {
	if strings.TrimSpace(opts.TenantID) == "" {
		return nil, errors.New("logs ingestion emulator: Options.TenantID is required")
	}
	au, err := url.Parse(opts.AuthorityHost)
	if err != nil || au.Scheme != "https" || au.Host == "" {
		return nil, fmt.Errorf("logs ingestion emulator: Options.AuthorityHost %q: want https://host[:port]/", opts.AuthorityHost)
	}
	s := &Server{
		log:    opts.Logger,
		now:    opts.Now,
		tenant: strings.ToLower(opts.TenantID),
		limit:  opts.RequestsPerMinute,
		rules:  map[string]*rule{},
		done:   make(chan struct{}),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.limit == 0 {
		s.limit = DefaultRequestsPerMinute
	}
	s.keys = tokencheck.NewKeySet(tokencheck.KeySetOptions{AuthorityHost: opts.AuthorityHost, TenantID: s.tenant,
		HTTPClient: opts.HTTPClient, Fixed: opts.SigningKeys, Logger: s.log})
	sub := opts.SubscriptionID
	if sub == "" {
		sub = DefaultSubscriptionID
	}
	for i, rc := range opts.Rules {
		ru, err := newRule(rc, sub)
		if err != nil {
			return nil, fmt.Errorf("logs ingestion emulator: rules[%d]: %w", i, err)
		}
		key := strings.ToLower(rc.ImmutableID)
		if _, dup := s.rules[key]; dup {
			return nil, fmt.Errorf("logs ingestion emulator: rules[%d]: immutable id %s used twice", i, rc.ImmutableID)
		}
		s.rules[key] = ru
	}

	listen := opts.Listen
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return nil, fmt.Errorf("logs ingestion emulator: listen address %q: want host:port", listen)
	}
	// TLS validity uses the real clock: clients check it against theirs.
	if s.pki, err = localtls.New(host, time.Now()); err != nil {
		return nil, fmt.Errorf("logs ingestion emulator: %w", err)
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("logs ingestion emulator: listen: %w", err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	urlHost := host
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		urlHost = "127.0.0.1"
	}
	s.url = "https://" + net.JoinHostPort(urlHost, port)
	s.srv = &http.Server{
		Handler:           http.HandlerFunc(s.serveHTTP),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	tl := tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{s.pki.Leaf}, MinVersion: tls.VersionTLS12})
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(tl); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("logs ingestion emulator stopped", "err", err)
		}
	}()
	s.log.Info("logs ingestion emulator started", "endpoint", s.url, "rules", len(s.rules))
	return s, nil
}

// Close stops the server.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		_ = s.srv.Close()
		<-s.done
	})
	return nil
}

// Endpoint is the data collection endpoint URL (https://127.0.0.1:PORT).
func (s *Server) Endpoint() string { return s.url }

// ResourceID is a rule's Azure resource id, or "" for an unknown rule.
func (s *Server) ResourceID(ruleID string) string {
	if ru, ok := s.rules[strings.ToLower(ruleID)]; ok {
		return ru.armID
	}
	return ""
}

// CACertPEM is the CA certificate generated at Start, in PEM.
func (s *Server) CACertPEM() []byte { return append([]byte(nil), s.pki.CAPEM...) }

// Client returns an HTTP client that trusts the server's CA and the PEM
// certificates given (such as the token service's CA).
func (s *Server) Client(extraCAs ...[]byte) *http.Client {
	pool := s.pki.Roots.Clone()
	for _, pem := range extraCAs {
		pool.AppendCertsFromPEM(pem)
	}
	return &http.Client{Transport: &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		MaxIdleConnsPerHost: 8,
		IdleConnTimeout:     30 * time.Second,
	}}
}

// Rows returns the rows a stream of a rule has kept, in the order
// received, decoded with numbers as json.Number. Nil for an unknown rule
// or stream.
func (s *Server) Rows(ruleID, streamName string) []map[string]any {
	ru, ok := s.rules[strings.ToLower(ruleID)]
	if !ok {
		return nil
	}
	st, ok := ru.streams[strings.ToLower(streamName)]
	if !ok {
		return nil
	}
	s.mu.Lock()
	raws := append([]json.RawMessage(nil), st.rows...)
	s.mu.Unlock()
	out := make([]map[string]any, 0, len(raws))
	for _, raw := range raws {
		out = append(out, decodeRow(raw))
	}
	return out
}

// Requests returns every call seen, refused ones included, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}
