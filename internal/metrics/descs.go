package metrics

import "github.com/prometheus/client_golang/prometheus"

// Label sets.
var (
	credentialLabels = []string{"tenant", "object_type", "app_id", "app_name", "key_id", "credential_type"}
	tenantLabel      = []string{"tenant"}
)

// The collector's descriptors; docs/metrics.md documents each.
var (
	descExpiry = prometheus.NewDesc("credwatch_credential_expiry_timestamp_seconds",
		"End date of a secret or certificate, as Unix seconds; credentials without one are not exported.",
		credentialLabels, nil)
	descStart = prometheus.NewDesc("credwatch_credential_start_timestamp_seconds",
		"Start date of a credential, as Unix seconds; credentials without one are not exported.",
		credentialLabels, nil)
	descFindings = prometheus.NewDesc("credwatch_findings",
		"Unsuppressed findings of the last scan by rule and severity; only pairs with findings are exported.",
		[]string{"tenant", "rule", "severity"}, nil)
	descSuppressed = prometheus.NewDesc("credwatch_findings_suppressed",
		"Findings of the last scan that a configured exception suppresses, by rule.",
		[]string{"tenant", "rule"}, nil)
	descScanDuration = prometheus.NewDesc("credwatch_scan_duration_seconds",
		"How long the last scan took.", tenantLabel, nil)
	descScanComplete = prometheus.NewDesc("credwatch_scan_complete",
		"1 when the last scan fetched everything, 0 when it is partial or failed.", tenantLabel, nil)
	descScanTimestamp = prometheus.NewDesc("credwatch_scan_timestamp_seconds",
		"When the last scan finished, as Unix seconds.", tenantLabel, nil)
	descScanInterval = prometheus.NewDesc("credwatch_scan_interval_seconds",
		"The configured time between scans.", tenantLabel, nil)
	descGraphRequests = prometheus.NewDesc("credwatch_graph_requests",
		"Microsoft Graph HTTP requests the last scan sent, retries included.", tenantLabel, nil)
	descGraphRetries = prometheus.NewDesc("credwatch_graph_retries",
		"Microsoft Graph requests the last scan sent again.", tenantLabel, nil)
	descGraphThrottled = prometheus.NewDesc("credwatch_graph_throttled",
		"Microsoft Graph 429 (throttled) answers during the last scan.", tenantLabel, nil)

	collectorDescs = []*prometheus.Desc{
		descExpiry, descStart, descFindings, descSuppressed, descScanDuration, descScanComplete,
		descScanTimestamp, descScanInterval, descGraphRequests, descGraphRetries, descGraphThrottled,
	}
)
