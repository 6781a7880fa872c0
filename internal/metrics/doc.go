// Package metrics exposes credwatch's state to Prometheus.
//
// A Collector holds the latest scan of each tenant and turns it into
// series on every scrape, so a deleted app's series vanish with the scan
// that no longer sees it; Ops holds ordinary counters of what serve mode
// did (scans, notifications, log ingestion). Registry puts both, with the
// Go and process collectors, in a fresh registry. Every series is listed in
// docs/metrics.md.
//
// Label values taken from tenant data (app names, key ids) are chosen by
// whoever can register an app: they are kept as they are, since the
// exposition format escapes them, but made valid UTF-8 and cut to a bounded
// length so one hostile name cannot bloat every scrape.
package metrics
