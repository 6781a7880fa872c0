package keyvault

import (
	"crypto/rsa"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/credwatch/credwatch/internal/emulator/tokencheck"
	"github.com/credwatch/credwatch/internal/localtls"
)

// DefaultSubscriptionID is the subscription vaults live in when
// Options.SubscriptionID is empty.
const DefaultSubscriptionID = "00000000-0000-4000-8000-00000000c0de"

// Options configure a Server.
type Options struct {
	// Listen is the host every listener binds (one port per vault and one
	// for the management plane); default 127.0.0.1.
	Listen string
	// TenantID is the tenant whose tokens are accepted; required.
	TenantID string
	// AuthorityHost is the token service (https://host:port/) that the
	// 401 challenge names and whose key set,
	// {AuthorityHost}{tenant}/discovery/v2.0/keys, signs accepted tokens.
	AuthorityHost string
	// HTTPClient fetches the key set; it must trust the token service's
	// CA. Default http.DefaultClient.
	HTTPClient *http.Client
	// SigningKeys, when set, are trusted (by key id) instead of fetching
	// the key set.
	SigningKeys map[string]*rsa.PublicKey
	// SubscriptionID holds the vaults; default DefaultSubscriptionID.
	SubscriptionID string
	// ManagementReaders are the principals, by object id as Azure role
	// assignments name them, that may read vaults through the management
	// plane; nil lets every authenticated caller read.
	ManagementReaders []string
	Vaults            []Vault
	Logger            *slog.Logger     // nil = discard
	Now               func() time.Time // nil = time.Now
}

// Vault is one key vault: its management-plane properties, who may use
// its data plane, and the secrets and certificates it starts with.
type Vault struct {
	Name          string // 3–24 letters, digits and hyphens
	ResourceGroup string // default "rg-credwatch"
	Location      string // default "westeurope"
	Tags          map[string]string

	EnableRBACAuthorization bool
	EnableSoftDelete        bool
	// SoftDeleteRetentionDays applies with soft delete; default 90.
	SoftDeleteRetentionDays int
	EnablePurgeProtection   bool
	// PublicNetworkAccess is "Enabled" (default) or "Disabled".
	PublicNetworkAccess string
	// NetworkACLs is the firewall; nil means none (every address allowed).
	NetworkACLs *NetworkACLs

	// AccessPolicies apply when RBAC authorisation is off; RoleAssignments
	// when it is on.
	AccessPolicies     []AccessPolicy
	RoleAssignments    []RoleAssignment
	DiagnosticSettings []DiagnosticSetting

	// Secrets are versions in the order written: a name given twice gets
	// two versions, the later one current.
	Secrets      []Secret
	Certificates []Certificate
}

// NetworkACLs is a vault's firewall.
type NetworkACLs struct {
	DefaultAction string   // "Allow" or "Deny"
	Bypass        string   // "AzureServices" or "None"
	IPRules       []string // addresses or CIDR ranges allowed when the default is Deny
}

// AccessPolicy grants one principal data-plane permissions on a vault
// that does not use RBAC, as Key Vault's lower-case permission names
// (get, list, set, delete; create, import for certificates).
type AccessPolicy struct {
	// ObjectID is the principal's object id, matched against the token's
	// oid (letter case ignored); an app id grants nothing, as in Azure.
	// Compound identities (applicationId beside objectId) are not
	// modelled: credwatch signs in as an application only.
	ObjectID     string
	Secrets      []string
	Certificates []string
	Keys         []string
}

// RoleAssignment gives a principal a Key Vault data role on an RBAC vault:
// "Key Vault Administrator", "Key Vault Secrets Officer", "Key Vault
// Secrets User", "Key Vault Certificates Officer", "Key Vault Certificate
// User" or "Key Vault Reader".
type RoleAssignment struct {
	// Principal is the principalId of the assignment: the object id of
	// the caller's service principal, the token's oid (letter case
	// ignored). An app id grants nothing, as in Azure.
	Principal string
	Role      string
}

// DiagnosticSetting sends a vault's logs somewhere.
type DiagnosticSetting struct {
	Name             string
	WorkspaceID      string // a Log Analytics workspace resource id
	StorageAccountID string
	EventHubRuleID   string
	Logs             []LogSetting
}

// LogSetting enables one log category (AuditEvent) or category group
// (audit, allLogs).
type LogSetting struct {
	Category      string
	CategoryGroup string
	Enabled       bool
}

// Secret is one version of a secret.
type Secret struct {
	Name        string
	Value       string
	ContentType string
	Tags        map[string]string
	Disabled    bool
	NotBefore   time.Time // zero = none
	Expires     time.Time // zero = none
	Created     time.Time // zero = the server's now at Start
}

// Certificate is one version of a certificate, from its DER encoding.
type Certificate struct {
	Name    string
	DER     []byte
	Tags    map[string]string
	Created time.Time // zero = the server's now at Start
}

// Server is a running Key Vault emulator.
type Server struct {
	log    *slog.Logger
	now    func() time.Time
	tenant string
	authz  string // authority host without trailing slash
	sub    string
	mgmtRd []string
	keys   *tokencheck.KeySet

	mu     sync.Mutex // guards vaults' contents and faults
	vaults map[string]*vault
	order  []*vault
	faults []*faultRule

	pki     *localtls.PKI
	mgmtURL string
	servers []*http.Server
	done    []chan struct{}

	closeOnce sync.Once
}

