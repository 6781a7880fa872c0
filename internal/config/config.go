package config

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/credwatch/credwatch/internal/notify"
	"github.com/credwatch/credwatch/internal/policy"
)

// Config is a credwatch configuration file.
type Config struct {
	policy.Config `yaml:",inline"`
	// Tenants are the tenants serve mode scans, each judged by PolicyFor
	// its id; scan takes one from --tenant instead, with the overrides of
	// its entry here if it has one.
	Tenants []Tenant `yaml:"tenants,omitempty"`
	// Notifications configure channels, routes and reminders.
	Notifications *notify.Config `yaml:"notifications,omitempty"`
	// LogAnalytics, when set, sends findings and the credential inventory
	// to Azure Monitor through the Logs Ingestion API.
	LogAnalytics *LogAnalytics `yaml:"logAnalytics,omitempty"`
}

// Tenant is one tenant serve mode scans, with how to sign in to it. No
// secret is written here: only where to find it.
type Tenant struct {
	ID            string `yaml:"id"`
	Name          string `yaml:"name,omitempty"`
	Cloud         string `yaml:"cloud,omitempty"`
	AuthorityHost string `yaml:"authorityHost,omitempty"`
	GraphURL      string `yaml:"graphUrl,omitempty"`
	CAFile        string `yaml:"caFile,omitempty"`
	// ClientID signs in as this app registration; without it the process's
	// AZURE_* environment (or managed identity, or the Azure CLI) is used.
	ClientID string `yaml:"clientId,omitempty"`
	// ClientSecretEnv or ClientSecretFile name where the client secret is;
	// CertificateFile a PEM or PFX file (password in CertificatePasswordEnv).
	ClientSecretEnv        string `yaml:"clientSecretEnv,omitempty"`
	ClientSecretFile       string `yaml:"clientSecretFile,omitempty"`
	CertificateFile        string `yaml:"certificateFile,omitempty"`
	CertificatePasswordEnv string `yaml:"certificatePasswordEnv,omitempty"`
	// Policy overrides the top-level policy for this tenant; its keys are
	// the top-level policy's. Scalars written replace, mappings merge key
	// by key, lists append unless tagged !replace (policy.Override).
	Policy policy.Override `yaml:"policy,omitempty"`

	// effective is the top-level policy with Policy merged in, made when
	// the file is parsed; nil without overrides.
	effective *policy.Config
}

// LogAnalytics names a data collection rule and its endpoint.
type LogAnalytics struct {
	Endpoint          string `yaml:"endpoint"`
	RuleID            string `yaml:"ruleId"`
	FindingsStream    string `yaml:"findingsStream,omitempty"`
	CredentialsStream string `yaml:"credentialsStream,omitempty"`
}

// Default is the configuration without a file.
func Default() *Config {
	return &Config{Config: *policy.DefaultConfig()}
}

// Load reads and validates the file at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(data, path)
}

// Parse decodes and validates a configuration document; name labels its
// errors.
func Parse(data []byte, name string) (*Config, error) {
	cfg := Default()
	cfg.Notifications = notify.DefaultConfig()
	check := func() []*policy.ConfigError { return append(cfg.problems(), cfg.mergeTenantPolicies()...) }
	if err := policy.DecodeFile(data, name, cfg, check); err != nil {
		return nil, err
	}
	if len(cfg.Notifications.Channels) == 0 && !cfg.Notifications.OwnerEmail.Enabled {
		cfg.Notifications = nil
	}
	return cfg, nil
}

// PolicyFor is the policy tenantID is judged by: the top-level policy with
// the tenant's overrides merged in when the tenant is listed with some
// (ids compare ignoring letter case), the top-level policy otherwise. The
// merge is made when the file is parsed. The result is shared: callers
// must not change it.
func (c *Config) PolicyFor(tenantID string) *policy.Config {
	if p, ok := c.TenantPolicy(tenantID); ok {
		return p
	}
	return &c.Config
}

// TenantPolicy is the policy of a tenant the file lists with overrides;
// false for any other.
func (c *Config) TenantPolicy(tenantID string) (*policy.Config, bool) {
	for _, t := range c.Tenants {
		if t.effective != nil && strings.EqualFold(t.ID, tenantID) {
			return t.effective, true
		}
	}
	return nil, false
}

// mergeTenantPolicies merges each tenant's overrides over the top-level
// policy, and returns the problems of the results.
func (c *Config) mergeTenantPolicies() []*policy.ConfigError {
	var errs []*policy.ConfigError
	for i := range c.Tenants {
		t := &c.Tenants[i]
		if t.Policy.IsZero() {
			continue
		}
		merged, problems := c.Config.Merge(t.Policy, fmt.Sprintf("tenants[%d].policy", i))
		t.effective = merged
		errs = append(errs, problems...)
	}
	return errs
}

var tenantID = regexp.MustCompile(`^[0-9a-zA-Z.-]+$`)

func (c *Config) problems() []*policy.ConfigError {
	errs := c.Config.Problems()
	seen := map[string]int{} // lower-case id -> index
	for i, t := range c.Tenants {
		p := fmt.Sprintf("tenants[%d]", i)
		switch {
		case t.ID == "":
			errs = append(errs, &policy.ConfigError{Path: p + ".id", Msg: "required"})
		case !tenantID.MatchString(t.ID):
			errs = append(errs, &policy.ConfigError{Path: p + ".id", Msg: fmt.Sprintf("%q is not a tenant id", t.ID)})
		}
		if j, dup := seen[strings.ToLower(t.ID)]; dup && t.ID != "" {
			errs = append(errs, &policy.ConfigError{Path: p + ".id", Msg: fmt.Sprintf("duplicate of tenants[%d]", j)})
		} else {
			seen[strings.ToLower(t.ID)] = i
		}
		switch t.Cloud {
		case "", "public", "usgov", "china":
		default:
			errs = append(errs, &policy.ConfigError{Path: p + ".cloud", Msg: fmt.Sprintf("%q: want public, usgov or china", t.Cloud)})
		}
		n := 0
		for _, s := range []string{t.ClientSecretEnv, t.ClientSecretFile, t.CertificateFile} {
			if s != "" {
				n++
			}
		}
		if n > 1 {
			errs = append(errs, &policy.ConfigError{Path: p, Msg: "give one of clientSecretEnv, clientSecretFile and certificateFile"})
		}
		if n == 1 && t.ClientID == "" {
			errs = append(errs, &policy.ConfigError{Path: p + ".clientId", Msg: "required with a client secret or certificate"})
		}
	}
	if c.Notifications != nil {
		for _, e := range unjoin(c.Notifications.Validate()) {
			var ce *policy.ConfigError
			if errors.As(e, &ce) { // paths already start "notifications."
				errs = append(errs, ce)
				continue
			}
			errs = append(errs, &policy.ConfigError{Path: "notifications", Msg: e.Error()})
		}
	}
	if la := c.LogAnalytics; la != nil {
		if la.Endpoint == "" {
			errs = append(errs, &policy.ConfigError{Path: "logAnalytics.endpoint", Msg: "required"})
		}
		if la.RuleID == "" {
			errs = append(errs, &policy.ConfigError{Path: "logAnalytics.ruleId", Msg: "required"})
		}
	}
	return errs
}

func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
