// Package loganalytics sends credwatch's findings and credential inventory
// to Log Analytics custom tables (and so to Microsoft Sentinel) through the
// Azure Monitor Logs Ingestion API.
//
// The REST call is made by hand through an azcore pipeline with a bearer
// token for https://monitor.azure.com//.default, as internal/azure/graph
// does for Graph: POST
// {endpoint}/dataCollectionRules/{dcrImmutableId}/streams/{stream}?api-version=2023-01-01
// with a JSON array of rows, gzip-compressed unless disabled, and 204 as
// the only success.
//
// The service takes at most 1 MB per call and 64 KB per field, and the Go
// SDK does not split batches, so this package does: Upload serializes each
// row once, truncates oversized fields with a visible marker, packs rows in
// order into batches under the limit, and retries throttling (429 with
// Retry-After) and server errors. A row too large for any batch is an
// error naming it; it is never dropped silently.
//
// FindingRows and CredentialRows build the rows of the CredwatchFindings_CL
// and CredwatchCredentials_CL tables that docs/sentinel declares. Tests
// run against internal/emulator/logsingestion, the emulator's peer of the
// service.
package loganalytics