var vaultNamePattern = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$`)

// Start validates opts, generates a CA and serves each vault and the
// management plane on a port of its own until Close.
func Start(opts Options) (*Server, error) {
	if strings.TrimSpace(opts.TenantID) == "" {
		return nil, errors.New("keyvault emulator: Options.TenantID is required")
	}
	au, err := url.Parse(opts.AuthorityHost)
	if err != nil || au.Scheme != "https" || au.Host == "" {
		return nil, fmt.Errorf("keyvault emulator: Options.AuthorityHost %q: want https://host[:port]/", opts.AuthorityHost)
	}
	s := &Server{
		log:    opts.Logger,
		now:    opts.Now,
		tenant: strings.ToLower(opts.TenantID),
		authz:  strings.TrimRight(opts.AuthorityHost, "/"),
		sub:    opts.SubscriptionID,
		mgmtRd: append([]string(nil), opts.ManagementReaders...),
		vaults: map[string]*vault{},
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.sub == "" {
		s.sub = DefaultSubscriptionID
	}
	s.keys = tokencheck.NewKeySet(tokencheck.KeySetOptions{AuthorityHost: opts.AuthorityHost, TenantID: s.tenant,
		HTTPClient: opts.HTTPClient, Fixed: opts.SigningKeys, Logger: s.log})
	host := opts.Listen
	if host == "" {
		host = "127.0.0.1"
	}
	if s.pki, err = newPKI(host, time.Now()); err != nil {
		return nil, fmt.Errorf("keyvault emulator: %w", err)
	}
	for i := range opts.Vaults {
		v, err := s.newVault(opts.Vaults[i])
		if err != nil {
			return nil, fmt.Errorf("keyvault emulator: vaults[%d]: %w", i, err)
		}
		key := strings.ToLower(v.cfg.Name)
		if _, dup := s.vaults[key]; dup {
			return nil, fmt.Errorf("keyvault emulator: vaults[%d]: name %s used twice", i, v.cfg.Name)
		}
		s.vaults[key] = v
		s.order = append(s.order, v)
	}
	for _, v := range s.order {
		u, err := s.serve(host, s.dataHandler(v))
		if err != nil {
			s.Close()
			return nil, err
		}
		v.url = u
	}
	if s.mgmtURL, err = s.serve(host, http.HandlerFunc(s.serveManagement)); err != nil {
		s.Close()
		return nil, err
	}
	s.log.Info("key vault emulator started", "management", s.mgmtURL, "vaults", len(s.order))
	return s, nil
}

// serve listens on a new port of host and serves h over TLS.
func (s *Server) serve(host string, h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return "", fmt.Errorf("keyvault emulator: listen: %w", err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	urlHost := host
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		urlHost = "127.0.0.1"
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	done := make(chan struct{})
	s.servers = append(s.servers, srv)
	s.done = append(s.done, done)
	tl := tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{s.pki.Leaf}, MinVersion: tls.VersionTLS12})
	go func() {
		defer close(done)
		if err := srv.Serve(tl); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("key vault emulator listener stopped", "err", err)
		}
	}()
	return "https://" + net.JoinHostPort(urlHost, port), nil
}

// Close stops every listener.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		for i, srv := range s.servers {
			_ = srv.Close()
			<-s.done[i]
		}
	})
	return nil
}

// VaultURL is a vault's data-plane URL (https://127.0.0.1:PORT/), or ""
// for a vault the server does not hold.
func (s *Server) VaultURL(name string) string {
	if v, ok := s.vaults[strings.ToLower(name)]; ok {
		return v.url + "/"
	}
	return ""
}

// ManagementURL is the Azure Resource Manager endpoint
// (https://127.0.0.1:PORT), where vault resource ids resolve.
func (s *Server) ManagementURL() string { return s.mgmtURL }

// SubscriptionID is the subscription holding the vaults.
func (s *Server) SubscriptionID() string { return s.sub }

// ResourceID is a vault's Azure resource id, or "" for an unknown vault.
func (s *Server) ResourceID(name string) string {
	if v, ok := s.vaults[strings.ToLower(name)]; ok {
		return s.resourceID(v)
	}
	return ""
}

func (s *Server) resourceID(v *vault) string {
	return "/subscriptions/" + s.sub + "/resourceGroups/" + v.cfg.ResourceGroup +
		"/providers/Microsoft.KeyVault/vaults/" + v.cfg.Name
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

// SecretVersions lists a secret's versions as the server holds them,
// oldest first, values included: for tests, which check what reached the
// vault. Nil for an unknown vault or secret.
func (s *Server) SecretVersions(vaultName, secret string) []Secret {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.vaults[strings.ToLower(vaultName)]
	if !ok {
		return nil
	}
	it := v.secrets[strings.ToLower(secret)]
	if it == nil {
		return nil
	}
	out := make([]Secret, 0, len(it.versions))
	for _, sv := range it.versions {
		out = append(out, Secret{Name: it.name, Value: sv.value, ContentType: sv.contentType, Tags: cloneTags(sv.tags),
			Disabled: !sv.enabled, NotBefore: sv.nbf, Expires: sv.exp, Created: sv.created})
	}
	return out
}
