// Package tenantgen builds Entra tenants as *msgraph.Directory values: the
// applications, service principals, credentials, owners and app role
// assignments a scan reads. The Graph emulator serves them, demo mode shows
// them, and tests and benchmarks use them as input.
//
// Generate makes a random tenant of any size from a seed; the same Options
// always give byte-identical JSON, because every id, name and date comes
// from one seeded generator and dates are relative to Options.Now. Demo
// returns a small hand-designed tenant in which every policy rule fires on a
// clearly named app while most apps stay healthy.
//
// Both fill Directory.Activity with 30 days of evidence consistent with the
// objects: directory audit records of credential and owner changes (with
// Entra's exact activity names and KeyDescription values), service
// principal sign-ins naming the key each used, per-credential usage
// records, and app management policies. It is drawn from a generator
// stream of its own, after the objects, so it changes none of them.
// CredentialChange and OwnerChange build the audit records of one change,
// for the emulator's API writes as well.
//
// Certificates are real DER (crypto/x509 parses them) but cheap: all are
// signed by one fixed ECDSA P-256 key with deterministic (RFC 6979)
// signatures, and large tenants reuse a bounded pool of them. The key never
// leaves the process and signs nothing but these test certificates.
package tenantgen
