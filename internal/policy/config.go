package policy

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// Config is the policy configuration: which rules run, their thresholds,
// scopes, permission tier overrides and exceptions. Keys are camelCase in
// YAML; docs/configuration.md describes each one and docs/config.schema.json
// is its JSON Schema.
type Config struct {
	// Scope limits every rule; each rule's own scope narrows it further.
	Scope Scope `yaml:"scope,omitempty"`
	Rules Rules `yaml:"rules"`
	// PermissionTiers override or extend the built-in tiers of application
	// permissions (internal/policy/permissions.yaml).
	PermissionTiers []TierOverride `yaml:"permissionTiers,omitempty"`
	// Exceptions suppress matching findings until they expire.
	Exceptions []Exception `yaml:"exceptions,omitempty"`
	// KeyVaults are read (metadata only) to link app credentials with
	// their vault copies and to judge the vaults (CW050–CW063).
	KeyVaults []KeyVault `yaml:"keyVaults,omitempty"`
	// Rotation configures credwatch rotate.
	Rotation RotationSettings `yaml:"rotation"`
}

// Rules holds one settings block per rule, keyed by rule id.
type Rules struct {
	CW001 ExpiredSettings       `yaml:"CW001"`
	CW002 ExpiringSettings      `yaml:"CW002"`
	CW003 LifetimeSettings      `yaml:"CW003"`
	CW004 NeverExpiresSettings  `yaml:"CW004"`
	CW005 DescriptionSettings   `yaml:"CW005"`
	CW006 ScopedSettings        `yaml:"CW006"`
	CW007 ActiveSecretsSettings `yaml:"CW007"`
	CW008 ScopedSettings        `yaml:"CW008"`
	CW010 ScopedSettings        `yaml:"CW010"`
	CW011 ScopedSettings        `yaml:"CW011"`
	CW020 ActorSettings         `yaml:"CW020"`
	CW021 ScopedSettings        `yaml:"CW021"`
	CW022 ScopedSettings        `yaml:"CW022"`
	CW030 NetworkSettings       `yaml:"CW030"`
	CW031 UnusedSettings        `yaml:"CW031"`
	CW040 RuleSettings          `yaml:"CW040"`
	CW041 ScopedSettings        `yaml:"CW041"`
	CW050 ScopedSettings        `yaml:"CW050"`
	CW051 ScopedSettings        `yaml:"CW051"`
	CW052 ScopedSettings        `yaml:"CW052"`
	CW060 RuleSettings          `yaml:"CW060"`
	CW061 RuleSettings          `yaml:"CW061"`
	CW062 RuleSettings          `yaml:"CW062"`
	CW063 RuleSettings          `yaml:"CW063"`
	CW099 RuleSettings          `yaml:"CW099"`
}

// RuleSettings are what every rule has.
type RuleSettings struct {
	Enabled bool `yaml:"enabled"`
	// Severity, when set, pins every finding of the rule to it, replacing
	// the rule's default (and graded) severities.
	Severity *Severity `yaml:"severity,omitempty"`
}

// ScopedSettings are the settings of a rule about objects, which can be
// scoped to some of them.
type ScopedSettings struct {
	RuleSettings `yaml:",inline"`
	Scope        Scope `yaml:"scope,omitempty"`
}

// ExpiredSettings configure CW001.
type ExpiredSettings struct {
	ScopedSettings `yaml:",inline"`
	// RecentSignInDays: with usage evidence, an expired credential of an
	// app that signed in within this many days is high, not medium.
	RecentSignInDays int `yaml:"recentSignInDays"`
}

// ExpiringSettings configure CW002.
type ExpiringSettings struct {
	ScopedSettings `yaml:",inline"`
	CriticalDays   int `yaml:"criticalDays"`
	WarningDays    int `yaml:"warningDays"`
}

// LifetimeSettings configure CW003.
type LifetimeSettings struct {
	ScopedSettings     `yaml:",inline"`
	SecretMaxDays      int `yaml:"secretMaxDays"`
	CertificateMaxDays int `yaml:"certificateMaxDays"`
	// Thresholds is where the maximum lifetimes come from: "config" (the
	// two keys above) or "fromTenantPolicy" (the tenant's default app
	// management policy's passwordLifetime and asymmetricKeyLifetime
	// restrictions, where it has them enabled; the keys above otherwise).
	Thresholds string `yaml:"thresholds,omitempty"`
}

// Sources of CW003's thresholds.
const (
	ThresholdsConfig           = "config"
	ThresholdsFromTenantPolicy = "fromTenantPolicy"
)

// ActorSettings configure CW020.
type ActorSettings struct {
	ScopedSettings `yaml:",inline"`
	// AllowedActors may add credentials: user principal names, app ids,
	// object ids or globs on app display names (as in scopes). Empty: the
	// rule has nothing to compare with and stays silent.
	AllowedActors []string `yaml:"allowedActors,omitempty"`
}

// NetworkSettings configure CW030.
type NetworkSettings struct {
	ScopedSettings `yaml:",inline"`
	// Networks declare where apps sign in from. Apps no declaration
	// matches are not judged.
	Networks []Network `yaml:"networks,omitempty"`
}

