// Package policy judges an inventory: a catalog of rules, each a pure
// function of the tenant, the configuration and the clock, producing
// findings with stable ids.
package policy
