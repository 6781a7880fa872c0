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
//
// It paces requests to Graph's identity and access budget (resource units
// per 10 s per app per tenant): every request is priced from the published
// cost table (ResourceUnits) and waits until the budget can pay it, so a
// large scan runs just under the limit instead of into 429s. The budget is
// given (Options.ResourceUnits) or learned from the x-ms-resource-unit and
// x-ms-throttle-limit-percentage headers and from 429s. List pages are
// decoded as they stream in, one item at a time; BatchStream packs a
// stream of lookups into $batch calls of 20 without holding them all; and
// Delta reads delta-query rounds, with IsDeltaExpired telling when a saved
// token is no longer usable.
package graph
