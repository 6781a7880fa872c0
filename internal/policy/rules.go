package policy

import (
	"strconv"

	"github.com/credwatch/credwatch/internal/inventory"
)

// Rule indexes: each rule's place in the registry and in per-rule arrays.
const (
	iCW001 = iota
	iCW002
	iCW003
	iCW004
	iCW005
	iCW006
	iCW007
	iCW008
	iCW010
	iCW011
	iCW020
	iCW021
	iCW022
	iCW030
	iCW031
	iCW040
	iCW041
	iCW050
	iCW051
	iCW052
	iCW060
	iCW061
	iCW062
	iCW063
	iCW099
	numRules
)

// Per-object rule masks are uint32: adding a 33rd rule must widen them.
var _ [32 - numRules]struct{}

// expiredExceptionRule reports exceptions past their end date.
const expiredExceptionRule = "CW099"

type ruleKind int

func (k ruleKind) String() string {
	return [...]string{"credential", "object", "app", "configuration", "tenant"}[k]
}

const (
	// credentialRule checks one credential at a time.
	credentialRule ruleKind = iota
	// objectRule checks one application or service principal.
	objectRule
	// appRule checks an app as a whole: its application object together
	// with its service principal, reported once.
	appRule
	// configRule checks the configuration itself.
	configRule
	// tenantRule runs once per evaluation over the tenant and its
	// activity evidence.
	tenantRule
)

// rule is one entry of the catalog: its text, default severity, where its
// settings live, and its check. Exactly one of cred, object, app and
// tenant is set for the matching kind.
type rule struct {
	id       string
	title    string
	why      string
	fix      string
	details  string
	severity Severity
	// grading explains graded severities; empty when there is one.
	grading string
	kind    ruleKind
	// subject, when set, replaces the kind in the catalog's "one finding
	// per" (a tenant rule may report per app and key).
	subject string
	// needs, when set, says whether the rule can judge anything in this
	// evaluation (the evidence it reads is there, its list is not empty);
	// a rule that cannot is not run at all, so it costs nothing.
	needs func(e *evaluator) bool
	// settings points into a Rules value.
	settings func(r *Rules) ruleSettings
	// thresholds lists the rule's thresholds under a configuration.
	thresholds func(c *Config) []threshold

	cred   func(e *evaluator, o *inventory.Object, c *inventory.Credential, ci *credInfo)
	object func(e *evaluator, o *inventory.Object)
	app    func(e *evaluator, a *appView)
	tenant func(e *evaluator, t *inventory.Tenant)
}

type ruleSettings struct {
	common *RuleSettings
	scope  *Scope // nil for rules that cannot be scoped
}

func scoped(s *ScopedSettings) ruleSettings {
	return ruleSettings{common: &s.RuleSettings, scope: &s.Scope}
}

type threshold struct{ key, value string }

func itoa(n int) string { return strconv.Itoa(n) }

// registry is every rule, in id order.
var registry = [numRules]*rule{
	iCW001: &cw001,
	iCW002: &cw002,
	iCW003: &cw003,
	iCW004: &cw004,
	iCW005: &cw005,
	iCW006: &cw006,
	iCW007: &cw007,
	iCW008: &cw008,
	iCW010: &cw010,
	iCW011: &cw011,
	iCW020: &cw020,
	iCW021: &cw021,
	iCW022: &cw022,
	iCW030: &cw030,
	iCW031: &cw031,
	iCW040: &cw040,
	iCW041: &cw041,
	iCW050: &cw050,
	iCW051: &cw051,
	iCW052: &cw052,
	iCW060: &cw060,
	iCW061: &cw061,
	iCW062: &cw062,
	iCW063: &cw063,
	iCW099: &cw099,
}

func ruleByID(id string) (int, bool) {
	for i, r := range registry {
		if r.id == id {
			return i, true
		}
	}
	return 0, false
}
