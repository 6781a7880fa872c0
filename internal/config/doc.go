// Package config is credwatch's configuration file as a whole: the policy
// (rules, scope, permission tiers, exceptions) and, for serve mode, the
// tenants to scan, notifications and Log Analytics. A tenant may override
// the policy; PolicyFor gives the policy each tenant is judged by. It
// decodes the file strictly once and validates every section, each
// tenant's merged policy included, so each problem comes back with its
// file, line and key path.
package config
