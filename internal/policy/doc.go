// Package policy judges an inventory: a catalog of rules, each a pure
// function of the tenant, the configuration and the clock, producing
// findings with stable ids.
//
// Evaluate runs the enabled rules over an inventory.Tenant at a given
// instant and returns the findings sorted by severity, deadline and id. It
// does no I/O and keeps no state, so it is safe to call concurrently. Rules
// live one per file (rule_cw001.go ...), each with its catalog text (title,
// why, fix, details) and its check; Catalog and Lookup describe them, and
// RulesMarkdown renders docs/rules.md.
//
// EvaluateInput adds the scan's activity evidence (activity.Evidence: audit
// records, sign-ins, credential usage, the tenant's app management
// policies) and the previous scan, for the rules that judge them (CW020 to
// CW041). Each of those rules runs only when its evidence is there: a
// tenant without the licence or a scanner without the permission loses
// those rules, never gets false findings.
//
// The configuration (Config) is read with LoadConfig or ParseConfig:
// defaults, then a strict YAML decode that reports every problem with its
// file, line and key path, then Validate. It holds per-rule settings and
// thresholds, scopes, permission tier overrides (over the embedded
// permissions.yaml) and exceptions, which mark findings Suppressed until
// they expire and are then reported as CW099.
//
// Evaluation is built for large tenants: a credential without findings
// costs no allocation, globs and patterns are compiled once per call, and
// findings are collected as compact records and sorted by radix on
// pointer-free keys before being written out once.
package policy
