// Package server is the HTTP side of `credwatch serve`: a server-rendered
// dashboard over the scan history, a small versioned JSON API, health and
// readiness endpoints, access control, and the scheduler that scans each
// tenant on its interval.
//
// Every page is rendered on the server from html/template (embedded with
// embed.FS) and works without JavaScript; a small inline script only
// improves what already works. Tenant data is attacker-chosen, so pages
// escape it for its context, show control characters and bidirectional
// overrides as visible escapes, and go out under a strict
// Content-Security-Policy whose per-response nonce admits only the page's
// own style and script.
//
// Pages show each tenant's newest complete scan; a newer partial scan is
// announced, never read as "credentials removed" or "all clear". Stored
// scans never change, so loaded scans and diffs are cached by id.
//
// Access: with AuthConfig set, everything but /healthz needs a bearer token
// or basic credentials (compared in constant time), /readyz and /metrics
// included, so probes and scrapers must send them; CheckBind refuses to
// listen beyond loopback without them. The one state-changing request,
// POST /scans, also needs a CSRF token bound to a cookie and to the caller,
// and a same-origin request by the browser's Sec-Fetch-Site or Origin.
//
// Endpoints: / (overview), /credentials, /apps/{objectType}/{objectId},
// /scans, /scans/{id}, POST /scans, /api/v1/scans, /api/v1/scans/{id},
// /api/v1/findings, /healthz, /readyz and, when given, /metrics.
package server
