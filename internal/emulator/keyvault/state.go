package keyvault

import (
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"maps"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"
)

// vault is one vault's configuration and contents; contents are guarded
// by Server.mu.
type vault struct {
	cfg     Vault
	url     string // https://host:port, no trailing slash
	ipRules []netip.Prefix
	secrets map[string]*secretItem // by lower-case name
	certs   map[string]*certItem
}

type secretItem struct {
	name     string // as first written
	versions []*secretVersion
}

type secretVersion struct {
	version     string
	value       string
	contentType string
	tags        map[string]string
	enabled     bool
	nbf, exp    time.Time
	created     time.Time
	updated     time.Time
	managed     bool // backs a certificate
}

type certItem struct {
	name     string
	versions []*certVersion
	pending  *certOperation // the last create, for GET …/pending
}

type certVersion struct {
	version string
	der     []byte
	cert    *x509.Certificate
	tags    map[string]string
	enabled bool
	created time.Time
	updated time.Time
	policy  *certPolicy
}

type certOperation struct {
	id        string
	requestID string
	subject   string
	done      bool
}

var objectNamePattern = regexp.MustCompile(`^[0-9a-zA-Z-]{1,127}$`)

func (s *Server) newVault(cfg Vault) (*vault, error) {
	if !vaultNamePattern.MatchString(cfg.Name) || strings.Contains(cfg.Name, "--") {
		return nil, fmt.Errorf("name %q: want 3-24 letters, digits and single hyphens, starting with a letter", cfg.Name)
	}
	if cfg.ResourceGroup == "" {
		cfg.ResourceGroup = "rg-credwatch"
	}
	if cfg.Location == "" {
		cfg.Location = "westeurope"
	}
	if cfg.SoftDeleteRetentionDays == 0 {
		cfg.SoftDeleteRetentionDays = 90
	}
	switch cfg.PublicNetworkAccess {
	case "":
		cfg.PublicNetworkAccess = "Enabled"
	case "Enabled", "Disabled":
	default:
		return nil, fmt.Errorf("publicNetworkAccess %q: want Enabled or Disabled", cfg.PublicNetworkAccess)
	}
	v := &vault{cfg: cfg, secrets: map[string]*secretItem{}, certs: map[string]*certItem{}}
	if a := cfg.NetworkACLs; a != nil {
		switch a.DefaultAction {
		case "Allow", "Deny":
		default:
			return nil, fmt.Errorf("networkAcls.defaultAction %q: want Allow or Deny", a.DefaultAction)
		}
		for j, r := range a.IPRules {
			p, err := parsePrefix(r)
			if err != nil {
				return nil, fmt.Errorf("networkAcls.ipRules[%d]: %w", j, err)
			}
			v.ipRules = append(v.ipRules, p)
		}
	}
	now := s.now().UTC()
	for j, sec := range cfg.Secrets {
		if !objectNamePattern.MatchString(sec.Name) {
			return nil, fmt.Errorf("secrets[%d].name %q: want 1-127 letters, digits and hyphens", j, sec.Name)
		}
		created := sec.Created
		if created.IsZero() {
			created = now
		}
		v.addSecretVersion(sec.Name, &secretVersion{value: sec.Value, contentType: sec.ContentType, tags: cloneTags(sec.Tags),
			enabled: !sec.Disabled, nbf: sec.NotBefore, exp: sec.Expires, created: created.UTC(), updated: created.UTC()})
	}
	for j, c := range cfg.Certificates {
		if !objectNamePattern.MatchString(c.Name) {
			return nil, fmt.Errorf("certificates[%d].name %q: want 1-127 letters, digits and hyphens", j, c.Name)
		}
		cert, err := x509.ParseCertificate(c.DER)
		if err != nil {
			return nil, fmt.Errorf("certificates[%d]: %w", j, err)
		}
		created := c.Created
		if created.IsZero() {
			created = now
		}
		v.addCertVersion(c.Name, &certVersion{der: c.DER, cert: cert, tags: cloneTags(c.Tags), enabled: true,
			created: created.UTC(), updated: created.UTC()})
	}
	v.cfg.Secrets, v.cfg.Certificates = nil, nil // the state holds them now
	return v, nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("address range %q: %w", s, err)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("address %q: %w", s, err)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// addSecretVersion appends a version with a fresh version id; callers hold
// Server.mu (or own the vault, at Start).
func (v *vault) addSecretVersion(name string, sv *secretVersion) {
	sv.version = newVersion()
	key := strings.ToLower(name)
	it := v.secrets[key]
	if it == nil {
		it = &secretItem{name: name}
		v.secrets[key] = it
	}
	it.versions = append(slices.Clip(it.versions), sv)
}

func (v *vault) addCertVersion(name string, cv *certVersion) {
	cv.version = newVersion()
	key := strings.ToLower(name)
	it := v.certs[key]
	if it == nil {
		it = &certItem{name: name}
		v.certs[key] = it
	}
	it.versions = append(slices.Clip(it.versions), cv)
}

// recoveryLevel is what Key Vault reports for the vault's deletion
// settings.
func (v *vault) recoveryLevel() string {
	switch {
	case !v.cfg.EnableSoftDelete:
		return "Purgeable"
	case v.cfg.EnablePurgeProtection:
		return "Recoverable"
	}
	return "Recoverable+Purgeable"
}

// newVersion is a Key Vault object version: 32 lower-case hex digits.
func newVersion() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func cloneTags(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	return maps.Clone(m)
}

// thumbprint is the SHA-1 of a certificate's DER encoding.
func thumbprint(der []byte) []byte {
	sum := sha1.Sum(der)
	return sum[:]
}
