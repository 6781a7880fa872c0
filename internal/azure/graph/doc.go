// Package graph is credwatch's Microsoft Graph client: plain net/http
// through an azcore pipeline (bearer-token policy for the Graph scope), with
// the typed wire structs of internal/msgraph.
//
// It owns the behaviour every Graph caller needs and none should repeat:
// paging that follows @odata.nextLink verbatim and refuses a link it has
// already followed; JSON batching in groups of at most 20 with per-item
// retries; one retry layer (azcore's own is disabled) that honours
// Retry-After, backs off with jitter on 429, 5xx, connection resets and
// truncated bodies, and gives up with a typed *Error carrying Graph's
// request-id; bounded concurrency; request counters; and debug logging that
// never carries a token.
package graph