// Network declares the address ranges of the apps it matches.
type Network struct {
	// AppID matches the app id exactly; App is a glob on the app name. At
	// least one is required; with both, either may match.
	AppID string `yaml:"appId,omitempty"`
	App   string `yaml:"app,omitempty"`
	// CIDRs are the ranges, IPv4 or IPv6 ("198.51.100.0/24"); a bare
	// address is one host.
	CIDRs []string `yaml:"cidrs"`
}

// UnusedSettings configure CW031.
type UnusedSettings struct {
	ScopedSettings `yaml:",inline"`
	UnusedDays     int `yaml:"unusedDays"`
}

// NeverExpiresSettings configure CW004.
type NeverExpiresSettings struct {
	ScopedSettings    `yaml:",inline"`
	NeverExpiresYear  int `yaml:"neverExpiresYear"`
	NeverExpiresYears int `yaml:"neverExpiresYears"`
}

// DescriptionSettings configure CW005.
type DescriptionSettings struct {
	ScopedSettings `yaml:",inline"`
	// DescriptionPattern, when set, is a regular expression (RE2) every
	// description must match, e.g. a runbook URL.
	DescriptionPattern string `yaml:"descriptionPattern,omitempty"`
}

// ActiveSecretsSettings configure CW007.
type ActiveSecretsSettings struct {
	ScopedSettings   `yaml:",inline"`
	MaxActiveSecrets int `yaml:"maxActiveSecrets"`
}

// Scope selects objects. An object is in scope when Include is empty or
// it matches Include, and it does not match Exclude.
type Scope struct {
	Include Selector `yaml:"include,omitempty"`
	Exclude Selector `yaml:"exclude,omitempty"`
}

// Selector matches an object when any of its entries does.
type Selector struct {
	// AppIDs match the client id exactly (letter case ignored).
	AppIDs []string `yaml:"appIds,omitempty"`
	// Names are globs on the display name: * any run, ? one character,
	// [abc] a class; letter case ignored.
	Names []string `yaml:"names,omitempty"`
	// Tags match one of the object's tags exactly (letter case ignored).
	Tags []string `yaml:"tags,omitempty"`
}

// IsZero reports whether the selector has no entries.
func (s Selector) IsZero() bool {
	return len(s.AppIDs) == 0 && len(s.Names) == 0 && len(s.Tags) == 0
}

// IsZero reports whether the scope selects everything.
func (s Scope) IsZero() bool { return s.Include.IsZero() && s.Exclude.IsZero() }

// TierOverride sets the tier of one application permission of one
// resource.
type TierOverride struct {
	// Resource is the resource's appId, e.g. Microsoft Graph's
	// 00000003-0000-0000-c000-000000000000.
	Resource string `yaml:"resource"`
	// Permission is the permission value (Mail.Read) or, for permissions
	// the scan could not resolve to a name, the appRoleId.
	Permission string `yaml:"permission"`
	Tier       Tier   `yaml:"tier"`
}

// Exception suppresses the findings of one rule on matching apps until it
// expires. Expired exceptions stop suppressing and are reported (CW099).
type Exception struct {
	Rule string `yaml:"rule"`
	// AppID matches the finding's app id exactly; App is a glob on the app
	// name. At least one is required; with both, both must match.
	AppID string `yaml:"appId,omitempty"`
	App   string `yaml:"app,omitempty"`
	// KeyID, when set, limits the exception to one credential.
	KeyID   string `yaml:"keyId,omitempty"`
	Reason  string `yaml:"reason"`
	Expires Date   `yaml:"expires"`
}

// Date is an exception's expiry: a day (2026-12-31), which lasts until the
// end of that day in UTC, or an RFC 3339 instant.
type Date struct {
	Time time.Time
	// DayOnly is set when the date was given without a time of day.
	DayOnly bool
}

// Until is the instant the date stops being in the future: the next UTC
// midnight for a day, the instant itself otherwise.
func (d Date) Until() time.Time {
	if d.DayOnly {
		return d.Time.UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
	}
	return d.Time
}

// IsZero reports whether no date is set.
func (d Date) IsZero() bool { return d.Time.IsZero() }

func (d Date) String() string {
	if d.DayOnly {
		return d.Time.UTC().Format(time.DateOnly)
	}
	return d.Time.Format(time.RFC3339)
}

// MarshalText writes the date the way it was given.
func (d Date) MarshalText() ([]byte, error) {
	if d.IsZero() {
		return nil, nil
	}
	return []byte(d.String()), nil
}

// UnmarshalText reads 2006-01-02 or an RFC 3339 instant.
func (d *Date) UnmarshalText(b []byte) error {
	s := strings.TrimSpace(string(b))
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		*d = Date{Time: t, DayOnly: true}
		return nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return fmt.Errorf("invalid date %q (want YYYY-MM-DD or an RFC 3339 time)", s)
	}
	*d = Date{Time: t}
	return nil
}

// Tier is how dangerous an application permission is.
type Tier int

const (
	TierNone Tier = iota
	TierMedium
	TierHigh
	TierCritical
)

