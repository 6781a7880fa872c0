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
// only listed when they are also in ServicePrincipals. Both /v1.0 and
// /beta serve these reads.
//
// From Directory.Activity it serves the evidence credwatch reads besides
// the objects: auditLogs/directoryAudits (v1.0 and beta), the service
// principal sign-ins of beta auditLogs/signIns, beta
// reports/appCredentialSignInActivities, and policies/defaultAppManagementPolicy
// and policies/appManagementPolicies. Logs come newest first, filter on
// dates and names, and page up to 1,000 records. Like Graph, these endpoints
// share a throttle of 5 requests per 10 seconds per client
// (Options.ReportsLimit), and a tenant without a premium licence
// (Options.NonPremium) gets 403 for sign-ins and reports.
//
// Every directory request is priced in resource units from Graph's
// published cost table (RequestCost) and answered with x-ms-resource-unit.
// With Options.Throttling on, each client has a token bucket of its
// tenant size's budget (3,500, 5,000 or 8,000 RU per 10 s, refilled
// evenly) and a write quota; a request the bucket cannot pay for gets 429
// with a Retry-After after which it would be paid, x-ms-throttle-scope and
// x-ms-throttle-information, and responses carry
// x-ms-throttle-limit-percentage once more than 80% of the budget is used.
// Application lists that $select keyCredentials are also held to 150 a
// minute per tenant (Throttling.KeyCredentialLists). Requests inside a $batch pay one by one. As Graph does, a list with
// $expand returns at most 100 objects a page whatever $top says.
//
// applications/delta and servicePrincipals/delta serve delta queries:
// round 1 lists every object, later rounds (from the @odata.deltaLink)
// the objects changed since, with the changed properties among those
// selected or @removed; $deltatoken=latest starts from now; a token older
// than 7 days of the emulator clock gets 410 syncStateNotFound with a
// Location to a fresh round. Changes are those made through the API and
// through Server.Mutate, a test hook that changes the tenant directly and
// counts a change to an object's owners, federated credentials or app
// role assignments as a change to the object.
//
// Tests change the tenant between two scans through the API, as an
// administrator or attacker would: addPassword, removePassword, addKey and
// removeKey (with a proof of possession) and keyCredentials updates on
// applications and service principals, and owners/$ref additions and
// removals, each writing the audit records Entra writes. Start works on
// its own copy of Options.Directory; Server.Directory returns a copy of the
// tenant as changed.
//
// Secrets, client assertions and tokens are never logged nor echoed in an
// error; the secret addPassword creates is returned once, in its response,
// and kept nowhere.
package emulator
