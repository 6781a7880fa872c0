// Package config is credwatch's configuration file as a whole: the policy
// (rules, scope, permission tiers, exceptions) and, for serve mode, the
// tenants to scan, notifications and Log Analytics. It decodes the file
// strictly once and validates every section, so each problem comes back
// with its file, line and key path.
package config