var tierNames = [...]string{"none", "medium", "high", "critical"}

func (t Tier) String() string {
	if t < 0 || int(t) >= len(tierNames) {
		return fmt.Sprintf("tier(%d)", int(t))
	}
	return tierNames[t]
}

// MarshalText writes the tier's name.
func (t Tier) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText reads a tier name, in any letter case.
func (t *Tier) UnmarshalText(b []byte) error {
	for i, n := range tierNames {
		if strings.EqualFold(string(b), n) {
			*t = Tier(i)
			return nil
		}
	}
	return fmt.Errorf("unknown tier %q (want one of %s)", b, strings.Join(tierNames[:], ", "))
}

// Threshold defaults.
const (
	DefaultRecentSignInDays   = 30
	DefaultCriticalDays       = 7
	DefaultWarningDays        = 30
	DefaultSecretMaxDays      = 180
	DefaultCertificateMaxDays = 365
	DefaultNeverExpiresYear   = 2099
	DefaultNeverExpiresYears  = 10
	DefaultMaxActiveSecrets   = 2
	DefaultUnusedDays         = 30
)

// DefaultConfig is every rule enabled with its documented thresholds.
func DefaultConfig() *Config {
	on := ScopedSettings{RuleSettings: RuleSettings{Enabled: true}}
	return &Config{Rotation: defaultRotation(), Rules: Rules{
		CW001: ExpiredSettings{ScopedSettings: on, RecentSignInDays: DefaultRecentSignInDays},
		CW002: ExpiringSettings{ScopedSettings: on, CriticalDays: DefaultCriticalDays, WarningDays: DefaultWarningDays},
		CW003: LifetimeSettings{ScopedSettings: on, SecretMaxDays: DefaultSecretMaxDays, CertificateMaxDays: DefaultCertificateMaxDays,
			Thresholds: ThresholdsConfig},
		CW004: NeverExpiresSettings{ScopedSettings: on, NeverExpiresYear: DefaultNeverExpiresYear, NeverExpiresYears: DefaultNeverExpiresYears},
		CW005: DescriptionSettings{ScopedSettings: on},
		CW006: on,
		CW007: ActiveSecretsSettings{ScopedSettings: on, MaxActiveSecrets: DefaultMaxActiveSecrets},
		CW008: on,
		CW010: on,
		CW011: on,
		CW020: ActorSettings{ScopedSettings: on},
		CW021: on,
		CW022: on,
		CW030: NetworkSettings{ScopedSettings: on},
		CW031: UnusedSettings{ScopedSettings: on, UnusedDays: DefaultUnusedDays},
		CW040: RuleSettings{Enabled: true},
		CW041: on,
		CW050: on,
		CW051: on,
		CW052: on,
		CW060: RuleSettings{Enabled: true},
		CW061: RuleSettings{Enabled: true},
		CW062: RuleSettings{Enabled: true},
		CW063: RuleSettings{Enabled: true},
		CW099: RuleSettings{Enabled: true},
	}}
}

// LoadConfig reads a configuration file: defaults, then the file decoded
// strictly over them, then Validate.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return ParseConfig(data, path)
}

// ParseConfig decodes YAML over the defaults and validates the result.
// name labels errors ("config.yaml:12: rules.CW002.criticalDays: ...").
// Every problem found is reported, joined.
func ParseConfig(data []byte, name string) (*Config, error) {
	if name == "" {
		name = "config"
	}
	cfg := DefaultConfig()
	if err := DecodeFile(data, name, cfg, cfg.validate); err != nil {
		return nil, err
	}
	return cfg, nil
}

// DecodeFile decodes the YAML document data, read from the file name,
// strictly into v: a pointer to a struct, which may embed Config inline
// beside other sections. check then validates what decoded; every problem
// of either kind comes back at once, each with its file, line and key path.
func DecodeFile(data []byte, name string, v any, check func() []*ConfigError) error {
	lines, errs := decodeStrict(data, name, v)
	if lines == nil { // not YAML, or not a mapping: nothing to validate
		return joinConfigErrors(errs)
	}
	// Validate what decoded too, so one run reports every problem; a key
	// that failed to decode is not reported again as, say, missing.
	for _, e := range check() {
		if coveredBy(e.Path, errs) {
			continue
		}
		if e.File == "" { // not located already, as a merged Override's are
			e.File = name
			e.Line = lines.lookup(e.Path)
		}
		errs = append(errs, e)
	}
	if len(errs) > 0 {
		return joinConfigErrors(errs)
	}
	return nil
}

// Problems lists what Validate reports, one error each, for callers that
// validate a larger document with DecodeFile.
func (c *Config) Problems() []*ConfigError { return c.validate() }

// coveredBy reports whether a decode error already concerns path or one
// of its parents.
func coveredBy(path string, errs []*ConfigError) bool {
	for _, e := range errs {
		if e.Path != "" && within(path, e.Path) {
			return true
		}
	}
	return false
}

// within reports whether path is p or lies under it.
func within(path, p string) bool {
	if !strings.HasPrefix(path, p) {
		return false
	}
	return len(path) == len(p) || path[len(p)] == '.' || path[len(p)] == '['
}
