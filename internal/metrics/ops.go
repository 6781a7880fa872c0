package metrics

import "github.com/prometheus/client_golang/prometheus"

// ScanResult is the result label of credwatch_scans_total.
type ScanResult string

// Scan results.
const (
	ScanSuccess    ScanResult = "success"
	ScanIncomplete ScanResult = "incomplete"
	ScanFailure    ScanResult = "failure"
)

// Result label values of the notification and ingestion counters.
const (
	resultSuccess = "success"
	resultFailure = "failure"
)

// Ops counts what serve mode does. It implements prometheus.Collector; its
// methods are safe for concurrent use and do nothing on a nil *Ops, so
// callers without metrics need no checks.
type Ops struct {
	scans         *prometheus.CounterVec
	notifications *prometheus.CounterVec
	ingestion     *prometheus.CounterVec
}

// NewOps returns zeroed counters. The ingestion series exist from the
// start; scan and notification series appear per tenant and channel, from
// InitTenant and InitChannel or their first count.
func NewOps() *Ops {
	o := &Ops{
		scans: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "credwatch_scans_total",
			Help: "Scans run, by tenant and result (success, incomplete, failure).",
		}, []string{"tenant", "result"}),
		notifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "credwatch_notifications_total",
			Help: "Notification deliveries by channel and result (success, failure).",
		}, []string{"channel", "result"}),
		ingestion: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "credwatch_ingestion_batches_total",
			Help: "Batches sent to the Azure Monitor Logs Ingestion API, by result (success, failure).",
		}, []string{"result"}),
	}
	o.ingestion.WithLabelValues(resultSuccess)
	o.ingestion.WithLabelValues(resultFailure)
	return o
}

// InitTenant creates a tenant's scan series at zero, so that rate() and
// increase() see the first failure instead of a series born at 1.
func (o *Ops) InitTenant(tenant string) {
	if o == nil {
		return
	}
	for _, r := range []ScanResult{ScanSuccess, ScanIncomplete, ScanFailure} {
		o.scans.WithLabelValues(labelValue(tenant), string(r))
	}
}

// ScanDone counts one scan of a tenant.
func (o *Ops) ScanDone(tenant string, r ScanResult) {
	if o == nil {
		return
	}
	o.scans.WithLabelValues(labelValue(tenant), string(r)).Inc()
}

// InitChannel creates a notification channel's series at zero.
func (o *Ops) InitChannel(channel string) {
	if o == nil {
		return
	}
	o.notifications.WithLabelValues(labelValue(channel), resultSuccess)
	o.notifications.WithLabelValues(labelValue(channel), resultFailure)
}

// Notification counts one delivery on a channel: a failure when err is not
// nil.
func (o *Ops) Notification(channel string, err error) {
	if o == nil {
		return
	}
	r := resultSuccess
	if err != nil {
		r = resultFailure
	}
	o.notifications.WithLabelValues(labelValue(channel), r).Inc()
}

// IngestionBatches counts batches sent to Log Analytics: ok accepted,
// failed given up on.
func (o *Ops) IngestionBatches(ok, failed int) {
	if o == nil {
		return
	}
	o.ingestion.WithLabelValues(resultSuccess).Add(float64(max(ok, 0)))
	o.ingestion.WithLabelValues(resultFailure).Add(float64(max(failed, 0)))
}

// Describe sends the counters' descriptors.
func (o *Ops) Describe(ch chan<- *prometheus.Desc) {
	o.scans.Describe(ch)
	o.notifications.Describe(ch)
	o.ingestion.Describe(ch)
}

// Collect sends the counters.
func (o *Ops) Collect(ch chan<- prometheus.Metric) {
	o.scans.Collect(ch)
	o.notifications.Collect(ch)
	o.ingestion.Collect(ch)
}
