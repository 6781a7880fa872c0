package metrics

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/credwatch/credwatch/internal/inventory"
	"github.com/credwatch/credwatch/internal/policy"
)

// ScanInfo describes how a scan went; the Collector exports it as gauges of
// the tenant's last scan.
type ScanInfo struct {
	Duration time.Duration
	// Complete is false when anything could not be fetched. A tenant whose
	// own Complete is false, or a nil tenant, counts as incomplete whatever
	// this says.
	Complete                          bool
	GraphRequests, Retries, Throttled int
	// At is when the scan finished.
	At time.Time
	// Interval is the configured time between scans, exported so alerts can
	// say "stale" without repeating the configuration; zero exports none.
	Interval time.Duration
}

// credKey is what identifies one credential series besides the tenant.
type credKey struct {
	objectType, appID, appName, keyID, credType string
}

// credTimes are a credential's dates; a zero time exports no series.
type credTimes struct {
	start, end time.Time
}

type findingKey struct {
	rule, severity string
}

// snapshot is one tenant's exported state. It is never changed once
// stored, so Collect can read it without holding the lock.
type snapshot struct {
	tenant     string // label value
	info       ScanInfo
	complete   bool
	creds      map[credKey]credTimes
	findings   map[findingKey]int
	suppressed map[string]int
}

// Collector exports the latest scan of each tenant. It implements
// prometheus.Collector and is safe for concurrent use.
type Collector struct {
	mu      sync.RWMutex
	tenants map[string]*snapshot
}

// NewCollector returns a Collector with no tenant.
func NewCollector() *Collector {
	return &Collector{tenants: map[string]*snapshot{}}
}

// SetScan replaces tenantID's series with those of one scan, atomically: a
// scrape sees the old scan or the new one, never a mix.
//
// Completeness is part of the data: when the scan is incomplete (or t is
// nil, a scan that failed outright), credentials the previous scans showed
// but this one lacks keep their series until a complete scan says they are
// gone, so a partial scan never reads as "credential removed". A nil t also
// keeps the previous findings counts; the scan gauges always describe this
// scan.
func (c *Collector) SetScan(tenantID string, t *inventory.Tenant, findings []policy.Finding, info ScanInfo) {
	s := &snapshot{
		tenant:   labelValue(tenantID),
		info:     info,
		complete: info.Complete && t != nil && t.Complete,
	}
	if t != nil {
		s.creds = credentialSeries(t)
		s.findings, s.suppressed = findingCounts(findings)
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	prev := c.tenants[tenantID]
	if prev != nil && !s.complete {
		if s.creds == nil {
			s.creds = prev.creds
		} else {
			for k, v := range prev.creds {
				if _, ok := s.creds[k]; !ok {
					s.creds[k] = v
				}
			}
		}
	}
	if prev != nil && t == nil {
		s.findings, s.suppressed = prev.findings, prev.suppressed
	}
	c.tenants[tenantID] = s
}

// Remove drops every series of a tenant, for one no longer scanned.
func (c *Collector) Remove(tenantID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.tenants, tenantID)
}

// credentialSeries keys the credentials that have a date. Two credentials
// with the same labels (a malformed or merged snapshot) would make the
// registry fail the whole scrape, so they become one series holding the
// earliest end: the one an alert must not miss.
func credentialSeries(t *inventory.Tenant) map[credKey]credTimes {
	out := map[credKey]credTimes{}
	for i := range t.Objects {
		o := &t.Objects[i]
		for j := range o.Credentials {
			cr := &o.Credentials[j]
			if cr.Start.IsZero() && cr.End.IsZero() {
				continue
			}
			k := credKey{
				objectType: labelValue(string(o.Type)),
				appID:      labelValue(o.AppID),
				appName:    labelValue(o.DisplayName),
				keyID:      labelValue(cr.KeyID),
				credType:   labelValue(string(cr.Type)),
			}
			v := credTimes{start: cr.Start, end: cr.End}
			if old, dup := out[k]; dup && !earlierEnd(v.end, old.end) {
				continue
			}
			out[k] = v
		}
	}
	return out
}

// earlierEnd reports whether end a comes before b, a missing end counting
// as never.
func earlierEnd(a, b time.Time) bool {
	if a.IsZero() {
		return false
	}
	return b.IsZero() || a.Before(b)
}

func findingCounts(fs []policy.Finding) (map[findingKey]int, map[string]int) {
	open, suppressed := map[findingKey]int{}, map[string]int{}
	for i := range fs {
		f := &fs[i]
		rule := labelValue(f.RuleID)
		if f.Suppressed {
			suppressed[rule]++
			continue
		}
		open[findingKey{rule: rule, severity: f.Severity.String()}]++
	}
	return open, suppressed
}

// Describe sends every descriptor the collector can emit.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range collectorDescs {
		ch <- d
	}
}

// Collect sends the series of every tenant's latest scan.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	c.mu.RLock()
	snaps := make([]*snapshot, 0, len(c.tenants))
	for _, s := range c.tenants {
		snaps = append(snaps, s)
	}
	c.mu.RUnlock()
	for _, s := range snaps {
		s.collect(ch)
	}
}

func (s *snapshot) collect(ch chan<- prometheus.Metric) {
	for k, v := range s.creds {
		if !v.end.IsZero() {
			gauge(ch, descExpiry, unixSeconds(v.end), s.tenant, k.objectType, k.appID, k.appName, k.keyID, k.credType)
		}
		if !v.start.IsZero() {
			gauge(ch, descStart, unixSeconds(v.start), s.tenant, k.objectType, k.appID, k.appName, k.keyID, k.credType)
		}
	}
	for k, n := range s.findings {
		gauge(ch, descFindings, float64(n), s.tenant, k.rule, k.severity)
	}
	for rule, n := range s.suppressed {
		gauge(ch, descSuppressed, float64(n), s.tenant, rule)
	}
	complete := 0.0
	if s.complete {
		complete = 1
	}
	gauge(ch, descScanComplete, complete, s.tenant)
	gauge(ch, descScanDuration, s.info.Duration.Seconds(), s.tenant)
	if !s.info.At.IsZero() {
		gauge(ch, descScanTimestamp, unixSeconds(s.info.At), s.tenant)
	}
	if s.info.Interval > 0 {
		gauge(ch, descScanInterval, s.info.Interval.Seconds(), s.tenant)
	}
	gauge(ch, descGraphRequests, float64(s.info.GraphRequests), s.tenant)
	gauge(ch, descGraphRetries, float64(s.info.Retries), s.tenant)
	gauge(ch, descGraphThrottled, float64(s.info.Throttled), s.tenant)
}

// unixSeconds keeps millisecond precision: Graph's dates carry fractions.
func unixSeconds(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

// gauge sends one const gauge. Label values are already valid UTF-8 and
// the counts fixed, so an error here is a bug; it reaches the scrape as an
// invalid metric rather than a panic.
func gauge(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, labels ...string) {
	m, err := prometheus.NewConstMetric(d, prometheus.GaugeValue, v, labels...)
	if err != nil {
		m = prometheus.NewInvalidMetric(d, err)
	}
	ch <- m
}
