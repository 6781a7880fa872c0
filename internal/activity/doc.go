// Package activity reads and interprets the evidence a scan collects
// besides the directory objects: directory audit records about application
// credentials and owners, service principal sign-ins, per-credential usage
// reports and the tenant's app management policies.
//
// Fetch reads the five parts from Microsoft Graph into a msgraph.Activity
// (the shape snapshot files carry), pacing the audit and report requests
// to stay under Graph's reports throttle. Each part is independent: a
// tenant without an Entra ID P1/P2 licence, or a scanner without the
// permission, loses that part only, and Activity.Unavailable says why.
//
// Parse turns a msgraph.Activity into Evidence, the domain view the policy
// rules read: credential additions and removals by key id with who, from
// where and when; owner additions; sign-ins with parsed addresses; last use
// per credential and per app; and the tenant policy's restrictions with
// their durations parsed. All times are UTC and every list has a
// deterministic order. Malformed records are errors naming the record and
// field, never a panic.
package activity
