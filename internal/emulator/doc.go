// Package emulator serves, over HTTPS, the parts of the Microsoft Entra
// token service and Microsoft Graph v1.0 that credwatch reads, from a
// msgraph.Directory held in memory.
//
// It is a peer of the real services, not a mock: azidentity gets tokens
// from it through the normal client-credentials flow (client secret or
// signed client assertion), and any Graph client reads applications,
// service principals, owners, app role assignments and federated identity
// credentials from it with the real wire shapes, paging ($top and an opaque
// $skiptoken), $select, $expand, $filter, $batch and error envelopes. A
// client can tell it from Azure only by its URL and its CA, which is
// generated at Start and offered through CACertPEM.
//
// Faults (latency, 429 with or without Retry-After, 503, 504, connection
// reset, truncated body) are injected on demand, either with a seeded
// probability per request or scripted ("the next N requests to P"), so
// tests of retry and completeness handling are repeatable.
//
// What it serves: the list endpoints return exactly Directory.Applications
// and Directory.ServicePrincipals in their order; Directory.Resources are
// reachable by id and appId (as Graph's own service principal is) but are
// only listed when they are also in ServicePrincipals. The Directory must
// not be changed while the server runs.
//
// Secrets, client assertions and tokens are never logged nor echoed in an
// error.
package emulator
