package policy

import (
	"regexp"
	"strings"
	"time"
)

const day = 24 * time.Hour

// compiled is a configuration made ready for evaluation: thresholds as
// durations, globs and patterns compiled, threshold strings formatted once
// for evidence.
type compiled struct {
	rules  [numRules]compiledRule
	global scope
	tiers  tiers

	recentSignIn       time.Duration
	critical, warning  time.Duration
	secretMax, certMax time.Duration
	neverYear          int
	neverYearStart     time.Time // 1 January of neverYear, UTC
	neverYears         int
	neverYearsMin      time.Duration // neverYears × 365 days
	descPattern        *regexp.Regexp
	maxActive          int
	unused             time.Duration
	// CW003's limits came from the tenant policy (thresholds:
	// fromTenantPolicy and the policy has them).
	secretFromPolicy, certFromPolicy bool
	// actors are CW020's allowed actors; networks CW030's declarations.
	actors   []*regexp.Regexp
	networks []network

	// Evidence strings of the thresholds.
	sCritical, sWarning, sSecretMax, sCertMax string
	sNeverYear, sNeverYears, sMaxActive       string
	sRecentSignIn, sUnused                    string

	// Evidence that is the same for every finding of a rule, built once
	// and shared (see Finding.Evidence: read-only).
	evExpiring, evNeverExpires, evNoEnd, evDescription map[string]string

	exceptions exceptions
}

type compiledRule struct {
	id       string
	enabled  bool
	pinned   bool // severity overridden
	severity Severity
	scope    scope
}

// compile prepares cfg for evaluation at now. It assumes cfg passed
// Validate; parts that did not are ignored rather than crashing (a bad
// glob never matches, a bad pattern is not checked).
func compile(cfg *Config, now time.Time) *compiled {
	c := &compiled{global: compileScope(cfg.Scope), tiers: compileTiers(cfg.PermissionTiers)}
	for i, r := range registry {
		s := r.settings(&cfg.Rules)
		cr := compiledRule{id: r.id, enabled: s.common.Enabled, severity: r.severity}
		if s.common.Severity != nil {
			cr.pinned, cr.severity = true, *s.common.Severity
		}
		if s.scope != nil {
			cr.scope = compileScope(*s.scope)
		}
		c.rules[i] = cr
	}
	r := &cfg.Rules
	c.recentSignIn = days(r.CW001.RecentSignInDays)
	c.critical = days(r.CW002.CriticalDays)
	c.warning = days(r.CW002.WarningDays)
	c.secretMax = days(r.CW003.SecretMaxDays)
	c.certMax = days(r.CW003.CertificateMaxDays)
	c.neverYear = r.CW004.NeverExpiresYear
	c.neverYearStart = time.Date(c.neverYear, 1, 1, 0, 0, 0, 0, time.UTC)
	c.neverYears = min(max(r.CW004.NeverExpiresYears, 1), maxYears)
	c.neverYearsMin = time.Duration(c.neverYears) * 365 * day
	if p := r.CW005.DescriptionPattern; p != "" {
		c.descPattern, _ = regexp.Compile(p)
	}
	c.maxActive = max(r.CW007.MaxActiveSecrets, 0)
	c.unused = days(r.CW031.UnusedDays)
	c.sUnused = itoa(r.CW031.UnusedDays)
	for _, a := range r.CW020.AllowedActors {
		if re, err := compileGlob(strings.TrimSpace(a)); err == nil {
			c.actors = append(c.actors, re)
		}
	}
	c.networks = compileNetworks(r.CW030.Networks)

	c.sRecentSignIn = itoa(r.CW001.RecentSignInDays)
	c.sCritical = itoa(r.CW002.CriticalDays)
	c.sWarning = itoa(r.CW002.WarningDays)
	c.sSecretMax = itoa(r.CW003.SecretMaxDays)
	c.sCertMax = itoa(r.CW003.CertificateMaxDays)
	c.sNeverYear = itoa(r.CW004.NeverExpiresYear)
	c.sNeverYears = itoa(c.neverYears)
	c.sMaxActive = itoa(c.maxActive)

	c.evExpiring = map[string]string{"criticalDays": c.sCritical, "warningDays": c.sWarning}
	c.evNeverExpires = map[string]string{"neverExpiresYear": c.sNeverYear, "neverExpiresYears": c.sNeverYears}
	c.evNoEnd = map[string]string{"end": "none"}
	if c.descPattern != nil {
		c.evDescription = map[string]string{"descriptionPattern": c.descPattern.String()}
	}

	c.exceptions = compileExceptions(cfg.Exceptions, now)
	return c
}

// days converts a day count to a duration, clamped to the range Validate
// allows so a bad value cannot overflow.
func days(n int) time.Duration {
	return time.Duration(min(max(n, 0), maxDays)) * day
}

// anyScoped reports whether any enabled rule or the global scope selects
// objects, so evaluation can skip per-object scope checks otherwise.
func (c *compiled) anyScoped() bool {
	if c.global.set {
		return true
	}
	for i := range c.rules {
		if c.rules[i].enabled && c.rules[i].scope.set {
			return true
		}
	}
	return false
}

// enabledMask has one bit per enabled rule.
func (c *compiled) enabledMask() uint32 {
	var m uint32
	for i := range c.rules {
		if c.rules[i].enabled {
			m |= 1 << i
		}
	}
	return m
}
