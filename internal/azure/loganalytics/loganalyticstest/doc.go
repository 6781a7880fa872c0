// Package loganalyticstest is a fake Azure Monitor Logs Ingestion endpoint
// over HTTPS, for tests of code that uploads logs. It checks requests the
// way the service does (bearer token present, api-version, JSON content
// type, optional gzip, a JSON array of objects, 1 MB per call), answers
// 204, keeps the accepted rows in order, and can be told to fail.
//
// It is also the reference for an emulator of the same API: what a client
// must send and what the service answers.
package loganalyticstest
