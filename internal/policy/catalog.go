package policy

// RuleInfo describes a rule for people: the `credwatch rules` command,
// docs/rules.md and reports.
type RuleInfo struct {
	ID    string
	Title string
	// Why says why the finding matters; Fix how to fix it, with the Azure
	// CLI or Graph call.
	Why string
	Fix string
	// Details says precisely when the rule fires: boundaries, edge cases.
	Details string
	// Severity is the default severity under the configuration: the rule's
	// own (its highest, for graded rules) or the configured override.
	Severity Severity
	// Severities explains how a graded rule picks its severity, when it
	// does and no override pins it; empty otherwise.
	Severities string
	// Subject is what one finding is about: "credential" (each secret,
	// certificate or federated credential), "object" (an application or
	// service principal), "app" (an application together with its service
	// principal), "configuration", "tenant" (the tenant's own settings) or
	// "sign-in" (an app and the credential it signed in with).
	Subject string
	Enabled bool
	// Thresholds are the rule's configurable thresholds and their values.
	Thresholds map[string]string
}

// Catalog lists every rule, in id order, as configured by cfg (nil means
// DefaultConfig).
func Catalog(cfg *Config) []RuleInfo {
	if cfg == nil {
		cfg = DefaultConfig()
	}
	out := make([]RuleInfo, 0, numRules)
	for _, r := range registry {
		out = append(out, r.info(cfg))
	}
	return out
}

// Lookup describes one rule under the default configuration.
func Lookup(id string) (RuleInfo, bool) {
	i, ok := ruleByID(id)
	if !ok {
		return RuleInfo{}, false
	}
	return registry[i].info(DefaultConfig()), true
}

func (r *rule) info(cfg *Config) RuleInfo {
	s := r.settings(&cfg.Rules)
	ri := RuleInfo{
		ID:         r.id,
		Title:      r.title,
		Why:        r.why,
		Fix:        r.fix,
		Details:    r.details,
		Severity:   r.severity,
		Severities: r.grading,
		Subject:    r.subject,
		Enabled:    s.common.Enabled,
	}
	if ri.Subject == "" {
		ri.Subject = r.kind.String()
	}
	if s.common.Severity != nil {
		ri.Severity = *s.common.Severity
		ri.Severities = ""
	}
	if ts := r.thresholds(cfg); len(ts) > 0 {
		ri.Thresholds = make(map[string]string, len(ts))
		for _, t := range ts {
			ri.Thresholds[t.key] = t.value
		}
	}
	return ri
}
