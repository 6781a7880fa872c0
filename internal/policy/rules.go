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
	iCW099
	numRules
)

// expiredExceptionRule reports exceptions past their end date.
const expiredExceptionRule = "CW099"

type ruleKind int

func (k ruleKind) String() string {
	return [...]string{"credential", "object", "app", "configuration"}[k]
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
)

// rule is one entry of the catalog: its text, default severity, where its
// settings live, and its check. Exactly one of cred, object and app is set
// for the matching kind.
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
	// settings points into a Rules value.
	settings func(r *Rules) ruleSettings
	// thresholds lists the rule's thresholds under a configuration.
	thresholds func(c *Config) []threshold

	cred   func(e *evaluator, o *inventory.Object, c *inventory.Credential, ci *credInfo)
	object func(e *evaluator, o *inventory.Object)
	app    func(e *evaluator, a *appView)
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
