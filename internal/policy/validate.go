package policy

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Limits that keep day and year arithmetic far from overflow.
const (
	maxDays  = 36500 // 100 years
	maxYears = 1000
)

// Validate checks the configuration for problems decoding cannot see:
// ranges, regular expressions and globs, unknown rule ids, incomplete
// exceptions. It returns every problem, each with its key path, joined
// with errors.Join; nil when the configuration is usable.
func (c *Config) Validate() error {
	errs := c.validate()
	if len(errs) == 0 {
		return nil
	}
	return joinConfigErrors(errs)
}

type validator struct{ errs []*ConfigError }

func (v *validator) add(path, format string, args ...any) {
	v.errs = append(v.errs, &ConfigError{Path: path, Msg: fmt.Sprintf(format, args...)})
}

func (v *validator) days(path string, n int, allowZero bool) {
	switch {
	case n < 0:
		v.add(path, "must not be negative (got %d)", n)
	case n == 0 && !allowZero:
		v.add(path, "must be at least 1")
	case n > maxDays:
		v.add(path, "must be at most %d days (got %d)", maxDays, n)
	}
}

func (c *Config) validate() []*ConfigError {
	v := &validator{}
	validateScope(v, "scope", c.Scope)
	for _, r := range registry {
		s := r.settings(&c.Rules)
		p := "rules." + r.id
		if s.common.Severity != nil && (*s.common.Severity < Info || *s.common.Severity > Critical) {
			v.add(p+".severity", "invalid severity %d", int(*s.common.Severity))
		}
		if s.scope != nil {
			validateScope(v, p+".scope", *s.scope)
		}
	}
	r := &c.Rules
	v.days("rules.CW001.recentSignInDays", r.CW001.RecentSignInDays, true)
	v.days("rules.CW002.criticalDays", r.CW002.CriticalDays, true)
	v.days("rules.CW002.warningDays", r.CW002.WarningDays, true)
	if r.CW002.CriticalDays > r.CW002.WarningDays && r.CW002.WarningDays >= 0 {
		v.add("rules.CW002.criticalDays", "must not exceed warningDays (%d > %d)", r.CW002.CriticalDays, r.CW002.WarningDays)
	}
	v.days("rules.CW003.secretMaxDays", r.CW003.SecretMaxDays, false)
	v.days("rules.CW003.certificateMaxDays", r.CW003.CertificateMaxDays, false)
	switch r.CW003.Thresholds {
	case "", ThresholdsConfig, ThresholdsFromTenantPolicy:
	default:
		v.add("rules.CW003.thresholds", "must be %s or %s (got %q)", ThresholdsConfig, ThresholdsFromTenantPolicy, r.CW003.Thresholds)
	}
	if y := r.CW004.NeverExpiresYear; y < 1970 || y > 9999 {
		v.add("rules.CW004.neverExpiresYear", "must be a year between 1970 and 9999 (got %d)", y)
	}
	if y := r.CW004.NeverExpiresYears; y < 1 || y > maxYears {
		v.add("rules.CW004.neverExpiresYears", "must be between 1 and %d (got %d)", maxYears, y)
	}
	if p := r.CW005.DescriptionPattern; p != "" {
		if _, err := regexp.Compile(p); err != nil {
			v.add("rules.CW005.descriptionPattern", "invalid regular expression: %v", regexpReason(err))
		}
	}
	if r.CW007.MaxActiveSecrets < 0 {
		v.add("rules.CW007.maxActiveSecrets", "must not be negative (got %d)", r.CW007.MaxActiveSecrets)
	}
	validateActivityRules(v, r)
	validateVaults(v, c)

	for i, t := range c.PermissionTiers {
		p := "permissionTiers[" + strconv.Itoa(i) + "]"
		if strings.TrimSpace(t.Resource) == "" {
			v.add(p+".resource", "required (the resource's appId)")
		}
		if strings.TrimSpace(t.Permission) == "" {
			v.add(p+".permission", "required (the permission value, e.g. Mail.Read)")
		}
		if t.Tier < TierNone || t.Tier > TierCritical {
			v.add(p+".tier", "invalid tier %d", int(t.Tier))
		}
	}

	for i, e := range c.Exceptions {
		p := "exceptions[" + strconv.Itoa(i) + "]"
		switch {
		case e.Rule == "":
			v.add(p+".rule", "required")
		case e.Rule == expiredExceptionRule:
			v.add(p+".rule", "%s cannot be excepted; renew or remove the expired exception", e.Rule)
		default:
			if _, ok := ruleByID(e.Rule); !ok {
				v.add(p+".rule", "unknown rule %q", e.Rule)
			}
		}
		if strings.TrimSpace(e.AppID) == "" && strings.TrimSpace(e.App) == "" {
			v.add(p, "needs appId or app")
		}
		if e.App != "" {
			if _, err := compileGlob(e.App); err != nil {
				v.add(p+".app", "%v", err)
			}
		}
		if strings.TrimSpace(e.Reason) == "" {
			v.add(p+".reason", "required: say why the finding is accepted")
		}
		if e.Expires.IsZero() {
			v.add(p+".expires", "required: every exception needs an end date (YYYY-MM-DD)")
		}
	}
	return v.errs
}

func validateScope(v *validator, path string, s Scope) {
	for _, sel := range []struct {
		name string
		s    Selector
	}{{"include", s.Include}, {"exclude", s.Exclude}} {
		p := path + "." + sel.name
		for i, id := range sel.s.AppIDs {
			if strings.TrimSpace(id) == "" {
				v.add(p+".appIds["+strconv.Itoa(i)+"]", "must not be empty")
			}
		}
		for i, g := range sel.s.Names {
			if _, err := compileGlob(g); err != nil {
				v.add(p+".names["+strconv.Itoa(i)+"]", "%v", err)
			}
		}
		for i, tag := range sel.s.Tags {
			if strings.TrimSpace(tag) == "" {
				v.add(p+".tags["+strconv.Itoa(i)+"]", "must not be empty")
			}
		}
	}
}

// regexpReason drops the regexp package's "error parsing regexp: " prefix.
func regexpReason(err error) string {
	return strings.TrimPrefix(err.Error(), "error parsing regexp: ")
}

// validateActivityRules checks the settings of the rules that read
// activity evidence.
func validateActivityRules(v *validator, r *Rules) {
	for i, a := range r.CW020.AllowedActors {
		p := "rules.CW020.allowedActors[" + strconv.Itoa(i) + "]"
		if strings.TrimSpace(a) == "" {
			v.add(p, "must not be empty")
		} else if _, err := compileGlob(strings.TrimSpace(a)); err != nil {
			v.add(p, "%v", err)
		}
	}
	for i, n := range r.CW030.Networks {
		p := "rules.CW030.networks[" + strconv.Itoa(i) + "]"
		if strings.TrimSpace(n.AppID) == "" && strings.TrimSpace(n.App) == "" {
			v.add(p, "needs appId or app")
		}
		if n.App != "" {
			if _, err := compileGlob(n.App); err != nil {
				v.add(p+".app", "%v", err)
			}
		}
		if len(n.CIDRs) == 0 {
			v.add(p+".cidrs", "required: at least one address range, e.g. 198.51.100.0/24")
		}
		for j, c := range n.CIDRs {
			if _, err := parseCIDR(c); err != nil {
				v.add(p+".cidrs["+strconv.Itoa(j)+"]", "%v", err)
			}
		}
	}
	v.days("rules.CW031.unusedDays", r.CW031.UnusedDays, false)
}
