// Package logsingestion serves, over HTTPS, the Azure Monitor Logs
// Ingestion API that credwatch uploads findings and inventory to:
//
//	POST {endpoint}/dataCollectionRules/{dcrImmutableId}/streams/{stream}?api-version=2023-01-01
//
// It is a peer of the real service, like the Key Vault emulator beside it:
// the production client (internal/azure/loganalytics) cannot tell it from
// a data collection endpoint except by its URL and the CA to trust.
//
// Tokens come from the emulator's token service and are checked as the
// service checks them (see internal/emulator/tokencheck): a missing or bad
// token, or one for another audience than https://monitor.azure.com (with
// or without the trailing slash), is refused with 401. Authorisation is
// Azure RBAC on the data collection rule: the caller needs the Monitoring
// Metrics Publisher role there, assigned, as Azure assigns roles, to its
// service principal's object id (the token's oid claim; an assignment
// naming the app id grants nothing), else 403 OperationFailed with the
// service's message.
//
// A call must name a configured rule and one of its streams (else 404),
// send Content-Type application/json and, optionally, Content-Encoding
// gzip. The body may be at most 1,048,576 bytes as sent and after
// decompression (else 413 ContentLengthLimitExceeded, the service's limit
// and code), and each rule takes a bounded number of calls a minute (else
// 429 with Retry-After). Accepted rows are kept, fields over 64 KB cut as
// the service cuts them, and answered with 204; tests read them with
// Server.Rows.
//
// Two checks are stricter than the service, to make client bugs visible
// rather than silent: a body that is not a JSON array of objects is
// refused with 400 (the service may accept it and drop the data later),
// and so is a row with a column its stream does not declare (the service
// drops the column). A stream declared without columns takes any column
// whose name a declaration could hold: a letter first, at most 45
// letters, digits and underscores, none of the reserved names.
//
// Calls can be failed on demand (Server.FailNext) to test retries. Request
// bodies and tokens are never logged.
package logsingestion
